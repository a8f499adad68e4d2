"""The two clients: `PartnerClient` (blocking) and `AsyncPartnerClient`
(asyncio), both on httpx. Each only drives `Core`: it sends the requests
and waits; every rule is shared."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any, Optional

from . import _calls
from ._calls import Call, Pages
from ._core import DEFAULT_BASE_URL, Body, Core, Outcome
from ._models import LogEntry, LogsPage, TestResult, WebhookConfig, WebhookEndpoint, WebhookType

if TYPE_CHECKING:  # pragma: no cover - httpx is the `partner` extra
    import httpx


class PartnerClient:
    """A client for the partner API's webhook endpoints, on httpx (`pip
    install "bullseye-webhooks[partner]"`).

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
    - `http_client`: an `httpx.Client` of your own (it is then yours to
      close); by default the client makes one, closed by `close()` or at the
      end of a `with` block.

    Redirects are not followed. The key is never in a repr, an error or a
    log line.
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
        http_client: Optional[httpx.Client] = None,
    ) -> None:
        self._core = Core(api_key, base_url, timeout, max_retries, backoff, max_backoff, max_retry_after)
        self._owns_http = http_client is None
        self._http: httpx.Client = self._core.httpx.Client() if http_client is None else http_client

    @property
    def base_url(self) -> str:
        return self._core.base_url

    def __repr__(self) -> str:
        return self._core.repr("PartnerClient")

    def __enter__(self) -> PartnerClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connections (only those of the httpx client it made)."""
        if self._owns_http:
            self._http.close()

    def get_webhooks(self) -> WebhookConfig:
        """`GET /partner/webhooks`: both webhooks' configuration."""
        result: WebhookConfig = self._run(_calls.get_webhooks())
        return result

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
        result: WebhookEndpoint = self._run(_calls.set_webhook(type, url, secret, enabled))
        return result

    def send_test(self, type: WebhookType) -> TestResult:
        """`POST /partner/webhooks/test`: have Bullseye send a test webhook of
        this type to the configured URL. Check `.success`."""
        result: TestResult = self._run(_calls.send_test(type))
        return result

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
        result: LogsPage = self._run(_calls.logs(page, page_size, type, status, organization_id))
        return result

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
        _calls.logs(page, page_size, type, status, organization_id)  # check the arguments now
        return self._iter_logs(Pages(page), page_size, type, status, organization_id)

    def _iter_logs(self, pages: Pages, *filters: Any) -> Iterator[LogEntry]:
        while not pages.done:
            yield from pages.take(self._run(_calls.logs(pages.next_page, *filters)))

    def _run(self, call: Call) -> Any:
        plan = self._core.plan(call)
        wait = next(plan)
        while True:
            if wait:
                time.sleep(wait)
            try:
                wait = plan.send(self._send_once(call))
            except StopIteration as done:
                return done.value

    def _send_once(self, call: Call) -> Outcome:
        core = self._core
        body = Body(core.timeout)
        try:
            with self._http.stream(**core.request(call)) as response:
                for chunk in response.iter_bytes():
                    body.add(chunk)
        except core.transport_errors as error:
            return core.failure(call, error)
        return core.answer(response, body)


class AsyncPartnerClient:
    """`PartnerClient`'s methods as coroutines, on httpx (`pip install
    "bullseye-webhooks[partner]"`). Same options, retries and errors.

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
        self._core = Core(api_key, base_url, timeout, max_retries, backoff, max_backoff, max_retry_after)
        self._owns_http = http_client is None
        self._http: httpx.AsyncClient = self._core.httpx.AsyncClient() if http_client is None else http_client

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
        result: WebhookConfig = await self._run(_calls.get_webhooks())
        return result

    async def set_webhook(
        self,
        type: WebhookType,
        *,
        url: Optional[str] = None,
        secret: Optional[str] = None,
        enabled: Optional[bool] = None,
    ) -> WebhookEndpoint:
        result: WebhookEndpoint = await self._run(_calls.set_webhook(type, url, secret, enabled))
        return result

    async def send_test(self, type: WebhookType) -> TestResult:
        result: TestResult = await self._run(_calls.send_test(type))
        return result

    async def logs(
        self,
        *,
        page: Optional[int] = None,
        page_size: Optional[int] = None,
        type: Optional[WebhookType] = None,
        status: Optional[str] = None,
        organization_id: Optional[str] = None,
    ) -> LogsPage:
        result: LogsPage = await self._run(_calls.logs(page, page_size, type, status, organization_id))
        return result

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
        _calls.logs(page, page_size, type, status, organization_id)  # check the arguments now
        return self._iter_logs(Pages(page), page_size, type, status, organization_id)

    async def _iter_logs(self, pages: Pages, *filters: Any) -> AsyncIterator[LogEntry]:
        while not pages.done:
            for entry in pages.take(await self._run(_calls.logs(pages.next_page, *filters))):
                yield entry

    async def _run(self, call: Call) -> Any:
        plan = self._core.plan(call)
        wait = next(plan)
        while True:
            if wait:
                await asyncio.sleep(wait)
            try:
                wait = plan.send(await self._send_once(call))
            except StopIteration as done:
                return done.value

    async def _send_once(self, call: Call) -> Outcome:
        core = self._core
        body = Body(core.timeout)
        try:
            async with self._http.stream(**core.request(call)) as response:
                async for chunk in response.aiter_bytes():
                    body.add(chunk)
        except core.transport_errors as error:
            return core.failure(call, error)
        return core.answer(response, body)
