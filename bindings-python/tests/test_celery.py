"""Celery as the queue of the hand-off, with real Celery workers (started
here, `celery -A celery_app worker`) on a real redis-server broker: each
delivery handled once (sent by QueueReceiver and AsyncQueueReceiver),
retries with backoff, dead letters with the reason, and a worker killed
mid-task whose task another worker handles once."""

from __future__ import annotations

import asyncio
import base64
import importlib
import json
import os
import pathlib
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from typing import Any, Iterator

import pytest
import redis
import redis.asyncio
from conftest import side_effect_lines as lines

from bullseye_webhooks import AsyncRedisStore, RedisStore, Webhook, sign
from bullseye_webhooks.celery import CeleryQueue
from bullseye_webhooks.queue import AsyncQueueReceiver, QueueReceiver

HERE = pathlib.Path(__file__).resolve().parent
SECRET = "whsec_celery_tests"


@pytest.fixture(scope="module")
def setting(redis_server: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    name = uuid.uuid4().hex
    env = {
        "REDIS_URL": redis_server.url, "SECRET": SECRET, "PREFIX": f"celery:{name}:",
        "CELERY_QUEUE": f"celery-test-{name}", "DEAD_LETTERS": f"celery:{{{name}}}:dead",
        "SIDE_EFFECTS": str(tmp_path_factory.mktemp("celery") / "unused"),
        "MAX_ATTEMPTS": "3", "RETRY_DELAY": "0.2", "MAX_RETRY_DELAY": "0.4",
    }
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    sys.path.insert(0, str(HERE))
    try:
        importlib.import_module("celery_app")
        yield env
    finally:
        sys.path.remove(str(HERE))
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


class Worker:
    """A real `celery worker` process (solo pool), ready once it says so."""

    def __init__(self, setting: dict[str, str], side_effects: pathlib.Path, **extra: str) -> None:
        env = {**os.environ, **setting, "SIDE_EFFECTS": str(side_effects), **extra}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "celery_app", "worker", "--pool=solo", "--loglevel=INFO",
             "--without-gossip", "--without-mingle", "--without-heartbeat", "-n", f"w{uuid.uuid4().hex[:8]}@localhost"],
            cwd=HERE, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )
        self.log: list[str] = []
        self.ready = threading.Event()
        threading.Thread(target=self._read, daemon=True).start()
        if not self.ready.wait(60):
            self.stop()
            pytest.fail("the celery worker did not get ready:\n" + "".join(self.log[-30:]))

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.log.append(line)
            if " ready." in line:
                self.ready.set()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


def delivery(session: str) -> tuple[bytes, dict[str, str]]:
    body = json.dumps({"event_type": "visitor.identified", "organization_id": "org_c", "session_id": session}).encode()
    return body, {"X-Bullseye-Signature": sign(SECRET, body)}


def key_of(session: str) -> str:
    return f"bullseye:org_c:visitor.identified:{session}"


