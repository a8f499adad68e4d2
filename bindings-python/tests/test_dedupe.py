"""The stores of the claim protocol, each real: the core's MemoryStore,
SQLite (and across processes), Redis and asyncio Redis on a real
redis-server. Also the delivery key as Python sees it."""

from __future__ import annotations

import asyncio
import hashlib
import multiprocessing
import pathlib
import sqlite3
import threading
import time
import uuid
from collections import Counter
from typing import Any, Callable

import pytest
import redis
import redis.asyncio

import bullseye_webhooks as bw
from bullseye_webhooks.dedupe import AsyncRedisStore, Claim, MemoryStore, RedisStore, SQLiteStore, StoreUnavailable

#: A body hash: the hex SHA-256 of `{}` (hashlib).
H = "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"


class SyncOf:
    """An AsyncRedisStore driven from sync test code, on one event loop."""

    def __init__(self, url: str) -> None:
        self.loop = asyncio.new_event_loop()
        self.client = redis.asyncio.Redis.from_url(url)
        self.store = AsyncRedisStore(self.client, timeout=2)

    def claim(self, key: str, body_hash: str, lease: float = 60) -> Claim:
        return self.loop.run_until_complete(self.store.claim(key, body_hash, lease))

    def complete(self, key: str, token: str, body_hash: str, retention: float = 86400) -> str:
        return self.loop.run_until_complete(self.store.complete(key, token, body_hash, retention))

    def release(self, key: str, token: str) -> bool:
        return self.loop.run_until_complete(self.store.release(key, token))

    def close(self) -> None:
        self.loop.run_until_complete(self.client.aclose())
        self.loop.close()


@pytest.fixture(params=["memory", "sqlite", "redis", "async-redis"])
def store(request: pytest.FixtureRequest, tmp_path: pathlib.Path) -> Any:
    if request.param == "memory":
        yield MemoryStore()
    elif request.param == "sqlite":
        yield SQLiteStore(tmp_path / "deliveries.db")
    elif request.param == "redis":
        server = request.getfixturevalue("redis_server")
        yield RedisStore.from_url(server.url, prefix=f"test:{uuid.uuid4().hex}:")
    else:
        server = request.getfixturevalue("redis_server")
        wrapped = SyncOf(server.url)
        yield wrapped
        wrapped.close()


def test_new_then_in_flight_then_done_is_duplicate(store: Any) -> None:
    first = store.claim("k1", H, 60)
    assert first.outcome == "new" and first.token is not None and len(first.token) == 32
    int(first.token, 16)  # hex
    second = store.claim("k1", H, 60)
    assert second.outcome == "in_flight" and second.token is None
    assert 59 <= second.retry_after <= 60
    assert store.complete("k1", first.token, H, 3600) == "done"
    assert store.claim("k1", H, 60) == Claim("duplicate")
    # Another key is unaffected.
    assert store.claim("k2", H, 60).outcome == "new"


def test_tokens_differ(store: Any) -> None:
    tokens = {store.claim(f"t{i}", H, 60).token for i in range(50)}
    assert len(tokens) == 50


def test_release_frees_only_with_the_right_token(store: Any) -> None:
    held = store.claim("r1", H, 60)
    assert store.release("r1", "0" * 32) is False  # another worker's token: untouched
    assert store.claim("r1", H, 60).outcome == "in_flight"
    assert store.release("r1", held.token) is True
    again = store.claim("r1", H, 60)
    assert again.outcome == "new" and again.token != held.token


def test_a_lease_expires_and_the_old_holder_cannot_touch_the_new_claim(store: Any) -> None:
    crashed = store.claim("l1", H, 0.2)
    in_flight = store.claim("l1", H, 0.2)
    assert in_flight.outcome == "in_flight" and in_flight.retry_after == 1  # at least 1 s
    time.sleep(0.4)
    taken = store.claim("l1", H, 60)
    assert taken.outcome == "new"
    # The first worker comes back late: it neither releases nor completes the new claim.
    assert store.release("l1", crashed.token) is False
    assert store.complete("l1", crashed.token, H, 3600) == "not_held"
    assert store.claim("l1", H, 60).outcome == "in_flight"
    assert store.complete("l1", taken.token, H, 3600) == "done"
    assert store.claim("l1", H, 60).outcome == "duplicate"


def test_complete_after_an_expired_lease_nobody_retook_marks_done(store: Any) -> None:
    late = store.claim("c1", H, 0.2)
    time.sleep(0.4)
    assert store.complete("c1", late.token, H, 3600) == "lease_expired"
    assert store.claim("c1", H, 60).outcome == "duplicate"


def test_retention_expires(store: Any) -> None:
    claim = store.claim("d1", H, 60)
    store.complete("d1", claim.token, H, 0.2)
    assert store.claim("d1", H, 60).outcome == "duplicate"
    time.sleep(0.4)
    assert store.claim("d1", H, 60).outcome == "new"


def test_timedelta_lease() -> None:
    from datetime import timedelta

    store = MemoryStore()
    store.claim("x", H, timedelta(seconds=90))
    assert store.claim("x", H, 60).retry_after in (89, 90)
    with pytest.raises(ValueError):
        store.claim("y", H, 0)


