"""Hand deliveries to a queue: answer at once, process in workers.

The receiver verifies a delivery, claims its key in a de-duplication store,
adds its envelope to a Redis stream and answers 202 at once; workers read
the stream in a consumer group, verify the envelope again (any tolerance
counted from when it was received), run the handler, complete the claim and
acknowledge the message. A handler that raises is tried again with an
exponential backoff, and after `max_attempts` the message goes to a
dead-letter stream with the reason. A worker that dies holding a message
loses it to another worker after `claim_idle` seconds (`XAUTOCLAIM`).

    from bullseye_webhooks import Webhook, RedisStore
    from bullseye_webhooks.queue import QueueReceiver, QueueWorker, RedisStreamQueue

    client = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
    queue, store = RedisStreamQueue(client), RedisStore(client)
    receiver = QueueReceiver(Webhook(secret), queue, store)      # in the web app
    answer = receiver.receive(raw_body, request.headers)         # .status, .body, .headers

    QueueWorker(Webhook(secret), queue, store, handle).run()     # in each worker process

In an asyncio app, `AsyncQueueReceiver` gives the same answers with no
thread, on `redis.asyncio` (`AsyncRedisStreamQueue`, `AsyncRedisStore`):

    aclient = redis.asyncio.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
    receiver = AsyncQueueReceiver(Webhook(secret), AsyncRedisStreamQueue(aclient), AsyncRedisStore(aclient))
    answer = await receiver.receive(raw_body, request.headers)

The stream's layout and scripts, the envelope and the retry delays are the
Rust core's, so Node workers and receivers share the same stream.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Literal, Optional, Union

from . import _native
from ._errors import InvalidEnvelope, StoreUnavailable, WebhookError
from ._http import _log_conflict
from ._native import Envelope, make_envelope, open_envelope
from ._queue_receiver import (
    AsyncEnvelopeQueue,
    AsyncQueueReceiver,
    AsyncRedisStreamQueue,
    EnvelopeQueue,
    QueueReceiver,
    QueueUnavailable,
    Seconds,
    _message_fields,
    _redis_failed,
    _seconds,
    _text,
    logger,
)

__all__ = [
    "AsyncEnvelopeQueue",
    "AsyncQueueReceiver",
    "AsyncRedisStreamQueue",
    "DeliveryRunner",
    "Envelope",
    "EnvelopeQueue",
    "InvalidEnvelope",
    "Outcome",
    "QueueReceiver",
    "QueueUnavailable",
    "QueueWorker",
    "RedisStreamQueue",
    "make_envelope",
    "open_envelope",
]


def _ms(seconds: float) -> int:
    return max(1, round(seconds * 1000))


@dataclass(frozen=True)
class Message:
    """One message read from the stream."""

    id: str
    envelope: str
    token: str
    attempt: int
    #: Times the group delivered it (1 unless a worker lost it before).
    deliveries: int = 1


class RedisStreamQueue:
    """A Redis stream and consumer group, through a redis-py `redis.Redis`
    client (created with `socket_timeout`, longer than `block`).

    `stream` (default `bullseye-webhooks:{queue}`) holds the messages; its
    retry set is `stream + ":retry"` and its dead letters `stream + ":dead"`.
    `group` is the consumer group (created on first use, from the start of
    the stream).
    """

    def __init__(
        self,
        client: Any,
        *,
        stream: str = _native.DEFAULT_QUEUE_STREAM,
        group: str = _native.DEFAULT_QUEUE_GROUP,
    ) -> None:
        import redis

        self._errors: tuple[type[BaseException], ...] = (redis.RedisError, OSError)
        self.client = client
        self.stream = stream
        self.group = group
        self.retry_set = stream + _native.RETRY_SET_SUFFIX
        self.dead_letters = stream + _native.DEAD_LETTER_SUFFIX
        self._fail = client.register_script(_native.QUEUE_FAIL_SCRIPT)
        self._promote = client.register_script(_native.QUEUE_PROMOTE_SCRIPT)
        self._ack = client.register_script(_native.QUEUE_ACK_SCRIPT)
        self._group_ready = False

    def __repr__(self) -> str:
        return f"RedisStreamQueue(stream={self.stream!r}, group={self.group!r})"

    def _call(self, what: str, run: Callable[[], Any]) -> Any:
        try:
            return run()
        except self._errors as error:
            raise _redis_failed(what, error) from error

    def ensure_group(self) -> None:
        """Create the consumer group (and the stream) unless it exists."""
        try:
            self._call("XGROUP CREATE", lambda: self.client.xgroup_create(self.stream, self.group, id="0", mkstream=True))
        except QueueUnavailable as error:
            if "BUSYGROUP" not in str(error):
                raise
        self._group_ready = True

    def enqueue(self, envelope: Envelope, token: str) -> str:
        """Add an envelope (and its claim's token) as attempt 1: the message id."""
        reply = self._call("XADD", lambda: self.client.xadd(self.stream, _message_fields(envelope, token)))
        return _text(reply)

    def _with_group(self, what: str, run: Callable[[], Any]) -> Any:
        """`run()`, creating the group first, and again if Redis lost it (a restart without persistence)."""
        if not self._group_ready:
            self.ensure_group()
        try:
            return self._call(what, run)
        except QueueUnavailable as error:
            if "NOGROUP" not in str(error):
                raise
            self.ensure_group()
            return self._call(what, run)

    def read(self, consumer: str, count: int, block_ms: int) -> list[Message]:
        """New messages for `consumer` (waiting up to `block_ms`)."""
        reply = self._with_group(
            "XREADGROUP",
            lambda: self.client.xreadgroup(self.group, consumer, {self.stream: ">"}, count=count, block=block_ms),
        )
        return [m for _, entries in (reply or []) for m in self._messages(entries)]

    def reclaim(self, consumer: str, idle_ms: int, count: int) -> list[Message]:
        """Messages other consumers have held for `idle_ms` or more, now `consumer`'s (XAUTOCLAIM)."""
        reply = self._with_group(
            "XAUTOCLAIM",
            lambda: self.client.xautoclaim(self.stream, self.group, consumer, idle_ms, "0-0", count=count),
        )
        messages = self._messages(reply[1] if reply else [])
        for index, message in enumerate(messages):
            pending = self._pending(message.id)
            if pending:
                messages[index] = Message(
                    message.id, message.envelope, message.token, message.attempt, int(pending[0]["times_delivered"])
                )
        return messages

    def _pending(self, message_id: str) -> Any:
        """XPENDING's entry for one message: its consumer, idle time and times delivered."""
        return self._call(
            "XPENDING", lambda: self.client.xpending_range(self.stream, self.group, message_id, message_id, 1)
        )

    def _messages(self, entries: Any) -> list[Message]:
        out = []
        for message_id, fields in entries or []:
            if fields is None:  # deleted while pending
                continue
            text = {_text(k): _text(v) for k, v in fields.items()}
            try:
                attempt = int(text.get("attempt", "1"))
            except ValueError:
                attempt = 1
            out.append(Message(_text(message_id), text.get("envelope", ""), text.get("token", ""), attempt))
        return out

    def promote(self, count: int = 100) -> int:
        """Move the due retries back onto the stream: how many."""
        return int(self._call("promote", lambda: self._promote(keys=[self.stream, self.retry_set], args=[count])))

    def ack(self, message: Message) -> bool:
        """Acknowledge and delete a settled message; False when another worker already did."""
        reply = self._call("ack", lambda: self._ack(keys=[self.stream], args=[self.group, message.id]))
        return int(reply) == 1

    def fail(self, message: Message, reason: str, *, max_attempts: int, delay_ms: int) -> str:
        """Schedule the message again after `delay_ms`, or (at `max_attempts`; 0: now) dead-letter it:
        "retry", "dead", or "gone" (another worker settled it)."""
        reply = self._call(
            "fail",
            lambda: self._fail(
                keys=[self.stream, self.retry_set, self.dead_letters],
                args=[self.group, message.id, message.envelope, message.token, message.attempt, max_attempts, delay_ms, reason],
            ),
        )
        return {1: "retry", 2: "dead"}.get(int(reply), "gone")

    def dead(self, count: int = 100) -> list[dict[str, str]]:
        """The oldest dead letters (their fields), for inspection."""
        entries = self._call("XRANGE", lambda: self.client.xrange(self.dead_letters, count=count))
        return [{"id": _text(i), **{_text(k): _text(v) for k, v in f.items()}} for i, f in entries]


@dataclass
class _Counts:
    handled: int = 0
    duplicates: int = 0
    retried: int = 0
    dead: int = 0
    reclaimed: int = 0


class QueueWorker:
    """The processing half: reads `queue` as `consumer` (default
    host-pid), and for each message opens its envelope with `verifier`
    (verified again; tolerance from received-at), checks the claim in
    `dedupe` (a delivery already done is acknowledged without running the
    handler), calls `handler(event)` (a visit for "visit" envelopes),
    completes the claim for `retention`, and acknowledges the message.

    A handler that raises is tried again after `retry_delay` seconds,
    doubling up to `max_retry_delay`, and after `max_attempts` the message
    goes to the dead letters (`queue.dead()`) with the exception's type and
    message as the reason, and its claim is released. An envelope that
    cannot be opened (`InvalidEnvelope`, or verification failing again) is
    dead-lettered at once. Messages another worker has held for
    `claim_idle` seconds are taken over: keep it longer than the slowest
    handler. A message lost by workers more than `max_attempts` times is
    dead-lettered too.
    """

    def __init__(
        self,
        verifier: Any,
        queue: RedisStreamQueue,
        dedupe: Any,
        handler: Callable[[Any], Any],
        *,
        consumer: Optional[str] = None,
        max_attempts: int = _native.DEFAULT_MAX_ATTEMPTS,
        retry_delay: Seconds = _native.DEFAULT_RETRY_DELAY_MS / 1000,
        max_retry_delay: Seconds = _native.DEFAULT_MAX_RETRY_DELAY_MS / 1000,
        claim_idle: Seconds = _native.DEFAULT_CLAIM_IDLE_MS / 1000,
        lease: Seconds = _native.DEFAULT_QUEUE_LEASE_MS / 1000,
        retention: Seconds = _native.DEFAULT_RETENTION,
        block: Seconds = 1.0,
        batch: int = 10,
    ) -> None:
        if not (isinstance(max_attempts, int) and max_attempts >= 1):
            raise ValueError("max_attempts must be a positive integer")
        self.verifier = verifier
        self.queue = queue
        self.dedupe = dedupe
        self.handler = handler
        self.consumer = consumer or f"{socket.gethostname()}-{os.getpid()}"
        self.max_attempts = max_attempts
        self.retry_delay_ms = _ms(_seconds(retry_delay, "retry_delay"))
        self.max_retry_delay_ms = _ms(_seconds(max_retry_delay, "max_retry_delay"))
        self.claim_idle_ms = _ms(_seconds(claim_idle, "claim_idle"))
        self.lease = _seconds(lease, "lease")
        self.retention = _seconds(retention, "retention")
        self.block_ms = _ms(_seconds(block, "block"))
        self.batch = batch
        self.counts = _Counts()
        self.runner = DeliveryRunner(
            verifier, dedupe, handler, lease=self.lease, retention=self.retention, run_lease=self.claim_idle_ms / 1000
        )

    def __repr__(self) -> str:
        return f"QueueWorker({self.queue!r}, consumer={self.consumer!r})"

    def run(self, stop: Optional[threading.Event] = None) -> None:
        """Process messages until `stop` is set. A queue that fails is tried again each second."""
        stop = stop or threading.Event()
        while not stop.is_set():
            try:
                self.run_once()
            except QueueUnavailable as error:
                logger.warning("the queue failed (%s); trying again in 1 s", error)
                stop.wait(1.0)

    def run_once(self) -> int:
        """One round: move due retries back, take over idle messages, read new ones,
        and process them: how many messages were processed."""
        self.queue.promote()
        messages = self.queue.reclaim(self.consumer, self.claim_idle_ms, self.batch)
        self.counts.reclaimed += len(messages)
        if not messages:
            messages = self.queue.read(self.consumer, self.batch, self.block_ms)
        for message in messages:
            self.process(message)
        return len(messages)

    def process(self, message: Message) -> str:
        """Process one message: "handled", "duplicate", "retry", "dead" or "gone"."""
        if message.deliveries > self.max_attempts:
            reason = f"lost by workers {message.deliveries} times (crashed or too slow)"
            return self._dead(message, reason, None, None)
        outcome = self.runner.run(message.envelope, message.token)
        if outcome.kind == "invalid":
            return self._dead(message, outcome.reason, outcome.key, outcome.token)
        if outcome.kind == "failed":
            return self._retry(message, outcome.reason, outcome.key, outcome.token)
        self.queue.ack(message)
        if outcome.kind == "duplicate":
            self.counts.duplicates += 1
        else:
            self.counts.handled += 1
        return outcome.kind

    def _retry(self, message: Message, reason: str, key: Optional[str], token: Optional[str]) -> str:
        delay = _native.retry_delay_ms(message.attempt, self.retry_delay_ms, self.max_retry_delay_ms)
        outcome = self.queue.fail(message, reason, max_attempts=self.max_attempts, delay_ms=delay)
        if outcome == "retry":
            self.counts.retried += 1
            logger.warning(
                "delivery %s failed on attempt %d of %d (%s); trying again in %d ms",
                key, message.attempt, self.max_attempts, reason, delay,
            )
        elif outcome == "dead":
            self._dead_lettered(message, reason, key, token)
        return outcome

    def _dead(self, message: Message, reason: str, key: Optional[str], token: Optional[str]) -> str:
        outcome = self.queue.fail(message, reason, max_attempts=0, delay_ms=0)
        if outcome == "dead":
            self._dead_lettered(message, reason, key, token)
        return outcome

    def _dead_lettered(self, message: Message, reason: str, key: Optional[str], token: Optional[str]) -> None:
        self.counts.dead += 1
        logger.error("delivery %s moved to the dead letters after attempt %d: %s", key, message.attempt, reason)
        self.runner.release(key, token)


@dataclass(frozen=True)
class Outcome:
    """What `DeliveryRunner.run` did with one envelope: "handled",
    "duplicate" (done before: nothing ran), "failed" (the handler raised,
    or the store failed: try again) or "invalid" (the envelope cannot be
    opened: never try again); the delivery's key and the claim's token when
    known, and the reason of a failure."""

    kind: Literal["handled", "duplicate", "failed", "invalid"]
    key: Optional[str] = None
    token: Optional[str] = None
    reason: str = ""


#: The store key a worker claims while it runs a delivery's handler: this,
#: then the delivery key (the core's).
RUN_KEY_PREFIX: str = _native.QUEUE_RUN_KEY_PREFIX


class DeliveryRunner:
    """What every worker does with one envelope, whatever carries it (the
    Redis stream, Celery): open it with `verifier` (verified again,
    tolerance from received-at), check the claim in `dedupe` (done before:
    nothing runs; the receiver's lease ended: a new claim), claim the run
    (`RUN_KEY_PREFIX` + key, for `run_lease`: one worker at a time per
    delivery), call `handler(event)`, and mark the key done (tried for a
    few seconds)."""

    def __init__(
        self,
        verifier: Any,
        dedupe: Any,
        handler: Callable[[Any], Any],
        *,
        lease: float,
        retention: float,
        run_lease: float = _native.DEFAULT_CLAIM_IDLE_MS / 1000,
    ) -> None:
        self.verifier = verifier
        self.dedupe = dedupe
        self.handler = handler
        self.lease = lease
        self.retention = retention
        self.run_lease = run_lease

    def run(self, envelope_json: Union[str, bytes], token: str) -> Outcome:
        try:
            envelope = Envelope.from_json(envelope_json, max_body_bytes=self.verifier.max_body_bytes)
        except InvalidEnvelope as error:
            return Outcome("invalid", reason=f"{error.code}: {error}")
        key = envelope.key
        try:
            delivery = open_envelope(self.verifier, envelope)
        except (InvalidEnvelope, WebhookError) as error:
            return Outcome("invalid", key, token, f"{error.code}: {error}")
        body_hash = _native.body_hash(envelope.body)
        try:
            claim = self.dedupe.claim(key, body_hash, self.lease)
        except StoreUnavailable as error:
            return Outcome("failed", key, token, f"store_unavailable: {error}")
        if claim.outcome == "conflict":
            # Another body holds the key: kept in the dead letters with both
            # hashes, never run and never dropped.
            _log_conflict(key, body_hash, claim, "dead-lettering the message")
            return Outcome("invalid", key, None, f"delivery_conflict: body {body_hash}, the store holds {claim.stored_hash} ({claim.found})")
        if claim.outcome == "duplicate":
            # Done before (a worker died between its done mark and its ack).
            logger.debug("delivery %s was handled before; acknowledged without running the handler", key)
            return Outcome("duplicate", key, token)
        if claim.outcome == "new":
            token = claim.token or token  # the receiver's lease had ended: hold a new one
        # One worker at a time per delivery: a message queued twice (a client
        # that resent an XADD) or taken over from a worker still running
        # waits for the other's done mark instead of running beside it.
        run_key = RUN_KEY_PREFIX + key
        try:
            run = self.dedupe.claim(run_key, body_hash, self.run_lease)
        except StoreUnavailable as error:
            return Outcome("failed", key, token, f"store_unavailable: {error}")
        if run.outcome != "new" or not run.token:
            return Outcome("failed", key, token, "another worker is handling this delivery now")
        try:
            try:
                self.handler(delivery)
            except Exception as error:  # noqa: BLE001 - kept as the reason, retried
                return Outcome("failed", key, token, f"{type(error).__name__}: {error}")
            self._complete(key, token, body_hash)
            return Outcome("handled", key, token)
        finally:
            try:
                self.dedupe.release(run_key, run.token)
            except StoreUnavailable:
                pass  # it ends with its lease

    def _complete(self, key: str, token: str, body_hash: str) -> None:
        """The done mark, tried for up to a few seconds: the handler ran, so
        the message is acknowledged either way (a copy arriving after the
        lease may then be handled again, which is logged)."""
        delay = 0.05
        for attempt in range(8):
            try:
                self.dedupe.complete(key, token, body_hash, self.retention)
                return
            except StoreUnavailable as error:
                if attempt == 7:
                    logger.error("could not mark delivery %s done (%s): a copy after its lease may run again", key, error)
                    return
                time.sleep(delay)
                delay = min(delay * 2, 1.0)

    def release(self, key: Optional[str], token: Optional[str]) -> None:
        """Release a dead-lettered delivery's claim: a retry of the sender (or a replay) may take it."""
        if key is None or not token:
            return
        try:
            self.dedupe.release(key, token)
        except StoreUnavailable as error:
            logger.error("could not release delivery %s (%s)", key, error)
