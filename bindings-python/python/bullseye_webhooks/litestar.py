"""Litestar integration: a plugin and a dependency that reads the raw body,
verifies it and gives the handler the typed event.

    bullseye = BullseyeWebhook("whsec_...")        # or BullseyeWebhook(BitnobWebhook("..."))

    @post("/webhooks/bullseye", dependencies={"event": bullseye.dependency})
    async def receive(event: Any) -> dict: ...

    app = Litestar([receive], plugins=[bullseye])

The plugin (`plugins=[bullseye]`, once per app whatever the number of
receivers) answers refused deliveries with the contract's status and
`{"error": code}`, and adds a small ASGI middleware that bounds the body as
it arrives (so the dependency reads it with Litestar's `request.body()` and
the handler can read it again) and sees the handler's answer, to complete
or release a de-duplication claim. With `dedupe=`, the plugin is required.

A delivery whose documented fields have another JSON type is accepted: its
fields are on `event.mismatches`, and one WARNING on the `bullseye_webhooks`
logger names them (paths and types, never values). `strict=True` answers 400
`invalid_payload` instead.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response
from litestar.di import Provide
from litestar.exceptions import HTTPException
from litestar.middleware import DefineMiddleware

from ._asgi import Answered, BullseyeMiddleware, Rejected, receive_event
from ._errors import WebhookError
from ._http import Answer, Event, Receiver

__all__ = ["BullseyeWebhook", "DeliveryAnswered", "WebhookRejected"]


class WebhookRejected(Rejected, HTTPException):
    """A refused delivery: `.error` is the `WebhookError`, `.code` its code."""


class DeliveryAnswered(Answered, HTTPException):
    """A delivery answered without calling the handler (de-duplication):
    `.answer` holds the status, the JSON body and the headers."""


def _rejected(request: Request[Any, Any, Any], exc: WebhookRejected) -> Response[Any]:
    return Response({"error": exc.code}, status_code=exc.status_code)


def _answered(request: Request[Any, Any, Any], exc: DeliveryAnswered) -> Response[Any]:
    answer = exc.answer
    return Response(answer.body, status_code=answer.status, headers=answer.headers)


class BullseyeWebhook(Receiver):
    """A Litestar dependency (`bullseye.dependency`) and plugin
    (`plugins=[bullseye]`). Any verifier plugs in:
    `BullseyeWebhook(BitnobWebhook(secret))`."""

    @property
    def dependency(self) -> Provide:
        """The dependency giving the verified event: `dependencies={"event": bullseye.dependency}`."""
        return Provide(self.provide)

    async def provide(self, request: Request[Any, Any, Any]) -> Event:
        """The verified event of `request` (what `dependency` calls)."""
        try:
            received = await receive_event(self, request)
        except WebhookError as error:
            raise WebhookRejected(error) from None
        if isinstance(received, Answer):
            raise DeliveryAnswered(received)
        return received

    def on_app_init(self, app_config: Any) -> Any:
        """The plugin: the answers for refused and de-duplicated deliveries,
        and the middleware (added once per app, whatever the receivers)."""
        app_config.exception_handlers.setdefault(WebhookRejected, _rejected)
        app_config.exception_handlers.setdefault(DeliveryAnswered, _answered)
        if not any(getattr(m, "middleware", m) is BullseyeMiddleware for m in app_config.middleware):
            app_config.middleware.append(DefineMiddleware(BullseyeMiddleware))  # type: ignore[arg-type]  # plain ASGI
        return app_config
