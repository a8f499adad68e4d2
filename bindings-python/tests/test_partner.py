"""The partner-API client (`bullseye_webhooks.partner`) over real HTTP on
127.0.0.1: against the emulator (a local Bullseye, started as a subprocess)
for every endpoint, and against small scripted servers for what the emulator
does not do (429, 5xx, redirects, slow or cut answers). And
`generate_secret`.

The emulator binary is built by `make test-python` (cargo build -p
bullseye-webhooks-emulator); BULLSEYE_EMULATOR names another one."""

from __future__ import annotations

import asyncio
import base64
import email.utils
import http.server
import json
import logging
import os
import pathlib
import pickle
import queue
import re
import secrets
import subprocess
import sys
import threading
import time
import traceback
import urllib.request
from collections.abc import Iterator
from typing import Any, Callable, Optional

import pytest

import bullseye_webhooks as bw
from bullseye_webhooks import partner
from bullseye_webhooks.partner import (
    AsyncPartnerClient,
    LogEntry,
    LogsPage,
    PartnerApiError,
    PartnerClient,
    TestResult,
    WebhookConfig,
    WebhookEndpoint,
)

ROOT = pathlib.Path(__file__).resolve().parents[2]
README = ROOT / "bindings-python" / "README.md"


# ---------------------------------------------------------------- the emulator


def emulator_binary() -> pathlib.Path:
    explicit = os.environ.get("BULLSEYE_EMULATOR")
    if explicit:
        return pathlib.Path(explicit)
    target = pathlib.Path(os.environ.get("CARGO_TARGET_DIR") or ROOT / "target")
    return target / "debug" / "bullseye-webhooks-emulator"


