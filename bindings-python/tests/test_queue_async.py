"""The asyncio receiving half of the Redis Streams hand-off
(`AsyncQueueReceiver`, `AsyncRedisStreamQueue`) on a real redis-server:
each answer (202, 200 duplicate, 409 in flight and conflict, 503 for the
store and for the queue, refused or timed out, the refusals), messages a
blocking `QueueWorker` reads and handles, and the receiver in FastAPI on
uvicorn over real HTTP."""

from __future__ import annotations

import asyncio
import json
import logging
import signal
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Callable

import pytest
import redis
import redis.asyncio
from fastapi import FastAPI, Request, Response
from frameworks import asgi_server, post_full

from bullseye_webhooks import (
    AsyncCachedStore,
    AsyncRedisStore,
    MemoryStore,
    RedisStore,
    StoreUnavailable,
    Webhook,
    sign,
)
from bullseye_webhooks.queue import (
    AsyncQueueReceiver,
    AsyncRedisStreamQueue,
    QueueWorker,
    RedisStreamQueue,
)

SECRET = "whsec_async_queue_tests"
WEBHOOK = Webhook(SECRET)


def delivery(session: str, secret: str = SECRET) -> tuple[bytes, dict[str, str]]:
    body = json.dumps({"event_type": "visitor.identified", "organization_id": "org_a", "session_id": session}).encode()
    return body, {"Content-Type": "application/json", "X-Bullseye-Signature": sign(secret, body)}


def key_of(session: str) -> str:
    return f"bullseye:org_a:visitor.identified:{session}"


def names() -> tuple[str, str]:
    """A stream and a store prefix of this test's own."""
    name = uuid.uuid4().hex
    return f"test:{{{name}}}", f"test:{name}:"


def client_of(url: str, timeout: float = 5) -> Any:
    return redis.asyncio.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)


@asynccontextmanager
async def async_parts(url: str) -> AsyncIterator[tuple[Any, AsyncRedisStreamQueue, AsyncRedisStore]]:
    """An asyncio client on `url`, a queue on a stream of this test's own and a store."""
    client = client_of(url)
    stream, prefix = names()
    try:
        yield client, AsyncRedisStreamQueue(client, stream=stream), AsyncRedisStore(client, prefix=prefix)
    finally:
        await client.aclose()


def worker_for(url: str, stream: str, prefix: str, handled: list[Any]) -> QueueWorker:
    """A blocking worker reading the same stream, with a store on the same keys."""
    client = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
    return QueueWorker(WEBHOOK, RedisStreamQueue(client, stream=stream), RedisStore(client, prefix=prefix),
                       handled.append, block=0.1)


def drain(worker: QueueWorker, until: Callable[[], bool], seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not until():
        assert time.monotonic() < deadline, "the worker did not get there in time"
        worker.run_once()


# The stores the receiver takes: awaited (asyncio), called on the loop
# (MemoryStore: no I/O) or in a thread (a blocking RedisStore).
STORES = ["async-redis", "async-cached", "blocking-redis"]


def store_of(kind: str, async_store: AsyncRedisStore, url: str) -> Any:
    if kind == "async-redis":
        return async_store
    if kind == "async-cached":
        return AsyncCachedStore(async_store)
    return RedisStore(redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5), prefix=async_store.prefix)


