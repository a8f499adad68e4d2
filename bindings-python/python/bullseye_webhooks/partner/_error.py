"""The partner client's one error type."""

from __future__ import annotations

from typing import Any, Literal, Optional

ErrorKind = Literal["api_status", "transport", "decode"]


class PartnerApiError(Exception):
    """A failed partner-API call.

    - `status`: the HTTP status the API answered with (after any retries), or
      None when there was no answer (`kind == "transport"`: refused
      connection, DNS, TLS, timeout).
    - `message`: the server's message (its JSON `message`, else its `error`,
      else the start of its body), or why there was no answer.
    - `kind`: `"api_status"` (a non-2xx answer), `"transport"` (no answer) or
      `"decode"` (a 2xx answer that is not the documented JSON).
    - `code`: the server's JSON `error` code when it sent one
      (`"unauthorized"`), else None.
    - `retry_after`: the seconds of the last answer's `Retry-After`, if any.

    Never contains the API key: messages are scrubbed of it, and the
    request's headers are never part of the error.
    """

    status: Optional[int]
    message: str
    kind: ErrorKind
    code: Optional[str]
    retry_after: Optional[float]

    def __init__(
        self,
        status: Optional[int],
        message: str,
        *,
        kind: Optional[ErrorKind] = None,
        code: Optional[str] = None,
        retry_after: Optional[float] = None,
    ) -> None:
        super().__init__(status, message)
        self.status = status
        self.message = message
        self.kind = kind if kind is not None else ("api_status" if status is not None else "transport")
        self.code = code
        self.retry_after = retry_after

    @property
    def is_unauthorized(self) -> bool:
        """True for 401 and 403: a missing, wrong or revoked API key."""
        return self.status in (401, 403)

    def __str__(self) -> str:
        if self.kind == "api_status":
            return f"partner API answered {self.status}: {self.message or '(no message)'}"
        return f"partner API {self.kind}: {self.message}"

    def __repr__(self) -> str:
        return f"PartnerApiError(status={self.status!r}, message={self.message!r}, kind={self.kind!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_error, (self.status, self.message, self.kind, self.code, self.retry_after))


def _rebuild_error(
    status: Optional[int], message: str, kind: ErrorKind, code: Optional[str], retry_after: Optional[float]
) -> PartnerApiError:
    return PartnerApiError(status, message, kind=kind, code=code, retry_after=retry_after)
