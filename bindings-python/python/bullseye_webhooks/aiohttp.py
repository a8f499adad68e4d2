"""aiohttp server integration: a handler decorator that reads the raw body
(refused as soon as it passes the size limit), verifies it and calls the
handler with the request and the typed event.

    bullseye = BullseyeWebhook("whsec_...")        # or BullseyeWebhook(BitnobWebhook("..."))

    @bullseye.verified
    async def receive(request, event):
        return web.json_response({"received": event.event_type})

    app = web.Application()
    app.router.add_post("/webhooks/bullseye", receive)

The handler's `request` is a clone of aiohttp's whose `read()` returns the
bytes that were verified. Refused deliveries are answered with the
contract's status and `{"error": code}`. With `dedupe=`, a duplicate is
answered 200 `{"duplicate": true}` without calling the handler, a delivery
in flight 409 with `Retry-After`, a store failure 503 with `Retry-After`; a
handler that raises or answers non-2xx releases its claim. Any store works
(a sync one runs in a thread).
"""

from __future__ import annotations

import functools
from typing import Any, Awaitable, Callable

from aiohttp import web

from ._framework import event_or_refusal_async, run_claimed_async
from ._http import Answer, Event, Receiver

__all__ = ["BullseyeWebhook"]

Handler = Callable[..., Awaitable[web.StreamResponse]]


def _answer(answer: Answer) -> web.StreamResponse:
    return web.json_response(answer.body, status=answer.status, headers=answer.headers)


def _refuse(status: int, payload: dict[str, str]) -> web.StreamResponse:
    return web.json_response(payload, status=status)


def _status(response: Any) -> int:
    return int(response.status) if isinstance(response, web.StreamResponse) else 500


class BullseyeWebhook(Receiver):
    """Verifies deliveries for aiohttp handlers (Bullseye's, or any verifier's)."""

    async def _read(self, request: web.Request) -> bytes:
        self.check_declared_length(request.headers.get("Content-Length"))
        try:
            return await request.read()
        except web.HTTPRequestEntityTooLarge:
            raise self.too_large() from None

    def verified(self, handler: Handler) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        """Call `handler(request, event)` for a verified delivery; answer
        400/401/413 with `{"error": code}` otherwise."""

        @functools.wraps(handler)
        async def wrapper(request: web.Request) -> web.StreamResponse:
            # aiohttp stops reading a body past a request's client_max_size.
            request = request.clone(client_max_size=self.max_body_bytes)
            delivery = self.delivery()

            async def read() -> Event:
                return delivery.construct(await self._read(request), request.headers)

            event = await event_or_refusal_async(delivery, read, _refuse)
            if isinstance(event, web.StreamResponse):
                return event
            return await run_claimed_async(delivery, event, lambda: handler(request, event), _answer, _status)

        return wrapper
