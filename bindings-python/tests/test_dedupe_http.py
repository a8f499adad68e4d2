"""De-duplication through the integrations, over real HTTP on 127.0.0.1:
FastAPI on uvicorn, Flask on a threaded WSGI server, Django on a threaded
WSGI server (sync views) and on uvicorn (async views), with a real
redis-server, SQLite and the memory store.

Each case: a duplicate is answered 200 {"duplicate": true} without calling
the handler; a second delivery while the first is being handled 409 with
Retry-After; a handler that fails (raises, or answers non-2xx) releases, so
the retry is processed; the store killed: 503 with Retry-After, or with
on_store_error="process" the handler is called."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable

import pytest
import redis
import redis.asyncio

import bullseye_webhooks as bw
from bullseye_webhooks.dedupe import AsyncRedisStore, MemoryStore, RedisStore, SQLiteStore
from frameworks import aiohttp_server, asgi_server, configure_django, post_full, wsgi_server

SECRET = "whsec_dedupe_http"

configure_django()


def delivery(mode: str = "ok") -> tuple[bytes, dict[str, str], str]:
    """A signed delivery with a fresh session: body, headers and its key (by the documented rule)."""
    session = uuid.uuid4().hex
    body = json.dumps({"event": "test.dedupe", "organization_id": "org_t", "session_id": session, "mode": mode}).encode()
    headers = {"X-Bullseye-Signature": bw.sign(SECRET, body), "Content-Type": "application/json"}
    return body, headers, f"bullseye:org_t:test.dedupe:{session}"


class Behaviour:
    """The handler's side: counts calls per key; "slow" waits for the gate;
    "raise-first" raises on its first call, "500-first" answers 500."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.done: Counter[str] = Counter()
        self.lock = threading.Lock()
        self.entered = threading.Event()
        self.gate = threading.Event()

    def begin(self, event: Any) -> tuple[str, int]:
        with self.lock:
            self.calls[event.delivery_key] += 1
            return event.to_dict()["mode"], self.calls[event.delivery_key]

    def end(self, event: Any, mode: str, n: int) -> tuple[int, dict[str, Any]]:
        if mode == "raise-first" and n == 1:
            raise RuntimeError("the handler failed")
        if mode == "500-first" and n == 1:
            return 500, {"failed": True}
        with self.lock:
            self.done[event.delivery_key] += 1
        return 200, {"processed": event.delivery_key}

    def sync(self, event: Any) -> tuple[int, dict[str, Any]]:
        mode, n = self.begin(event)
        if mode == "slow":
            self.entered.set()
            assert self.gate.wait(20)
        return self.end(event, mode, n)

    async def aio(self, event: Any) -> tuple[int, dict[str, Any]]:
        mode, n = self.begin(event)
        if mode == "slow":
            self.entered.set()
            assert await asyncio.to_thread(self.gate.wait, 20)
        return self.end(event, mode, n)


# ---- the apps -------------------------------------------------------------------------


def fastapi_app(receiver_options: dict[str, Any], behaviour: Behaviour) -> Any:
    from fastapi import Depends, FastAPI
    from fastapi.responses import JSONResponse

    from bullseye_webhooks.fastapi import BullseyeWebhook

    bullseye = BullseyeWebhook(SECRET, **receiver_options)
    app = FastAPI()
    bullseye.install(app)

    @app.post("/hook")
    def hook(event: bw.Event = Depends(bullseye)) -> JSONResponse:  # sync: run in the thread pool
        status, body = behaviour.sync(event)
        return JSONResponse(body, status_code=status)

    return app


def flask_app(receiver_options: dict[str, Any], behaviour: Behaviour) -> Any:
    from flask import Flask

    from bullseye_webhooks.flask import BullseyeWebhook

    bullseye = BullseyeWebhook(SECRET, **receiver_options)
    app = Flask("dedupe")

    @app.post("/hook")
    @bullseye.verified
    def hook(event):  # type: ignore[no-untyped-def]
        status, body = behaviour.sync(event)
        return body, status

    return app


