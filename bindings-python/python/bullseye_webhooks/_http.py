"""What the framework integrations share: one verifier, the size check on
the declared length, and the contract's answer for each error."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Optional, Union

from ._errors import WebhookError, error_for
from ._native import DEFAULT_MAX_BODY_BYTES, Webhook

Secret = Union[str, bytes]


class Receiver:
    """A `Webhook` plus what an HTTP receiver needs around it."""

    def __init__(
        self,
        secret: Union[Secret, Sequence[Secret]],
        *,
        tolerance: Union[float, timedelta, None] = None,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    ) -> None:
        self.webhook = Webhook(secret, tolerance=tolerance, max_body_bytes=max_body_bytes)
        self.max_body_bytes = max_body_bytes

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.webhook!r})"

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


def refusal(error: WebhookError) -> tuple[int, dict[str, str]]:
    """The HTTP status and JSON body the contract gives for `error`."""
    return error.http_status, {"error": error.code}
