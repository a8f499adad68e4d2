"""Celery as the queue of the hand-off (`pip install 'celery[redis]'`): a
thin adapter over the same envelope as the Redis Streams worker.

    from celery import Celery
    from bullseye_webhooks import RedisStore, Webhook
    from bullseye_webhooks.celery import CeleryQueue, delivery_task
    from bullseye_webhooks.queue import QueueReceiver

    app = Celery("webhooks", broker="redis://...")
    store = RedisStore.from_url("redis://...")
    deliver = delivery_task(app, Webhook(secret), store, handle, dead_letters=redis_client)

    receiver = QueueReceiver(Webhook(secret), CeleryQueue(deliver), store)   # in the web app
    # celery -A yourmodule worker                                            # the workers

The task is sent with the envelope's JSON and the claim's token, runs with
`acks_late` and `reject_on_worker_lost` (a worker that dies mid-task leaves
the message to another: after the broker's `visibility_timeout` for Redis),
opens the envelope (verified again, tolerance from received-at), checks the
claim (done before: nothing runs), calls the handler, and marks the key
done. A handler that raises is retried by Celery after the core's backoff
(`retry_delay` doubling up to `max_retry_delay`); after `max_attempts` the
envelope goes to the dead-letter stream (`dead_letters`: a redis-py client;
the same fields as the Redis Streams worker's dead letters) and its claim is
released.
"""

from __future__ import annotations

import time
from typing import Any, Callable, Optional

import kombu.exceptions
import kombu.transport.redis

from . import _native
from ._queue_receiver import QueueUnavailable, Seconds, _seconds, logger
from .queue import DeliveryRunner, Envelope, _ms

__all__ = ["CeleryQueue", "DEFAULT_DEAD_LETTERS", "RedisTransport", "delivery_task"]

#: The dead-letter stream of the Celery tasks.
DEFAULT_DEAD_LETTERS = "bullseye-webhooks:{celery}" + _native.DEAD_LETTER_SUFFIX


class CeleryQueue:
    """The receiver's queue: `enqueue(envelope, token)` sends `task` (made by
    `delivery_task`) with the envelope's JSON and the claim's token; a broker
    that cannot take it raises `QueueUnavailable` (the receiver answers 503)."""

    #: How `AsyncQueueReceiver` calls `enqueue` (a blocking `apply_async`):
    #: True, in a thread; False, on the event loop. In a thread: on the
    #: loop, the send (a local Redis LPUSH) was no faster in the queue
    #: fleet run (receiver p99 88-122 ms on the loop, 83-112 ms in a
    #: thread, one run each, back to back, at load 7.5-8.8), and a broker
    #: that stalls would stop every request of the process for its timeouts.
    blocking = True

    def __init__(self, task: Any) -> None:
        self.task = task

    def __repr__(self) -> str:
        return f"CeleryQueue({self.task.name!r})"

    def enqueue(self, envelope: Envelope, token: str) -> str:
        try:
            # Celery shows a task's arguments (logs, events, Flower) by their
            # repr, here the envelope's JSON: the raw body with its personal
            # data. Name the delivery instead (which also spares Celery the
            # repr of 3 KB, about a seventh of a send).
            result = self.task.apply_async(
                args=(envelope.to_json(), token), retry=False,
                argsrepr=f"(<envelope of delivery {envelope.key}>, <claim token>)", kwargsrepr="{}",
            )
        except (kombu.exceptions.OperationalError, OSError) as error:
            refused = isinstance(error, ConnectionRefusedError) or isinstance(error.__cause__, ConnectionRefusedError)
            raise QueueUnavailable(
                f"queue_unavailable: Celery broker: {type(error).__name__}: {error}", maybe_sent=not refused
            ) from error
        return str(result.id)


