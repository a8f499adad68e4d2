"""The cache of recently completed keys in front of a store (`CachedStore`,
`AsyncCachedStore`), and waiting for a copy in flight
(`wait_for_in_flight`), over real HTTP and a real redis-server."""

from __future__ import annotations

import asyncio
import hashlib
import json
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import redis
import redis.asyncio

import bullseye_webhooks as bw
from bullseye_webhooks.dedupe import AsyncCachedStore, AsyncRedisStore, CachedStore, MemoryStore, RedisStore
from frameworks import post_full
from test_dedupe_http import SECRET, Behaviour, serve

A = hashlib.sha256(b"body a").hexdigest()
B = hashlib.sha256(b"body b").hexdigest()


class Counting(MemoryStore):
    """A memory store that counts the claims that reach it."""

    def __init__(self) -> None:
        super().__init__()
        self.claims = 0
        self.lock = threading.Lock()

    def claim(self, key: str, body_hash: str, lease: Any = 60) -> Any:
        with self.lock:
            self.claims += 1
        return super().claim(key, body_hash, lease)


def test_cached_store_answers_completed_keys_without_the_store() -> None:
    inner = Counting()
    store = CachedStore(inner, capacity=100)
    claim = store.claim("k", A, 60)
    assert claim.outcome == "new" and claim.token is not None
    assert store.claim("k", A, 60).outcome == "in_flight"  # not done yet: the store answers
    assert store.complete("k", claim.token, A, 3600) == "done"
    duplicate = store.claim("k", A, 60)  # one shared answer: it must carry nothing of any claim
    assert (duplicate.outcome, duplicate.token, duplicate.retry_after, duplicate.stored_hash, duplicate.found) == (
        "duplicate", None, None, None, None)
    conflict = store.claim("k", B, 60)  # the fast path checks the body too
    assert (conflict.outcome, conflict.stored_hash, conflict.found) == ("conflict", A, "done")
    assert inner.claims == 2


def test_cached_redis_store_needs_no_round_trip_for_a_completed_key(redis_server: Any) -> None:
    client = redis.Redis.from_url(redis_server.url, socket_timeout=1)
    prefix = f"cache:{uuid.uuid4().hex}:"
    store = CachedStore(RedisStore(client, prefix=prefix))
    claim = store.claim("k", A, 60)
    store.complete("k", claim.token or "", A, 3600)
    client.delete(prefix + "k")  # gone from Redis: only the cache knows it
    assert store.claim("k", A, 60).outcome == "duplicate"
    assert store.claim("k", B, 60).outcome == "conflict"


def test_async_cached_store(redis_server: Any) -> None:
    async def run() -> list[str]:
        client = redis.asyncio.Redis.from_url(redis_server.url)
        prefix = f"acache:{uuid.uuid4().hex}:"
        store = AsyncCachedStore(AsyncRedisStore(client, prefix=prefix))
        claim = await store.claim("k", A, 60)
        await store.complete("k", claim.token or "", A, 3600)
        await client.delete(prefix + "k")
        seen = [(await store.claim("k", A, 60)).outcome, (await store.claim("k", B, 60)).outcome]
        await client.aclose()
        return seen

    assert asyncio.run(run()) == ["duplicate", "conflict"]


def signed(session: str, mode: str) -> tuple[bytes, dict[str, str]]:
    body = json.dumps({"event": "test.dedupe", "organization_id": "org_t", "session_id": session, "mode": mode}).encode()
    return body, {"X-Bullseye-Signature": bw.sign(SECRET, body), "Content-Type": "application/json"}


@pytest.mark.parametrize("framework", ["fastapi", "flask"])
def test_wait_for_in_flight_answers_duplicate_once_the_first_is_done(framework: str) -> None:
    behaviour = Behaviour()
    store = Counting()
    with serve(framework, {"dedupe": store, "wait_for_in_flight": 20}, behaviour) as port:
        session = uuid.uuid4().hex
        slow, headers = signed(session, "slow")
        with ThreadPoolExecutor(max_workers=2) as pool:
            first = pool.submit(post_full, port, "/hook", slow, headers)
            assert behaviour.entered.wait(15), "the slow handler was not called"
            second = pool.submit(post_full, port, "/hook", slow, headers)
            # The copy found it in flight (its claim is the second) before it ends.
            while store.claims < 2:
                threading.Event().wait(0.01)
            behaviour.gate.set()
            assert first.result(timeout=30)[0] == 200
            assert second.result(timeout=30)[:2] == (200, {"duplicate": True})
    assert behaviour.calls[f"bullseye:org_t:test.dedupe:{session}"] == 1


@pytest.mark.parametrize("framework", ["fastapi", "flask"])
def test_wait_for_in_flight_takes_the_claim_when_the_lease_ends(framework: str) -> None:
    behaviour = Behaviour()
    store = MemoryStore()
    session = uuid.uuid4().hex
    body, headers = signed(session, "ok")
    key = f"bullseye:org_t:test.dedupe:{session}"
    # A worker that died holding it, with a short lease.
    assert store.claim(key, hashlib.sha256(body).hexdigest(), 0.3).outcome == "new"
    with serve(framework, {"dedupe": store, "wait_for_in_flight": 20}, behaviour) as port:
        assert post_full(port, "/hook", body, headers)[:2] == (200, {"processed": key})
    with serve(framework, {"dedupe": store, "wait_for_in_flight": 0.2}, behaviour) as port:
        other, other_headers = signed(uuid.uuid4().hex, "ok")
        other_key = "bullseye:org_t:test.dedupe:" + json.loads(other)["session_id"]
        store.claim(other_key, hashlib.sha256(other).hexdigest(), 60)
        assert post_full(port, "/hook", other, other_headers)[:2] == (409, {"error": "delivery_in_flight"})


def test_wait_for_in_flight_is_checked() -> None:
    from bullseye_webhooks._http import Receiver

    with pytest.raises(ValueError, match="wait_for_in_flight"):
        Receiver(SECRET, wait_for_in_flight=-1)
