"""The same delivery key with a different body (`delivery_conflict`), in
every store (memory, SQLite, Redis, asyncio Redis on a real redis-server)
and on every path: the new claim keeps the body's hash, a copy with another
body finds it in flight or done. Also over real HTTP with each framework,
records written before the hash was kept, and a claim sent while Redis is
paused (SIGSTOP), released by its token once it lands."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import signal
import sqlite3
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import redis

import bullseye_webhooks as bw
from bullseye_webhooks.dedupe import AsyncRedisStore, MemoryStore, RedisStore, SQLiteStore, StoreUnavailable
from bullseye_webhooks._http import Receiver
from frameworks import post_full
from test_dedupe import SyncOf
from test_dedupe_http import FRAMEWORKS, SECRET, Behaviour, redis_store_for, serve

A = hashlib.sha256(b"body a").hexdigest()
B = hashlib.sha256(b"body b").hexdigest()


@pytest.fixture(params=["memory", "sqlite", "redis", "async-redis"])
def store(request: pytest.FixtureRequest, tmp_path: Any) -> Any:
    if request.param == "memory":
        yield MemoryStore()
    elif request.param == "sqlite":
        yield SQLiteStore(tmp_path / "deliveries.db")
    elif request.param == "redis":
        yield RedisStore.from_url(request.getfixturevalue("redis_server").url, prefix=f"c:{uuid.uuid4().hex}:")
    else:
        wrapped = SyncOf(request.getfixturevalue("redis_server").url)
        wrapped.store.prefix = f"c:{uuid.uuid4().hex}:"
        yield wrapped
        wrapped.close()


def test_conflict_on_every_path(store: Any) -> None:
    # New: the claim keeps A; the same body again is in flight.
    new = store.claim("k", A, 60)
    assert new.outcome == "new"
    assert store.claim("k", A, 60).outcome == "in_flight"
    # In flight, another body.
    in_flight = store.claim("k", B, 60)
    assert (in_flight.outcome, in_flight.stored_hash, in_flight.found) == ("conflict", A, "in_flight")
    assert in_flight.token is None
    # Done, another body; the same body is a duplicate; an unknown hash too.
    assert store.complete("k", new.token, A, 3600) == "done"
    done = store.claim("k", B, 60)
    assert (done.outcome, done.stored_hash, done.found) == ("conflict", A, "done")
    assert store.claim("k", A, 60).outcome == "duplicate"
    assert store.claim("k", "", 60).outcome == "duplicate"
    # A key completed after its lease ran out keeps the hash of its complete.
    late = store.claim("late", B, 0.2)
    time.sleep(0.4)
    assert store.complete("late", late.token, B, 3600) == "lease_expired"
    assert store.claim("late", A, 60).stored_hash == B


def test_sqlite_rows_without_a_hash_read_as_the_same_body(tmp_path: Any) -> None:
    path = tmp_path / "old.db"
    db = sqlite3.connect(path)
    # The table as the version before the hash made it, with its rows.
    db.execute(
        "CREATE TABLE bullseye_webhooks_deliveries "
        "(key TEXT PRIMARY KEY, value TEXT NOT NULL, expires_at REAL NOT NULL) WITHOUT ROWID"
    )
    db.execute("INSERT INTO bullseye_webhooks_deliveries VALUES ('done', 'done', ?)", (time.time() + 60,))
    db.execute("INSERT INTO bullseye_webhooks_deliveries VALUES ('held', ?, ?)", ("w:" + "ab" * 16, time.time() + 60))
    db.commit()
    db.close()
    store = SQLiteStore(path)
    assert store.claim("done", B, 60).outcome == "duplicate"
    assert store.claim("held", B, 60).outcome == "in_flight"
    assert store.complete("held", "ab" * 16, A, 3600) == "done"
    assert store.claim("held", B, 60).outcome == "conflict"


def test_redis_records_without_a_hash_read_as_the_same_body(redis_server: Any) -> None:
    client = redis.Redis.from_url(redis_server.url, socket_timeout=1, decode_responses=True)
    prefix = f"old:{uuid.uuid4().hex}:"
    store = RedisStore(client, prefix=prefix)
    client.set(prefix + "done", "done", px=60_000)
    client.set(prefix + "held", "w:" + "ab" * 16, px=60_000)
    assert store.claim("done", B, 60).outcome == "duplicate"
    assert store.claim("held", B, 60).outcome == "in_flight"
    assert store.release("held", "ab" * 16) is True


def signed(session: str, mode: str, n: int) -> tuple[bytes, dict[str, str]]:
    body = json.dumps({"event": "test.dedupe", "organization_id": "org_t", "session_id": session, "mode": mode, "n": n}).encode()
    return body, {"X-Bullseye-Signature": bw.sign(SECRET, body), "Content-Type": "application/json"}


def store_of(kind: str, framework: str, tmp_path: Any, request: pytest.FixtureRequest) -> Any:
    if kind == "memory":
        return MemoryStore()
    if kind == "sqlite":
        return SQLiteStore(tmp_path / "deliveries.db")
    return redis_store_for(framework, request.getfixturevalue("redis_server").url)


@pytest.mark.parametrize("framework", FRAMEWORKS)
@pytest.mark.parametrize("kind", ["memory", "sqlite", "redis"])
def test_conflict_over_http_is_refused_and_logged_with_both_hashes(
    framework: str, kind: str, tmp_path: Any, request: pytest.FixtureRequest, caplog: pytest.LogCaptureFixture
) -> None:
    behaviour = Behaviour()
    caplog.set_level(logging.WARNING, logger="bullseye_webhooks")
    with serve(framework, {"dedupe": store_of(kind, framework, tmp_path, request)}, behaviour) as port:
        session = uuid.uuid4().hex
        key = f"bullseye:org_t:test.dedupe:{session}"
        first, first_headers = signed(session, "ok", 1)
        other, other_headers = signed(session, "ok", 2)
        assert post_full(port, "/hook", first, first_headers)[:2] == (200, {"processed": key})
        # Done with another body.
        status, answer, headers = post_full(port, "/hook", other, other_headers)
        assert (status, answer) == (409, {"error": "delivery_conflict"})
        assert "retry-after" not in {name.lower() for name in headers}
        assert post_full(port, "/hook", first, first_headers)[:2] == (200, {"duplicate": True})
        # In flight with another body.
        session = uuid.uuid4().hex
        slow, slow_headers = signed(session, "slow", 1)
        other, other_headers = signed(session, "ok", 2)
        with ThreadPoolExecutor(max_workers=1) as pool:
            held = pool.submit(post_full, port, "/hook", slow, slow_headers)
            assert behaviour.entered.wait(15), "the slow handler was not called"
            assert post_full(port, "/hook", other, other_headers)[:2] == (409, {"error": "delivery_conflict"})
            behaviour.gate.set()
            assert held.result(timeout=30)[0] == 200
    assert behaviour.calls[key] == 1
    logged = [r for r in caplog.records if hasattr(r, "conflict")]
    assert [r.conflict["found"] for r in logged] == ["done", "in_flight"]
    first_hash, other_hash = hashlib.sha256(first).hexdigest(), hashlib.sha256(signed(key.rsplit(":", 1)[1], "ok", 2)[0]).hexdigest()
    assert (logged[0].conflict["stored_hash"], logged[0].conflict["body_hash"]) == (first_hash, other_hash)
    assert logged[0].levelno == logging.WARNING
    assert all(b'"n"' not in r.getMessage().encode() and "session_id" not in r.getMessage() for r in logged)


@pytest.mark.parametrize("framework", ["fastapi", "flask"])
@pytest.mark.parametrize("kind", ["memory", "sqlite", "redis"])
def test_on_conflict_process_handles_each_body_once(
    framework: str, kind: str, tmp_path: Any, request: pytest.FixtureRequest
) -> None:
    behaviour = Behaviour()
    options = {"dedupe": store_of(kind, framework, tmp_path, request), "on_conflict": "process"}
    with serve(framework, options, behaviour) as port:
        session = uuid.uuid4().hex
        key = f"bullseye:org_t:test.dedupe:{session}"
        first, first_headers = signed(session, "ok", 1)
        other, other_headers = signed(session, "ok", 2)
        assert post_full(port, "/hook", first, first_headers)[:2] == (200, {"processed": key})
        assert post_full(port, "/hook", other, other_headers)[:2] == (200, {"processed": key})
        assert post_full(port, "/hook", other, other_headers)[:2] == (200, {"duplicate": True})
        assert post_full(port, "/hook", first, first_headers)[:2] == (200, {"duplicate": True})
    assert behaviour.calls[key] == 2


def test_on_conflict_is_checked() -> None:
    with pytest.raises(ValueError, match="on_conflict"):
        Receiver(SECRET, on_conflict="ignore")


# ---- a claim sent while Redis is paused ---------------------------------------------


def claim_until_not_in_flight(claim: Any) -> Any:
    """Claim until the answer is not "in flight" or 20 s pass: far less than
    the hour-long lease the paused claim took."""
    deadline = time.monotonic() + 20
    while True:
        try:
            outcome = claim()
        except StoreUnavailable:
            outcome = None
        if (outcome is not None and outcome.outcome != "in_flight") or time.monotonic() > deadline:
            return outcome
        time.sleep(0.1)


@pytest.mark.parametrize("kind", ["redis", "async-redis"])
def test_a_claim_sent_while_redis_is_paused_is_released_once_it_lands(kind: str, own_redis_server: Any) -> None:
    if kind == "redis":
        store: Any = RedisStore.from_url(own_redis_server.url, timeout=0.3)
    else:
        store = SyncOf(own_redis_server.url)
        store.store.timeout = 0.3
    assert store.claim("warm", A, 60).outcome == "new"  # the scripts are loaded: the paused claim is one EVALSHA
    pid = own_redis_server.process.pid
    os.kill(pid, signal.SIGSTOP)
    try:
        with pytest.raises(StoreUnavailable):
            store.claim("k", A, 3600)
        if kind == "async-redis":
            store.loop.run_until_complete(__import__("asyncio").sleep(2))  # the loop runs the release task
        else:
            time.sleep(2)
    finally:
        os.kill(pid, signal.SIGCONT)
    # Redis ran the paused claim when it resumed (an hour's lease); the
    # background release freed it, so the next copy is processed.
    if kind == "async-redis":
        outcome = claim_until_not_in_flight(
            lambda: store.loop.run_until_complete(_claim_after_a_pause(store.store))
        )
        store.close()
    else:
        outcome = claim_until_not_in_flight(lambda: store.claim("k", A, 3600))
    assert outcome is not None and outcome.outcome == "new"


async def _claim_after_a_pause(store: AsyncRedisStore) -> Any:
    import asyncio

    await asyncio.sleep(0.1)  # the release task runs meanwhile
    return await store.claim("k", A, 3600)
