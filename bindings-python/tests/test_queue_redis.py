"""The Redis Streams hand-off on a real redis-server: the receiver answers
at once, workers verify again, retry with backoff, dead-letter, and take
over the message of a worker killed in the middle of it."""

from __future__ import annotations

import json
import os
import pathlib
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from typing import Any, Callable

import pytest
import redis
from conftest import side_effect_lines as lines

from bullseye_webhooks import MemoryStore, RedisStore, Webhook, sign
from bullseye_webhooks.queue import QueueReceiver, QueueWorker, RedisStreamQueue, make_envelope

SECRET = "whsec_queue_tests"
WEBHOOK = Webhook(SECRET)
HERE = pathlib.Path(__file__).resolve().parent


def delivery(session: str) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(
        {"event_type": "visitor.identified", "organization_id": "org_q", "session_id": session}
    ).encode()
    return body, {"Content-Type": "application/json", "X-Bullseye-Signature": sign(SECRET, body)}


def key_of(session: str) -> str:
    return f"bullseye:org_q:visitor.identified:{session}"


@pytest.fixture
def parts(redis_server: Any) -> Any:
    """A client, a queue on a stream of this test's own, and a store."""
    client = redis.Redis.from_url(redis_server.url, socket_timeout=5, socket_connect_timeout=5)
    name = uuid.uuid4().hex
    queue = RedisStreamQueue(client, stream=f"test:{{{name}}}")
    store = RedisStore(client, prefix=f"test:{name}:")
    yield client, queue, store
    client.close()


