"""What the ASGI integrations (FastAPI, Starlette, Litestar) share: a
receive channel bounded by the size limit, the middleware that bounds a
request's body and completes or releases its de-duplication claims when the
answer starts, and reading a verified event from a request of either
framework (both have `headers`, `scope`, `body()` and `stream()`)."""

from __future__ import annotations

from typing import Any, Awaitable, Callable, MutableMapping, Optional, Union

import anyio

from ._errors import WebhookError
from ._http import Answer, Event, Lease, Receiver
from ._observe import Delivery

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

# Where the middleware leaves its per-request state in the ASGI scope.
SCOPE_KEY = "bullseye_webhooks"


class Rejected:
    """The FastAPI and Litestar `WebhookRejected`: mixed into each one's
    `HTTPException` (both take these keywords). `.error` is the
    `WebhookError`, `.code` its code. Logged and reported when it was
    refused (`Delivery.refused`), not here."""

    def __init__(self, error: WebhookError) -> None:
        super().__init__(status_code=error.http_status, detail=error.code)  # type: ignore[call-arg]
        self.error = error
        self.code = error.code


class Answered:
    """The FastAPI and Litestar `DeliveryAnswered`: a delivery answered
    without calling the handler (de-duplication): a duplicate (200), one in
    flight (409) or a store failure (503). `.answer` holds the status, the
    JSON body and the headers."""

    def __init__(self, answer: Answer) -> None:
        detail = answer.body.get("error", "duplicate")
        super().__init__(  # type: ignore[call-arg]
            status_code=answer.status, detail=detail, headers=answer.headers or None
        )
        self.answer = answer


def bounded(receive: Receive, receiver: Receiver) -> Receive:
    """`receive`, refusing the body (`body_too_large`) as soon as more than
    the receiver's limit has arrived: memory stays bounded whatever is sent."""
    received = 0

    async def bounded_receive() -> Message:
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > receiver.max_body_bytes:
                raise receiver.too_large()
        return message

    return bounded_receive


class Slot:
    """One request's state, shared by the middleware and the dependency."""

    __slots__ = ("limit", "received", "too_large", "leases", "deliveries")

    def __init__(self) -> None:
        self.limit: Optional[int] = None
        self.received = 0
        self.too_large: Optional[Receiver] = None
        self.leases: list[Lease] = []
        self.deliveries: list[Delivery] = []

    async def settle(self, status: int) -> None:
        leases, self.leases = self.leases, []
        for lease in leases:
            await lease.receiver.finish_async(lease, 200 <= status < 300)
        deliveries, self.deliveries = self.deliveries, []
        for delivery in deliveries:
            delivery.handled(status)


class BullseyeMiddleware:
    """Bounds the body as it is received (for the dependency's limit) and
    completes or releases the request's de-duplication claims when the
    answer starts (2xx: complete; anything else, or an exception: release)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: MutableMapping[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        slot = Slot()
        scope[SCOPE_KEY] = slot

        async def bounded_receive() -> Message:
            message = await receive()
            if slot.limit is not None and message["type"] == "http.request":
                slot.received += len(message.get("body", b""))
                if slot.received > slot.limit and slot.too_large is not None:
                    raise slot.too_large.too_large()
            return message

        async def settling_send(message: Message) -> None:
            if message["type"] == "http.response.start" and (slot.leases or slot.deliveries):
                # Before the answer leaves: a retry that follows a 2xx finds it done.
                await slot.settle(int(message["status"]))
            await send(message)

        try:
            await self.app(scope, bounded_receive, settling_send)
        finally:
            if slot.leases or slot.deliveries:  # the handler raised (or was cancelled) before answering
                with anyio.CancelScope(shield=True):  # release even when cancelled
                    await slot.settle(500)


def slot_of(receiver: Receiver, request: Any) -> Optional[Slot]:
    """The middleware's slot of `request`; with `dedupe=`, the middleware is required."""
    slot = request.scope.get(SCOPE_KEY)
    if receiver.dedupe is not None and not isinstance(slot, Slot):
        raise RuntimeError(
            f"{type(receiver).__name__}(dedupe=...) needs its middleware (FastAPI: `bullseye.install(app)`; "
            "Litestar: `plugins=[bullseye]`): it completes the claims"
        )
    return slot if isinstance(slot, Slot) else None


async def read_body(receiver: Receiver, request: Any, slot: Optional[Slot]) -> bytes:
    """The raw body of a Starlette or Litestar request, refused past the
    limit before it is all read. Under the middleware the framework keeps
    it, so the handler can read it again."""
    receiver.check_declared_length(request.headers.get("content-length"))
    if slot is not None:
        slot.limit = receiver.max_body_bytes
        slot.too_large = receiver
        try:
            body: bytes = await request.body()
        finally:
            slot.limit = None
        if len(body) > receiver.max_body_bytes:  # a body read before this dependency
            raise receiver.too_large()
        return body
    # Without the middleware: read the stream, stopping past the limit. The
    # handler then cannot read the body again.
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > receiver.max_body_bytes:
            raise receiver.too_large()
        chunks.append(chunk)
    return b"".join(chunks)


async def receive_event(receiver: Receiver, request: Any) -> Union[Event, Answer]:
    """The verified event of `request`, claimed (its lease left for the
    middleware), or the de-duplication `Answer` to give instead. A refusal
    raises the `WebhookError`, already logged and reported (`Delivery.refused`)."""
    slot = slot_of(receiver, request)
    delivery = receiver.delivery()
    try:
        event = delivery.construct(await read_body(receiver, request, slot), request.headers)
    except WebhookError as error:
        delivery.refused(error)
        raise
    except BaseException:
        delivery.abandoned()
        raise
    claimed = await receiver.claim_async(event)
    delivery.claimed(claimed)
    if isinstance(claimed, Answer):
        return claimed
    if claimed is not None:
        assert slot is not None
        slot.leases.append(claimed)
    if slot is not None:
        slot.deliveries.append(delivery)  # the middleware reports the handler's answer
    else:
        delivery.handled(None)  # no middleware: the answer is not seen here
    return event