class Emulator:
    """`bullseye-webhooks-emulator --port 0 --in-memory --time-scale 0.001`,
    its key in BULLSEYE_PARTNER_API_KEY, its base URL read from the line it
    prints on stdout."""

    def __init__(self, directory: pathlib.Path) -> None:
        binary = emulator_binary()
        if not binary.is_file():
            pytest.fail(
                f"the emulator binary {binary} is missing: build it with "
                "`cargo build -p bullseye-webhooks-emulator` (make test-python does), "
                "or name one in BULLSEYE_EMULATOR"
            )
        self.key = "pk_local_" + secrets.token_hex(16)
        self.stderr_path = directory / "emulator.stderr"
        self._stderr = open(self.stderr_path, "wb")
        env = {**os.environ, "BULLSEYE_PARTNER_API_KEY": self.key}
        self.process = subprocess.Popen(
            [str(binary), "--port", "0", "--in-memory", "--time-scale", "0.001", "--timeout", "5"],
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            env=env,
        )
        lines: queue.Queue[bytes] = queue.Queue()
        assert self.process.stdout is not None
        stdout = self.process.stdout
        def pump() -> None:
            for line in stdout:
                lines.put(line)

        threading.Thread(target=pump, daemon=True).start()
        try:
            first = lines.get(timeout=30).decode()
        except queue.Empty:
            self.stop()
            pytest.fail(f"the emulator printed no base URL within 30 s: {self.stderr()}")
        self.stdout = first
        found = re.fullmatch(r"partner API: (http://127\.0\.0\.1:\d+/api/v1)\n", first)
        if not found:
            self.stop()
            pytest.fail(f"the emulator did not announce its base URL: {first!r} {self.stderr()}")
        self.base_url = found.group(1)
        with urllib.request.urlopen(self.base_url + "/emulator/health", timeout=10) as answer:
            assert json.load(answer) == {"ok": True}

    def client(self, **options: Any) -> PartnerClient:
        return PartnerClient(self.key, base_url=self.base_url, **options)

    def deliver(self, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        """The emulator's own endpoint (not part of the partner API): deliver
        this payload as an event of that webhook; answers after the first
        attempt."""
        request = urllib.request.Request(
            f"{self.base_url}/emulator/deliver/{kind}",
            data=json.dumps(payload).encode(),
            method="POST",
            headers={"X-Partner-API-Key": self.key, "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as answer:
            result: dict[str, Any] = json.load(answer)
            return result

    def stderr(self) -> str:
        self._stderr.flush()
        return self.stderr_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self._stderr.close()


@pytest.fixture
def emulator(tmp_path: pathlib.Path) -> Iterator[Emulator]:
    """An emulator of this test's own: its configuration and logs start empty."""
    running = Emulator(tmp_path)
    yield running
    running.stop()


# ---------------------------------------------------------------- HTTP servers on 127.0.0.1


class Request:
    """One request a server got; `headers` is case-insensitive (httpx
    sends `x-partner-api-key`)."""

    def __init__(self, method: str, path: str, headers: Any, body: bytes) -> None:
        self.method = method
        self.path = path
        self.headers = headers
        self.body = body
        self.at = time.monotonic()


class Server(http.server.ThreadingHTTPServer):
    """A loopback HTTP server whose answers a test decides: `answer(request)`
    returns (status, headers, body), or "close" to drop the connection
    without answering, or ("sleep", seconds, then) to wait first. Every
    request is recorded."""

    daemon_threads = True

    def __init__(self, answer: Callable[[Request], Any]) -> None:
        self.answer = answer
        self.requests: list[Request] = []
        self.lock = threading.Lock()

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def handle_one(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                request = Request(self.command, self.path, self.headers, self.rfile.read(length))
                server = self.server
                assert isinstance(server, Server)
                with server.lock:
                    server.requests.append(request)
                reply = server.answer(request)
                if isinstance(reply, tuple) and reply and reply[0] == "sleep":
                    time.sleep(reply[1])
                    reply = reply[2]
                if reply == "close":
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                status, headers, body = reply
                if not isinstance(body, bytes):
                    body = json.dumps(body).encode()
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_PUT = do_POST = handle_one

        super().__init__(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


def scripted(replies: list[Any]) -> Callable[[Request], Any]:
    """Answer with `replies` in order, then the last one again."""
    remaining = list(replies)

    def answer(request: Request) -> Any:
        return remaining.pop(0) if len(remaining) > 1 else remaining[0]

    return answer


@pytest.fixture
def servers() -> Iterator[Callable[[Callable[[Request], Any]], Server]]:
    started: list[Server] = []

    def start(answer: Callable[[Request], Any]) -> Server:
        server = Server(answer)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


JSON = {"Content-Type": "application/json"}
CONFIG = {
    "identification": {"url": "https://example.com/webhooks/identify", "enabled": True, "hasSecret": True},
    "billing": {"url": "https://example.com/webhooks/billing", "enabled": True, "hasSecret": True},
}
KEY = "pk_test_" + "k" * 8 + "s3cr3t"


def client_for(server: Server, **options: Any) -> PartnerClient:
    options.setdefault("backoff", 0.01)
    options.setdefault("max_backoff", 0.02)
    return PartnerClient(KEY, base_url=server.url + "/api/v1", **options)


def async_client_for(server: Server, **options: Any) -> AsyncPartnerClient:
    options.setdefault("backoff", 0.01)
    options.setdefault("max_backoff", 0.02)
    return AsyncPartnerClient(KEY, base_url=server.url + "/api/v1", **options)


class Receiver:
    """A webhook receiver on 127.0.0.1: records every delivery and answers
    with `status(request)` (200 by default)."""

    def __init__(self, start: Callable[[Callable[[Request], Any]], Server]) -> None:
        self.status: Callable[[Request], int] = lambda request: 200
        self.server = start(lambda request: (self.status(request), JSON, {"ok": True}))

    @property
    def url(self) -> str:
        return self.server.url + "/webhooks/bullseye"

    @property
    def deliveries(self) -> list[Request]:
        return list(self.server.requests)


# ---------------------------------------------------------------- every endpoint, against the emulator


def test_a_new_emulator_has_both_webhooks_unset(emulator: Emulator) -> None:
    config = emulator.client().get_webhooks()
    assert isinstance(config, WebhookConfig)
    unset = WebhookEndpoint(url=None, enabled=False, has_secret=False)
    assert (config.identification, config.billing) == (unset, unset)
    assert config.get("billing") == unset
    assert config.extra == {}


@pytest.mark.parametrize("kind", ["identification", "billing"])
def test_set_webhook_changes_what_is_given_and_keeps_the_rest(emulator: Emulator, kind: Any) -> None:
    client = emulator.client()
    endpoint = client.set_webhook(kind, url="https://example.com/hooks", secret="whsec_abc", enabled=True)
    assert endpoint == WebhookEndpoint(url="https://example.com/hooks", enabled=True, has_secret=True)
    # Only `enabled` is sent: the URL and the secret stay.
    assert client.set_webhook(kind, enabled=False) == WebhookEndpoint(
        url="https://example.com/hooks", enabled=False, has_secret=True
    )
    config = client.get_webhooks()
    assert config.get(kind) == WebhookEndpoint(url="https://example.com/hooks", enabled=False, has_secret=True)
    other: Any = "billing" if kind == "identification" else "identification"
    assert config.get(other) == WebhookEndpoint()
    assert "whsec_abc" not in json.dumps(config.to_dict())


def test_set_webhook_refusals_carry_the_servers_message(emulator: Emulator) -> None:
    with pytest.raises(PartnerApiError) as caught:
        emulator.client().set_webhook("identification", url="ftp://example.com/hooks")
    error = caught.value
    assert (error.status, error.kind, error.code) == (400, "api_status", "invalid_request")
    assert error.message == "url must be an http:// or https:// URL of at most 2048 characters"
    assert str(error) == (
        "partner API answered 400: url must be an http:// or https:// URL of at most 2048 characters"
    )


def test_arguments_are_checked_before_any_request() -> None:
    client = PartnerClient("k", base_url="http://127.0.0.1:9/api/v1")
    with pytest.raises(ValueError, match="unknown webhook type 'refund'"):
        client.set_webhook("refund", enabled=True)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown webhook type"):
        client.send_test("Identification")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="page must be an integer of at least 1"):
        client.logs(page=0)
    with pytest.raises(ValueError, match="page_size must be"):
        client.iter_logs(page_size=True)
    with pytest.raises(ValueError, match="unknown webhook type"):
        client.logs(type="refunds")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="enabled must be a bool"):
        client.set_webhook("billing", enabled="yes")  # type: ignore[arg-type]
    for key in ["", "has space", "k\r\nX-Injected: 1", "clé"]:
        with pytest.raises(ValueError) as caught:
            PartnerClient(key)
        assert key == "" or key not in str(caught.value)
    for base in ["ftp://example.com", "https://", "api.app.bullseye.so", "https://example.com/api?x=1"]:
        with pytest.raises(ValueError, match="is not an http:// or https:// URL"):
            PartnerClient("k", base_url=base)
    with pytest.raises(ValueError, match="max_retries"):
        PartnerClient("k", max_retries=-1)
    with pytest.raises(ValueError, match="timeout"):
        PartnerClient("k", timeout=0)
    assert PartnerClient("k").base_url == "https://api.app.bullseye.so/api/v1"
    assert PartnerClient("k", base_url="http://127.0.0.1:1/api/v1/").base_url == "http://127.0.0.1:1/api/v1"


@pytest.mark.parametrize(
    ("kind", "event_type"), [("identification", "visitor.identified"), ("billing", "billing.test")]
)
def test_send_test_delivers_a_signed_webhook_and_logs_it(
    emulator: Emulator, servers: Any, kind: Any, event_type: str
) -> None:
    receiver = Receiver(servers)
    secret = bw.generate_secret()
    client = emulator.client()
    client.set_webhook(kind, url=receiver.url, secret=secret, enabled=True)

    result = client.send_test(kind)
    assert isinstance(result, TestResult)
    assert (result.success, result.message) == (True, "Test webhook sent successfully")
    assert result.extra["status"] == "delivered" and result.extra["statusCode"] == 200

    [delivery] = receiver.deliveries
    assert (delivery.method, delivery.path) == ("POST", "/webhooks/bullseye")
    event = bw.Webhook(secret).construct_event(delivery.body, delivery.headers["X-Bullseye-Signature"])
    assert event.event_type == event_type

    page = client.logs()
    assert (page.total, page.page, page.page_size) == (1, 1, 20)
    [entry] = page.logs
    assert (entry.type, entry.status, entry.status_code) == (kind, "delivered", 200)
    assert entry.response_time_ms is not None and entry.response_time_ms >= 0
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", entry.attempted_at)
    # The emulator's fields beyond the documented ones are kept.
    assert entry.extra["deliveryId"] == result.extra["deliveryId"]
    assert (entry.extra["attempt"], entry.extra["test"], entry.extra["eventType"]) == (1, True, event_type)
    assert entry.to_dict()["deliveryId"] == result.extra["deliveryId"]


def test_send_test_to_a_failing_receiver_says_so_and_the_logs_show_the_retries(
    emulator: Emulator, servers: Any
) -> None:
    receiver = Receiver(servers)
    receiver.status = lambda request: 500 if len(receiver.deliveries) <= 2 else 200
    client = emulator.client()
    client.set_webhook("identification", url=receiver.url, secret="whsec_test", enabled=True)

    result = client.send_test("identification")
    assert result.success is False
    assert result.message.startswith("Test webhook delivery failed: the receiver answered 500; retrying at ")
    assert result.extra["statusCode"] == 500

    # Retries at 60 ms and 300 ms (time scale 0.001): 500, 500, then 200.
    entries = wait_for_logs(client, 3)
    assert [(e.extra["attempt"], e.status, e.status_code) for e in entries] == [
        (3, "delivered", 200),
        (2, "failed", 500),
        (1, "failed", 500),
    ]
    assert len({e.extra["deliveryId"] for e in entries}) == 1
    assert [e.attempted_at for e in entries] == sorted((e.attempted_at for e in entries), reverse=True)
    assert [e.status_code for e in PartnerClient(emulator.key, base_url=emulator.base_url).iter_logs(
        status="failed"
    )] == [500, 500]
    assert len(receiver.deliveries) == 3


def wait_for_logs(client: PartnerClient, count: int, **filters: Any) -> list[LogEntry]:
    deadline = time.monotonic() + 20
    while True:
        entries = list(client.iter_logs(**filters))
        if len(entries) >= count or time.monotonic() > deadline:
            assert len(entries) == count, entries
            return entries
        time.sleep(0.05)


def test_logs_pages_and_filters(emulator: Emulator, servers: Any) -> None:
    receiver = Receiver(servers)
    receiver.status = lambda request: 500 if b'"org-c"' in request.body else 200
    client = emulator.client()
    for kind in ("identification", "billing"):
        client.set_webhook(kind, url=receiver.url, secret="whsec_test", enabled=True)
    for i in range(7):
        emulator.deliver("identification", {"event_type": "visitor.identified", "organization_id": "org-a",
                                            "session_id": f"s-{i}"})
    for i in range(3):
        emulator.deliver("billing", {"event_type": "billing.charged", "organization_id": "org-b", "n": i})
    emulator.deliver("identification", {"event_type": "visitor.identified", "organization_id": "org-c"})
    # org-c's delivery fails 4 times (1 + 3 retries, the last 1.8 s after the third).
    failed = wait_for_logs(client, 4, status="failed")
    assert {(e.organization_id, e.status_code) for e in failed} == {("org-c", 500)}
    assert [e.extra["attempt"] for e in failed] == [4, 3, 2, 1]
    assert failed[0].extra["nextRetryAt"] is None

    pages = [client.logs(organization_id="org-a", page_size=3, page=n) for n in (1, 2, 3, 4)]
    assert [(p.total, p.page, p.page_size, len(p.logs)) for p in pages] == [
        (7, 1, 3, 3), (7, 2, 3, 3), (7, 3, 3, 1), (7, 4, 3, 0),
    ]
    paged = [e for p in pages for e in p.logs]
    assert {(e.type, e.organization_id, e.status, e.status_code) for e in paged} == {
        ("identification", "org-a", "delivered", 200)
    }
    assert len({e.id for e in paged}) == 7

    walked = list(client.iter_logs(organization_id="org-a", page_size=3))
    assert [e.id for e in walked] == [e.id for e in paged]
    assert [e.id for e in client.iter_logs(organization_id="org-a", page_size=3, page=2)] == [
        e.id for e in paged[3:]
    ]
    assert len(list(client.iter_logs(organization_id="org-a"))) == 7  # one page of 20

    billing = list(client.iter_logs(type="billing", page_size=2))
    assert len(billing) == 3 and {e.organization_id for e in billing} == {"org-b"}
    assert len(list(client.iter_logs(type="identification", page_size=5))) == 7 + 4
    assert client.logs(status="delivered").total == 10
    assert list(client.iter_logs(status="failed", organization_id="org-a")) == []
    assert client.logs(status="no-such-status") == LogsPage(logs=(), total=0, page=1, page_size=20)

    with pytest.raises(PartnerApiError) as caught:
        client.logs(page_size=101)
    assert (caught.value.status, caught.value.code) == (400, "invalid_request")
    assert caught.value.message == 'pageSize must be an integer from 1 to 100, not "101"'


def test_a_filter_value_is_sent_encoded(servers: Any) -> None:
    server = servers(scripted([(200, JSON, {"logs": [], "total": 0, "page": 1, "pageSize": 20})]))
    client_for(server).logs(status="a b&c=d/é", organization_id="org 1", type="billing", page=2, page_size=5)
    [request] = server.requests
    assert request.path == (
        "/api/v1/partner/webhooks/logs?page=2&pageSize=5&type=billing&status=a%20b%26c%3Dd%2F%C3%A9"
        "&organizationId=org%201"
    )


def test_iter_logs_does_not_yield_an_entry_twice_when_new_attempts_push_the_pages(servers: Any) -> None:
    def entry(n: int) -> dict[str, Any]:
        return {"id": f"log-{n}", "type": "billing", "status": "delivered"}

    # Page 1 is 5,4; then a new attempt (6) is logged, so page 2 is 4,3 and page 3 is 2,1.
    server = servers(scripted([
        (200, JSON, {"logs": [entry(5), entry(4)], "total": 5, "page": 1, "pageSize": 2}),
        (200, JSON, {"logs": [entry(4), entry(3)], "total": 6, "page": 2, "pageSize": 2}),
        (200, JSON, {"logs": [entry(2), entry(1)], "total": 6, "page": 3, "pageSize": 2}),
    ]))
    assert [e.id for e in client_for(server).iter_logs(page_size=2)] == ["log-5", "log-4", "log-3", "log-2", "log-1"]
    assert [r.path.split("?")[1] for r in server.requests] == [
        "page=1&pageSize=2", "page=2&pageSize=2", "page=3&pageSize=2"
    ]


def test_iter_logs_raises_the_error_of_a_failed_page(servers: Any) -> None:
    server = servers(scripted([
        (200, JSON, {"logs": [{"id": "a"}], "total": 2, "page": 1, "pageSize": 1}),
        (403, JSON, {"error": "forbidden", "message": "key revoked"}),
    ]))
    walk = client_for(server).iter_logs(page_size=1)
    assert next(walk).id == "a"
    with pytest.raises(PartnerApiError) as caught:
        next(walk)
    assert (caught.value.status, caught.value.message, caught.value.is_unauthorized) == (403, "key revoked", True)


# ---------------------------------------------------------------- authentication and the key


def test_a_wrong_key_is_a_401_with_the_servers_message(emulator: Emulator) -> None:
    wrong = "pk_wrong_" + secrets.token_hex(8)
    calls: list[Callable[[PartnerClient], Any]] = [
        lambda c: c.get_webhooks(),
        lambda c: c.set_webhook("identification", enabled=True),
        lambda c: c.send_test("billing"),
        lambda c: c.logs(),
        lambda c: list(c.iter_logs()),
    ]
    for call in calls:
        with pytest.raises(PartnerApiError) as caught:
            call(PartnerClient(wrong, base_url=emulator.base_url, max_retries=3, backoff=5))
        error = caught.value
        assert (error.status, error.kind, error.code, error.message) == (
            401, "api_status", "unauthorized", "invalid API key"
        )
        assert error.is_unauthorized and error.retry_after is None
        assert str(error) == "partner API answered 401: invalid API key"
        for text in (str(error), repr(error), "".join(traceback.format_exception(type(error), error, None))):
            assert wrong not in text and emulator.key not in text


def test_the_key_is_sent_and_never_shown(servers: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    # The server echoes the key it got, in its message and its code.
    server = servers(lambda r: (401, JSON, {"error": r.headers["X-Partner-API-Key"],
                                            "message": "bad key " + r.headers["X-Partner-API-Key"]}))
    client = client_for(server)
    with pytest.raises(PartnerApiError) as caught:
        client.get_webhooks()
    [request] = server.requests
    assert request.headers["X-Partner-API-Key"] == KEY
    assert request.headers["Accept"] == "application/json"
    error = caught.value
    assert (error.message, error.code) == ("bad key [REDACTED]", "[REDACTED]")

    async_client = async_client_for(server)
    with pytest.raises(PartnerApiError) as async_caught:
        asyncio.run(async_client.get_webhooks())
    assert async_caught.value.message == "bad key [REDACTED]"
    assert server.requests[-1].headers["x-partner-api-key"] == KEY

    shown = [
        repr(client), str(client), repr(async_client), str(async_client), str(error), repr(error),
        "".join(traceback.format_exception(type(error), error, error.__traceback__)),
        str(async_caught.value), caplog.text, repr(vars(error)),
    ]
    for text in shown:
        assert KEY not in text
    assert repr(client) == (
        f"PartnerClient(base_url='{server.url}/api/v1', api_key='[REDACTED]', timeout=30.0, max_retries=3)"
    )
    with pytest.raises(TypeError, match="not picklable"):
        pickle.dumps(client)
    assert not hasattr(client, "__dict__")
    # A key at the 300-character cut of a long message is scrubbed before the cut.
    long = servers(scripted([(500, JSON, {"message": "a" * 295 + KEY})]))
    with pytest.raises(PartnerApiError) as cut:
        client_for(long, max_retries=0).get_webhooks()
    assert cut.value.message == "a" * 295 + "[REDA..."
    # An error pickles (for multiprocessing) with what it carries.
    again = pickle.loads(pickle.dumps(error))
    assert (again.status, again.message, again.code) == (401, "bad key [REDACTED]", "[REDACTED]")


def test_the_key_is_not_in_the_logs_of_retries(servers: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    server = servers(scripted([(503, JSON, {"message": "busy"}), "close", (200, JSON, CONFIG)]))
    client_for(server).get_webhooks()
    asyncio.run(async_client_for(servers(scripted([(503, {}, b""), (200, JSON, CONFIG)]))).get_webhooks())
    retries = [r for r in caplog.records if r.name == "bullseye_webhooks.partner"]
    assert [r.levelname for r in retries] == ["INFO", "INFO", "INFO"]
    assert retries[0].getMessage().startswith("partner API: GET /partner/webhooks answered 503; retry 1 of 3 in ")
    assert retries[1].getMessage().startswith("partner API: GET /partner/webhooks got no answer (")
    assert KEY not in caplog.text


def test_the_emulator_never_prints_the_key(emulator: Emulator, servers: Any) -> None:
    receiver = Receiver(servers)
    client = emulator.client()
    client.set_webhook("identification", url=receiver.url, secret="whsec_x", enabled=True)
    client.send_test("identification")
    with pytest.raises(PartnerApiError):
        PartnerClient("pk_wrong", base_url=emulator.base_url).get_webhooks()
    assert emulator.key not in emulator.stdout + emulator.stderr()
    assert len(emulator.stderr().splitlines()) >= 2  # it did log the delivery


def test_redirects_are_not_followed(servers: Any) -> None:
    elsewhere = servers(scripted([(200, JSON, CONFIG)]))
    server = servers(scripted([(302, {"Location": elsewhere.url + "/api/v1/partner/webhooks"}, b"")]))
    with pytest.raises(PartnerApiError) as caught:
        client_for(server).get_webhooks()
    assert caught.value.status == 302
    with pytest.raises(PartnerApiError) as async_caught:
        asyncio.run(async_client_for(server).get_webhooks())
    assert async_caught.value.status == 302
    assert elsewhere.requests == [] and len(server.requests) == 2


# ---------------------------------------------------------------- retries


def test_5xx_and_429_are_retried_with_backoff(servers: Any) -> None:
    server = servers(scripted([
        (503, JSON, {"message": "busy"}), (429, JSON, {"message": "slow down"}), (200, JSON, CONFIG)
    ]))
    started = time.monotonic()
    config = client_for(server, backoff=0.2, max_backoff=0.2).get_webhooks()
    elapsed = time.monotonic() - started
    assert config.identification == WebhookEndpoint("https://example.com/webhooks/identify", True, True)
    assert len(server.requests) == 3
    assert all(r.headers["X-Partner-API-Key"] == KEY for r in server.requests)
    # Two waits, each between half and all of 0.2 s.
    assert 0.2 <= elapsed < 3
    gaps = [b.at - a.at for a, b in zip(server.requests, server.requests[1:])]
    assert all(0.1 <= gap for gap in gaps), gaps


def test_retry_after_is_honoured_in_seconds_and_as_a_date(servers: Any) -> None:
    def answer(request: Request) -> Any:
        if len(server.requests) == 1:
            return (429, {"Retry-After": "1"}, b"")
        if len(server.requests) == 2:  # in 2 to 3 s: the date has a resolution of a second
            return (503, {"Retry-After": email.utils.formatdate(time.time() + 3, usegmt=True)}, b"")
        return (200, JSON, CONFIG)

    server = servers(answer)
    started = time.monotonic()
    client_for(server).get_webhooks()
    gaps = [b.at - a.at for a, b in zip(server.requests, server.requests[1:])]
    assert len(server.requests) == 3
    assert 0.95 <= gaps[0] < 2, gaps
    assert 1.9 <= gaps[1] < 3.5, gaps
    assert time.monotonic() - started < 7


def test_a_retry_after_beyond_the_cap_is_raised_at_once(servers: Any) -> None:
    server = servers(scripted([(429, {"Retry-After": "120", **JSON}, {"message": "rate limited"})]))
    started = time.monotonic()
    with pytest.raises(PartnerApiError) as caught:
        client_for(server, max_retry_after=5).get_webhooks()
    assert time.monotonic() - started < 2
    assert (caught.value.status, caught.value.message, caught.value.retry_after) == (429, "rate limited", 120.0)
    assert len(server.requests) == 1


def test_retries_are_bounded_and_4xx_is_not_retried(servers: Any) -> None:
    server = servers(scripted([(500, {}, b"  Internal Server Error \n")]))
    with pytest.raises(PartnerApiError) as caught:
        client_for(server, max_retries=2).logs()
    assert (caught.value.status, caught.value.message) == (500, "Internal Server Error")
    assert len(server.requests) == 3

    none = servers(scripted([(502, {}, b"x" * 1000)]))
    with pytest.raises(PartnerApiError) as caught:
        client_for(none, max_retries=0).logs()
    assert len(none.requests) == 1 and caught.value.message == "x" * 300 + "..."

    bad = servers(scripted([(400, JSON, {"error": {"message": "nested message"}})]))
    with pytest.raises(PartnerApiError) as caught:
        client_for(bad).set_webhook("billing", enabled=True)
    assert (caught.value.status, caught.value.message, caught.value.code) == (400, "nested message", None)
    assert len(bad.requests) == 1


def test_no_answer_is_retried_for_gets_and_puts_but_never_for_the_test_post(servers: Any) -> None:
    server = servers(scripted(["close", (200, JSON, {"identification": CONFIG["identification"]})]))
    endpoint = client_for(server).set_webhook("identification", enabled=True)
    assert endpoint.enabled and len(server.requests) == 2
    assert json.loads(server.requests[0].body) == {"enabled": True}
    assert server.requests[0].headers["Content-Type"] == "application/json"

    post = servers(scripted(["close", (200, JSON, {"success": True, "message": "sent"})]))
    with pytest.raises(PartnerApiError) as caught:
        client_for(post).send_test("billing")
    assert (caught.value.status, caught.value.kind) == (None, "transport")
    assert caught.value.message.startswith("POST /partner/webhooks/test: ")
    assert len(post.requests) == 1
    assert json.loads(post.requests[0].body) == {"type": "billing"}
    # A 503 says the test was not sent: that one is retried.
    busy = servers(scripted([(503, {}, b""), (200, JSON, {"success": True, "message": "sent"})]))
    assert client_for(busy).send_test("billing") == TestResult(success=True, message="sent")
    assert len(busy.requests) == 2


def test_a_refused_connection_is_a_transport_error() -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    client = PartnerClient(KEY, base_url=f"http://127.0.0.1:{port}/api/v1", max_retries=1, backoff=0.01)
    with pytest.raises(PartnerApiError) as caught:
        client.get_webhooks()
    assert (caught.value.status, caught.value.kind) == (None, "transport")
    assert "refused" in caught.value.message.lower()
    assert str(caught.value).startswith("partner API transport: GET /partner/webhooks: ")


def test_a_slow_answer_times_out(servers: Any) -> None:
    server = servers(scripted([("sleep", 2.0, (200, JSON, CONFIG))]))
    started = time.monotonic()
    with pytest.raises(PartnerApiError) as caught:
        client_for(server, timeout=0.3, max_retries=0).get_webhooks()
    assert time.monotonic() - started < 1.5
    assert (caught.value.status, caught.value.kind, caught.value.message) == (
        None, "transport", "GET /partner/webhooks: timed out after 0.3 s"
    )
    with pytest.raises(PartnerApiError) as caught:
        asyncio.run(async_client_for(server, timeout=0.3, max_retries=0).get_webhooks())
    assert (caught.value.kind, caught.value.message) == ("transport", "GET /partner/webhooks: timed out after 0.3 s")


# ---------------------------------------------------------------- the shapes


def test_unknown_fields_are_kept_and_given_back(servers: Any) -> None:
    config = {
        "identification": {"url": None, "enabled": False, "hasSecret": False, "createdAt": "2025-01-01"},
        "billing": {"url": "https://b.example", "enabled": True, "hasSecret": True, "limits": {"rps": 5}},
        "account": {"plan": "pro"},
    }
    logs = {
        "logs": [{"id": "1", "type": "billing", "organizationId": None, "status": "retrying",
                  "statusCode": None, "attemptedAt": "2025-02-27T10:30:00Z", "responseTimeMs": None,
                  "attempt": 2, "error": "timeout"}],
        "total": 1, "page": 1, "pageSize": 20, "cursor": "abc",
    }
    server = servers(lambda r: (200, JSON, logs if "/logs" in r.path else config))
    client = client_for(server)
    got = client.get_webhooks()
    assert got.identification is not None and got.identification.extra == {"createdAt": "2025-01-01"}
    assert got.billing is not None and got.billing.extra == {"limits": {"rps": 5}}
    assert got.extra == {"account": {"plan": "pro"}}
    assert got.to_dict() == config
    page = client.logs()
    assert page.extra == {"cursor": "abc"}
    assert page.logs[0].extra == {"attempt": 2, "error": "timeout"}
    assert page.logs[0].status_code is None
    assert page.to_dict() == logs


def test_the_documented_examples_read(servers: Any) -> None:
    """The page's own response examples, as written there."""
    documented_logs = {
        "logs": [{"id": "uuid", "type": "identification", "organizationId": "uuid", "status": "delivered",
                  "statusCode": 200, "attemptedAt": "2025-02-27T10:30:00Z", "responseTimeMs": 150}],
        "total": 100, "page": 1, "pageSize": 20,
    }
    server = servers(lambda r: (200, JSON, documented_logs if "/logs" in r.path else (
        {"success": True, "message": "Test webhook sent successfully"} if r.method == "POST"
        else {"billing": CONFIG["billing"]} if r.method == "PUT" else CONFIG)))
    client = client_for(server)
    assert client.get_webhooks() == WebhookConfig(
        identification=WebhookEndpoint("https://example.com/webhooks/identify", True, True),
        billing=WebhookEndpoint("https://example.com/webhooks/billing", True, True),
    )
    assert client.set_webhook("billing", url="https://example.com/webhooks/billing", secret="whsec_your_webhook_secret",
                              enabled=True) == WebhookEndpoint("https://example.com/webhooks/billing", True, True)
    assert json.loads(server.requests[-1].body) == {
        "url": "https://example.com/webhooks/billing", "secret": "whsec_your_webhook_secret", "enabled": True
    }
    assert server.requests[-1].path == "/api/v1/partner/webhooks/billing"
    assert client.send_test("identification") == TestResult(True, "Test webhook sent successfully")
    assert client.logs() == LogsPage(
        logs=(LogEntry("uuid", "identification", "uuid", "delivered", 200, "2025-02-27T10:30:00Z", 150),),
        total=100, page=1, page_size=20,
    )


def test_an_answer_that_is_not_the_documented_json_is_a_decode_error(servers: Any) -> None:
    for body, needle in [
        (b"<html>ok</html>", "is not JSON"),
        (b'{"identification": "on"}', "expected an object, got a string"),
        (b'{"identification": {"enabled": "yes"}}', "`enabled` must be a boolean, got a string"),
        (b"[1]", "expected an object, got an array"),
    ]:
        server = servers(scripted([(200, JSON, body)]))
        with pytest.raises(PartnerApiError) as caught:
            client_for(server).get_webhooks()
        assert (caught.value.kind, caught.value.status) == ("decode", 200)
        assert needle in caught.value.message, caught.value.message
    server = servers(scripted([(200, JSON, {"billing": CONFIG["billing"]})]))
    with pytest.raises(PartnerApiError, match="has no 'identification' member"):
        client_for(server).set_webhook("identification", enabled=True)
    page = servers(scripted([(200, JSON, {"logs": [{"id": 7}], "total": 1})]))
    with pytest.raises(PartnerApiError, match=r"logs\[0\]\).*`id` must be a string, got a number"):
        client_for(page).logs()


def test_an_oversized_answer_is_refused(servers: Any) -> None:
    server = servers(scripted([(200, JSON, b"[" + b" " * (partner.MAX_RESPONSE_BYTES + 1) + b"]")]))
    with pytest.raises(PartnerApiError, match="longer than 16777216 bytes"):
        client_for(server, max_retries=0).get_webhooks()
    with pytest.raises(PartnerApiError, match="longer than 16777216 bytes"):
        asyncio.run(async_client_for(server, max_retries=0).get_webhooks())


# ---------------------------------------------------------------- the async client


def test_the_async_client_against_the_emulator(emulator: Emulator, servers: Any) -> None:
    receiver = Receiver(servers)
    secret = bw.generate_secret()

    async def scenario() -> None:
        async with AsyncPartnerClient(emulator.key, base_url=emulator.base_url) as client:
            assert (await client.get_webhooks()).identification == WebhookEndpoint()
            endpoint = await client.set_webhook("identification", url=receiver.url, secret=secret, enabled=True)
            assert endpoint == WebhookEndpoint(receiver.url, True, True)
            result = await client.send_test("identification")
            assert (result.success, result.message) == (True, "Test webhook sent successfully")
            for i in range(4):
                emulator.deliver("identification", {"event_type": "visitor.identified", "organization_id": "org-x",
                                                    "session_id": f"s{i}"})
            page = await client.logs(organization_id="org-x", page_size=3, page=2)
            assert (page.total, page.page, page.page_size, len(page.logs)) == (4, 2, 3, 1)
            walked = [e async for e in client.iter_logs(organization_id="org-x", page_size=3)]
            assert len(walked) == 4 and len({e.id for e in walked}) == 4
            assert [e.id for e in walked][3] == page.logs[0].id
            assert len([e async for e in client.iter_logs(type="identification")]) == 5
            assert [e async for e in client.iter_logs(type="billing")] == []
        async with AsyncPartnerClient("pk_wrong", base_url=emulator.base_url) as wrong:
            with pytest.raises(PartnerApiError) as caught:
                await wrong.logs()
            assert (caught.value.status, caught.value.message) == (401, "invalid API key")

    asyncio.run(scenario())
    assert len(receiver.deliveries) == 5
    for delivery in receiver.deliveries:
        bw.Webhook(secret).verify(delivery.body, delivery.headers["X-Bullseye-Signature"])


def test_the_async_client_retries_like_the_sync_one(servers: Any) -> None:
    server = servers(scripted([(503, {}, b""), (429, {"Retry-After": "1"}, b""), "close", (200, JSON, CONFIG)]))
    post = servers(scripted(["close", (200, JSON, {"success": True, "message": "sent"})]))

    async def scenario() -> None:
        async with async_client_for(server) as client:
            assert (await client.get_webhooks()).billing == WebhookEndpoint("https://example.com/webhooks/billing",
                                                                            True, True)
        async with async_client_for(post) as client:
            with pytest.raises(PartnerApiError) as caught:
                await client.send_test("identification")
            assert caught.value.kind == "transport"

    asyncio.run(scenario())
    assert len(server.requests) == 4 and len(post.requests) == 1
    assert 0.95 <= server.requests[2].at - server.requests[1].at < 2


def test_the_async_client_uses_a_given_httpx_client_without_closing_it(servers: Any) -> None:
    import httpx

    server = servers(scripted([(200, JSON, CONFIG)]))

    async def scenario() -> None:
        async with httpx.AsyncClient(follow_redirects=True) as http_client:
            async with AsyncPartnerClient(KEY, base_url=server.url + "/api/v1", http_client=http_client) as client:
                await client.get_webhooks()
            assert not http_client.is_closed

    asyncio.run(scenario())
    assert server.requests[0].headers["X-Partner-API-Key"] == KEY


def test_the_sync_client_uses_a_given_httpx_client_without_closing_it(servers: Any) -> None:
    import httpx

    server = servers(scripted([(302, {"Location": "http://127.0.0.1:9/elsewhere"}, b""), (200, JSON, CONFIG)]))
    with httpx.Client(follow_redirects=True) as http_client:
        with PartnerClient(KEY, base_url=server.url + "/api/v1", http_client=http_client) as client:
            with pytest.raises(PartnerApiError) as caught:
                client.get_webhooks()  # a redirect is still not followed
            assert caught.value.status == 302
            assert client.get_webhooks().identification is not None
        assert not http_client.is_closed
    assert server.requests[0].headers["X-Partner-API-Key"] == KEY


def test_without_httpx_the_clients_say_what_to_install() -> None:
    code = (
        "import sys\n"
        "import bullseye_webhooks\n"
        "assert 'httpx' not in sys.modules, 'the core library imports httpx'\n"
        "sys.modules['httpx'] = None\n"
        "from bullseye_webhooks.partner import AsyncPartnerClient, PartnerApiError, PartnerClient\n"
        "for make in (PartnerClient, AsyncPartnerClient):\n"
        "    try:\n"
        "        make('k')\n"
        "    except ImportError as e:\n"
        "        print(e)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout == 'the partner clients need httpx: pip install "bullseye-webhooks[partner]"\n' * 2


# ---------------------------------------------------------------- generate_secret

ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def test_generate_secret_is_whsec_and_43_base64url_characters() -> None:
    secret = bw.generate_secret()
    assert isinstance(secret, str)
    assert re.fullmatch(r"whsec_[A-Za-z0-9_-]{43}", secret), secret
    assert len(secret) == 49
    body = secret[len("whsec_"):]
    # 32 bytes are 256 bits: 42 whole characters and one carrying 4 bits and
    # 2 zero bits, so the last is one of 16 characters.
    assert body[-1] in "AEIMQUYcgkosw048"
    raw = base64.urlsafe_b64decode(body + "=")
    assert len(raw) == 32
    assert base64.urlsafe_b64encode(raw).decode().rstrip("=") == body


def test_generated_secrets_are_random() -> None:
    generated = [bw.generate_secret() for _ in range(2000)]
    assert len(set(generated)) == 2000
    raw = b"".join(base64.urlsafe_b64decode(s[6:] + "=") for s in generated)
    # 512,000 bits: one half ones, to well within 14 standard deviations.
    ones = sum(bin(byte).count("1") for byte in raw)
    assert abs(ones / (len(raw) * 8) - 0.5) < 0.01
    # Every byte value turns up (64,000 bytes, 250 expected of each).
    assert len(set(raw)) == 256
    # Every character of the alphabet turns up in the first 42 positions.
    assert set("".join(s[6:48] for s in generated)) == set(ALPHABET)


def test_a_generated_secret_signs_and_verifies() -> None:
    secret = bw.generate_secret()
    body = b'{"event_type":"visitor.identified","session_id":"s"}'
    event = bw.Webhook(secret).construct_event(body, bw.sign(secret, body))
    assert event.event_type == "visitor.identified"
    assert bw.generate_secret.__module__ in ("bullseye_webhooks._native", "builtins")


# ---------------------------------------------------------------- the README's quickstart


def partner_blocks() -> list[str]:
    """The README's ```python partner blocks (test_readme.py runs the plain
    ```python ones; these need the emulator and a receiver)."""
    return re.findall(r"```python partner\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)


def test_the_readme_quickstart_runs_against_the_emulator(
    emulator: Emulator, servers: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    blocks = partner_blocks()
    assert len(blocks) == 2
    receiver = Receiver(servers)
    monkeypatch.setenv("BULLSEYE_PARTNER_API_KEY", emulator.key)
    monkeypatch.setenv("BULLSEYE_PARTNER_API_URL", emulator.base_url)
    monkeypatch.setenv("RECEIVER_URL", receiver.url)

    namespace: dict[str, Any] = {"__name__": "readme_partner"}
    exec(compile(blocks[0], str(README), "exec"), namespace)
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "True Test webhook sent successfully"
    assert re.fullmatch(r"\d{4}-\S+Z delivered 200 \d+", out[1]), out
    assert out[2:] == ["partner API answered 401: invalid API key"]
    [delivery] = receiver.deliveries
    signature = delivery.headers["X-Bullseye-Signature"]
    event = bw.Webhook(namespace["secret"]).construct_event(delivery.body, signature)
    assert event.event_type == "visitor.identified"
    assert emulator.client().get_webhooks().identification == WebhookEndpoint(receiver.url, True, True)

    # The async block counts the failed attempts: none, then one after a
    # delivery whose first attempt the receiver refuses (its retry, 60 ms
    # later at this time scale, is accepted).
    exec(compile(blocks[1], str(README), "exec"), {"__name__": "readme_partner_async"})
    assert capsys.readouterr().out == "0\n"
    receiver.status = lambda request: 500 if len(receiver.deliveries) == 2 else 200
    emulator.deliver("identification", {"event_type": "visitor.identified", "session_id": "s-2"})
    wait_for_logs(emulator.client(), 3)
    exec(compile(blocks[1], str(README), "exec"), {"__name__": "readme_partner_async"})
    assert capsys.readouterr().out == "1\n"
    assert emulator.key not in emulator.stderr()
