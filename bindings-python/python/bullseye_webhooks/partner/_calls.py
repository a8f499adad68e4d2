"""Every call of the partner API: its method, path, query and body (never
the key), and how its answer is read. Shared by the sync and async clients."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Callable, Optional

from ._models import (
    LogEntry,
    LogsPage,
    TestResult,
    WebhookConfig,
    WebhookEndpoint,
    WebhookType,
    _decode_error,
    _object,
    _webhook_type,
)


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
class Call:
    """One API call: what is sent (never the key) and how to read the answer."""

    method: str
    path: str
    #: The decoded JSON of a 2xx answer to the typed result.
    read: Callable[[Any, str], Any]
    query: tuple[tuple[str, str], ...] = ()
    body: Optional[bytes] = None
    #: A secret the body carries (a PUT's webhook secret), scrubbed from errors.
    secret: str = ""

    @property
    def idempotent(self) -> bool:
        # A POST (the test webhook) is not retried after a lost answer: the
        # test may have been sent already.
        return self.method != "POST"

    @property
    def what(self) -> str:
        return f"{self.method} {self.path}"


def get_webhooks() -> Call:
    return Call("GET", "/partner/webhooks", lambda data, what: WebhookConfig.from_dict(data, what=what))


def set_webhook(type: Any, url: Optional[str], secret: Optional[str], enabled: Optional[bool]) -> Call:
    kind = _webhook_type(type)
    body = json.dumps(_update_body(url, secret, enabled)).encode()

    def read(data: Any, what: str) -> WebhookEndpoint:
        obj = _object(data, what)
        if obj.get(kind) is None:
            raise _decode_error(what, f"it has no {kind!r} member")
        return WebhookEndpoint.from_dict(obj[kind], what=what)

    return Call("PUT", f"/partner/webhooks/{kind}", read, body=body, secret=secret or "")


def send_test(type: Any) -> Call:
    body = json.dumps({"type": _webhook_type(type)}).encode()
    return Call("POST", "/partner/webhooks/test", lambda data, what: TestResult.from_dict(data, what=what), body=body)


def logs(
    page: Optional[int],
    page_size: Optional[int],
    type: Optional[WebhookType],
    status: Optional[str],
    organization_id: Optional[str],
) -> Call:
    query = _logs_query(page, page_size, type, status, organization_id)
    return Call(
        "GET", "/partner/webhooks/logs", lambda data, what: LogsPage.from_dict(data, what=what), query=tuple(query)
    )


class Pages:
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
