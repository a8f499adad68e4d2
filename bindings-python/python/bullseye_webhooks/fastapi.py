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

from typing import Any, Optional

import anyio
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ._errors import WebhookError
from ._http import Answer, Event, Lease, Receiver, refusal

__all__ = ["BullseyeWebhook", "DeliveryAnswered", "WebhookRejected"]

# Where the middleware leaves its per-request state in the ASGI scope.
_SCOPE_KEY = "bullseye_webhooks"


class WebhookRejected(HTTPException):
    """A refused delivery: `.error` is the `WebhookError`, `.code` its code."""

    def __init__(self, error: WebhookError) -> None:
        status, body = refusal(error)
        super().__init__(status_code=status, detail=body["error"])
        self.error = error
        self.code = error.code


class DeliveryAnswered(HTTPException):
    """A delivery answered without calling the handler (de-duplication): a
    duplicate (200), one in flight (409) or a store failure (503).
    `.answer` holds the status, the JSON body and the headers."""

    def __init__(self, answer: Answer) -> None:
        detail = answer.body.get("error", "duplicate")
        super().__init__(status_code=answer.status, detail=detail, headers=answer.headers or None)
        self.answer = answer


class _Slot:
    """One request's state, shared by the middleware and the dependency."""

    __slots__ = ("limit", "received", "too_large", "leases")

    def __init__(self) -> None:
        self.limit: Optional[int] = None
        self.received = 0
        self.too_large: Optional[Receiver] = None
        self.leases: list[Lease] = []

    async def settle(self, succeeded: bool) -> None:
        leases, self.leases = self.leases, []
        for lease in leases:
            await lease.receiver.finish_async(lease, succeeded)


class BullseyeMiddleware:
    """Added by `BullseyeWebhook.install(app)`: bounds the body as it is
    received (for the dependency's limit) and completes or releases the
    request's de-duplication claims when the answer starts (2xx: complete;
    anything else, or an exception: release)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        slot = _Slot()
        scope[_SCOPE_KEY] = slot

        async def bounded_receive() -> Message:
            message = await receive()
            if slot.limit is not None and message["type"] == "http.request":
                slot.received += len(message.get("body", b""))
                if slot.received > slot.limit and slot.too_large is not None:
                    raise slot.too_large.too_large()
            return message

        async def settling_send(message: Message) -> None:
            if message["type"] == "http.response.start" and slot.leases:
                # Before the answer leaves: a retry that follows a 2xx finds it done.
                await slot.settle(200 <= int(message["status"]) < 300)
            await send(message)

        try:
            await self.app(scope, bounded_receive, settling_send)
        finally:
            if slot.leases:  # the handler raised (or the request was cancelled) before answering
                with anyio.CancelScope(shield=True):  # release even when cancelled
                    await slot.settle(False)


class BullseyeWebhook(Receiver):
    """A FastAPI dependency: `event: Event = Depends(BullseyeWebhook(secret))`.
    Any verifier plugs in: `BullseyeWebhook(BitnobWebhook(secret))`."""

    async def __call__(self, request: Request) -> Event:
        slot = request.scope.get(_SCOPE_KEY)
        if self.dedupe is not None and not isinstance(slot, _Slot):
            raise RuntimeError("BullseyeWebhook(dedupe=...) needs `bullseye.install(app)` (it completes the claims)")
        try:
            body = await self._read_body(request, slot if isinstance(slot, _Slot) else None)
            event = self.construct_event(body, request.headers)
        except WebhookError as error:
            raise WebhookRejected(error) from None
        claimed = await self.claim_async(event)
        if isinstance(claimed, Answer):
            raise DeliveryAnswered(claimed)
        if claimed is not None:
            assert isinstance(slot, _Slot)
            slot.leases.append(claimed)
        return event

    async def _read_body(self, request: Request, slot: Optional[_Slot]) -> bytes:
        self.check_declared_length(request.headers.get("content-length"))
        if slot is not None:
            # The middleware refuses the body past the limit as it arrives;
            # Starlette keeps it, so the handler can read it again.
            slot.limit = self.max_body_bytes
            slot.too_large = self
            try:
                body = await request.body()
            finally:
                slot.limit = None
            if len(body) > self.max_body_bytes:  # a body read before this dependency
                raise self.too_large()
            return body
        # Without install(): read the stream, stopping past the limit. The
        # handler then cannot read the body again (install() to allow it).
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > self.max_body_bytes:
                raise self.too_large()
            chunks.append(chunk)
        return b"".join(chunks)

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
    # Its answer was made (and logged) by `refusal` when it was raised.
    return JSONResponse({"error": exc.code}, status_code=exc.status_code)


async def _answered(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DeliveryAnswered)
    answer = exc.answer
    return JSONResponse(answer.body, status_code=answer.status, headers=answer.headers)
