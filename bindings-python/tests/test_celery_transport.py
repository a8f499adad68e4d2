"""`bullseye_webhooks.celery.RedisTransport` on a real redis-server: the
same messages as kombu's own Redis transport, with one blocking Redis
client per connection pool where kombu builds one for every send."""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any, Callable

from kombu.connection import Connection
import pytest
import redis
from celery import Celery

from bullseye_webhooks.celery import RedisTransport


def sender(url: str, transport: Any) -> tuple[Celery, Any, str]:
    """A Celery app on `url` (kombu's transport when `transport` is None),
    its task and the queue it sends to."""
    queue = f"transport-test-{uuid.uuid4().hex}"
    app = Celery("transport_test", broker=url, set_as_current=False)
    app.conf.update(task_default_queue=queue, broker_connection_timeout=2)
    if transport is not None:
        app.conf.broker_transport = transport

    @app.task(name="transport_test.deliver")  # type: ignore[untyped-decorator]
    def deliver(envelope: str, token: str) -> None:  # sent, never run here
        raise AssertionError("no worker runs in this test")

    return app, deliver, queue


def redis_clients_made(monkeypatch: pytest.MonkeyPatch) -> Callable[[], int]:
    """How many `redis.Redis` objects are made from now on."""
    made = [0]
    init = redis.Redis.__init__

    def counting(self: Any, *args: Any, **kwargs: Any) -> None:
        made[0] += 1
        init(self, *args, **kwargs)

    monkeypatch.setattr(redis.Redis, "__init__", counting)
    return lambda: made[0]


@pytest.mark.parametrize("transport, clients_for_five_sends", [
    (None, 5),  # kombu's own: one client per send (what the class removes)
    ("bullseye_webhooks.celery:RedisTransport", 0),
    (RedisTransport, 0),
])
def test_five_sends_make_the_same_messages_and_this_many_clients(
    redis_server: Any, monkeypatch: pytest.MonkeyPatch, transport: Any, clients_for_five_sends: int,
) -> None:
    app, deliver, queue = sender(redis_server.url, transport)
    check = redis.Redis.from_url(redis_server.url, socket_timeout=5)
    try:
        deliver.apply_async(args=("envelope 0", "token 0"))  # the first send connects and declares
        made = redis_clients_made(monkeypatch)
        for n in range(1, 6):
            deliver.apply_async(args=(f"envelope {n}", f"token {n}"))
        assert made() == clients_for_five_sends
        monkeypatch.undo()
        messages = [json.loads(m) for m in check.lrange(queue, 0, -1)]
        # LPUSH: the newest first.
        assert [json.loads(base64.b64decode(m["body"]))[0] for m in messages] == [
            [f"envelope {n}", f"token {n}"] for n in range(5, -1, -1)
        ]
        assert {m["headers"]["task"] for m in messages} == {"transport_test.deliver"}
    finally:
        check.delete(queue)
        check.close()
        app.close()


def test_the_kept_client_follows_the_pool_and_the_asynchronous_ones_stay_new(redis_server: Any) -> None:
    """kombu replaces a channel's pools after a fork or a lost connection
    (`_disconnect_pools`): the kept client must not outlive its pool. The
    asynchronous clients (the workers' BRPOP) are kombu's, one per call."""
    with Connection(redis_server.url, transport=RedisTransport) as connection:  # type: ignore[no-untyped-call]
        channel = connection.channel()
        try:
            first = channel._create_client()
            assert channel._create_client() is first
            assert first.connection_pool is channel.pool
            assert first.ping()
            channel._disconnect_pools()
            second = channel._create_client()
            assert second is not first
            assert second.connection_pool is channel.pool
            assert second.ping()
            assert channel._create_client(asynchronous=True) is not channel._create_client(asynchronous=True)
        finally:
            channel.close()
