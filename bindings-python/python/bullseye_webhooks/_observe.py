"""What every integration reports about a delivery: the refusal's WARNING
(`refusal`), a DEBUG record for an accepted delivery with its mismatches,
the receiver's `on_verified` / `on_refused` hooks, and an OpenTelemetry
span. Never the secret, the signature or the body: the code, whether a
signature header came, the body's length, the event type, and the
mismatches' paths and types.

One `Delivery` per request: `construct` it (verify), then `refused` (ends
it), or `claimed` and `handled` (ends it).

OpenTelemetry is optional and never imported by this package: an
application that exports spans has loaded `opentelemetry.trace` (the
official `opentelemetry-api`) to set its tracer provider, so the span is
made through that module when it is in `sys.modules`, and not at all
otherwise (no import cost, no dependency). One span per delivery, named
`bullseye-webhooks delivery`, a child of the current span (the server's),
with the events `verify`, `claim` and `handle`, and the attributes
`bullseye.outcome` (the `DeliveryInfo.code`), `bullseye.event_type`,
`bullseye.mismatches` (how many) and `http.response.status_code`; its
status is ERROR for a refusal and for a 5xx answer. The same names as the
Node integrations'."""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Optional, Union

from ._errors import WebhookError

if TYPE_CHECKING:
    from ._http import Answer, Event, Lease, Receiver

logger = logging.getLogger("bullseye_webhooks")


@dataclass
class DeliveryInfo:
    """What the hooks get about a delivery (never a secret, signature or body).

    `code`: "ok" (handled), "duplicate", "delivery_in_flight",
    "store_unavailable", or the refusal's error code. `status`: the HTTP
    answer (None where the integration does not see it: FastAPI without
    `install(app)`, Litestar without the plugin). `signature_header`: whether
    a non-empty `*-Signature` header came (None: unknown). `body_bytes`: the
    body's length (None: not read). `event_type`: the event's type, None for
    a refusal."""

    code: str
    status: Optional[int]
    signature_header: Optional[bool]
    body_bytes: Optional[int]
    event_type: Optional[str]


Hook = Callable[..., Any]

SPAN_NAME = "bullseye-webhooks delivery"

_tracer_cache: tuple[Any, Any] = (None, None)  # (provider, its tracer)


def _start_span() -> Any:
    """A started span, or None when the application has not loaded OpenTelemetry."""
    global _tracer_cache
    if "opentelemetry.trace" not in sys.modules:
        return None
    from opentelemetry import trace

    provider = trace.get_tracer_provider()
    if _tracer_cache[0] is not provider:
        _tracer_cache = (provider, provider.get_tracer("bullseye_webhooks"))
    return _tracer_cache[1].start_span(SPAN_NAME, kind=trace.SpanKind.INTERNAL)


def _end_span(span: Any, outcome: str, status: Optional[int], error: bool) -> None:
    from opentelemetry.trace import Status, StatusCode

    span.set_attribute("bullseye.outcome", outcome)
    if status is not None:
        span.set_attribute("http.response.status_code", status)
    if error:
        span.set_status(Status(StatusCode.ERROR, outcome))
    span.end()


def check_hook(name: str, hook: Any) -> Optional[Hook]:
    if hook is not None and not callable(hook):
        raise TypeError(f"{name} must be a function (event or error, DeliveryInfo), not {type(hook).__name__}")
    return hook  # type: ignore[no-any-return]


def _call(name: str, hook: Optional[Hook], first: Any, info: DeliveryInfo) -> None:
    # A hook that raises must not change the answer nor hide the delivery's
    # own outcome: its failure is logged, by type only (its message could
    # hold what the hook was given).
    if hook is None:
        return
    try:
        hook(first, info)
    except Exception as error:  # noqa: BLE001
        logger.warning("the %s hook raised %s; the delivery's answer stands", name, type(error).__name__)


def signature_sent(headers: Any) -> Optional[bool]:
    """Whether a non-empty `*-Signature` header came with the delivery (None: unknown)."""
    try:
        return any(str(name).lower().endswith("-signature") and headers[name] for name in headers.keys())
    except Exception:  # noqa: BLE001 - a log detail, never a reason to fail
        return None


def _presence(signature: Optional[bool]) -> str:
    return "unknown" if signature is None else ("present" if signature else "absent")


