"""A client for the webhook endpoints of Bullseye's partner API.

    from bullseye_webhooks import generate_secret
    from bullseye_webhooks.partner import PartnerClient

    client = PartnerClient(os.environ["BULLSEYE_PARTNER_API_KEY"])
    client.set_webhook("identification", url="https://example.com/webhooks/bullseye",
                       secret=generate_secret(), enabled=True)
    print(client.send_test("identification").message)
    for entry in client.iter_logs(status="failed"):
        print(entry.attempted_at, entry.status_code)

`PartnerClient` runs on the standard library (urllib); `AsyncPartnerClient`
has the same methods as coroutines, on httpx (`pip install
"bullseye-webhooks[async]"`). Both send the key in `X-Partner-API-Key`,
never show it (repr, errors, logs), time out, and retry 429 and 5xx answers
a bounded number of times with backoff, honouring `Retry-After`. Every
failure is a `PartnerApiError` carrying the HTTP status and the server's
message. Responses are frozen dataclasses of the documented fields; the
fields the documentation does not list are kept in `.extra`.
"""

from __future__ import annotations

import asyncio
import email.utils
import http.client
import json
import logging
import math
import random
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Literal, NoReturn, Optional, Union

if TYPE_CHECKING:  # pragma: no cover - httpx is an optional dependency
    import httpx

__all__ = [
    "API_KEY_ENV",
    "API_KEY_HEADER",
    "DEFAULT_BASE_URL",
    "AsyncPartnerClient",
    "LogEntry",
    "LogsPage",
    "PartnerApiError",
    "PartnerClient",
    "TestResult",
    "WebhookConfig",
    "WebhookEndpoint",
    "WebhookType",
]

#: The documented base URL of the partner API.
DEFAULT_BASE_URL = "https://api.app.bullseye.so/api/v1"
#: The header the partner API key travels in.
API_KEY_HEADER = "X-Partner-API-Key"
#: The environment variable the examples and the CLI read the key from.
API_KEY_ENV = "BULLSEYE_PARTNER_API_KEY"

#: `identification` (visitor.identified events) or `billing`.
WebhookType = Literal["identification", "billing"]
_TYPES: tuple[str, ...] = ("identification", "billing")

#: The longest response body read (a logs page is the largest answer).
MAX_RESPONSE_BYTES = 16 * 1024 * 1024
#: How much of a non-JSON error body goes into the error message.
_MAX_MESSAGE_CHARS = 300
_USER_AGENT = "bullseye-webhooks-python"
_REDACTED = "[REDACTED]"

logger = logging.getLogger("bullseye_webhooks.partner")


# ---------------------------------------------------------------- errors


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


# ---------------------------------------------------------------- responses


def _decode_error(what: str, why: str) -> PartnerApiError:
    return PartnerApiError(200, f"the answer to {what} is not the documented JSON: {why}", kind="decode")


def _object(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _decode_error(what, f"expected an object, got {_json_type(value)}")
    return value


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def _field(obj: Mapping[str, Any], name: str, kind: type, what: str, default: Any) -> Any:
    """`obj[name]` if it has the documented JSON type; `default` when it is
    absent or null; a decode error otherwise."""
    value = obj.get(name)
    if value is None:
        return default
    ok = isinstance(value, kind) and not (kind is int and isinstance(value, bool))
    if not ok:
        expected = {str: "a string", bool: "a boolean", int: "an integer", list: "an array"}[kind]
        raise _decode_error(what, f"`{name}` must be {expected}, got {_json_type(value)}")
    return value


def _extra(obj: Mapping[str, Any], known: tuple[str, ...]) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if k not in known}


_ENDPOINT_FIELDS = ("url", "enabled", "hasSecret")