# Django: the routes of this module, set by each server's fixture.
urlpatterns: list[Any] = []


def django_app(receiver_options: dict[str, Any], behaviour: Behaviour, asynchronous: bool) -> Any:
    from django.http import JsonResponse
    from django.urls import path

    from bullseye_webhooks.django import BullseyeWebhook

    bullseye = BullseyeWebhook(SECRET, **receiver_options)
    if asynchronous:

        @bullseye.verified
        async def hook(request, event):  # type: ignore[no-untyped-def]
            status, body = await behaviour.aio(event)
            return JsonResponse(body, status=status)

    else:

        @bullseye.verified
        def hook(request, event):  # type: ignore[no-untyped-def]
            status, body = behaviour.sync(event)
            return JsonResponse(body, status=status)

    urlpatterns[:] = [path("hook", hook)]
    if asynchronous:
        from django.core.handlers.asgi import ASGIHandler

        return ASGIHandler()
    from django.core.handlers.wsgi import WSGIHandler

    return WSGIHandler()


def starlette_app(receiver_options: dict[str, Any], behaviour: Behaviour) -> Any:
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    from bullseye_webhooks.starlette import BullseyeWebhook

    @BullseyeWebhook(SECRET, **receiver_options).verified
    async def hook(request, event):  # type: ignore[no-untyped-def]
        status, body = await behaviour.aio(event)
        return JSONResponse(body, status_code=status)

    return Starlette(routes=[Route("/hook", hook, methods=["POST"])])


def litestar_app(receiver_options: dict[str, Any], behaviour: Behaviour) -> Any:
    from bullseye_webhooks.litestar import BullseyeWebhook
    from more_apps import litestar_hook_app  # its annotations are read by Litestar: no __future__ there

    return litestar_hook_app(BullseyeWebhook(SECRET, **receiver_options), behaviour.aio)


def aiohttp_app(receiver_options: dict[str, Any], behaviour: Behaviour) -> Any:
    from aiohttp import web

    from bullseye_webhooks.aiohttp import BullseyeWebhook

    @BullseyeWebhook(SECRET, **receiver_options).verified
    async def hook(request, event):  # type: ignore[no-untyped-def]
        status, body = await behaviour.aio(event)
        return web.json_response(body, status=status)

    app = web.Application()
    app.router.add_post("/hook", hook)
    return app


def drf_view(receiver_options: dict[str, Any], behaviour: Behaviour) -> Any:
    from rest_framework.decorators import api_view
    from rest_framework.response import Response

    from bullseye_webhooks.rest_framework import BullseyeWebhook

    @api_view(["POST"])
    @BullseyeWebhook(SECRET, **receiver_options).verified
    def hook(request, event):  # type: ignore[no-untyped-def]
        status, body = behaviour.sync(event)
        return Response(body, status=status)

    return hook


@contextlib.contextmanager
def serve(framework: str, receiver_options: dict[str, Any], behaviour: Behaviour) -> Iterator[int]:
    if framework in ("starlette", "litestar"):
        make = starlette_app if framework == "starlette" else litestar_app
        with asgi_server(make(receiver_options, behaviour)) as port:
            yield port
    elif framework == "aiohttp":
        with aiohttp_server(aiohttp_app(receiver_options, behaviour)) as port:
            yield port
    elif framework == "drf":
        from django.core.handlers.wsgi import WSGIHandler
        from django.test import override_settings
        from django.urls import path

        with override_settings(ROOT_URLCONF=__name__):
            urlpatterns[:] = [path("hook", drf_view(receiver_options, behaviour))]
            with wsgi_server(WSGIHandler(), threaded=True) as port:
                yield port
    elif framework == "fastapi":
        with asgi_server(fastapi_app(receiver_options, behaviour)) as port:
            yield port
    elif framework == "flask":
        with wsgi_server(flask_app(receiver_options, behaviour), threaded=True) as port:
            yield port
    else:
        from django.test import override_settings

        asynchronous = framework == "django-async"
        with override_settings(ROOT_URLCONF=__name__):
            app = django_app(receiver_options, behaviour, asynchronous)
            if asynchronous:
                with asgi_server(app) as port:
                    yield port
            else:
                with wsgi_server(app, threaded=True) as port:
                    yield port