@pytest.mark.parametrize("kind", STORES)
def test_queued_then_in_flight_then_a_worker_handles_it_then_duplicate(redis_server: Any, kind: str) -> None:
    handled: list[Any] = []

    async def run() -> None:
        async with async_parts(redis_server.url) as (client, queue, store):
            receiver = AsyncQueueReceiver(WEBHOOK, queue, store_of(kind, store, redis_server.url))
            body, headers = delivery("s1")
            first = await receiver.receive(body, headers)
            assert (first.status, first.body, first.headers) == (202, {"queued": True}, {})
            # The message RedisStreamQueue's workers read: the envelope, the claim's token, attempt 1.
            [(_, fields)] = await client.xrange(queue.stream)
            assert sorted(fields) == [b"attempt", b"envelope", b"token"]
            assert fields[b"attempt"] == b"1" and len(fields[b"token"]) > 0
            assert json.loads(fields[b"envelope"])["key"] == key_of("s1")
            # A copy while the first waits in the queue: in flight, with the lease left (10 minutes).
            copy = await receiver.receive(body, headers)
            assert (copy.status, copy.body) == (409, {"error": "delivery_in_flight"})
            assert 590 <= int(copy.headers["Retry-After"]) <= 600

            worker = worker_for(redis_server.url, queue.stream, store.prefix, handled)
            await asyncio.to_thread(drain, worker, lambda: len(handled) == 1)
            assert handled[0].delivery_key == key_of("s1")
            later = await receiver.receive(body, headers)
            assert (later.status, later.body) == (200, {"duplicate": True})
            assert await client.xlen(queue.stream) == 0
            assert await asyncio.to_thread(worker.run_once) == 0

    asyncio.run(run())
    assert len(handled) == 1


def test_a_memory_store_is_called_on_the_loop(redis_server: Any) -> None:
    async def run() -> None:
        async with async_parts(redis_server.url) as (client, queue, _):
            store = MemoryStore()
            receiver = AsyncQueueReceiver(WEBHOOK, queue, store)
            assert (await receiver.receive(*delivery("m1"))).status == 202
            assert (await receiver.receive(*delivery("m1"))).status == 409
            assert await client.xlen(queue.stream) == 1

    asyncio.run(run())


