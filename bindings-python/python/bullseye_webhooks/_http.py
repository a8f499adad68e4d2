"""What the framework integrations share: one verifier, the size check on
the declared length, the contract's answer for each error, and a warning
for each accepted delivery that has fields of another type."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any, Optional, Union

from ._errors import WebhookError, error_for
from ._native import DEFAULT_MAX_BODY_BYTES, GenericEvent, VisitorIdentifiedEvent, Webhook

Secret = Union[str, bytes]

#: The integrations' logger. An accepted delivery with mismatches is logged
#: at WARNING: each field's path and both types, never its value (it may be
#: personal data).
logger = logging.getLogger("bullseye_webhooks")

#: At most this many fields are named in one log line.
LOGGED_MISMATCHES = 10


class Receiver:
    """A `Webhook` plus what an HTTP receiver needs around it."""

    def __init__(
        self,
        secret: Union[Secret, Sequence[Secret]],
        *,
        tolerance: Union[float, timedelta, None] = None,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        strict: bool = False,
    ) -> None:
        self.webhook = Webhook(secret, tolerance=tolerance, max_body_bytes=max_body_bytes, strict=strict)
        self.max_body_bytes = max_body_bytes

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.webhook!r})"

    def construct_event(self, body: bytes, headers: Any) -> Union[VisitorIdentifiedEvent, GenericEvent]:
        """`Webhook.construct_event`, logging the mismatches of an accepted delivery."""
        event = self.webhook.construct_event(body, headers)
        if event.mismatches:
            log_mismatches(event)
        return event

    def too_large(self, declared: Optional[int] = None) -> WebhookError:
        """`body_too_large`, raised before the body is read."""
        size = "more than" if declared is None else f"{declared} bytes, more than"
        return error_for(
            "body_too_large",
            f"body_too_large: the body is {size} the limit of {self.max_body_bytes} bytes",
        )

    def check_declared_length(self, content_length: Optional[str]) -> None:
        """Refuse by the Content-Length header alone, when it says too much."""
        if content_length is None:
            return
        try:
            declared = int(content_length)
        except ValueError:
            return
        if declared > self.max_body_bytes:
            raise self.too_large(declared)


def log_mismatches(event: Union[VisitorIdentifiedEvent, GenericEvent]) -> None:
    """One WARNING for an accepted delivery with fields of another type: the
    paths and types (also as `record.mismatches`, for structured logging),
    never the values."""
    if not logger.isEnabledFor(logging.WARNING):
        return
    mismatches = event.mismatches
    fields: list[Mapping[str, str]] = [
        {"path": m.path, "expected": m.expected, "found": m.found} for m in mismatches
    ]
    named = ", ".join(
        f"{f['path']} (expected {f['expected']}, found {f['found']})" for f in fields[:LOGGED_MISMATCHES]
    )
    more = len(fields) - LOGGED_MISMATCHES
    logger.warning(
        "accepted a %s delivery with %d field(s) of another type than documented: %s%s",
        event.event_type,
        len(fields),
        named,
        f", and {more} more" if more > 0 else "",
        extra={"mismatches": fields},
    )


def refusal(error: WebhookError) -> tuple[int, dict[str, str]]:
    """The HTTP status and JSON body the contract gives for `error`."""
    return error.http_status, {"error": error.code}