def redis_store_for(framework: str, url: str) -> Any:
    """The Redis store a user of `framework` would pick: asyncio for async views."""
    prefix = f"http:{uuid.uuid4().hex}:"
    if framework in ("fastapi", "django-async", "starlette", "litestar", "aiohttp"):
        return AsyncRedisStore(redis.asyncio.Redis.from_url(url), prefix=prefix, timeout=2)
    return RedisStore.from_url(url, prefix=prefix, timeout=2)


FRAMEWORKS = ["fastapi", "flask", "django", "django-async", "starlette", "litestar", "aiohttp", "drf"]


# ---- the outcomes ---------------------------------------------------------------------


def check_duplicate(port: int, behaviour: Behaviour) -> None:
    body, headers, key = delivery()
    assert post_full(port, "/hook", body, headers)[:2] == (200, {"processed": key})
    assert post_full(port, "/hook", body, headers)[:2] == (200, {"duplicate": True})
    assert post_full(port, "/hook", body, headers)[:2] == (200, {"duplicate": True})
    assert behaviour.calls[key] == 1


def check_in_flight(port: int, behaviour: Behaviour) -> None:
    body, headers, key = delivery("slow")
    with ThreadPoolExecutor(max_workers=1) as pool:
        first = pool.submit(post_full, port, "/hook", body, headers)
        assert behaviour.entered.wait(15), "the slow handler was not called"
        status, answer, answer_headers = post_full(port, "/hook", body, headers)
        assert (status, answer) == (409, {"error": "delivery_in_flight"})
        assert 1 <= int(answer_headers["retry-after"]) <= 60
        behaviour.gate.set()
        assert first.result(timeout=30)[:2] == (200, {"processed": key})
    assert post_full(port, "/hook", body, headers)[:2] == (200, {"duplicate": True})
    assert behaviour.calls[key] == 1


def check_failure_releases(port: int, behaviour: Behaviour, mode: str) -> None:
    body, headers, key = delivery(mode)
    status, _, _ = post_full(port, "/hook", body, headers)
    assert status == 500
    assert behaviour.done[key] == 0
    # The sender's retry is processed, once.
    assert post_full(port, "/hook", body, headers)[:2] == (200, {"processed": key})
    assert post_full(port, "/hook", body, headers)[:2] == (200, {"duplicate": True})
    assert (behaviour.calls[key], behaviour.done[key]) == (2, 1)


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_redis_outcomes_over_http(framework: str, redis_server: Any) -> None:
    behaviour = Behaviour()
    store = redis_store_for(framework, redis_server.url)
    with serve(framework, {"dedupe": store}, behaviour) as port:
        check_duplicate(port, behaviour)
        check_in_flight(port, behaviour)
        check_failure_releases(port, behaviour, "raise-first")
        check_failure_releases(port, behaviour, "500-first")
        # Refused deliveries never reach the store or the handler.
        body, _, _ = delivery()
        assert post_full(port, "/hook", body, {"X-Bullseye-Signature": "0" * 64})[:2] == (401, {"error": "signature_mismatch"})


