"""The Redis stores: a fleet of hosts, with the core's Lua scripts (`dedupe`
re-exports them)."""

from __future__ import annotations

import asyncio
import heapq
import threading
import time
from typing import Any, Optional

from . import _native
from ._claim import DEFAULT_LEASE, DEFAULT_RETENTION, Claim, Seconds, _millis, _seconds
from ._errors import StoreUnavailable


def _redis_errors() -> tuple[type[BaseException], ...]:
    try:
        import redis
    except ImportError as error:  # pragma: no cover - the extra is missing
        raise ImportError(
            "RedisStore needs redis-py: pip install 'bullseye-webhooks[redis]'"
        ) from error
    return (redis.RedisError, OSError)


def _unavailable(error: BaseException) -> StoreUnavailable:
    return StoreUnavailable(f"store_unavailable: Redis: {type(error).__name__}: {error}")


def _claim_reply(reply: Any) -> tuple[int, str]:
    """The claim script's `{code, stored hash}` (bytes or str, as the client decodes)."""
    code, stored = reply
    return int(code), stored.decode() if isinstance(stored, bytes) else str(stored)


# A claim whose answer timed out may still land (a paused Redis runs it when
# it resumes), and would hold the key for a whole lease with nobody to
# complete it. It is released by its token (made here, so no other claim is
# touched): tried 50 ms later, doubling to 1 s, until Redis answers; an
# answer of "not held" is confirmed once more (the late claim may come in
# just after), then it stops; and it stops anyway after the lease plus 30 s,
# when the claim would have ended on its own.
_LATE_FIRST_DELAY = 0.05
_LATE_MAX_DELAY = 1.0
_LATE_GRACE = 30.0
_LATE: set[asyncio.Task[None]] = set()


#: At most this many claims wait for their late release (past it, a claim
#: ends with its lease, as it would without one); the thread ends after
#: `_LATE_IDLE` seconds with none.
_LATE_MAX_PENDING = 10_000
_LATE_IDLE = 5.0


class _LateReleases:
    """The late releases of one `RedisStore`, on one daemon thread (started
    when needed, again in a forked child): a stalled Redis with many
    requests waiting costs one thread, not one each."""

    def __init__(self, release: Any) -> None:
        self._release = release
        self._items: list[tuple[float, int, str, str, float, float, int]] = []  # a heap by due time
        self._count = 0
        self._wake = threading.Condition()
        self._thread: Optional[threading.Thread] = None

    def add(self, key: str, token: str, lease: float) -> None:
        now = time.monotonic()
        with self._wake:
            if len(self._items) >= _LATE_MAX_PENDING:
                return
            self._push((now + _LATE_FIRST_DELAY, key, token, now + lease + _LATE_GRACE, _LATE_FIRST_DELAY, 0))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._work, name="bullseye-webhooks-late-release", daemon=True)
                self._thread.start()
            self._wake.notify()

    def _push(self, item: tuple[float, str, str, float, float, int]) -> None:
        due, key, token, deadline, delay, answered = item
        self._count += 1
        heapq.heappush(self._items, (due, self._count, key, token, deadline, delay, answered))

    def _next(self) -> Optional[tuple[str, str, float, float, int]]:
        with self._wake:
            while True:
                if not self._items:
                    if not self._wake.wait(_LATE_IDLE) and not self._items:
                        self._thread = None
                        return None
                    continue
                wait = self._items[0][0] - time.monotonic()
                if wait > 0:
                    self._wake.wait(wait)
                    continue
                _, _, key, token, deadline, delay, answered = heapq.heappop(self._items)
                return key, token, deadline, delay, answered

    def _work(self) -> None:
        while (item := self._next()) is not None:
            key, token, deadline, delay, answered = item
            try:
                released = self._release(key, token)
            except StoreUnavailable:
                pass
            else:
                answered += 1
                if released or answered >= 2:
                    continue
            due = time.monotonic() + delay
            if due <= deadline:
                with self._wake:
                    self._push((due, key, token, deadline, min(delay * 2, _LATE_MAX_DELAY), answered))


async def _release_late_async(release: Any, lease: float) -> None:
    deadline = time.monotonic() + lease + _LATE_GRACE
    delay, answered = _LATE_FIRST_DELAY, 0
    while time.monotonic() + delay <= deadline:
        await asyncio.sleep(delay)
        delay = min(delay * 2, _LATE_MAX_DELAY)
        try:
            released = await release()
        except StoreUnavailable:
            continue
        answered += 1
        if released or answered >= 2:
            return


