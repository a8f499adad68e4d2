"""Deliveries the framework tests send, and a real HTTP server for WSGI apps.

DELIVERIES: (name, body, headers, status, code) to the lenient route.
DRIFT_DELIVERIES: (name, path, body, status, json) of the documented
example and of a drifted copy, to a lenient route and a strict one."""

from __future__ import annotations

import contextlib
import http.client
import json
import socketserver
import threading
import time
from collections.abc import Iterator
from typing import Any, Callable
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from conftest import FIXTURES

import bullseye_webhooks as bw

SECRET = "whsec_framework_test"
OLD_SECRET = "whsec_framework_old"
BODY = (FIXTURES / "payloads" / "identification-event.json").read_bytes()
GOOD = bw.sign(SECRET, BODY)

DELIVERIES = [
    ("signed", BODY, {"X-Bullseye-Signature": GOOD}, 200, None),
    ("rotated secret", BODY, {"X-Bullseye-Signature": bw.sign(OLD_SECRET, BODY)}, 200, None),
    ("lower-case header name", BODY, {"x-bullseye-signature": GOOD}, 200, None),
    ("tampered", BODY.replace(b"340", b"341"), {"X-Bullseye-Signature": GOOD}, 401, "signature_mismatch"),
    ("unsigned", BODY, {}, 400, "missing_signature"),
    ("malformed", BODY, {"X-Bullseye-Signature": "abc"}, 400, "malformed_signature"),
    ("not json", b"hello", {"X-Bullseye-Signature": bw.sign(SECRET, b"hello")}, 400, "invalid_body"),
    ("too large", b" " * 70_000, {"X-Bullseye-Signature": "0" * 64}, 413, "body_too_large"),
]

MAX_BODY_BYTES = 65_536


def expected_json(status: int, code: str | None) -> dict[str, str]:
    if code is None:
        return {
            "event_type": "visitor.identified",
            "email": "jane.doe@acme-industries.example",
        }
    return {"error": code}


# ---- field types and drift ------------------------------------------------------------

# Bullseye's documented identification example, byte for byte.
DOCUMENTED = (FIXTURES / "payloads" / "bullseye-partner-api-identification.json").read_bytes()


def _drift(body: bytes, *changes: tuple[bytes, bytes]) -> bytes:
    for old, new in changes:
        assert body.count(old) == 1, old
        body = body.replace(old, new)
    return body


# An integer sent as its decimal text, and a string field sent as an object.
DRIFTED = _drift(
    DOCUMENTED,
    (b'"job_title": "CTO"', b'"job_title": {"title": "CTO"}'),
    (b'"size": 150', b'"size": "150"'),
)
LENIENT_PATH = "/webhooks/drift"
STRICT_PATH = "/webhooks/strict"


def summary(event: bw.Event) -> dict[str, Any]:
    """What the drift routes answer: a few typed fields and the mismatches."""
    assert isinstance(event, bw.VisitorIdentifiedEvent)
    assert event.visitor is not None and event.company is not None
    return {
        "event_type": event.event_type,
        "company_size": event.company.size,
        "persona_match": event.visitor.persona_match,
        "job_title": event.visitor.job_title,
        "mismatches": [
            {"path": m.path, "expected": m.expected, "found": m.found, "value": m.value} for m in event.mismatches
        ],
    }


DOCUMENTED_SUMMARY = {
    "event_type": "visitor.identified",
    "company_size": 150,
    "persona_match": True,
    "job_title": "CTO",
    "mismatches": [],
}
DRIFTED_SUMMARY = {
    **DOCUMENTED_SUMMARY,
    "job_title": None,
    "mismatches": [
        {"path": "visitor.job_title", "expected": "string", "found": "object", "value": {"title": "CTO"}},
        {"path": "company.size", "expected": "integer", "found": "string", "value": "150"},
    ],
}
DRIFT_DELIVERIES = [
    ("documented example", LENIENT_PATH, DOCUMENTED, 200, DOCUMENTED_SUMMARY),
    ("drifted", LENIENT_PATH, DRIFTED, 200, DRIFTED_SUMMARY),
    ("documented example, strict", STRICT_PATH, DOCUMENTED, 200, DOCUMENTED_SUMMARY),
    ("drifted, strict", STRICT_PATH, DRIFTED, 400, {"error": "invalid_payload"}),
]
DRIFT_IDS = [d[0] for d in DRIFT_DELIVERIES]


def signed(body: bytes) -> dict[str, str]:
    return {"X-Bullseye-Signature": bw.sign(SECRET, body), "Content-Type": "application/json"}


def check_drift_warning(records: list[Any], drifted: bool) -> None:
    """The integrations' log: one WARNING naming the paths and types of a
    drifted delivery, never a value; nothing for a documented one."""
    # A refusal's own record ("drifted, strict") is checked by check_refusal_log.
    ours = [r for r in records if r.name == "bullseye_webhooks" and not hasattr(r, "refusal")]
    if not drifted:
        assert ours == []
        return
    assert len(ours) == 1 and ours[0].levelname == "WARNING"
    message = ours[0].getMessage()
    assert "visitor.job_title (expected string, found object)" in message, message
    assert "company.size (expected integer, found string)" in message, message
    assert "CTO" not in message and '"150"' not in message, message
    assert ours[0].mismatches == [
        {"path": "visitor.job_title", "expected": "string", "found": "object"},
        {"path": "company.size", "expected": "integer", "found": "string"},
    ]


