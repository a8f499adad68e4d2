"""The partner client tests' servers on 127.0.0.1 (test_partner.py,
test_partner_transport.py): the emulator (a local Bullseye, started as a
subprocess) and small scripted HTTP servers, with their fixtures."""

from __future__ import annotations

import http.server
import json
import os
import pathlib
import queue
import re
import secrets
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator
from typing import Any, Callable

import pytest

from bullseye_webhooks.partner import AsyncPartnerClient, LogEntry, PartnerClient

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



def wait_for_logs(client: PartnerClient, count: int, **filters: Any) -> list[LogEntry]:
    deadline = time.monotonic() + 20
    while True:
        entries = list(client.iter_logs(**filters))
        if len(entries) >= count or time.monotonic() > deadline:
            assert len(entries) == count, entries
            return entries
        time.sleep(0.05)