def wait(until: Any, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not until():
        assert time.monotonic() < deadline, what
        time.sleep(0.1)


def receiver_for(setting: dict[str, str]) -> tuple[QueueReceiver, RedisStore, redis.Redis]:
    import celery_app  # the test process sends with the same app

    client = redis.Redis.from_url(setting["REDIS_URL"], socket_timeout=5, socket_connect_timeout=5)
    store = RedisStore(client, prefix=setting["PREFIX"])
    return QueueReceiver(Webhook(SECRET), CeleryQueue(celery_app.deliver), store), store, client


async def receive_async(setting: dict[str, str], sessions: list[str]) -> list[int]:
    """`AsyncQueueReceiver`'s answers to `sessions` (the same task, an asyncio store on the same keys)."""
    import celery_app

    client = redis.asyncio.Redis.from_url(setting["REDIS_URL"], socket_timeout=5, socket_connect_timeout=5)
    receiver = AsyncQueueReceiver(Webhook(SECRET), CeleryQueue(celery_app.deliver),
                                  AsyncRedisStore(client, prefix=setting["PREFIX"]))
    try:
        return [(await receiver.receive(*delivery(session))).status for session in sessions]
    finally:
        await client.aclose()


def test_a_sent_task_names_its_delivery_not_the_body(setting: dict[str, str]) -> None:
    """Celery shows a task's arguments by `argsrepr` (logs, events, Flower):
    the delivery's key, never the raw body; the arguments themselves still
    carry the envelope to the worker."""
    receiver, _, client = receiver_for(setting)
    queue = setting["CELERY_QUEUE"]
    session = f"repr-{uuid.uuid4().hex}"
    body, headers = delivery(session)
    try:
        assert receiver.receive(body, headers).status == 202
        messages = client.lrange(queue, 0, -1)
        assert len(messages) == 1  # no worker runs in this test
        message = json.loads(messages[0])
        assert message["headers"]["argsrepr"] == f"(<envelope of delivery {key_of(session)}>, <claim token>)"
        assert message["headers"]["kwargsrepr"] == "{}"
        args = json.loads(base64.b64decode(message["body"]))[0]
        assert json.loads(args[0])["key"] == key_of(session)
        assert json.loads(args[0])["body"] == body.decode()
    finally:
        client.delete(queue)  # left for no worker of the other tests
        client.close()


def test_celery_handles_each_delivery_once_retries_and_dead_letters(setting: dict[str, str], tmp_path: pathlib.Path) -> None:
    receiver, store, client = receiver_for(setting)
    side_effects = tmp_path / "side-effects"
    sessions = [f"c{i}" for i in range(10)]
    for session in sessions[:5]:
        assert receiver.receive(*delivery(session)).status == 202
    # The other half through the asyncio receiver; a copy of each half is in flight.
    assert asyncio.run(receive_async(setting, sessions[5:] + ["c1"])) == [202, 202, 202, 202, 202, 409]
    assert receiver.receive(*delivery("c6")).status == 409  # queued, not done yet
    worker = Worker(setting, side_effects, FAIL_ONCE="c5", ALWAYS_FAIL="c9")
    try:
        wait(lambda: len([l for l in lines(side_effects) if l[0] == "done"]) == 9 and client.exists(setting["DEAD_LETTERS"]),
             60, "the celery worker did not handle every delivery")
        time.sleep(1)
    finally:
        worker.stop()
    done = Counter(l[1] for l in lines(side_effects) if l[0] == "done")
    assert done == Counter({key_of(s): 1 for s in sessions[:9]})
    started = Counter(l[1] for l in lines(side_effects) if l[0] == "start")
    assert started[key_of("c5")] == 2 and started[key_of("c9")] == 3
    [(_, dead)] = client.xrange(setting["DEAD_LETTERS"])
    dead = {k.decode(): v.decode() for k, v in dead.items()}
    assert (dead["attempts"], dead["reason"]) == ("3", "LookupError: no such account")
    assert json.loads(dead["envelope"])["key"] == key_of("c9")
    assert receiver.receive(*delivery("c1")).body == {"duplicate": True}
    assert store.claim(key_of("c9"), "", 60).outcome == "new"  # released: the sender's retry is taken


def test_a_celery_worker_killed_mid_task_loses_it_to_another_which_handles_it_once(
    setting: dict[str, str], tmp_path: pathlib.Path
) -> None:
    receiver, _, _ = receiver_for(setting)
    side_effects = tmp_path / "side-effects"
    sessions = [f"k{i}" for i in range(5)]
    doomed = Worker(setting, side_effects, HANG_ON=key_of("k0"))
    survivor = None
    try:
        for session in sessions:
            assert receiver.receive(*delivery(session)).status == 202
        wait(lambda: any(l[:2] == ["start", key_of("k0")] for l in lines(side_effects)), 30, "k0 never started")
        doomed.process.send_signal(signal.SIGKILL)
        doomed.process.wait(timeout=10)
        survivor = Worker(setting, side_effects)
        wait(lambda: len([l for l in lines(side_effects) if l[0] == "done"]) == len(sessions), 90,
             "the killed worker's task was not handled by the other")
        time.sleep(4)  # past the visibility timeout: nothing runs twice later either
    finally:
        for worker in (doomed, survivor):
            if worker is not None:
                worker.stop()
    done = Counter(l[1] for l in lines(side_effects) if l[0] == "done")
    assert done == Counter({key_of(s): 1 for s in sessions})
    k0 = [l for l in lines(side_effects) if l[1] == key_of("k0")]
    assert [l[0] for l in k0] == ["start", "start", "done"]
    assert k0[0][2] == str(doomed.process.pid) and k0[2][2] == str(survivor.process.pid)