@dataclass(frozen=True)
class WebhookEndpoint:
    """One webhook's configuration: `{"url", "enabled", "hasSecret"}`. The
    secret itself is never returned."""

    url: Optional[str] = None
    enabled: bool = False
    has_secret: bool = False
    #: Fields the documentation does not list, as sent.
    extra: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: Any, *, what: str = "a webhook's configuration") -> WebhookEndpoint:
        obj = _object(data, what)
        return cls(
            url=_field(obj, "url", str, what, None),
            enabled=_field(obj, "enabled", bool, what, False),
            has_secret=_field(obj, "hasSecret", bool, what, False),
            extra=_extra(obj, _ENDPOINT_FIELDS),
        )

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape, unknown fields included."""
        return {**self.extra, "url": self.url, "enabled": self.enabled, "hasSecret": self.has_secret}


@dataclass(frozen=True)
class WebhookConfig:
    """`GET /partner/webhooks`: both webhooks' configuration (None for one
    the API did not return)."""

    identification: Optional[WebhookEndpoint] = None
    billing: Optional[WebhookEndpoint] = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: Any, *, what: str = "GET /partner/webhooks") -> WebhookConfig:
        obj = _object(data, what)
        parts = {
            t: None if obj.get(t) is None else WebhookEndpoint.from_dict(obj[t], what=f"{what} ({t})") for t in _TYPES
        }
        return cls(
            identification=parts["identification"], billing=parts["billing"], extra=_extra(obj, _TYPES)
        )

    def get(self, type: WebhookType) -> Optional[WebhookEndpoint]:
        """The configuration of one webhook."""
        return self.identification if _webhook_type(type) == "identification" else self.billing

    def to_dict(self) -> dict[str, Any]:
        out = dict(self.extra)
        for name, endpoint in (("identification", self.identification), ("billing", self.billing)):
            if endpoint is not None:
                out[name] = endpoint.to_dict()
        return out


_TEST_FIELDS = ("success", "message")


@dataclass(frozen=True)
class TestResult:
    """`POST /partner/webhooks/test`'s answer: `{"success", "message"}`.
    Check `success`: a test the receiver refused may still be HTTP 200."""

    __test__ = False  # not a pytest test class

    success: bool = False
    message: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: Any, *, what: str = "POST /partner/webhooks/test") -> TestResult:
        obj = _object(data, what)
        return cls(
            success=_field(obj, "success", bool, what, False),
            message=_field(obj, "message", str, what, ""),
            extra=_extra(obj, _TEST_FIELDS),
        )

    def to_dict(self) -> dict[str, Any]:
        return {**self.extra, "success": self.success, "message": self.message}


_LOG_FIELDS = ("id", "type", "organizationId", "status", "statusCode", "attemptedAt", "responseTimeMs")


@dataclass(frozen=True)
class LogEntry:
    """One delivery attempt in `GET /partner/webhooks/logs`."""

    id: str = ""
    #: `identification` or `billing` (kept as text, so a new type still reads).
    type: str = ""
    organization_id: Optional[str] = None
    #: The delivery status (`delivered` in the documentation's example).
    status: str = ""
    #: The receiver's HTTP status; None when it gave no answer.
    status_code: Optional[int] = None
    #: When the attempt was made (RFC 3339 text, as sent).
    attempted_at: str = ""
    response_time_ms: Optional[int] = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: Any, *, what: str = "a log entry") -> LogEntry:
        obj = _object(data, what)
        return cls(
            id=_field(obj, "id", str, what, ""),
            type=_field(obj, "type", str, what, ""),
            organization_id=_field(obj, "organizationId", str, what, None),
            status=_field(obj, "status", str, what, ""),
            status_code=_field(obj, "statusCode", int, what, None),
            attempted_at=_field(obj, "attemptedAt", str, what, ""),
            response_time_ms=_field(obj, "responseTimeMs", int, what, None),
            extra=_extra(obj, _LOG_FIELDS),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.extra,
            "id": self.id,
            "type": self.type,
            "organizationId": self.organization_id,
            "status": self.status,
            "statusCode": self.status_code,
            "attemptedAt": self.attempted_at,
            "responseTimeMs": self.response_time_ms,
        }


_PAGE_FIELDS = ("logs", "total", "page", "pageSize")


@dataclass(frozen=True)
class LogsPage:
    """One page of `GET /partner/webhooks/logs`."""

    logs: tuple[LogEntry, ...] = ()
    #: How many entries match the filters, over all pages.
    total: int = 0
    #: This page's number (the first page is 1).
    page: int = 0
    #: The page size the API used.
    page_size: int = 0
    extra: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: Any, *, what: str = "GET /partner/webhooks/logs") -> LogsPage:
        obj = _object(data, what)
        logs = _field(obj, "logs", list, what, [])
        return cls(
            logs=tuple(LogEntry.from_dict(e, what=f"{what} (logs[{i}])") for i, e in enumerate(logs)),
            total=_field(obj, "total", int, what, 0),
            page=_field(obj, "page", int, what, 0),
            page_size=_field(obj, "pageSize", int, what, 0),
            extra=_extra(obj, _PAGE_FIELDS),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.extra,
            "logs": [e.to_dict() for e in self.logs],
            "total": self.total,
            "page": self.page,
            "pageSize": self.page_size,
        }


# ---------------------------------------------------------------- requests


def _webhook_type(value: Any) -> WebhookType:
    if value == "identification":
        return "identification"
    if value == "billing":
        return "billing"
    raise ValueError(f"unknown webhook type {value!r}: expected 'identification' or 'billing'")


def _positive(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be an integer of at least 1, got {value!r}")
    return value


def _logs_query(
    page: Optional[int],
    page_size: Optional[int],
    type: Optional[WebhookType],
    status: Optional[str],
    organization_id: Optional[str],
) -> list[tuple[str, str]]:
    """The query pairs, in the documentation's names and order; unset ones
    are not sent, so the API's defaults apply."""
    pairs: list[tuple[str, str]] = []
    if page is not None:
        pairs.append(("page", str(_positive("page", page))))
    if page_size is not None:
        pairs.append(("pageSize", str(_positive("page_size", page_size))))
    if type is not None:
        pairs.append(("type", _webhook_type(type)))
    if status is not None:
        pairs.append(("status", str(status)))
    if organization_id is not None:
        pairs.append(("organizationId", str(organization_id)))
    return pairs