@pytest.mark.parametrize("framework", FRAMEWORKS)
@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_local_stores_over_http(framework: str, kind: str, tmp_path: Any) -> None:
    behaviour = Behaviour()
    store = MemoryStore() if kind == "memory" else SQLiteStore(tmp_path / "deliveries.db")
    with serve(framework, {"dedupe": store}, behaviour) as port:
        check_duplicate(port, behaviour)
        check_in_flight(port, behaviour)
        check_failure_releases(port, behaviour, "raise-first")


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_store_killed_answers_503_then_recovers(framework: str, own_redis_server: Any, caplog: pytest.LogCaptureFixture) -> None:
    behaviour = Behaviour()
    store = redis_store_for(framework, own_redis_server.url)
    with serve(framework, {"dedupe": store}, behaviour) as port:
        body, headers, key = delivery()
        own_redis_server.stop()
        with caplog.at_level(logging.WARNING, logger="bullseye_webhooks"):
            status, answer, answer_headers = post_full(port, "/hook", body, headers)
        assert (status, answer) == (503, {"error": "store_unavailable"})
        assert answer_headers["retry-after"] == "30"
        assert behaviour.calls[key] == 0  # nothing processed without the store
        assert any("store failed" in r.getMessage() for r in caplog.records)
        own_redis_server.start()
        # The sender's retry, once Redis is back, is processed once.
        assert post_full(port, "/hook", body, headers)[:2] == (200, {"processed": key})
        assert post_full(port, "/hook", body, headers)[:2] == (200, {"duplicate": True})
        assert behaviour.calls[key] == 1


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_on_store_error_process(framework: str, own_redis_server: Any, caplog: pytest.LogCaptureFixture) -> None:
    behaviour = Behaviour()
    store = redis_store_for(framework, own_redis_server.url)
    options = {"dedupe": store, "on_store_error": "process", "store_retry_after": 7}
    with serve(framework, options, behaviour) as port:
        own_redis_server.stop()
        body, headers, key = delivery()
        with caplog.at_level(logging.WARNING, logger="bullseye_webhooks"):
            assert post_full(port, "/hook", body, headers)[:2] == (200, {"processed": key})
        assert behaviour.calls[key] == 1
        warnings = [r.getMessage() for r in caplog.records if r.name == "bullseye_webhooks"]
        assert any("without de-duplication" in m and key in m for m in warnings), warnings


def test_store_retry_after_is_configurable(own_redis_server: Any) -> None:
    behaviour = Behaviour()
    store = redis_store_for("flask", own_redis_server.url)
    with serve("flask", {"dedupe": store, "store_retry_after": 7}, behaviour) as port:
        own_redis_server.stop()
        body, headers, _ = delivery()
        status, _, answer_headers = post_full(port, "/hook", body, headers)
        assert (status, answer_headers["retry-after"]) == (503, "7")


def test_fastapi_dedupe_needs_install() -> None:
    from fastapi import Depends, FastAPI
    from fastapi.testclient import TestClient

    from bullseye_webhooks.fastapi import BullseyeWebhook

    bullseye = BullseyeWebhook(SECRET, dedupe=MemoryStore())
    app = FastAPI()

    @app.post("/hook")
    def hook(event: bw.Event = Depends(bullseye)) -> dict[str, str]:
        return {}

    body, headers, _ = delivery()
    with pytest.raises(RuntimeError, match="install"):
        TestClient(app).post("/hook", content=body, headers=headers)


def test_a_sync_view_cannot_take_an_async_store(redis_server: Any) -> None:
    from bullseye_webhooks.django import BullseyeWebhook as DjangoWebhook
    from bullseye_webhooks.flask import BullseyeWebhook as FlaskWebhook

    store = AsyncRedisStore(redis.asyncio.Redis.from_url(redis_server.url))
    with pytest.raises(TypeError, match="async def"):
        DjangoWebhook(SECRET, dedupe=store).verified(lambda *a: None)

    async def async_view(event: Any) -> dict[str, str]:
        return {}

    for view in (lambda *a: None, async_view):
        with pytest.raises(TypeError, match="sync store"):
            FlaskWebhook(SECRET, dedupe=store).verified(view)


def test_options_are_checked() -> None:
    from bullseye_webhooks.flask import BullseyeWebhook

    with pytest.raises(ValueError, match="on_store_error"):
        BullseyeWebhook(SECRET, dedupe=MemoryStore(), on_store_error="ignore")
    with pytest.raises(TypeError, match="store"):
        BullseyeWebhook(SECRET, dedupe=object())
    with pytest.raises(ValueError, match="lease"):
        BullseyeWebhook(SECRET, dedupe=MemoryStore(), lease=0)
    # The core's defaults: a 60 s lease, 24 h retention, Retry-After 30 s for a failed store.
    defaults = BullseyeWebhook(SECRET, dedupe=MemoryStore())
    assert (defaults.lease, defaults.retention, defaults.store_retry_after) == (60, 86400, 30)
    assert defaults.on_store_error == "retry"