def test_the_same_key_with_another_body_is_a_conflict_queued_or_done(
    redis_server: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """One more byte after the JSON: the same delivery key, another body hash."""
    body, headers = delivery("s2")
    other = body + b"\n"
    other_headers = {**headers, "X-Bullseye-Signature": sign(SECRET, other)}
    handled: list[Any] = []

    async def run() -> None:
        async with async_parts(redis_server.url) as (client, queue, store):
            receiver = AsyncQueueReceiver(WEBHOOK, queue, store)
            assert (await receiver.receive(body, headers)).status == 202
            queued = await receiver.receive(other, other_headers)
            assert (queued.status, queued.body, queued.headers) == (409, {"error": "delivery_conflict"}, {})
            worker = worker_for(redis_server.url, queue.stream, store.prefix, handled)
            await asyncio.to_thread(drain, worker, lambda: len(handled) == 1)
            done = await receiver.receive(other, other_headers)
            assert (done.status, done.body) == (409, {"error": "delivery_conflict"})
            assert await client.xlen(queue.stream) == 0

    with caplog.at_level(logging.WARNING, logger="bullseye_webhooks"):
        asyncio.run(run())
    assert len(handled) == 1
    conflicts = [r.conflict["found"] for r in caplog.records if hasattr(r, "conflict")]  # type: ignore[attr-defined]
    assert conflicts == ["in_flight", "done"]


REFUSALS = [
    ("unsigned", {}, 400, "missing_signature"),
    ("malformed", {"X-Bullseye-Signature": "abc"}, 400, "malformed_signature"),
    ("another secret", {"X-Bullseye-Signature": sign("whsec_other", delivery("s3")[0])}, 401, "signature_mismatch"),
]


@pytest.mark.parametrize(("name", "headers", "status", "code"), REFUSALS, ids=[r[0] for r in REFUSALS])
def test_refusals_are_answered_before_anything_is_claimed_or_queued(
    redis_server: Any, name: str, headers: dict[str, str], status: int, code: str
) -> None:
    async def run() -> None:
        async with async_parts(redis_server.url) as (client, queue, store):
            answer = await AsyncQueueReceiver(WEBHOOK, queue, store).receive(delivery("s3")[0], headers)
            assert (answer.status, answer.body, answer.headers) == (status, {"error": code}, {})
            assert await client.exists(queue.stream) == 0
            assert (await store.claim(key_of("s3"), "", 60)).outcome == "new"

    asyncio.run(run())


def test_a_body_over_the_limit_is_413_before_anything_is_claimed_or_queued(redis_server: Any) -> None:
    small = Webhook(SECRET, max_body_bytes=64)
    body, headers = delivery("a-session-id-long-enough-to-pass-sixty-four-bytes")

    async def run() -> None:
        async with async_parts(redis_server.url) as (client, queue, store):
            answer = await AsyncQueueReceiver(small, queue, store).receive(body, headers)
            assert (answer.status, answer.body) == (413, {"error": "body_too_large"})
            assert await client.exists(queue.stream) == 0

    asyncio.run(run())


def test_the_store_down_answers_503_store_unavailable_and_queues_nothing(
    redis_server: Any, own_redis_server: Any
) -> None:
    async def run() -> None:
        async with async_parts(redis_server.url) as (client, queue, _):
            store_client = client_of(own_redis_server.url, timeout=1)
            receiver = AsyncQueueReceiver(WEBHOOK, queue, AsyncRedisStore(store_client, timeout=1))
            own_redis_server.stop()
            answer = await receiver.receive(*delivery("s4"))
            assert (answer.status, answer.body, answer.headers) == (503, {"error": "store_unavailable"}, {"Retry-After": "30"})
            assert await client.exists(queue.stream) == 0
            await store_client.aclose()

    asyncio.run(run())


def test_the_queue_refusing_the_connection_answers_503_and_releases_the_claim(
    redis_server: Any, own_redis_server: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """Redis surely never got the XADD: the claim is released, so the sender's retry is taken."""

    async def run() -> None:
        async with async_parts(redis_server.url) as (_, _, store):
            queue_client = client_of(own_redis_server.url, timeout=1)
            receiver = AsyncQueueReceiver(WEBHOOK, AsyncRedisStreamQueue(queue_client), store)
            own_redis_server.stop()
            answer = await receiver.receive(*delivery("s5"))
            assert (answer.status, answer.body, answer.headers) == (503, {"error": "queue_unavailable"}, {"Retry-After": "30"})
            assert (await store.claim(key_of("s5"), "", 60)).outcome == "new"
            await queue_client.aclose()

    with caplog.at_level(logging.WARNING, logger="bullseye_webhooks.queue"):
        asyncio.run(run())
    [warning] = [r.getMessage() for r in caplog.records if r.name == "bullseye_webhooks.queue"]
    assert warning.startswith("the queue failed (queue_unavailable: Redis XADD: ConnectionError: ")
    assert warning.endswith(f"answering 503 for delivery {key_of('s5')}")


def test_the_queue_timing_out_answers_503_and_keeps_the_claim(redis_server: Any, own_redis_server: Any) -> None:
    """Redis paused (SIGSTOP) with the XADD sent: it may have been carried
    out, so the claim is kept (a copy is in flight), and it is, once Redis
    resumes."""
    stream, _ = names()

    async def run() -> None:
        async with async_parts(redis_server.url) as (_, _, store):
            queue_client = client_of(own_redis_server.url)
            await queue_client.ping()  # connected before the pause: the XADD is written, then waits
            receiver = AsyncQueueReceiver(WEBHOOK, AsyncRedisStreamQueue(queue_client, stream=stream, timeout=0.5), store)
            own_redis_server.process.send_signal(signal.SIGSTOP)
            try:
                answer = await receiver.receive(*delivery("s6"))
                assert (answer.status, answer.body, answer.headers) == (503, {"error": "queue_unavailable"}, {"Retry-After": "30"})
                copy = await receiver.receive(*delivery("s6"))
                assert (copy.status, copy.body) == (409, {"error": "delivery_in_flight"})
            finally:
                own_redis_server.process.send_signal(signal.SIGCONT)
            await queue_client.aclose()

    asyncio.run(run())
    check = redis.Redis.from_url(own_redis_server.url, socket_timeout=5)
    deadline = time.monotonic() + 10
    while check.xlen(stream) != 1:
        assert time.monotonic() < deadline, "the XADD sent before the pause did not land"
        time.sleep(0.05)


class ReleaseFailsOnce:
    """A MemoryStore whose first release fails, as a store that went down
    with the queue: the receiver tries again in the background."""

    blocking = False

    def __init__(self) -> None:
        self.store, self.releases = MemoryStore(), 0

    def claim(self, key: str, body_hash: str, lease: float) -> Any:
        return self.store.claim(key, body_hash, lease)

    def complete(self, key: str, token: str, body_hash: str, retention: float) -> Any:
        return self.store.complete(key, token, body_hash, retention)

    def release(self, key: str, token: str) -> bool:
        self.releases += 1
        if self.releases == 1:
            raise StoreUnavailable("store_unavailable: down for this test")
        return self.store.release(key, token)


def test_a_release_that_fails_is_tried_again_in_a_task(own_redis_server: Any, caplog: pytest.LogCaptureFixture) -> None:
    store = ReleaseFailsOnce()

    async def run() -> None:
        queue_client = client_of(own_redis_server.url, timeout=1)
        receiver = AsyncQueueReceiver(WEBHOOK, AsyncRedisStreamQueue(queue_client), store)
        own_redis_server.stop()
        answer = await receiver.receive(*delivery("s7"))
        assert (answer.status, answer.body) == (503, {"error": "queue_unavailable"})
        deadline = time.monotonic() + 5
        while store.releases < 2:
            assert time.monotonic() < deadline, "the release was not tried again"
            await asyncio.sleep(0.01)
        await queue_client.aclose()

    with caplog.at_level(logging.WARNING, logger="bullseye_webhooks.queue"):
        asyncio.run(run())
    assert store.releases == 2
    assert store.claim(key_of("s7"), "", 60).outcome == "new"
    logged = [r.getMessage() for r in caplog.records if r.name == "bullseye_webhooks.queue"]
    assert logged[-1].startswith(f"could not release delivery {key_of('s7')} after the queue failed")


def test_fastapi_on_uvicorn_answers_through_the_async_receiver(redis_server: Any) -> None:
    """Over real HTTP: the app's route awaits the receiver and sends its answer."""
    stream, prefix = names()
    app = FastAPI()
    receivers: list[AsyncQueueReceiver] = []

    @app.post("/webhooks/bullseye")
    async def receive(request: Request) -> Response:
        if not receivers:  # made on the server's loop, where its client's connections live
            client = client_of(redis_server.url)
            receivers.append(AsyncQueueReceiver(
                WEBHOOK, AsyncRedisStreamQueue(client, stream=stream), AsyncRedisStore(client, prefix=prefix)))
        answer = await receivers[0].receive(await request.body(), request.headers)
        return Response(json.dumps(answer.body), answer.status, answer.headers, media_type="application/json")

    body, headers = delivery("h1")
    handled: list[Any] = []
    with asgi_server(app) as port:
        first = post_full(port, "/webhooks/bullseye", body, headers)
        copy = post_full(port, "/webhooks/bullseye", body, headers)
        tampered = post_full(port, "/webhooks/bullseye", body.replace(b"h1", b"h2"), headers)
        drain(worker_for(redis_server.url, stream, prefix, handled), lambda: len(handled) == 1)
        later = post_full(port, "/webhooks/bullseye", body, headers)
    assert first[:2] == (202, {"queued": True})
    assert copy[:2] == (409, {"error": "delivery_in_flight"}) and 590 <= int(copy[2]["retry-after"]) <= 600
    assert tampered[:2] == (401, {"error": "signature_mismatch"})
    assert later[:2] == (200, {"duplicate": True})
    assert [event.delivery_key for event in handled] == [key_of("h1")]