def refusal(error: WebhookError) -> tuple[int, dict[str, str]]:
    """The HTTP status and JSON body the contract gives for `error`, logged
    once at WARNING: the code, whether a signature header came, the body's
    length; never the secret, the signature or the body (nor the error's
    message). `record.refusal` holds the same as a dict."""
    signature, length = getattr(error, "_delivery", (None, None))
    details = {"code": error.code, "signature_header": signature, "body_bytes": length}
    logger.warning(
        "refused a delivery: %s (signature header: %s, body: %s)",
        error.code,
        _presence(signature),
        "not read" if length is None else f"{length} bytes",
        extra={"refusal": details},
    )
    return error.http_status, {"error": error.code}


def _answer_code(answer: Answer) -> str:
    return "duplicate" if answer.body.get("duplicate") is True else str(answer.body.get("error", "ok"))


class Delivery:
    """One request's report (see the module's docstring)."""

    __slots__ = ("receiver", "event", "info", "done", "span")

    def __init__(self, receiver: Receiver) -> None:
        self.receiver = receiver
        self.event: Optional[Event] = None
        self.info: Optional[DeliveryInfo] = None
        self.done = False
        self.span = _start_span()

    def construct(self, body: bytes, headers: Any) -> Event:
        """The receiver's verified event of `body` (raises `WebhookError`),
        reported at DEBUG with its mismatches."""
        event = self.receiver.construct_event(body, headers)
        self.event = event
        signature = signature_sent(headers)
        event_type = getattr(event, "event_type", None)
        self.info = DeliveryInfo("ok", None, signature, len(body), event_type)
        if self.span is not None:
            self.span.add_event("verify", {"bullseye.outcome": "ok"})
            if event_type is not None:
                self.span.set_attribute("bullseye.event_type", event_type)
            if event.mismatches:
                self.span.set_attribute("bullseye.mismatches", len(event.mismatches))
        if logger.isEnabledFor(logging.DEBUG):
            mismatches = [{"path": m.path, "expected": m.expected, "found": m.found} for m in event.mismatches]
            logger.debug(
                "accepted a %s delivery (signature header: %s, body: %d bytes; mismatches: %s)",
                event_type,
                _presence(signature),
                len(body),
                ", ".join(f"{m['path']} (expected {m['expected']}, found {m['found']})" for m in mismatches)
                or "none",
                extra={"accepted": {"event_type": event_type, "body_bytes": len(body), "mismatches": mismatches}},
            )
        return event

    def refused(self, error: WebhookError) -> tuple[int, dict[str, str]]:
        """The refusal's answer, logged (`refusal`) and given to `on_refused`."""
        status, payload = refusal(error)
        if not self.done:
            self.done = True
            signature, length = getattr(error, "_delivery", (None, None))
            info = DeliveryInfo(error.code, status, signature, length, None)
            _call("on_refused", self.receiver.on_refused, error, info)
            if self.span is not None:
                self.span.add_event("verify", {"bullseye.outcome": error.code})
                _end_span(self.span, error.code, status, True)
        return status, payload

    def claimed(self, claimed: Union[Answer, Lease, None]) -> None:
        """The de-duplication claim's outcome; an `Answer` (duplicate, in
        flight, store unavailable) is the delivery's answer, and ends it."""
        from ._http import Answer

        code = _answer_code(claimed) if isinstance(claimed, Answer) else "ok"
        if self.span is not None:
            self.span.add_event("claim", {"bullseye.outcome": code})
        if isinstance(claimed, Answer):
            self.handled(claimed.status, code, ran=False)

    def handled(self, status: Optional[int], code: str = "ok", *, ran: bool = True) -> None:
        """The answer sent (by the handler when `ran`): `on_verified` gets
        the event and its `DeliveryInfo`."""
        if self.done or self.info is None:
            return
        self.done = True
        self.info.status, self.info.code = status, code
        _call("on_verified", self.receiver.on_verified, self.event, self.info)
        if self.span is not None:
            if ran:
                self.span.add_event("handle", {} if status is None else {"http.response.status_code": status})
            _end_span(self.span, code, status, status is not None and status >= 500)

    def abandoned(self) -> None:
        """Neither refused nor answered (the request failed otherwise, for
        example a client that went away): the span ends, as an error."""
        if not self.done:
            self.done = True
            if self.span is not None:
                _end_span(self.span, "abandoned", None, True)
