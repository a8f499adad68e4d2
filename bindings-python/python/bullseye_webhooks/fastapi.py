"""FastAPI / Starlette integration: a dependency that reads the raw body,
verifies it and returns the typed event.

    bullseye = BullseyeWebhook("whsec_...")
    app = FastAPI()
    bullseye.install(app)

    @app.post("/webhooks/bullseye")
    def receive(event: Event = Depends(bullseye)): ...

Refused deliveries raise `WebhookRejected` (an `HTTPException` with the
contract's status); `install(app)` makes them answer `{"error": code}`.

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

from ._errors import WebhookError
from ._http import Receiver, refusal
from ._native import GenericEvent, VisitorIdentifiedEvent

__all__ = ["BullseyeWebhook", "WebhookRejected"]


class WebhookRejected(HTTPException):
    """A refused delivery: `.error` is the `WebhookError`, `.code` its code."""

    def __init__(self, error: WebhookError) -> None:
        status, body = refusal(error)
        super().__init__(status_code=status, detail=body["error"])
        self.error = error
        self.code = error.code


class BullseyeWebhook(Receiver):
    """A FastAPI dependency: `event: Event = Depends(BullseyeWebhook(secret))`."""

    async def __call__(self, request: Request) -> VisitorIdentifiedEvent | GenericEvent:
        try:
            body = await self._read_body(request)
            return self.construct_event(body, request.headers)
        except WebhookError as error:
            raise WebhookRejected(error) from None

    async def _read_body(self, request: Request) -> bytes:
        self.check_declared_length(request.headers.get("content-length"))
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > self.max_body_bytes:
                raise self.too_large()
            chunks.append(chunk)
        body = b"".join(chunks)
        # Starlette caches the body here, so the handler can still await
        # request.body() after this dependency consumed the stream.
        request._body = body
        return body

    def install(self, app: Any) -> None:
        """Answer refused deliveries with the contract's `{"error": code}` body."""
        app.add_exception_handler(WebhookRejected, _rejected)


async def _rejected(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, WebhookRejected)
    status, body = refusal(exc.error)
    return JSONResponse(body, status_code=status)
