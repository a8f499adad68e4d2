"""Flask integration: a view decorator that verifies the raw body and calls
the view with the typed event first. Views may be `def` or `async def`
(Flask runs async views with its `async` extra, asgiref).

    bullseye = BullseyeWebhook("whsec_...")        # or BullseyeWebhook(BitnobWebhook("..."))

    @app.post("/webhooks/bullseye")
    @bullseye.verified
    def receive(event): ...

With `dedupe=`, a duplicate is answered 200 `{"duplicate": true}` without
calling the view, a delivery in flight 409 with `Retry-After`, a store
failure 503 with `Retry-After`; a view that raises or answers non-2xx
releases its claim. Take a sync store (`RedisStore`, `SQLiteStore`,
`MemoryStore`), also for async views: Flask runs each on an event loop of
its own, where an asyncio client's connections do not carry over.

A delivery whose documented fields have another JSON type is accepted: its
fields are on `event.mismatches`, and one WARNING on the `bullseye_webhooks`
logger names them (paths and types, never values). `strict=True` answers 400
`invalid_payload` instead.
"""

from __future__ import annotations

import functools
import inspect
from typing import Any, Callable, Union

from flask import Response, current_app, jsonify, request
from werkzeug.exceptions import RequestEntityTooLarge

from ._framework import event_or_refusal, run_claimed, run_claimed_async
from ._http import Answer, Event, Receiver
from ._observe import Delivery

__all__ = ["BullseyeWebhook"]


def _answer(answer: Answer) -> Response:
    response = jsonify(answer.body)
    response.status_code = answer.status
    response.headers.update(answer.headers)
    return response


def _refuse(status: int, payload: dict[str, str]) -> Response:
    response = jsonify(payload)
    response.status_code = status
    return response


def _status(response: Response) -> int:
    return int(response.status_code)


class BullseyeWebhook(Receiver):
    """Verifies deliveries for Flask views (Bullseye's, or any verifier's)."""

    def _event(self, delivery: Delivery) -> Union[Event, Response]:
        """The verified event of the current request, or the refusal to answer."""
        return event_or_refusal(delivery, lambda: self._read(delivery), _refuse)

    def _read(self, delivery: Delivery) -> Event:
        self.check_declared_length(request.headers.get("Content-Length"))
        # Werkzeug stops reading past this, chunked bodies included.
        request.max_content_length = self.max_body_bytes
        try:
            body = request.get_data(cache=True)
        except RequestEntityTooLarge:
            raise self.too_large() from None
        return delivery.construct(body, request.headers)

    def verified(self, view: Callable[..., Any]) -> Callable[..., Any]:
        """Call `view(event, *args, **kwargs)` for a verified delivery;
        answer 400/401/413 with `{"error": code}` otherwise."""
        if self.async_store:
            # Flask runs each async view on an event loop of its own, and an
            # asyncio client's connections belong to the loop that made them.
            raise TypeError(
                f"@verified on {getattr(view, '__name__', view)!r}: Flask runs each view on an event loop "
                "of its own, so take a sync store (RedisStore, not AsyncRedisStore)"
            )
        if inspect.iscoroutinefunction(view):

            @functools.wraps(view)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                delivery = self.delivery()
                event = self._event(delivery)
                if isinstance(event, Response):
                    return event

                async def call() -> Response:
                    return current_app.make_response(await view(event, *args, **kwargs))

                return await run_claimed_async(delivery, event, call, _answer, _status)

            return async_wrapper

        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            delivery = self.delivery()
            event = self._event(delivery)
            if isinstance(event, Response):
                return event
            return run_claimed(
                delivery, event, lambda: current_app.make_response(view(event, *args, **kwargs)), _answer, _status
            )

        return wrapper