def test_memory_store_is_bounded() -> None:
    store = MemoryStore(capacity=100)
    for i in range(100):
        store.complete(f"done{i}", store.claim(f"done{i}", H, 60).token or "", H, 3600)
    # Full of done keys: the oldest make room.
    for i in range(50):
        assert store.claim(f"new{i}", H, 60).outcome == "new"
        assert len(store) <= 100
    assert store.claim("done0", H, 60).outcome == "new"  # forgotten: the oldest done keys went first
    assert store.claim("done99", H, 60).outcome == "duplicate"  # the newest are kept
    for i in range(50, 200):
        try:
            store.claim(f"new{i}", H, 60)
        except StoreUnavailable:
            break
        assert len(store) <= 100
    # Full of claims in flight: it cannot take another, and says so.
    with pytest.raises(StoreUnavailable) as caught:
        store.claim("one-more", H, 60)
    assert len(store) == 100
    assert caught.value.code == "store_unavailable"


# ---- failures -------------------------------------------------------------------------


def test_redis_down_is_store_unavailable() -> None:
    from conftest import free_port

    store = RedisStore.from_url(f"redis://127.0.0.1:{free_port()}/0", timeout=0.5)
    started = time.monotonic()
    with pytest.raises(StoreUnavailable, match="store_unavailable: Redis"):
        store.claim("k", H, 60)
    with pytest.raises(StoreUnavailable):
        store.complete("k", "0" * 32, H, 60)
    with pytest.raises(StoreUnavailable):
        store.release("k", "0" * 32)
    assert time.monotonic() - started < 20


def test_async_redis_down_is_store_unavailable() -> None:
    from conftest import free_port

    async def attempt() -> None:
        store = AsyncRedisStore.from_url(f"redis://127.0.0.1:{free_port()}/0", timeout=0.5)
        with pytest.raises(StoreUnavailable, match="store_unavailable: Redis"):
            await store.claim("k", H, 60)
        await store.client.aclose()

    asyncio.run(attempt())


def test_async_redis_times_out(tmp_path: pathlib.Path) -> None:
    """A server that accepts and never answers: the store's own timeout."""
    import socket

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    port = listener.getsockname()[1]

    async def attempt() -> float:
        client = redis.asyncio.Redis(host="127.0.0.1", port=port)  # no timeouts of its own
        store = AsyncRedisStore(client, timeout=0.3)
        started = time.monotonic()
        with pytest.raises(StoreUnavailable):
            await store.claim("k", H, 60)
        return time.monotonic() - started

    try:
        elapsed = asyncio.run(attempt())
    finally:
        listener.close()
    assert elapsed < 10


def test_redis_store_needs_a_client_with_timeouts(redis_server: Any) -> None:
    with pytest.raises(ValueError, match="socket_timeout"):
        RedisStore(redis.Redis.from_url(redis_server.url))
    RedisStore(redis.Redis.from_url(redis_server.url, socket_timeout=1, socket_connect_timeout=1))


def test_redis_store_uses_the_core_scripts_and_layout(redis_server: Any) -> None:
    """The documented layout: `{prefix}{key}` holds `w:{token}` with the
    lease, then `done` with the retention (what other languages' stores read)."""
    client = redis.Redis.from_url(redis_server.url, socket_timeout=1, decode_responses=True)
    store = RedisStore(client)
    key = f"bullseye:org:visitor.identified:{uuid.uuid4().hex}"
    claim = store.claim(key, H, 60)
    assert client.get("bullseye-webhooks:delivery:" + key) == f"w:{claim.token}:{H}"
    assert 59_000 <= client.pttl("bullseye-webhooks:delivery:" + key) <= 60_000
    store.complete(key, claim.token or "", H, 3600)
    assert client.get("bullseye-webhooks:delivery:" + key) == f"done:{H}"
    assert 3_599_000 <= client.pttl("bullseye-webhooks:delivery:" + key) <= 3_600_000


def test_redis_scripts_survive_a_flush_of_the_script_cache(redis_server: Any) -> None:
    """After a Redis restart the scripts are gone from its cache: the store loads them again."""
    client = redis.Redis.from_url(redis_server.url, socket_timeout=1)
    store = RedisStore(client, prefix=f"flush:{uuid.uuid4().hex}:")
    assert store.claim("a", H, 60).outcome == "new"
    client.script_flush()
    assert store.claim("a", H, 60).outcome == "in_flight"


