"""FastAPI / Starlette integration: a dependency that reads the raw body,
verifies it and returns the typed event.

    bullseye = BullseyeWebhook("whsec_...")        # or BullseyeWebhook(BitnobWebhook("..."))
    app = FastAPI()
    bullseye.install(app)

    @app.post("/webhooks/bullseye")
    def receive(event: Event = Depends(bullseye)): ...

Refused deliveries raise `WebhookRejected` (an `HTTPException` with the
contract's status); `install(app)` makes them answer `{"error": code}`.

`install(app)` also adds a small ASGI middleware that (1) bounds the body
read as it arrives, so the dependency reads it with Starlette's public
`request.body()` and the handler can `await request.body()` again, and (2)
sees the handler's answer, to complete or release a de-duplication claim.
With `dedupe=`, `install(app)` is required.

A delivery whose documented fields have another JSON type is accepted: its
fields are on `event.mismatches`, and one WARNING on the `bullseye_webhooks`
logger names them (paths and types, never values). `strict=True` answers 400
`invalid_payload` instead.
"""

from __future__ import annotations

from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse

from ._asgi import Answered, BullseyeMiddleware, Rejected, receive_event
from ._errors import WebhookError
from ._http import Answer, Event, Receiver

__all__ = ["BullseyeMiddleware", "BullseyeWebhook", "DeliveryAnswered", "WebhookRejected"]


class WebhookRejected(Rejected, HTTPException):
    """A refused delivery: `.error` is the `WebhookError`, `.code` its code."""


class DeliveryAnswered(Answered, HTTPException):
    """A delivery answered without calling the handler (de-duplication):
    `.answer` holds the status, the JSON body and the headers."""


class BullseyeWebhook(Receiver):
    """A FastAPI dependency: `event: Event = Depends(BullseyeWebhook(secret))`.
    Any verifier plugs in: `BullseyeWebhook(BitnobWebhook(secret))`."""

    async def __call__(self, request: Request) -> Event:
        try:
            received = await receive_event(self, request)
        except WebhookError as error:
            raise WebhookRejected(error) from None
        if isinstance(received, Answer):
            raise DeliveryAnswered(received)
        return received

    def install(self, app: Any) -> None:
        """Answer refused deliveries with the contract's `{"error": code}`
        body, de-duplication answers with theirs, and add the middleware
        (once per app). Call it before the app starts."""
        app.add_exception_handler(WebhookRejected, _rejected)
        app.add_exception_handler(DeliveryAnswered, _answered)
        if not any(getattr(m, "cls", None) is BullseyeMiddleware for m in getattr(app, "user_middleware", ())):
            app.add_middleware(BullseyeMiddleware)


async def _rejected(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, WebhookRejected)
    return JSONResponse({"error": exc.code}, status_code=exc.status_code)


async def _answered(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DeliveryAnswered)
    answer = exc.answer
    return JSONResponse(answer.body, status_code=answer.status, headers=answer.headers)