def _update_body(url: Optional[str], secret: Optional[str], enabled: Optional[bool]) -> dict[str, Any]:
    """The PUT body: only the fields given (None leaves one as it is)."""
    body: dict[str, Any] = {}
    if url is not None:
        if not isinstance(url, str):
            raise TypeError(f"url must be a str, got {type(url).__name__}")
        body["url"] = url
    if secret is not None:
        if not isinstance(secret, str):
            raise TypeError(f"secret must be a str, got {type(secret).__name__}")
        body["secret"] = secret
    if enabled is not None:
        if not isinstance(enabled, bool):
            raise TypeError(f"enabled must be a bool, got {type(enabled).__name__}")
        body["enabled"] = enabled
    return body


@dataclass(frozen=True)
class _Call:
    """One API call: what is sent (never the key) and how to read the answer."""

    method: str
    path: str
    query: tuple[tuple[str, str], ...] = ()
    body: Optional[bytes] = None

    @property
    def idempotent(self) -> bool:
        # A POST (the test webhook) is not retried after a lost answer: the
        # test may have been sent already.
        return self.method != "POST"

    @property
    def what(self) -> str:
        return f"{self.method} {self.path}"


@dataclass(frozen=True)
class _Answer:
    status: int
    body: bytes
    retry_after: Optional[float]