def check_refusal_log(records: list[Any], code: str, body: bytes, headers: dict[str, str]) -> None:
    """A refusal is logged once, at WARNING, with its code; nothing of the
    secrets, the signature sent or the body is in the record."""
    ours = [r for r in records if r.name == "bullseye_webhooks"]
    assert len(ours) == 1 and ours[0].levelname == "WARNING", [r.getMessage() for r in ours]
    assert ours[0].refusal["code"] == code
    text = ours[0].getMessage() + repr(vars(ours[0]))
    assert code in ours[0].getMessage()
    secrets = [SECRET, OLD_SECRET, *(v for v in headers.values() if v.strip())]
    leaked = [s for s in secrets if s in text]
    # Any 16 consecutive bytes of a body (past its whitespace) would show it was logged.
    stripped = body.strip().decode("latin-1")
    pieces = [stripped[i:i + 16] for i in range(0, len(stripped) - 15, 16)] or ([stripped] if stripped else [])
    leaked += [piece for piece in pieces if piece in text]
    assert leaked == [], leaked


# ---- real HTTP ------------------------------------------------------------------------


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


class _ThreadingServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True


@contextlib.contextmanager
def wsgi_server(app: Callable[..., Any], threaded: bool = False) -> Iterator[int]:
    """Serve a WSGI app on 127.0.0.1 (any free port) in a thread; yield the
    port. `threaded`: each request in its own thread (concurrent requests)."""
    server: WSGIServer = make_server(
        "127.0.0.1", 0, app, server_class=_ThreadingServer if threaded else WSGIServer, handler_class=_QuietHandler
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@contextlib.contextmanager
def asgi_server(app: Any) -> Iterator[int]:
    """Serve an ASGI app with uvicorn on 127.0.0.1 (any free port) in a thread; yield the port."""
    import uvicorn

    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start on 127.0.0.1")
        time.sleep(0.02)
    try:
        yield server.servers[0].sockets[0].getsockname()[1]
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def post(port: int, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, Any]:
    """POST over a real socket; the status and the JSON answer."""
    status, answer, _ = post_full(port, path, body, headers)
    return status, answer


def post_full(port: int, path: str, body: Any, headers: dict[str, str], **options: Any) -> tuple[int, Any, dict[str, str]]:
    """POST over a real socket; the status, the JSON answer and the headers (lower-case names)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("POST", path, body=body, headers=headers, **options)
        response = connection.getresponse()
        text = response.read()
        try:
            answer = json.loads(text)
        except ValueError:  # a framework's own error page
            answer = text.decode("utf-8", "replace")
        return response.status, answer, {k.lower(): v for k, v in response.getheaders()}
    finally:
        connection.close()


class HeaderVerifier:
    """A verifier that is not one of ours: the Bullseye scheme under another
    header name. The integrations take any object of this shape."""

    header = "X-Other-Signature"

    def __init__(self, secret: str, max_body_bytes: int = 65_536) -> None:
        self._webhook = bw.Webhook(secret, max_body_bytes=max_body_bytes)
        self.max_body_bytes = max_body_bytes

    def construct_event(self, body: bytes, headers: Any) -> bw.Event:
        return self._webhook.construct_event(body, headers.get(self.header))


# (name, headers, status, answer) for HeaderVerifier(SECRET) on the routes that answer {"event_type": ..}
OTHER_BODY = b'{"event":"other.thing","id":"o_1"}'
OTHER_DELIVERIES = [
    ("signed", {"X-Other-Signature": bw.sign(SECRET, OTHER_BODY)}, 200, {"event_type": "other.thing"}),
    ("bullseye header only", {"X-Bullseye-Signature": bw.sign(SECRET, OTHER_BODY)}, 400, {"error": "missing_signature"}),
    ("wrong secret", {"X-Other-Signature": bw.sign(OLD_SECRET, OTHER_BODY)}, 401, {"error": "signature_mismatch"}),
]
OTHER_IDS = [d[0] for d in OTHER_DELIVERIES]


def configure_django() -> None:
    """Django's settings for the tests (once per process): the CSRF
    middleware on, test_django's routes (other modules override ROOT_URLCONF)."""
    import django
    from django.conf import settings

    if not settings.configured:
        settings.configure(
            DEBUG=False,
            SECRET_KEY="django-test-only",
            ALLOWED_HOSTS=["testserver", "127.0.0.1"],
            ROOT_URLCONF="test_django",
            MIDDLEWARE=["django.middleware.csrf.CsrfViewMiddleware"],
            INSTALLED_APPS=[],
            # DRF (test_more_frameworks): no user model here, JSON answers only.
            REST_FRAMEWORK={
                "UNAUTHENTICATED_USER": None,
                "DEFAULT_AUTHENTICATION_CLASSES": [],
                "DEFAULT_PERMISSION_CLASSES": [],
                "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
            },
        )
        django.setup()


@contextlib.contextmanager
def aiohttp_server(app: Any) -> Iterator[int]:
    """Serve an aiohttp Application with its own runner (AppRunner, TCPSite)
    on 127.0.0.1 (any free port), its event loop in a thread; yield the port."""
    import asyncio

    from aiohttp import web

    loop = asyncio.new_event_loop()
    runner = web.AppRunner(app)

    async def start() -> int:
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        return int(runner.addresses[0][1])

    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        port = asyncio.run_coroutine_threadsafe(start(), loop).result(timeout=20)
        yield port
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(timeout=20)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()