class _Channel(kombu.transport.redis.Channel):
    """kombu's Redis channel, keeping its blocking client. kombu makes a new
    `redis.Redis` on the channel's pool for every publish (`_put` ->
    `conn_or_acquire` -> `_create_client`), and redis-py's constructor
    builds its table of some 170 reply callbacks each time: about 200 µs,
    a quarter of a Celery send to a local Redis. A client on a pool is
    safe to share (each command takes a pooled connection), so this one
    is made once per pool: a pool kombu replaces (after a fork or a lost
    connection) gets its own."""

    _blocking_client: Any = None

    def _create_client(self, asynchronous: bool = False) -> Any:
        if asynchronous:
            return super()._create_client(asynchronous=True)  # type: ignore[no-untyped-call]
        client = self._blocking_client
        if client is None or client.connection_pool is not self.pool:
            client = self._blocking_client = super()._create_client()  # type: ignore[no-untyped-call]
        return client


class RedisTransport(kombu.transport.redis.Transport):
    """kombu's Redis transport (the `redis://` broker) with `_Channel`: the
    same messages, keys and behaviour, a cheaper send. Select it with
    `broker_transport = "bullseye_webhooks.celery:RedisTransport"` beside a
    `redis://` broker URL (kombu then takes the URL's host, port and
    database, and this class)."""

    Channel = _Channel


def delivery_task(
    app: Any,
    verifier: Any,
    dedupe: Any,
    handler: Callable[[Any], Any],
    *,
    name: str = "bullseye_webhooks.deliver",
    max_attempts: int = _native.DEFAULT_MAX_ATTEMPTS,
    retry_delay: Seconds = _native.DEFAULT_RETRY_DELAY_MS / 1000,
    max_retry_delay: Seconds = _native.DEFAULT_MAX_RETRY_DELAY_MS / 1000,
    lease: Seconds = _native.DEFAULT_QUEUE_LEASE_MS / 1000,
    retention: Seconds = _native.DEFAULT_RETENTION,
    dead_letters: Any = None,
    dead_letter_stream: str = DEFAULT_DEAD_LETTERS,
    run_lease: Seconds = _native.DEFAULT_CLAIM_IDLE_MS / 1000,
) -> Any:
    """The Celery task that handles one envelope (see the module's doc).
    `run_lease`: how long a worker's hold on a running delivery lasts when
    it dies; keep it equal to the broker's `visibility_timeout`, after which
    its task comes back."""
    if not (isinstance(max_attempts, int) and max_attempts >= 1):
        raise ValueError("max_attempts must be a positive integer")
    runner = DeliveryRunner(
        verifier, dedupe, handler, lease=_seconds(lease, "lease"), retention=_seconds(retention, "retention"),
        run_lease=_seconds(run_lease, "run_lease"),
    )
    first_ms, most_ms = _ms(_seconds(retry_delay, "retry_delay")), _ms(_seconds(max_retry_delay, "max_retry_delay"))

    def dead(task_id: str, envelope_json: str, token: str, attempt: int, reason: str, key: Optional[str]) -> str:
        logger.error("delivery %s moved to the dead letters after attempt %d: %s", key, attempt, reason)
        if dead_letters is not None:
            fields = {"envelope": envelope_json, "token": token, "attempts": str(attempt), "reason": reason,
                      "failed_at_ms": str(int(time.time() * 1000)), "message_id": task_id}
            dead_letters.xadd(dead_letter_stream, fields)
        runner.release(key, token)
        return "dead"

    @app.task(name=name, bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=None)  # type: ignore[untyped-decorator]
    def deliver(self: Any, envelope_json: str, token: str) -> str:
        attempt = int(self.request.retries) + 1
        outcome = runner.run(envelope_json, token)
        if outcome.kind == "invalid":
            return dead(self.request.id, envelope_json, token, attempt, outcome.reason, outcome.key)
        if outcome.kind == "failed":
            if attempt >= max_attempts:
                return dead(self.request.id, envelope_json, outcome.token or token, attempt, outcome.reason, outcome.key)
            delay_ms = _native.retry_delay_ms(attempt, first_ms, most_ms)
            logger.warning(
                "delivery %s failed on attempt %d of %d (%s); trying again in %d ms",
                outcome.key, attempt, max_attempts, outcome.reason, delay_ms,
            )
            # The claim's token travels on: a new one if the lease had ended.
            raise self.retry(args=(envelope_json, outcome.token or token), countdown=delay_ms / 1000)
        return outcome.kind

    return deliver