class RedisStore:
    """A store in Redis (redis-py's `redis.Redis`, or anything with its
    `register_script`), shared by a fleet. Runs the core's Lua scripts, so
    every language's Redis store agrees: the key `{prefix}{delivery_key}`
    holds `w:{token}` for the lease, then `done` for the retention.

    Every call must time out: the client needs `socket_timeout` (and
    `socket_connect_timeout`) set, e.g.
    `RedisStore(redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2))`,
    or `RedisStore.from_url(url)`. Exactly-once across a Redis restart needs
    AOF persistence (`appendonly yes`).
    """

    blocking = True

    def __init__(self, client: Any, *, prefix: str = _native.REDIS_KEY_PREFIX) -> None:
        self._errors = _redis_errors()
        kwargs = getattr(getattr(client, "connection_pool", None), "connection_kwargs", None)
        if isinstance(kwargs, dict) and kwargs.get("socket_timeout") is None:
            raise ValueError(
                "RedisStore needs a client whose calls time out: create it with socket_timeout= "
                "(and socket_connect_timeout=), e.g. redis.Redis.from_url(url, socket_timeout=2, "
                "socket_connect_timeout=2), or use RedisStore.from_url(url)"
            )
        self.client = client
        self.prefix = prefix
        self._claim = client.register_script(_native.REDIS_CLAIM_SCRIPT)
        self._complete = client.register_script(_native.REDIS_COMPLETE_SCRIPT)
        self._release = client.register_script(_native.REDIS_RELEASE_SCRIPT)
        self._late = _LateReleases(self.release)

    @classmethod
    def from_url(cls, url: str, *, timeout: float = 2.0, prefix: str = _native.REDIS_KEY_PREFIX) -> RedisStore:
        """A store on a new `redis.Redis` client for `url`, every call bounded by `timeout` seconds."""
        import redis

        client = redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
        return cls(client, prefix=prefix)

    def __repr__(self) -> str:
        return f"RedisStore(prefix={self.prefix!r})"

    def claim(self, key: str, body_hash: str, lease: Seconds = DEFAULT_LEASE) -> Claim:
        """Claim `key`. When Redis does not answer in time, the claim may
        still land (a paused Redis runs it when it resumes): it is released
        by its token in a background thread (see `_release_late`)."""
        token = _native.new_claim_token()
        lease_s = _seconds(lease, "lease")
        try:
            reply = self._claim(keys=[self.prefix + key], args=[token, _millis(lease_s), body_hash])
        except self._errors as error:
            self._late.add(key, token, lease_s)
            raise _unavailable(error) from error
        return Claim._of(_native.redis_claim_reply(*_claim_reply(reply), token))

    def complete(self, key: str, token: str, body_hash: str, retention: Seconds = DEFAULT_RETENTION) -> str:
        retention_ms = _millis(_seconds(retention, "retention"))
        try:
            reply = self._complete(keys=[self.prefix + key], args=[token, retention_ms, body_hash])
        except self._errors as error:
            raise _unavailable(error) from error
        return _native.redis_complete_reply(int(reply))

    def release(self, key: str, token: str) -> bool:
        try:
            reply = self._release(keys=[self.prefix + key], args=[token])
        except self._errors as error:
            raise _unavailable(error) from error
        return int(reply) == 1


class AsyncRedisStore:
    """`RedisStore` for asyncio (`redis.asyncio.Redis`): every call bounded
    by `timeout` seconds (default 2), whatever the client's own settings."""

    def __init__(self, client: Any, *, prefix: str = _native.REDIS_KEY_PREFIX, timeout: float = 2.0) -> None:
        self._errors = _redis_errors() + (asyncio.TimeoutError,)
        self.client = client
        self.prefix = prefix
        self.timeout = _seconds(timeout, "timeout")
        self._claim = client.register_script(_native.REDIS_CLAIM_SCRIPT)
        self._complete = client.register_script(_native.REDIS_COMPLETE_SCRIPT)
        self._release = client.register_script(_native.REDIS_RELEASE_SCRIPT)

    @classmethod
    def from_url(cls, url: str, *, timeout: float = 2.0, prefix: str = _native.REDIS_KEY_PREFIX) -> AsyncRedisStore:
        """A store on a new `redis.asyncio.Redis` client for `url`."""
        import redis.asyncio

        client = redis.asyncio.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
        return cls(client, prefix=prefix, timeout=timeout)

    def __repr__(self) -> str:
        return f"AsyncRedisStore(prefix={self.prefix!r})"

    async def _call(self, script: Any, keys: list[str], args: list[Any]) -> Any:
        try:
            return await asyncio.wait_for(script(keys=keys, args=args), self.timeout)
        except self._errors as error:
            raise _unavailable(error) from error

    async def _run(self, script: Any, keys: list[str], args: list[Any]) -> int:
        return int(await self._call(script, keys, args))

    async def claim(self, key: str, body_hash: str, lease: Seconds = DEFAULT_LEASE) -> Claim:
        """Claim `key`; a claim that timed out is released late, as `RedisStore.claim` does, in a task."""
        token = _native.new_claim_token()
        lease_s = _seconds(lease, "lease")
        try:
            reply = await self._call(self._claim, [self.prefix + key], [token, _millis(lease_s), body_hash])
        except StoreUnavailable:
            if len(_LATE) < _LATE_MAX_PENDING:  # past it, the claim ends with its lease
                task = asyncio.get_running_loop().create_task(
                    _release_late_async(lambda: self.release(key, token), lease_s)
                )
                _LATE.add(task)
                task.add_done_callback(_LATE.discard)
            raise
        return Claim._of(_native.redis_claim_reply(*_claim_reply(reply), token))

    async def complete(self, key: str, token: str, body_hash: str, retention: Seconds = DEFAULT_RETENTION) -> str:
        retention_ms = _millis(_seconds(retention, "retention"))
        reply = await self._run(self._complete, [self.prefix + key], [token, retention_ms, body_hash])
        return _native.redis_complete_reply(reply)

    async def release(self, key: str, token: str) -> bool:
        return await self._run(self._release, [self.prefix + key], [token]) == 1