class _ApiKey:
    """The key, kept out of every repr."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return _REDACTED

    __str__ = __repr__

    def __reduce__(self) -> NoReturn:
        raise TypeError("the partner API key is not picklable")


_HTTP_DATE = re.compile(r"[A-Za-z]{3}, ")
_DELAY_SECONDS = re.compile(r"[0-9]{1,10}")


def _retry_after(value: Optional[str]) -> Optional[float]:
    """`Retry-After` as seconds: delay-seconds or an HTTP date."""
    if value is None:
        return None
    value = value.strip()
    if _DELAY_SECONDS.fullmatch(value):
        return float(int(value))
    if _HTTP_DATE.match(value):
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())
    return None


def _server_message(body: bytes) -> tuple[str, Optional[str]]:
    """The server's message and error code: `message`, else `error` (a string,
    or an object with a `message`), else the body as text."""
    code: Optional[str] = None
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        data = None
    if isinstance(data, dict):
        error = data.get("error")
        if isinstance(error, str):
            code = error
        message = data.get("message")
        if isinstance(message, str):
            return message, code
        if isinstance(error, str):
            return error, code
        if isinstance(error, dict) and isinstance(error.get("message"), str):
            return error["message"], code
    return body.decode("utf-8", errors="replace").strip(), code


def _shorten(text: str) -> str:
    return text if len(text) <= _MAX_MESSAGE_CHARS else text[:_MAX_MESSAGE_CHARS] + "..."


def _retryable(status: int) -> bool:
    return status == 429 or 500 <= status <= 599


class _Core:
    """Everything but the transport: configuration, URLs, retry decisions,
    reading answers. Shared by the sync and async clients."""

    def __init__(
        self,
        api_key: str,
        base_url: str,
        timeout: float,
        max_retries: int,
        backoff: float,
        max_backoff: float,
        max_retry_after: float,
    ) -> None:
        if not isinstance(api_key, str):
            raise TypeError(f"api_key must be a str, got {type(api_key).__name__}")
        if not api_key:
            raise ValueError("the partner API key is empty")
        if not all("!" <= c <= "~" for c in api_key):
            raise ValueError(
                "the partner API key has a character an HTTP header cannot carry (whitespace or non-ASCII)"
            )
        if not isinstance(base_url, str):
            raise TypeError(f"base_url must be a str, got {type(base_url).__name__}")
        base = base_url.rstrip("/")
        parts = urllib.parse.urlsplit(base)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
            raise ValueError(f"base URL {base_url!r} is not an http:// or https:// URL")
        for name, value in (("timeout", timeout), ("backoff", backoff), ("max_backoff", max_backoff)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0 or math.isinf(value):
                raise ValueError(f"{name} must be a number of seconds above 0, got {value!r}")
        if isinstance(max_retry_after, bool) or not isinstance(max_retry_after, (int, float)) or not max_retry_after >= 0:
            raise ValueError(f"max_retry_after must be a number of seconds, got {max_retry_after!r}")
        if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
            raise ValueError(f"max_retries must be an integer of at least 0, got {max_retries!r}")
        self.key = _ApiKey(api_key)
        self.base_url = base
        self.timeout = float(timeout)
        self.max_retries = max_retries
        self.backoff = float(backoff)
        self.max_backoff = float(max_backoff)
        self.max_retry_after = float(max_retry_after)

    def url(self, call: _Call) -> str:
        url = self.base_url + call.path
        if call.query:
            url += "?" + urllib.parse.urlencode(call.query, quote_via=urllib.parse.quote)
        return url

    def headers(self, call: _Call) -> dict[str, str]:
        """Every header but the key (added by the transport, at the last moment)."""
        headers = {"Accept": "application/json", "User-Agent": _USER_AGENT}
        if call.body is not None:
            headers["Content-Type"] = "application/json"
        return headers

    def scrub(self, text: str) -> str:
        key = self.key.reveal()
        return text.replace(key, _REDACTED) if key in text else text

    def wait_before_retry(
        self, call: _Call, outcome: Union[_Answer, PartnerApiError], retries: int
    ) -> Optional[float]:
        """Seconds to wait before trying `call` again, or None to stop here."""
        if retries >= self.max_retries:
            return None
        if isinstance(outcome, PartnerApiError):
            if not call.idempotent:
                return None
            wait = self.backoff_for(retries)
            logger.info(
                "partner API: %s got no answer (%s); retry %d of %d in %.2f s",
                call.what, outcome.message, retries + 1, self.max_retries, wait,
            )
            return wait
        if not _retryable(outcome.status):
            return None
        if outcome.retry_after is not None:
            if outcome.retry_after > self.max_retry_after:
                logger.warning(
                    "partner API: %s answered %d with Retry-After %.0f s, longer than the %.0f s this "
                    "client waits; giving up",
                    call.what, outcome.status, outcome.retry_after, self.max_retry_after,
                )
                return None
            wait = outcome.retry_after
        else:
            wait = self.backoff_for(retries)
        logger.info(
            "partner API: %s answered %d; retry %d of %d in %.2f s",
            call.what, outcome.status, retries + 1, self.max_retries, wait,
        )
        return wait

    def backoff_for(self, retries: int) -> float:
        """Exponential from `backoff`, capped at `max_backoff`, with jitter
        between half of it and all of it."""
        full = min(self.backoff * (2.0 ** min(retries, 62)), self.max_backoff)
        return full * (0.5 + 0.5 * random.random())

    def finish(self, call: _Call, outcome: Union[_Answer, PartnerApiError]) -> Any:
        """The decoded JSON of a 2xx answer; a PartnerApiError otherwise."""
        if isinstance(outcome, PartnerApiError):
            raise outcome
        if not 200 <= outcome.status <= 299:
            message, code = _server_message(outcome.body)
            # Scrubbed whole, then shortened: no piece of the key survives the cut.
            raise PartnerApiError(
                outcome.status,
                _shorten(self.scrub(message)),
                kind="api_status",
                code=None if code is None else _shorten(self.scrub(code)),
                retry_after=outcome.retry_after,
            )
        try:
            return json.loads(outcome.body)
        except (ValueError, UnicodeDecodeError) as error:
            raise PartnerApiError(
                outcome.status,
                self.scrub(f"the answer to {call.what} is not JSON: {error}"),
                kind="decode",
            ) from None

    def transport_error(self, call: _Call, why: str) -> PartnerApiError:
        return PartnerApiError(None, self.scrub(f"{call.what}: {why}"), kind="transport")

    def repr(self, name: str) -> str:
        return (
            f"{name}(base_url={self.base_url!r}, api_key={_REDACTED!r}, timeout={self.timeout!r}, "
            f"max_retries={self.max_retries!r})"
        )


def _get_webhooks() -> _Call:
    return _Call("GET", "/partner/webhooks")


def _set_webhook(type: Any, url: Optional[str], secret: Optional[str], enabled: Optional[bool]) -> _Call:
    kind = _webhook_type(type)
    body = json.dumps(_update_body(url, secret, enabled)).encode()
    return _Call("PUT", f"/partner/webhooks/{kind}", body=body)


def _endpoint_of(call: _Call, type: WebhookType, data: Any) -> WebhookEndpoint:
    obj = _object(data, call.what)
    if obj.get(type) is None:
        raise _decode_error(call.what, f"it has no {type!r} member")
    return WebhookEndpoint.from_dict(obj[type], what=call.what)


def _send_test(type: Any) -> _Call:
    return _Call("POST", "/partner/webhooks/test", body=json.dumps({"type": _webhook_type(type)}).encode())


def _logs(
    page: Optional[int],
    page_size: Optional[int],
    type: Optional[WebhookType],
    status: Optional[str],
    organization_id: Optional[str],
) -> _Call:
    query = _logs_query(page, page_size, type, status, organization_id)
    return _Call("GET", "/partner/webhooks/logs", query=tuple(query))


class _Pages:
    """The page-by-page walk of `iter_logs`: which page next, when to stop,
    and which entries were already yielded (the logs are newest first, so an
    attempt logged during the walk pushes entries onto the next page)."""

    def __init__(self, page: Optional[int]) -> None:
        self.next_page = 1 if page is None else _positive("page", page)
        self.done = False
        self.seen: set[str] = set()

    def take(self, page: LogsPage) -> list[LogEntry]:
        count = len(page.logs)
        size = page.page_size or count
        self.done = count == 0 or self.next_page * size >= page.total
        self.next_page += 1
        fresh = []
        for entry in page.logs:
            if entry.id:
                if entry.id in self.seen:
                    continue
                self.seen.add(entry.id)
            fresh.append(entry)
        return fresh


# ---------------------------------------------------------------- sync


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Redirects are not followed: the key must never go to another URL. A
    3xx answer becomes a PartnerApiError with its status."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class PartnerClient:
    """A client for the partner API's webhook endpoints, on the standard
    library (urllib).

    - `base_url`: the documented one by default; the emulator's
      `http://127.0.0.1:PORT/api/v1` for local work.
    - `timeout`: seconds for connecting and for each read; the whole answer
      must also arrive within it.
    - `max_retries`: how many times a call is tried again after a 429 or 5xx
      answer, or (for the GETs and PUTs, never the test POST, which may have
      been sent) after no answer. Waits double from `backoff` up to
      `max_backoff`, with jitter; a `Retry-After` is honoured, and one
      longer than `max_retry_after` is not waited for: the error is raised
      at once with its `retry_after`.

    Redirects are not followed. The key is never in a repr, an error or a
    log line.
    """

    __slots__ = ("_core", "_opener")

    def __init__(
        self,
        api_key: str,
        *,
        base_url: str = DEFAULT_BASE_URL,
        timeout: float = 30.0,
        max_retries: int = 3,
        backoff: float = 0.5,
        max_backoff: float = 8.0,
        max_retry_after: float = 60.0,
    ) -> None:
        self._core = _Core(api_key, base_url, timeout, max_retries, backoff, max_backoff, max_retry_after)
        self._opener = urllib.request.build_opener(_NoRedirect())

    @property
    def base_url(self) -> str:
        return self._core.base_url

    def __repr__(self) -> str:
        return self._core.repr("PartnerClient")

    def get_webhooks(self) -> WebhookConfig:
        """`GET /partner/webhooks`: both webhooks' configuration."""
        call = _get_webhooks()
        return WebhookConfig.from_dict(self._call(call), what=call.what)

    def set_webhook(
        self,
        type: WebhookType,
        *,
        url: Optional[str] = None,
        secret: Optional[str] = None,
        enabled: Optional[bool] = None,
    ) -> WebhookEndpoint:
        """`PUT /partner/webhooks/{type}`: change the URL, secret or enabled
        flag (the ones left None are not sent, so they stay as they are).
        Returns the webhook's new configuration."""
        call = _set_webhook(type, url, secret, enabled)
        return _endpoint_of(call, _webhook_type(type), self._call(call))

    def send_test(self, type: WebhookType) -> TestResult:
        """`POST /partner/webhooks/test`: have Bullseye send a test webhook of
        this type to the configured URL. Check `.success`."""
        call = _send_test(type)
        return TestResult.from_dict(self._call(call), what=call.what)

    def logs(
        self,
        *,
        page: Optional[int] = None,
        page_size: Optional[int] = None,
        type: Optional[WebhookType] = None,
        status: Optional[str] = None,
        organization_id: Optional[str] = None,
    ) -> LogsPage:
        """`GET /partner/webhooks/logs`: one page of delivery logs (filters
        left None are not sent)."""
        call = _logs(page, page_size, type, status, organization_id)
        return LogsPage.from_dict(self._call(call), what=call.what)

    def iter_logs(
        self,
        *,
        page: Optional[int] = None,
        page_size: Optional[int] = None,
        type: Optional[WebhookType] = None,
        status: Optional[str] = None,
        organization_id: Optional[str] = None,
    ) -> Iterator[LogEntry]:
        """Every log entry matching the filters, page after page from `page`
        (default 1), fetched as the iteration goes. It stops after the last
        page (an empty one, or `total` reached); an entry seen on an earlier
        page (pushed down by an attempt logged meanwhile) is not yielded
        twice. A failed page raises its PartnerApiError."""
        _logs(page, page_size, type, status, organization_id)  # check the arguments now
        return self._iter_logs(page, page_size, type, status, organization_id)

    def _iter_logs(
        self,
        page: Optional[int],
        page_size: Optional[int],
        type: Optional[WebhookType],
        status: Optional[str],
        organization_id: Optional[str],
    ) -> Iterator[LogEntry]:
        pages = _Pages(page)
        while not pages.done:
            got = self.logs(
                page=pages.next_page, page_size=page_size, type=type, status=status, organization_id=organization_id
            )
            yield from pages.take(got)

    def _call(self, call: _Call) -> Any:
        retries = 0
        while True:
            outcome = self._send_once(call)
            wait = None
            if isinstance(outcome, PartnerApiError) or not 200 <= outcome.status <= 299:
                wait = self._core.wait_before_retry(call, outcome, retries)
            if wait is None:
                return self._core.finish(call, outcome)
            time.sleep(wait)
            retries += 1

    def _send_once(self, call: _Call) -> Union[_Answer, PartnerApiError]:
        core = self._core
        request = urllib.request.Request(
            core.url(call), data=call.body, method=call.method, headers=core.headers(call)
        )
        request.add_header(API_KEY_HEADER, core.key.reveal())
        deadline = time.monotonic() + core.timeout
        try:
            try:
                response = self._opener.open(request, timeout=core.timeout)
            except urllib.error.HTTPError as answer:  # a non-2xx answer is still an answer
                response = answer
            with response:
                status = int(response.getcode())
                retry_after = _retry_after(response.headers.get("Retry-After"))
                body = _read_bounded(response, deadline)
        except TimeoutError:
            return core.transport_error(call, f"timed out after {core.timeout:g} s")
        except _TooLong as error:
            return core.transport_error(call, str(error))
        except urllib.error.URLError as error:
            reason = error.reason
            why = f"timed out after {core.timeout:g} s" if isinstance(reason, TimeoutError) else str(reason)
            return core.transport_error(call, why)
        except (OSError, http.client.HTTPException) as error:  # reset, a bad status line, a cut answer
            return core.transport_error(call, f"{type(error).__name__}: {error}")
        return _Answer(status, body, retry_after)