def test_sqlite_locked_past_its_timeout_is_store_unavailable(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "locked.db"
    store = SQLiteStore(path, timeout=0.2)
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        started = time.monotonic()
        with pytest.raises(StoreUnavailable, match="SQLite"):
            store.claim("k", H, 60)
        assert 0.15 < time.monotonic() - started < 5
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert store.claim("k", H, 60).outcome == "new"


def test_sqlite_unusable_path_is_store_unavailable(tmp_path: pathlib.Path) -> None:
    with pytest.raises(StoreUnavailable):
        SQLiteStore(tmp_path / "no such dir" / "x.db")


def test_sqlite_is_in_wal_mode(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "wal.db"
    SQLiteStore(path).claim("k", H, 60)
    mode = sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"


def test_store_unavailable_pickles() -> None:
    import pickle

    error = pickle.loads(pickle.dumps(StoreUnavailable("store_unavailable: x")))
    assert isinstance(error, StoreUnavailable) and str(error) == "store_unavailable: x"


# ---- many threads, many processes -------------------------------------------------------


@pytest.mark.parametrize("kind", ["memory", "sqlite", "redis"])
def test_threads_racing_for_the_same_keys_get_one_new_each(kind: str, tmp_path: pathlib.Path, request: pytest.FixtureRequest) -> None:
    if kind == "memory":
        store: Any = MemoryStore()
    elif kind == "sqlite":
        store = SQLiteStore(tmp_path / "threads.db")
    else:
        store = RedisStore.from_url(request.getfixturevalue("redis_server").url, prefix=f"threads:{uuid.uuid4().hex}:")
    keys = [f"key{i}" for i in range(100)]
    outcomes: Counter[tuple[str, str]] = Counter()
    lock = threading.Lock()
    barrier = threading.Barrier(8)

    def worker() -> None:
        barrier.wait()
        for key in keys:
            outcome = store.claim(key, H, 60).outcome
            with lock:
                outcomes[(key, outcome)] += 1

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for key in keys:
        assert outcomes[(key, "new")] == 1, key
        assert outcomes[(key, "in_flight")] == 7, key


def _sqlite_worker(path: str, keys: list[str], start: Any, results: Any) -> None:
    store = SQLiteStore(path)
    start.wait()
    mine = []
    for key in keys:
        claim = store.claim(key, H, 60)
        if claim.outcome == "new" and key.endswith("0"):
            store.complete(key, claim.token or "", H, 3600)  # a tenth done while others still claim
        mine.append((key, claim.outcome))
    results.put(mine)


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_sqlite_across_processes_exactly_one_new_per_key(tmp_path: pathlib.Path, method: str) -> None:
    """Several worker processes claim the same keys in the same file at once:
    each key is new in exactly one of them."""
    context = multiprocessing.get_context(method)
    path = str(tmp_path / "shared.db")
    SQLiteStore(path).claim("warm-up", H, 60)  # the file exists, in WAL mode, and this process holds a connection
    keys = [f"delivery-{i}" for i in range(300)]
    start = context.Event()
    results = context.Queue()
    processes = [context.Process(target=_sqlite_worker, args=(path, keys, start, results)) for _ in range(4)]
    for p in processes:
        p.start()
    start.set()
    collected = [results.get(timeout=120) for _ in processes]
    for p in processes:
        p.join(timeout=60)
        assert p.exitcode == 0
    outcomes: Counter[tuple[str, str]] = Counter(item for worker in collected for item in worker)
    for key in keys:
        assert outcomes[(key, "new")] == 1, (key, outcomes)
        assert outcomes[(key, "new")] + outcomes[(key, "in_flight")] + outcomes[(key, "duplicate")] == 4
    assert sum(n for (k, o), n in outcomes.items() if o == "new") == 300


# ---- the delivery key -----------------------------------------------------------------

SECRET = "whsec_dedupe_test"


def construct(body: bytes) -> Any:
    return bw.Webhook(SECRET).construct_event(body, bw.sign(SECRET, body))


def test_delivery_key_of_an_identification() -> None:
    body = b'{"event":"visitor.identified","organization_id":"org_1","session_id":"s_1"}'
    assert construct(body).delivery_key == "bullseye:org_1:visitor.identified:s_1"


def test_delivery_key_escapes_its_components() -> None:
    # A ':' inside a component cannot forge another key: it is written %3A.
    body = b'{"event_type":"visitor.identified","organization_id":"a:b","session_id":"c d/e"}'
    assert construct(body).delivery_key == "bullseye:a%3Ab:visitor.identified:c%20d%2Fe"


def test_delivery_key_of_a_generic_event_with_a_session() -> None:
    body = b'{"event":"billing.updated","organization_id":"org_1","session_id":"s_1"}'
    assert construct(body).delivery_key == "bullseye:org_1:billing.updated:s_1"


def test_delivery_key_without_a_session_is_the_body_hash() -> None:
    body = b'{"event":"webhook.test","id":7}'
    assert construct(body).delivery_key == "sha256:" + hashlib.sha256(body).hexdigest()
    empty_session = b'{"event":"visitor.identified","session_id":""}'
    assert construct(empty_session).delivery_key == "sha256:" + hashlib.sha256(empty_session).hexdigest()


def test_delivery_key_of_visits() -> None:
    assert bw.parse_visit(b'{"event":"NEW_VISIT","id":"v1"}').delivery_key == "visit:v1"
    no_id = b'{"event":"NEW_VISIT"}'
    assert bw.parse_visit(no_id).delivery_key == "sha256:" + hashlib.sha256(no_id).hexdigest()


def test_delivery_key_holds_no_secret() -> None:
    body = b'{"event":"x"}'
    key = construct(body).delivery_key
    assert SECRET not in key and bw.sign(SECRET, body) not in key
