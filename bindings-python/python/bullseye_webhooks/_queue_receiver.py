"""The receiving half of the queue hand-off (re-exported by
`bullseye_webhooks.queue`): `QueueReceiver` (blocking) and
`AsyncQueueReceiver` (asyncio), which share every answer, log line and
release rule below, and `AsyncRedisStreamQueue`, the asyncio writer of the
stream `RedisStreamQueue` reads."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Awaitable, Iterator
from datetime import timedelta
from typing import Any, Generic, Literal, Optional, Protocol, TypeVar, Union

from . import _native
from ._errors import StoreUnavailable, WebhookError
from ._http import _BACKGROUND, Answer, awaitable, claim_answer, refusal
from ._native import Envelope, make_envelope

#: The integrations' logger: settled messages at DEBUG, retries and dead
#: letters at WARNING/ERROR; keys and reasons, never a body.
logger = logging.getLogger("bullseye_webhooks.queue")

Seconds = Union[float, timedelta]


def _seconds(value: Seconds, what: str) -> float:
    seconds = value.total_seconds() if isinstance(value, timedelta) else float(value)
    if not seconds > 0:
        raise ValueError(f"{what} must be a positive number of seconds or a timedelta")
    return seconds


class QueueUnavailable(Exception):
    """The queue (Redis) could not be reached or did not answer in time.
    `maybe_sent`: False only when the command surely never reached Redis
    (the connection was refused); after a timeout or a connection lost
    mid-command it may have been carried out."""

    code = "queue_unavailable"

    def __init__(self, message: str, *, maybe_sent: bool = True) -> None:
        super().__init__(message)
        self.maybe_sent = maybe_sent


def _redis_failed(what: str, error: BaseException) -> QueueUnavailable:
    """A redis-py failure (blocking or asyncio client) as `QueueUnavailable`."""
    from redis.exceptions import ConnectionError as RedisConnectionError

    # redis-py says "connecting to" when it could not connect at all.
    refused = isinstance(error, RedisConnectionError) and "connecting to" in str(error)
    return QueueUnavailable(f"queue_unavailable: Redis {what}: {type(error).__name__}: {error}", maybe_sent=not refused)


def _message_fields(envelope: Envelope, token: str) -> dict[str, str]:
    """A new stream message: the envelope (and its claim's token) as attempt 1."""
    return {"envelope": envelope.to_json(), "token": token, "attempt": "1"}


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class EnvelopeQueue(Protocol):
    """What a receiver enqueues into: `RedisStreamQueue`, or Celery's
    `bullseye_webhooks.celery.CeleryQueue`. A queue that cannot take the
    envelope raises `QueueUnavailable`."""

    def enqueue(self, envelope: Envelope, token: str) -> str: ...


class AsyncEnvelopeQueue(Protocol):
    """What `AsyncQueueReceiver` enqueues into: `AsyncRedisStreamQueue`, or an
    `EnvelopeQueue` (called in a thread, unless it says `blocking = False`)."""

    def enqueue(self, envelope: Envelope, token: str) -> Union[Awaitable[str], str]: ...


class AsyncRedisStreamQueue:
    """The receiving half of `RedisStreamQueue` for asyncio: `enqueue` adds
    the same message (`XADD`) to the same stream through a
    `redis.asyncio.Redis` client, every call bounded by `timeout` seconds
    (default 2), whatever the client's own settings. Workers read the
    stream with `RedisStreamQueue` (or a Node or Rust `QueueWorker`)."""

    def __init__(self, client: Any, *, stream: str = _native.DEFAULT_QUEUE_STREAM, timeout: float = 2.0) -> None:
        import redis

        self._errors: tuple[type[BaseException], ...] = (redis.RedisError, OSError, asyncio.TimeoutError)
        self.client = client
        self.stream = stream
        self.timeout = _seconds(timeout, "timeout")

    def __repr__(self) -> str:
        return f"AsyncRedisStreamQueue(stream={self.stream!r})"

    async def enqueue(self, envelope: Envelope, token: str) -> str:
        """Add an envelope (and its claim's token) as attempt 1: the message id."""
        try:
            reply = await asyncio.wait_for(self.client.xadd(self.stream, _message_fields(envelope, token)), self.timeout)
        except self._errors as error:
            raise _redis_failed("XADD", error) from error
        return _text(reply)


def _release_delays(lease: float) -> Iterator[float]:
    """The waits before each try of a release that failed: 50 ms doubling to
    1 s, until the lease would end anyway."""
    deadline, delay = time.monotonic() + lease, 0.05
    while time.monotonic() + delay < deadline:
        yield delay
        delay = min(delay * 2, 1.0)


Queue = TypeVar("Queue", bound=AsyncEnvelopeQueue)  # EnvelopeQueue is one too


class _Receiving(Generic[Queue]):
    """What both receivers do besides waiting: the arguments, and for each
    step of verify, claim, enqueue its answer and its log line."""

    def __init__(
        self,
        verifier: Any,
        queue: Queue,
        dedupe: Any,
        *,
        scheme: Optional[Literal["bullseye_event", "visit", "bitnob"]] = None,
        lease: Seconds = _native.DEFAULT_QUEUE_LEASE_MS / 1000,
        retry_after: Seconds = _native.STORE_RETRY_AFTER,
    ) -> None:
        if not all(callable(getattr(dedupe, name, None)) for name in ("claim", "complete", "release")):
            raise TypeError("dedupe must be a store: an object with claim, complete and release")
        self.verifier = verifier
        self.queue = queue
        self.dedupe = dedupe
        self.scheme = scheme
        self.lease = _seconds(lease, "lease")
        self.retry_after = str(max(1, round(_seconds(retry_after, "retry_after"))))
        self._ready()

    def _ready(self) -> None:
        """Whatever a receiver prepares from its store and queue."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.verifier!r}, {self.queue!r}, dedupe={self.dedupe!r})"

    def _envelope(self, body: Any, headers: Any) -> Union[tuple[Envelope, str, str], Answer]:
        """The delivery's envelope, key and body hash, or the refusal to
        answer (nothing claimed or queued)."""
        try:
            envelope = make_envelope(self.verifier, body, headers, scheme=self.scheme)
        except WebhookError as error:
            status, payload = refusal(error)
            return Answer(status, payload)
        return envelope, envelope.key, _native.body_hash(envelope.body)

    def _store_failed(self, key: str, error: StoreUnavailable) -> Answer:
        logger.warning("the de-duplication store failed (%s); answering 503 for delivery %s", error, key)
        return Answer(503, {"error": "store_unavailable"}, {"Retry-After": self.retry_after})

    def _queue_failed(self, key: str, error: QueueUnavailable) -> tuple[Answer, bool]:
        """The answer when the queue failed, and whether to release the claim.
        A message that may be in the queue keeps its claim: releasing it
        would let a copy be queued (and handled) a second time. The claim
        then ends when a worker marks the key done, or with its lease
        (before Bullseye's last retry)."""
        logger.warning("the queue failed (%s); answering 503 for delivery %s", error, key)
        answer = Answer(503, {"error": "queue_unavailable"}, {"Retry-After": self.retry_after})
        return answer, not getattr(error, "maybe_sent", True)

    @staticmethod
    def _release_failed(key: str, error: StoreUnavailable) -> None:
        logger.warning("could not release delivery %s after the queue failed (%s); retrying", key, error)

    @staticmethod
    def _release_gave_up(key: str) -> None:
        logger.error("could not release delivery %s: its claim holds it until its lease ends", key)


_QUEUED = {"queued": True}


class QueueReceiver(_Receiving[EnvelopeQueue]):
    """The receiving half: `receive(body, headers)` verifies the delivery,
    claims its key in `dedupe` (any store: `RedisStore`, `SQLiteStore`,
    `MemoryStore` in one process) for `lease` (default 10 minutes, longer
    than a message waits and is retried), adds its envelope to `queue` (a
    `RedisStreamQueue`, or Celery's `CeleryQueue`), and answers 202
    `{"queued": true}` without running any handler.

    The other answers are those of the de-duplication: 200
    `{"duplicate": true}`, 409 `delivery_in_flight` with `Retry-After`,
    503 `store_unavailable`; 503 `{"error": "queue_unavailable"}` with
    `Retry-After` when the stream cannot be written (the claim is then
    released when Redis surely never took the message, a refused
    connection; otherwise it is kept until a worker marks the key done or
    the lease ends, so a copy is never queued twice); and the refusals of
    verification (400, 401, 413, with `{"error": code}`).

    `scheme`: "visit" for fingerprinting-api visits on a `Webhook`;
    otherwise the verifier's own (Bullseye events, Bitnob).
    """

    def receive(self, body: Any, headers: Any) -> Answer:
        """Verify, claim, enqueue: the HTTP answer to give (`status`, `body`, `headers`)."""
        opened = self._envelope(body, headers)
        if isinstance(opened, Answer):
            return opened
        envelope, key, body_hash = opened
        try:
            claim = self.dedupe.claim(key, body_hash, self.lease)
        except StoreUnavailable as error:
            return self._store_failed(key, error)
        answer = claim_answer(key, body_hash, claim)
        if answer is not None:
            return answer
        try:
            self.queue.enqueue(envelope, claim.token)
        except QueueUnavailable as error:
            answer, release = self._queue_failed(key, error)
            if release:
                self._release(key, claim.token)
            return answer
        return Answer(202, dict(_QUEUED))

    def _release(self, key: str, token: str) -> None:
        """Release the claim of a delivery that was not queued. When the
        store fails too (one Redis down for both), it is tried again in the
        background (`_release_delays`): otherwise every copy would get 409
        for the whole lease."""
        try:
            self.dedupe.release(key, token)
            return
        except StoreUnavailable as error:
            self._release_failed(key, error)
        threading.Thread(target=self._release_later, args=(key, token), name="bullseye-webhooks-release",
                         daemon=True).start()

    def _release_later(self, key: str, token: str) -> None:
        for delay in _release_delays(self.lease):
            time.sleep(delay)
            try:
                self.dedupe.release(key, token)
                return
            except StoreUnavailable:
                continue
        self._release_gave_up(key)


class AsyncQueueReceiver(_Receiving[AsyncEnvelopeQueue]):
    """`QueueReceiver` for asyncio: `await receive(body, headers)` gives the
    same answers, waiting on the event loop, with no thread. `queue`: an
    `AsyncRedisStreamQueue`, or a blocking queue (`CeleryQueue`: see its
    `blocking`). `dedupe`: an asyncio store (`AsyncRedisStore`,
    `AsyncCachedStore`), or a synchronous one (`MemoryStore` is called on
    the loop; a blocking one, `SQLiteStore` or `RedisStore`, in a thread).
    A release that fails is tried again in a task."""

    def _ready(self) -> None:
        blocking = getattr(self.dedupe, "blocking", True)
        self._claim = awaitable(self.dedupe.claim, blocking)
        self._release_once = awaitable(self.dedupe.release, blocking)
        self._enqueue = awaitable(self.queue.enqueue, getattr(self.queue, "blocking", True))

    async def receive(self, body: Any, headers: Any) -> Answer:
        """Verify, claim, enqueue: the HTTP answer to give (`status`, `body`, `headers`)."""
        opened = self._envelope(body, headers)
        if isinstance(opened, Answer):
            return opened
        envelope, key, body_hash = opened
        try:
            claim = await self._claim(key, body_hash, self.lease)
        except StoreUnavailable as error:
            return self._store_failed(key, error)
        answer = claim_answer(key, body_hash, claim)
        if answer is not None:
            return answer
        try:
            await self._enqueue(envelope, claim.token)
        except QueueUnavailable as error:
            answer, release = self._queue_failed(key, error)
            if release:
                await self._release(key, claim.token)
            return answer
        return Answer(202, dict(_QUEUED))

    async def _release(self, key: str, token: str) -> None:
        """`QueueReceiver._release`, retried in a task."""
        try:
            await self._release_once(key, token)
            return
        except StoreUnavailable as error:
            self._release_failed(key, error)
        task = asyncio.get_running_loop().create_task(self._release_later(key, token))
        _BACKGROUND.add(task)
        task.add_done_callback(_BACKGROUND.discard)

    async def _release_later(self, key: str, token: str) -> None:
        for delay in _release_delays(self.lease):
            await asyncio.sleep(delay)
            try:
                await self._release_once(key, token)
                return
            except StoreUnavailable:
                continue
        self._release_gave_up(key)