class _TooLong(Exception):
    pass


def _read_bounded(response: Any, deadline: float) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        if time.monotonic() > deadline:
            raise TimeoutError
        chunk = response.read(64 * 1024)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > MAX_RESPONSE_BYTES:
            raise _TooLong(f"the answer is longer than {MAX_RESPONSE_BYTES} bytes")
        chunks.append(chunk)


# ---------------------------------------------------------------- async


def _import_httpx() -> Any:
    try:
        import httpx
    except ImportError as error:
        raise ImportError(
            "AsyncPartnerClient needs httpx: pip install \"bullseye-webhooks[async]\" "
            "(PartnerClient needs nothing beyond the standard library)"
        ) from error
    return httpx


class AsyncPartnerClient:
    """`PartnerClient`'s methods as coroutines, on httpx (`pip install
    "bullseye-webhooks[async]"`). Same options, retries and errors.

    Use it as `async with AsyncPartnerClient(key) as client: ...`, or call
    `await client.aclose()`. Pass `http_client=` to use an `httpx.AsyncClient`
    of your own (it is then yours to close; redirects are still not
    followed).
    """

    __slots__ = ("_core", "_http", "_owns_http")

    def __init__(
        self,
        api_key: str,
        *,
        base_url: str = DEFAULT_BASE_URL,
        timeout: float = 30.0,
        max_retries: int = 3,
        backoff: float = 0.5,
        max_backoff: float = 8.0,
        max_retry_after: float = 60.0,
        http_client: Optional[httpx.AsyncClient] = None,
    ) -> None:
        httpx_module = _import_httpx()
        self._core = _Core(api_key, base_url, timeout, max_retries, backoff, max_backoff, max_retry_after)
        self._owns_http = http_client is None
        self._http: httpx.AsyncClient = (
            httpx_module.AsyncClient(follow_redirects=False) if http_client is None else http_client
        )

    @property
    def base_url(self) -> str:
        return self._core.base_url

    def __repr__(self) -> str:
        return self._core.repr("AsyncPartnerClient")

    async def __aenter__(self) -> AsyncPartnerClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connections (only those of the httpx client it made)."""
        if self._owns_http:
            await self._http.aclose()

    async def get_webhooks(self) -> WebhookConfig:
        call = _get_webhooks()
        return WebhookConfig.from_dict(await self._call(call), what=call.what)

    async def set_webhook(
        self,
        type: WebhookType,
        *,
        url: Optional[str] = None,
        secret: Optional[str] = None,
        enabled: Optional[bool] = None,
    ) -> WebhookEndpoint:
        call = _set_webhook(type, url, secret, enabled)
        return _endpoint_of(call, _webhook_type(type), await self._call(call))

    async def send_test(self, type: WebhookType) -> TestResult:
        call = _send_test(type)
        return TestResult.from_dict(await self._call(call), what=call.what)

    async def logs(
        self,
        *,
        page: Optional[int] = None,
        page_size: Optional[int] = None,
        type: Optional[WebhookType] = None,
        status: Optional[str] = None,
        organization_id: Optional[str] = None,
    ) -> LogsPage:
        call = _logs(page, page_size, type, status, organization_id)
        return LogsPage.from_dict(await self._call(call), what=call.what)

    def iter_logs(
        self,
        *,
        page: Optional[int] = None,
        page_size: Optional[int] = None,
        type: Optional[WebhookType] = None,
        status: Optional[str] = None,
        organization_id: Optional[str] = None,
    ) -> AsyncIterator[LogEntry]:
        """`async for entry in client.iter_logs(...)`: as PartnerClient.iter_logs."""
        _logs(page, page_size, type, status, organization_id)  # check the arguments now
        return self._iter_logs(page, page_size, type, status, organization_id)

    async def _iter_logs(
        self,
        page: Optional[int],
        page_size: Optional[int],
        type: Optional[WebhookType],
        status: Optional[str],
        organization_id: Optional[str],
    ) -> AsyncIterator[LogEntry]:
        pages = _Pages(page)
        while not pages.done:
            got = await self.logs(
                page=pages.next_page, page_size=page_size, type=type, status=status, organization_id=organization_id
            )
            for entry in pages.take(got):
                yield entry

    async def _call(self, call: _Call) -> Any:
        retries = 0
        while True:
            outcome = await self._send_once(call)
            wait = None
            if isinstance(outcome, PartnerApiError) or not 200 <= outcome.status <= 299:
                wait = self._core.wait_before_retry(call, outcome, retries)
            if wait is None:
                return self._core.finish(call, outcome)
            await asyncio.sleep(wait)
            retries += 1

    async def _send_once(self, call: _Call) -> Union[_Answer, PartnerApiError]:
        import httpx

        core = self._core
        request = self._http.build_request(
            call.method, core.url(call), content=call.body, headers=core.headers(call), timeout=core.timeout
        )
        request.headers[API_KEY_HEADER] = core.key.reveal()
        try:
            response = await self._http.send(request, stream=True, follow_redirects=False)
            try:
                chunks: list[bytes] = []
                size = 0
                async for chunk in response.aiter_bytes():
                    size += len(chunk)
                    if size > MAX_RESPONSE_BYTES:
                        return core.transport_error(call, f"the answer is longer than {MAX_RESPONSE_BYTES} bytes")
                    chunks.append(chunk)
            finally:
                await response.aclose()
        except httpx.TimeoutException:
            return core.transport_error(call, f"timed out after {core.timeout:g} s")
        except httpx.RequestError as error:  # refused, reset, a cut or undecodable answer
            return core.transport_error(call, f"{type(error).__name__}: {error}")
        return _Answer(response.status_code, b"".join(chunks), _retry_after(response.headers.get("Retry-After")))
