"""Starlette integration: an endpoint decorator that reads the raw body
(bounded by the size limit as it arrives), verifies it and calls the
endpoint with the request and the typed event.

    bullseye = BullseyeWebhook("whsec_...")        # or BullseyeWebhook(BitnobWebhook("..."))

    @bullseye.verified
    async def receive(request, event):
        return JSONResponse({"received": event.event_type})

    app = Starlette(routes=[Route("/webhooks/bullseye", receive, methods=["POST"])])

No middleware is needed: the endpoint gets a request whose `body()` is the
bytes that were verified. Refused deliveries are answered with the
contract's status and `{"error": code}`. Endpoints may be `def` (run in
Starlette's thread pool) or `async def`. With `dedupe=`, a duplicate is
answered 200 `{"duplicate": true}` without calling the endpoint, a delivery
in flight 409 with `Retry-After`, a store failure 503 with `Retry-After`;
an endpoint that raises or answers non-2xx releases its claim. Any store
works (a sync one runs in a thread).

FastAPI is Starlette too; there, `bullseye_webhooks.fastapi` is a
dependency instead.
"""

from __future__ import annotations

import functools
import inspect
from typing import Any, Callable

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ._asgi import bounded
from ._framework import event_or_refusal_async, run_claimed_async
from ._http import Answer, Event, Receiver

__all__ = ["BullseyeWebhook"]


def _answer(answer: Answer) -> Response:
    return JSONResponse(answer.body, status_code=answer.status, headers=answer.headers)


def _refuse(status: int, payload: dict[str, str]) -> Response:
    return JSONResponse(payload, status_code=status)


def _status(response: Any) -> int:
    return int(response.status_code) if isinstance(response, Response) else 500


class BullseyeWebhook(Receiver):
    """Verifies deliveries for Starlette endpoints (Bullseye's, or any verifier's)."""

    def verified(self, endpoint: Callable[..., Any]) -> Callable[[Request], Any]:
        """Call `endpoint(request, event)` for a verified delivery; answer
        400/401/413 with `{"error": code}` otherwise."""
        asynchronous = inspect.iscoroutinefunction(endpoint)

        @functools.wraps(endpoint)
        async def wrapper(request: Request) -> Response:
            # A request of our own over the same scope, whose receive stops
            # past the limit; the body it reads stays cached for the endpoint.
            request = Request(request.scope, bounded(request.receive, self))
            delivery = self.delivery()

            async def read() -> Event:
                self.check_declared_length(request.headers.get("content-length"))
                return delivery.construct(await request.body(), request.headers)

            event = await event_or_refusal_async(delivery, read, _refuse)
            if isinstance(event, Response):
                return event

            async def call() -> Response:
                if asynchronous:
                    response: Response = await endpoint(request, event)
                else:
                    response = await run_in_threadpool(endpoint, request, event)
                return response

            return await run_claimed_async(delivery, event, call, _answer, _status)

        return wrapper
