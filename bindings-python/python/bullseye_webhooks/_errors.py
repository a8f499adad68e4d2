"""The exception hierarchy. Pure Python, so the classes carry structured
fields and pickle; the native module raises them through `error_for`."""

from __future__ import annotations

from . import _native

__all__ = [
    "WebhookError",
    "SignatureVerificationError",
    "PayloadError",
    "ERROR_CODES",
    "StoreUnavailable",
    "InvalidEnvelope",
    "error_for",
]


class WebhookError(ValueError):
    """A webhook was refused (or a Webhook misconfigured). `.code` is one of
    `ERROR_CODES`, the same in every language this SDK supports."""

    code: str

    def __init__(self, message: str, code: str = "invalid_secret") -> None:
        super().__init__(message)
        self.code = code

    @property
    def http_status(self) -> int:
        """The status an HTTP receiver answers with: 413, 400 or 401 (500
        for `invalid_secret`, a configuration error)."""
        return HTTP_STATUS.get(self.code, 400)

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (type(self), (str(self), self.code))


class SignatureVerificationError(WebhookError):
    """The signature is missing, malformed, does not match, or the event is
    outside the tolerance: the delivery cannot be trusted (HTTP 400/401)."""


class PayloadError(WebhookError):
    """The body is too large, not a JSON object, or has no usable event type;
    with `strict=True`, also a documented field of another JSON type
    (HTTP 413/400)."""


# code -> class; the order is the core's order of checks.
_CLASS_FOR_CODE: dict[str, type[WebhookError]] = {
    "invalid_secret": WebhookError,
    "body_too_large": PayloadError,
    "missing_signature": SignatureVerificationError,
    "malformed_signature": SignatureVerificationError,
    "signature_mismatch": SignatureVerificationError,
    "invalid_body": PayloadError,
    "invalid_payload": PayloadError,
    "timestamp_out_of_tolerance": SignatureVerificationError,
}

ERROR_CODES: tuple[str, ...] = tuple(_CLASS_FOR_CODE)

# The HTTP status an integration answers with, per code: the core's table.
HTTP_STATUS: dict[str, int] = dict(zip(_native.ERROR_CODES, _native.ERROR_HTTP_STATUSES))


def error_for(code: str, message: str) -> WebhookError:
    """The exception for a core error code (called by the native module)."""
    return _CLASS_FOR_CODE.get(code, WebhookError)(message, code)


class StoreUnavailable(Exception):
    """A de-duplication store could not be reached or did not answer in
    time. Not a `WebhookError` (the delivery itself is fine): the
    integrations answer 503 `{"error": "store_unavailable"}` with
    `Retry-After`, or with `on_store_error="process"` handle the delivery
    without de-duplication. The message names the store's failure, never a
    secret or a password."""

    code = "store_unavailable"

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (type(self), self.args)


class InvalidEnvelope(ValueError):
    """A queue envelope that cannot be read or does not fit the verifier
    opening it: not JSON, another version, a field missing or unknown,
    another scheme, or a key that is not its delivery's. Not a
    `WebhookError`: the queue produced it, and trying again cannot help (a
    worker moves it to the dead letters). Its message never holds the body."""

    code = "invalid_envelope"

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (type(self), self.args)
