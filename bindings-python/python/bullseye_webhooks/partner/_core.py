"""Everything the sync and async clients share but the waiting and the
I/O: the configuration, each request's URL and headers, the retry loop (as a
generator the clients drive), reading the answer and mapping failures to
`PartnerApiError`."""

from __future__ import annotations

import json
import logging
import math
import time
import urllib.parse
from collections.abc import Generator
from dataclasses import dataclass
from typing import Any, NoReturn, Optional, Union

from ._calls import Call
from ._error import PartnerApiError
from ._policy import MAX_RESPONSE_BYTES, REDACTED, RetryPolicy, retry_after_ms, scrub, server_message

#: The documented base URL of the partner API.
DEFAULT_BASE_URL = "https://api.app.bullseye.so/api/v1"
#: The header the partner API key travels in.
API_KEY_HEADER = "X-Partner-API-Key"
#: The environment variable the examples and the CLI read the key from.
API_KEY_ENV = "BULLSEYE_PARTNER_API_KEY"
_USER_AGENT = "bullseye-webhooks-python"

logger = logging.getLogger("bullseye_webhooks.partner")


def import_httpx() -> Any:
    try:
        import httpx
    except ImportError as error:
        raise ImportError(
            'the partner clients need httpx: pip install "bullseye-webhooks[partner]"'
        ) from error
    return httpx


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    retry_after: Optional[float]


Outcome = Union[Answer, PartnerApiError]


class _TooLong(Exception):
    pass


class Body:
    """An answer's body as it arrives: at most MAX_RESPONSE_BYTES, all of it
    within the timeout."""

    def __init__(self, timeout: float) -> None:
        self.deadline = time.monotonic() + timeout
        self.chunks: list[bytes] = []
        self.size = 0

    def add(self, chunk: bytes) -> None:
        if time.monotonic() > self.deadline:
            raise TimeoutError
        self.size += len(chunk)
        if self.size > MAX_RESPONSE_BYTES:
            raise _TooLong(f"the answer is longer than {MAX_RESPONSE_BYTES} bytes")
        self.chunks.append(chunk)


class _ApiKey:
    """The key, kept out of every repr."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return REDACTED

    __str__ = __repr__

    def __reduce__(self) -> NoReturn:
        raise TypeError("the partner API key is not picklable")


def _seconds(name: str, value: Any, *, zero: bool) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or math.isnan(value)
        or (not zero and math.isinf(value))
        or value < 0
        or (value == 0 and not zero)
    ):
        above = "at least 0" if zero else "above 0"
        raise ValueError(f"{name} must be a number of seconds {above}, got {value!r}")
    return float(value)


class Core:
    """A client's configuration and every rule but the I/O."""

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
        if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
            raise ValueError(f"max_retries must be an integer of at least 0, got {max_retries!r}")
        self.timeout = _seconds("timeout", timeout, zero=False)
        self.policy = RetryPolicy(
            max_retries,
            _seconds("backoff", backoff, zero=False),
            _seconds("max_backoff", max_backoff, zero=False),
            _seconds("max_retry_after", max_retry_after, zero=True),
        )
        self.key = _ApiKey(api_key)
        self.base_url = base
        self.httpx = import_httpx()
        # What the transport raises when there is no (whole) answer.
        self.transport_errors = (self.httpx.RequestError, TimeoutError, _TooLong)

    def request(self, call: Call) -> dict[str, Any]:
        """The arguments of httpx's `Client.stream` / `AsyncClient.stream`."""
        url = self.base_url + call.path
        if call.query:
            url += "?" + urllib.parse.urlencode(call.query, quote_via=urllib.parse.quote)
        headers = {"Accept": "application/json", "User-Agent": _USER_AGENT, API_KEY_HEADER: self.key.reveal()}
        if call.body is not None:
            headers["Content-Type"] = "application/json"
        return {
            "method": call.method,
            "url": url,
            "content": call.body,
            "headers": headers,
            "timeout": self.timeout,
            # The key must never go to another URL.
            "follow_redirects": False,
        }

    def answer(self, response: Any, body: Body) -> Answer:
        wait = retry_after_ms(response.headers.get("Retry-After"), int(time.time() * 1000))
        return Answer(response.status_code, b"".join(body.chunks), None if wait is None else wait / 1000)

    def failure(self, call: Call, error: BaseException) -> PartnerApiError:
        """No (whole) answer: why, without any header of the request."""
        if isinstance(error, (self.httpx.TimeoutException, TimeoutError)):
            why = f"timed out after {self.timeout:g} s"
        elif isinstance(error, _TooLong):
            why = str(error)
        else:  # refused, reset, a cut or undecodable answer
            why = f"{type(error).__name__}: {error}"
        return PartnerApiError(None, self._scrub(call, f"{call.what}: {why}"), kind="transport")

    def plan(self, call: Call) -> Generator[float, Outcome, Any]:
        """The retry loop, without I/O: yields the seconds to wait before each
        try (0 before the first), is sent each try's outcome, and returns the
        typed answer (or raises its PartnerApiError)."""
        retries = 0
        wait = 0.0
        while True:
            outcome = yield wait
            succeeded = isinstance(outcome, Answer) and 200 <= outcome.status <= 299
            next_wait = None if succeeded else self._wait_before_retry(call, outcome, retries)
            if next_wait is None:
                return self._finish(call, outcome)
            wait = next_wait
            retries += 1

    def _wait_before_retry(self, call: Call, outcome: Outcome, retries: int) -> Optional[float]:
        if isinstance(outcome, Answer):
            status: Optional[int] = outcome.status
            retry_after = outcome.retry_after
            what = f"answered {status}"
        else:
            status, retry_after, what = None, None, f"got no answer ({outcome.message})"
        wait = self.policy.wait(status, retry_after, retries, call.idempotent)
        if wait is not None:
            logger.info(
                "partner API: %s %s; retry %d of %d in %.2f s",
                call.what, what, retries + 1, self.policy.max_retries, wait,
            )
        elif retry_after is not None and retry_after > self.policy.max_retry_after and retries < self.policy.max_retries:
            logger.warning(
                "partner API: %s answered %d with Retry-After %.0f s, longer than the %.0f s this client waits; "
                "giving up",
                call.what, status, retry_after, self.policy.max_retry_after,
            )
        return wait

    def _finish(self, call: Call, outcome: Outcome) -> Any:
        """The typed answer of a 2xx answer; a PartnerApiError otherwise."""
        if isinstance(outcome, PartnerApiError):
            raise outcome
        if not 200 <= outcome.status <= 299:
            message, code = server_message(outcome.body, (self.key.reveal(), call.secret))
            raise PartnerApiError(
                outcome.status, message, kind="api_status", code=code, retry_after=outcome.retry_after
            )
        try:
            data = json.loads(outcome.body)
        except (ValueError, UnicodeDecodeError) as error:
            raise PartnerApiError(
                outcome.status, self._scrub(call, f"the answer to {call.what} is not JSON: {error}"), kind="decode"
            ) from None
        return call.read(data, call.what)

    def _scrub(self, call: Call, text: str) -> str:
        return scrub(text, (self.key.reveal(), call.secret))

    def repr(self, name: str) -> str:
        return (
            f"{name}(base_url={self.base_url!r}, api_key={REDACTED!r}, timeout={self.timeout!r}, "
            f"max_retries={self.policy.max_retries!r})"
        )
