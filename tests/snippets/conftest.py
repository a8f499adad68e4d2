"""Shared pieces of the doc-snippet tests: where the senders' documents and the
verbatim fixtures are, the bodies and secrets every check runs over, Bullseye's
own Python snippet loaded from its verbatim copy, the SDK, the CLI binary, and
a receiver on 127.0.0.1 that records each request's raw bytes.

A missing package or binary fails the test that needs it, with a message saying
what to build. The senders' documents are the one exception: they sit beside
the clone on the project's own machines only, so their checks skip with the
reason when the documents are absent, and fail instead under CI=true.
"""

from __future__ import annotations

import dataclasses
import http.server
import os
import pathlib
import threading
from types import ModuleType
from typing import Any, Callable, Iterator

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures"
PAYLOADS = FIXTURES / "payloads"
SOURCES = FIXTURES / "sources"
# The senders' documents: ../shared/reference beside the clone (CI has a
# read-only copy of shared/ there).
REFERENCE = ROOT.parent / "shared" / "reference"

IDENTIFICATION = PAYLOADS / "bullseye-partner-api-identification.json"
VISIT = PAYLOADS / "fingerprinting-api-visit.json"
PYTHON_SNIPPET = SOURCES / "bullseye-partner-api-verify.py"
NODE_SNIPPET = SOURCES / "bullseye-partner-api-verify.js"

SIGNATURE_HEADER = "X-Bullseye-Signature"


def _fixture_bytes(path: pathlib.Path) -> bytes:
    if not path.is_file():
        pytest.fail(f"{path.relative_to(ROOT)} is missing: it is written from the reference documents")
    return path.read_bytes()


# (id, body): the two documented payloads byte for byte, then bodies whose
# bytes a careless sender or receiver would change.
BODIES: list[tuple[str, Callable[[], bytes]]] = [
    ("partner-api-identification", lambda: _fixture_bytes(IDENTIFICATION)),
    ("fingerprinting-api-visit", lambda: _fixture_bytes(VISIT)),
    ("empty", lambda: b""),
    (
        "non-ascii-utf8",
        lambda: (
            '{"event_type":"visitor.identified","visitor":{"first_name":"Zoë",'
            '"last_name":"Ångström","city":"東京"},"note":"🎯 naïve café — ok"}'
        ).encode("utf-8"),
    ),
    ("crlf-and-trailing-space", lambda: b'{\r\n  "event": "visitor.identified"\r\n}  \r\n'),
]

# Secrets are used as their UTF-8 bytes by the snippets (secret.encode(),
# createHmac with a string) and by the SDK; whsec_ is part of the key.
SECRETS: list[tuple[str, str]] = [
    ("documented-whsec", "whsec_your_webhook_secret"),
    ("whsec-base64-looking", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"),
    ("short", "s3cret"),
    ("non-ascii", "clé secrète ✓"),
    ("longer-than-hmac-block", "whsec_" + "k7" * 50),
]

BODY_PARAMS = [pytest.param(load, id=name) for name, load in BODIES]
SECRET_PARAMS = [pytest.param(secret, id=name) for name, secret in SECRETS]


def load_python_snippet() -> Callable[[bytes, str, str], bool]:
    """Bullseye's `verify_webhook_signature`, executed from its verbatim copy."""
    source = PYTHON_SNIPPET.read_text(encoding="utf-8")
    namespace: dict[str, Any] = {"__name__": "bullseye_partner_api_verify"}
    exec(compile(source, str(PYTHON_SNIPPET.relative_to(ROOT)), "exec"), namespace)
    function = namespace.get("verify_webhook_signature")
    if not callable(function):
        pytest.fail(f"{PYTHON_SNIPPET.relative_to(ROOT)} does not define verify_webhook_signature")
    return function


@pytest.fixture(scope="session")
def snippet() -> Callable[[bytes, str, str], bool]:
    return load_python_snippet()


@pytest.fixture(scope="session")
def bw() -> ModuleType:
    """The SDK installed in this Python (make build-python installs it into .venv)."""
    try:
        import bullseye_webhooks
    except ImportError as error:
        pytest.fail(
            f"bullseye_webhooks cannot be imported by this Python ({error}): "
            "run `make build-python` and use the .venv's python"
        )
    return bullseye_webhooks


@pytest.fixture(scope="session")
def cli() -> pathlib.Path:
    """The CLI binary named by BULLSEYE_CLI (make test-snippets sets it)."""
    value = os.environ.get("BULLSEYE_CLI")
    if not value:
        pytest.fail(
            "BULLSEYE_CLI is not set: point it at the bullseye-webhooks binary "
            "(cargo build --release -p bullseye-webhooks-cli; `make test-snippets` does both)"
        )
    path = pathlib.Path(value)
    if not path.is_file() or not os.access(path, os.X_OK):
        pytest.fail(f"BULLSEYE_CLI={value!r} is not an executable file: build the CLI first")
    return path


@dataclasses.dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    body: bytes
    # Every value of the signature header, in order (a correct sender sends one).
    signatures: list[str]
    content_type: str | None


class Receiver:
    """An HTTP server on 127.0.0.1 (a free port) that answers 200 and keeps
    each request's raw body bytes and signature header."""

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        lock = threading.Lock()
        requests = self.requests

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802 (the stdlib's name)
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                with lock:
                    requests.append(
                        Recorded(
                            method=self.command,
                            path=self.path,
                            body=body,
                            signatures=self.headers.get_all(SIGNATURE_HEADER) or [],
                            content_type=self.headers.get("Content-Type"),
                        )
                    )
                answer = b'{"ok":true}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    try:
        yield server
    finally:
        server.close()