class Flaky(MemoryStore):
    """A memory store whose complete and release fail `failures` times each
    (a Redis restart between the handler and its complete)."""

    def __init__(self, failures: int) -> None:
        super().__init__()
        self.failures = failures
        self.tries: Counter[str] = Counter()

    def _fail(self, what: str) -> None:
        self.tries[what] += 1
        if self.tries[what] <= self.failures:
            raise bw.StoreUnavailable(f"store_unavailable: test ({what})")

    def complete(self, key: str, token: str, body_hash: str, retention: Any = 86400) -> str:
        self._fail("complete")
        return super().complete(key, token, body_hash, retention)

    def release(self, key: str, token: str) -> bool:
        self._fail("release")
        return super().release(key, token)


class AsyncFlaky:
    """Flaky, with coroutine calls (an async store)."""

    def __init__(self, failures: int) -> None:
        self.inner = Flaky(failures)

    async def claim(self, key: str, body_hash: str, lease: float) -> Any:
        return self.inner.claim(key, body_hash, lease)

    async def complete(self, key: str, token: str, body_hash: str, retention: float) -> str:
        return self.inner.complete(key, token, body_hash, retention)

    async def release(self, key: str, token: str) -> bool:
        return self.inner.release(key, token)


def wait_for(condition: Callable[[], bool], seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


# (Flask runs each async view on an event loop of its own: no asyncio store there.)
@pytest.mark.parametrize(
    ("framework", "asynchronous"),
    [("flask", False), ("django", False), ("fastapi", False), ("fastapi", True), ("django-async", False), ("django-async", True),
     ("starlette", True), ("litestar", True), ("aiohttp", True), ("drf", False)],
)
def test_a_failed_complete_is_retried_in_the_background(
    framework: str, asynchronous: bool, caplog: pytest.LogCaptureFixture
) -> None:
    """The handler succeeded: its 2xx stands; the complete that failed is
    retried until it lands, so a later copy is still a duplicate."""
    store: Any = AsyncFlaky(2) if asynchronous else Flaky(2)
    flaky = store.inner if asynchronous else store
    behaviour = Behaviour()
    with caplog.at_level(logging.WARNING, logger="bullseye_webhooks"):
        with serve(framework, {"dedupe": store}, behaviour) as port:
            body, headers, key = delivery()
            assert post_full(port, "/hook", body, headers)[:2] == (200, {"processed": key})
            assert wait_for(lambda: flaky.tries["complete"] == 3)
            assert post_full(port, "/hook", body, headers)[:2] == (200, {"duplicate": True})
            # A failed release is retried too: the retry of a failed delivery is handled.
            body, headers, key = delivery("500-first")
            assert post_full(port, "/hook", body, headers)[0] == 500
            assert wait_for(lambda: flaky.tries["release"] == 3)
            assert post_full(port, "/hook", body, headers)[:2] == (200, {"processed": key})
    messages = [r.getMessage() for r in caplog.records if r.name == "bullseye_webhooks"]
    assert any("complete of delivery" in m and "retrying it in the background" in m for m in messages), messages
    assert any("complete of delivery" in m and "succeeded on try 3" in m for m in messages), messages


def test_a_complete_that_never_lands_is_logged_after_the_lease(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    import bullseye_webhooks._http as http_module

    monkeypatch.setattr(http_module, "SETTLE_GRACE", 0.0)  # give up at the end of the lease
    behaviour = Behaviour()
    with caplog.at_level(logging.WARNING, logger="bullseye_webhooks"):
        with serve("flask", {"dedupe": Flaky(10**6), "lease": 0.3}, behaviour) as port:
            body, headers, key = delivery()
            assert post_full(port, "/hook", body, headers)[:2] == (200, {"processed": key})
            assert wait_for(lambda: any("times" in r.getMessage() for r in caplog.records))
    final = [r.getMessage() for r in caplog.records if "times" in r.getMessage()]
    assert "a copy arriving after its lease may be handled again" in final[0]