def drain(worker: QueueWorker, until: Callable[[], bool], seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not until():
        assert time.monotonic() < deadline, "the worker did not get there in time"
        worker.run_once()


def test_receiver_answers_at_once_and_a_worker_handles_each_delivery_once(parts: Any) -> None:
    _, queue, store = parts
    receiver = QueueReceiver(WEBHOOK, queue, store)
    body, headers = delivery("s1")
    first = receiver.receive(body, headers)
    assert (first.status, first.body) == (202, {"queued": True})
    # A copy while the first waits in the queue: in flight, with the lease left.
    copy = receiver.receive(body, headers)
    assert copy.status == 409 and copy.body == {"error": "delivery_in_flight"}
    assert 590 <= int(copy.headers["Retry-After"]) <= 600

    handled: list[Any] = []
    worker = QueueWorker(WEBHOOK, queue, store, handled.append, block=0.1)
    drain(worker, lambda: len(handled) == 1)
    assert worker.counts.reclaimed == 0  # read as new, not taken over
    assert handled[0].event_type == "visitor.identified"
    assert handled[0].delivery_key == key_of("s1")
    # Done: a later copy is a duplicate and is not enqueued again.
    later = receiver.receive(body, headers)
    assert (later.status, later.body) == (200, {"duplicate": True})
    assert worker.run_once() == 0
    assert len(handled) == 1
    assert queue.client.xlen(queue.stream) == 0


def test_the_same_key_with_another_body_is_a_conflict_queued_or_done(parts: Any) -> None:
    """One more byte after the JSON: the same delivery key, another body hash."""
    _, queue, store = parts
    receiver = QueueReceiver(WEBHOOK, queue, store)
    body, headers = delivery("s9")
    other = body + b"\n"
    other_headers = {**headers, "X-Bullseye-Signature": sign(SECRET, other)}
    assert receiver.receive(body, headers).status == 202
    queued = receiver.receive(other, other_headers)
    assert (queued.status, queued.body) == (409, {"error": "delivery_conflict"})
    handled: list[Any] = []
    worker = QueueWorker(WEBHOOK, queue, store, handled.append, block=0.1)
    drain(worker, lambda: len(handled) == 1)
    done = receiver.receive(other, other_headers)
    assert (done.status, done.body) == (409, {"error": "delivery_conflict"})
    assert len(handled) == 1 and queue.client.xlen(queue.stream) == 0


def test_refusals_are_answered_before_anything_is_claimed_or_queued(parts: Any) -> None:
    _, queue, store = parts
    receiver = QueueReceiver(WEBHOOK, queue, store)
    body, _ = delivery("s2")
    answer = receiver.receive(body, {"X-Bullseye-Signature": sign("whsec_other", body)})
    assert (answer.status, answer.body) == (401, {"error": "signature_mismatch"})
    assert queue.client.exists(queue.stream) == 0
    assert store.claim(key_of("s2"), "", 60).outcome == "new"


def test_a_failing_handler_is_retried_with_backoff_then_succeeds(parts: Any) -> None:
    client, queue, store = parts
    receiver = QueueReceiver(WEBHOOK, queue, store)
    assert receiver.receive(*delivery("s3")).status == 202
    calls: list[float] = []

    def flaky(event: Any) -> None:
        calls.append(time.monotonic())
        if len(calls) < 3:
            raise RuntimeError(f"the CRM is down (call {len(calls)})")

    worker = QueueWorker(WEBHOOK, queue, store, flaky, retry_delay=0.2, max_retry_delay=0.3, block=0.05)
    drain(worker, lambda: worker.counts.handled == 1)
    assert len(calls) == 3
    # Backoff: 0.2 s after the first failure, 0.3 s (doubled, capped) after the second.
    assert calls[1] - calls[0] >= 0.2 and calls[2] - calls[1] >= 0.3
    assert worker.counts.retried == 2 and worker.counts.dead == 0
    assert client.zcard(queue.retry_set) == 0 and client.xlen(queue.dead_letters) == 0
    assert store.claim(key_of("s3"), "", 60).outcome == "duplicate"


def test_after_the_most_attempts_the_message_is_dead_lettered_with_its_reason(parts: Any) -> None:
    client, queue, store = parts
    receiver = QueueReceiver(WEBHOOK, queue, store)
    body, headers = delivery("s4")
    assert receiver.receive(body, headers).status == 202
    calls: list[int] = []

    def broken(event: Any) -> None:
        calls.append(1)
        raise ValueError("no such account")

    worker = QueueWorker(WEBHOOK, queue, store, broken, max_attempts=3, retry_delay=0.05, block=0.05)
    drain(worker, lambda: worker.counts.dead == 1)
    assert len(calls) == 3
    [dead] = queue.dead()
    assert dead["attempts"] == "3"
    assert dead["reason"] == "ValueError: no such account"
    assert json.loads(dead["envelope"])["key"] == key_of("s4")
    assert client.xlen(queue.stream) == 0 and client.zcard(queue.retry_set) == 0
    # Its claim was released: the sender's retry is taken (and queued) again.
    assert receiver.receive(body, headers).status == 202


def test_an_envelope_changed_in_the_queue_is_dead_lettered_without_running_the_handler(parts: Any) -> None:
    client, queue, store = parts
    body, headers = delivery("s5")
    envelope = json.loads(make_envelope(WEBHOOK, body, headers).to_json())
    envelope["body"] = envelope["body"].replace("s5", "s6")
    client.xadd(queue.stream, {"envelope": json.dumps(envelope), "token": "t", "attempt": "1"})
    client.xadd(queue.stream, {"envelope": "not json", "token": "t", "attempt": "1"})
    handled: list[Any] = []
    worker = QueueWorker(WEBHOOK, queue, store, handled.append, block=0.05)
    drain(worker, lambda: worker.counts.dead == 2)
    assert handled == []
    reasons = sorted(d["reason"].split(":")[0] for d in queue.dead())
    assert reasons == ["invalid_envelope", "signature_mismatch"]


def test_the_tolerance_counts_from_received_at_not_from_the_worker(parts: Any) -> None:
    _, queue, store = parts
    strict = Webhook(SECRET, tolerance=300)
    body = json.dumps({"event_type": "visitor.identified", "timestamp": "2024-01-15T10:30:00Z",
                       "organization_id": "org_q", "session_id": "old"}).encode()
    envelope = make_envelope(strict, body, {"X-Bullseye-Signature": sign(SECRET, body)}, received_at=1_705_314_660)
    queue.enqueue(envelope, store.claim(envelope.key, "", 600).token or "")
    handled: list[Any] = []
    worker = QueueWorker(strict, queue, store, handled.append, block=0.05)
    drain(worker, lambda: len(handled) == 1)
    assert worker.counts.dead == 0


def test_the_queue_down_answers_503_and_releases_the_claim(own_redis_server: Any) -> None:
    client = redis.Redis.from_url(own_redis_server.url, socket_timeout=1, socket_connect_timeout=1)
    store = MemoryStore()  # the store stays up while the queue is down
    receiver = QueueReceiver(WEBHOOK, RedisStreamQueue(client), store)
    own_redis_server.stop()
    body, headers = delivery("s7")
    answer = receiver.receive(body, headers)
    assert (answer.status, answer.body) == (503, {"error": "queue_unavailable"})
    assert answer.headers["Retry-After"] == "30"
    assert store.claim(key_of("s7"), "", 60).outcome == "new"


def start_worker(redis_url: str, queue: RedisStreamQueue, store: RedisStore, side_effects: pathlib.Path,
                 hang_on: str = "") -> subprocess.Popen[str]:
    env = {**os.environ, "REDIS_URL": redis_url, "SECRET": SECRET, "SIDE_EFFECTS": str(side_effects),
           "STREAM": queue.stream, "PREFIX": store.prefix, "HANG_ON": hang_on, "CLAIM_IDLE": "1"}
    process = subprocess.Popen([sys.executable, str(HERE / "queue_worker.py")], env=env,
                               stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None and process.stdout.readline().strip() == "ready"
    return process


def test_a_worker_killed_mid_message_loses_it_to_another_which_handles_it_once(
    parts: Any, redis_server: Any, tmp_path: pathlib.Path
) -> None:
    _, queue, store = parts
    side_effects = tmp_path / "side-effects"
    receiver = QueueReceiver(WEBHOOK, queue, store)
    sessions = [f"k{i}" for i in range(20)]
    # The first worker hangs inside the handler of k0; it is killed there.
    doomed = start_worker(redis_server.url, queue, store, side_effects, hang_on=key_of("k0"))
    survivor = None
    try:
        for session in sessions:
            assert receiver.receive(*delivery(session)).status == 202
        deadline = time.monotonic() + 20
        while not any(line[:2] == ["start", key_of("k0")] for line in lines(side_effects)):
            assert time.monotonic() < deadline, "the first worker never started k0"
            time.sleep(0.05)
        doomed.send_signal(signal.SIGKILL)
        doomed.wait(timeout=10)
        survivor = start_worker(redis_server.url, queue, store, side_effects)
        deadline = time.monotonic() + 30
        while len([line for line in lines(side_effects) if line[0] == "done"]) < len(sessions):
            assert time.monotonic() < deadline, "the deliveries were not all handled"
            time.sleep(0.1)
        time.sleep(1.5)  # past the take-over idle time: nothing runs twice later either
    finally:
        for process in (doomed, survivor):
            if process is not None and process.poll() is None:
                process.kill()
                process.wait(timeout=10)
    done = Counter(line[1] for line in lines(side_effects) if line[0] == "done")
    assert done == Counter({key_of(s): 1 for s in sessions})
    # k0 was started by the killed worker and finished by the survivor.
    k0 = [line for line in lines(side_effects) if line[1] == key_of("k0")]
    assert [line[0] for line in k0] == ["start", "start", "done"]
    assert k0[0][2] == str(doomed.pid) and k0[2][2] == str(survivor.pid)
    assert queue.client.xlen(queue.stream) == 0
    assert queue.client.xpending(queue.stream, queue.group)["pending"] == 0
