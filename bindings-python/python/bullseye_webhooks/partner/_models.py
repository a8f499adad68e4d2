"""The partner API's answers: frozen dataclasses of the documented fields,
the others kept in `.extra`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Optional

from ._error import PartnerApiError

#: `identification` (visitor.identified events) or `billing`.
WebhookType = Literal["identification", "billing"]
_TYPES: tuple[str, ...] = ("identification", "billing")


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
