"""`fixtures/partner-behaviour.json`, the edge behaviour the Rust, Python
and JS partner clients share, run against `bullseye_webhooks.partner`: its
internal rules directly, and end to end over HTTP on 127.0.0.1, for the sync
and the async client. Each test is named by its case."""

from __future__ import annotations

import asyncio
import http.server
import json
import pathlib
import threading
from collections.abc import Iterator
from typing import Any, Union

import pytest

from bullseye_webhooks.partner import AsyncPartnerClient, PartnerApiError, PartnerClient, TestResult
from bullseye_webhooks.partner import _policy

FIXTURE = json.loads(
    (pathlib.Path(__file__).resolve().parents[2] / "fixtures" / "partner-behaviour.json").read_text("utf-8")
)
KEY = FIXTURE["api_key"]


def cases(group: str) -> Any:
    return pytest.mark.parametrize("case", FIXTURE[group]["cases"], ids=[c["name"] for c in FIXTURE[group]["cases"]])


def text(value: Union[str, list[Any]]) -> str:
    """A text field: a string, or [text, times] pieces repeated and joined."""
    return value if isinstance(value, str) else "".join(piece * times for piece, times in value)


def test_the_defaults_are_the_shared_ones() -> None:
    defaults = FIXTURE["defaults"]
    policy = _policy.RetryPolicy()
    assert (policy.max_retries, policy.backoff * 1000, policy.max_backoff * 1000, policy.max_retry_after * 1000) == (
        defaults["max_retries"], defaults["initial_backoff_ms"], defaults["max_backoff_ms"],
        defaults["max_retry_after_ms"],
    )
    assert _policy.MAX_RESPONSE_BYTES == defaults["max_response_bytes"]
    assert _policy.MAX_MESSAGE_CHARS == defaults["max_message_chars"]
    # And the clients' own defaults are that policy.
    assert PartnerClient("k")._core.policy == policy


@cases("retry_after")
def test_retry_after(case: Any) -> None:
    assert _policy.retry_after_ms(case["header"], case["now_ms"]) == case["delay_ms"]


@cases("backoff")
def test_backoff(case: Any) -> None:
    least, most = _policy.backoff_bounds(case["initial_backoff_ms"] / 1000, case["max_backoff_ms"] / 1000, case["retries"])
    assert (least * 1000, most * 1000) == (pytest.approx(case["min_ms"]), pytest.approx(case["max_ms"]))


@cases("retry")
def test_retry(case: Any) -> None:
    policy = _policy.RetryPolicy()
    retry_after = None if case["retry_after_ms"] is None else case["retry_after_ms"] / 1000
    # The jitter is random: every draw must fall within the bounds.
    for _ in range(50):
        wait = policy.wait(case["status"], retry_after, case["retries"], case["idempotent"])
        if case["wait"] is None:
            assert wait is None
        else:
            assert wait is not None
            assert case["wait"]["min_ms"] <= wait * 1000 <= case["wait"]["max_ms"]


@cases("messages")
def test_messages(case: Any) -> None:
    message, _code = _policy.server_message(text(case["body"]).encode(), tuple(case["secrets"]))
    assert message == text(case["message"])


class _Server(http.server.ThreadingHTTPServer):
    """Answers every request with one status and body, on 127.0.0.1."""

    daemon_threads = True

    def __init__(self, status: int, body: bytes) -> None:
        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def answer(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                try:
                    self.wfile.write(body)
                except OSError:  # the client stopped reading an answer over its cap
                    pass

            do_GET = do_POST = answer

        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/api/v1"


@pytest.fixture
def serve() -> Iterator[Any]:
    started: list[_Server] = []

    def start(status: int, body: bytes) -> str:
        server = _Server(status, body)
        started.append(server)
        return server.base_url

    yield start
    for server in started:
        server.shutdown()
        server.server_close()


def both(base_url: str, key: str, call: str, *args: Any) -> list[Any]:
    """The outcome (result or PartnerApiError) of `call` by the sync and the
    async client, with no retries, and both clients."""
    sync = PartnerClient(key, base_url=base_url, max_retries=0)
    outcomes: list[Any] = []
    try:
        outcomes.append(getattr(sync, call)(*args))
    except PartnerApiError as error:
        outcomes.append(error)
    sync.close()

    async def run() -> Any:
        async with AsyncPartnerClient(key, base_url=base_url, max_retries=0) as client:
            try:
                return await getattr(client, call)(*args), client
            except PartnerApiError as error:
                return error, client

    outcome, async_client = asyncio.run(run())
    return [(outcomes[0], sync), (outcome, async_client)]


@cases("echoed_key")
def test_echoed_key(case: Any, serve: Any) -> None:
    base_url = serve(case["status"], text(case["body"]).encode())
    for error, client in both(base_url, KEY, "get_webhooks"):
        assert isinstance(error, PartnerApiError)
        assert error.message == text(case["message"])
        for shown in (str(error), repr(error), repr(vars(error)), repr(client), str(client)):
            assert KEY not in shown
        assert "[REDACTED]" in repr(client)


@cases("response_size")
def test_response_size(case: Any, serve: Any) -> None:
    frame = b'{"success":true,"message":"'
    body = frame + b"x" * (case["body_bytes"] - len(frame) - 2) + b'"}'
    assert len(body) == case["body_bytes"]
    base_url = serve(200, body)
    for outcome, _client in both(base_url, "k", "send_test", "identification"):
        if case["outcome"] == "ok":
            assert isinstance(outcome, TestResult) and outcome.success
        else:
            assert isinstance(outcome, PartnerApiError)
            assert outcome.kind == "transport" and case["message_contains"] in outcome.message
