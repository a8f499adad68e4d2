"""De-duplicating deliveries: the claim protocol's stores.

Both senders retry, so one delivery can arrive several times, sometimes
while the first attempt is still being handled. The integrations claim each
verified delivery's `delivery_key` (defined once, in the Rust core) in a
store before calling the handler:

- `Claim.outcome == "new"`: handle it, then `complete` (on success) or
  `release` (on failure, so the retry is handled);
- `"duplicate"`: it was handled; answer 2xx without handling it;
- `"in_flight"`: another worker holds it; answer 409 with `Retry-After`;
- `"conflict"`: the key was seen with a different body (each claim and done
  mark keeps the body's `body_hash`); answer 409 `delivery_conflict`, or
  handle it under its own key (`on_conflict="process"`).

A claim is a lease (a crashed worker's claim expires); completing and
releasing take the claim's token and never touch another worker's claim.
A Redis claim whose answer timed out may still land: the store releases it
by its token in the background.

Stores:

- `MemoryStore()`: the core's, in this process (bounded, with TTLs): one
  process.
- `SQLiteStore(path)`: the standard library's sqlite3 in WAL mode: several
  worker processes on one host (gunicorn, uvicorn `--workers`).
- `RedisStore(redis.Redis(...))` / `AsyncRedisStore(redis.asyncio.Redis(...))`:
  a fleet of hosts, with the core's Lua scripts (`pip install
  bullseye-webhooks[redis]`). Exactly-once across a Redis restart needs
  Redis persistence (AOF).

A store that fails raises `StoreUnavailable`.
"""

from __future__ import annotations

import asyncio
import heapq
import math
import os
import random
import sqlite3
import threading
import time
from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal, Optional, Protocol, Union

from . import _native
from ._errors import StoreUnavailable

__all__ = [
    "AsyncCachedStore",
    "AsyncRedisStore",
    "AsyncStore",
    "CachedStore",
    "Claim",
    "DEFAULT_LEASE",
    "DEFAULT_RETENTION",
    "MemoryStore",
    "RedisStore",
    "SQLiteStore",
    "STORE_RETRY_AFTER",
    "Store",
    "StoreUnavailable",
]

#: How long a claim holds a delivery, in seconds (60: Bullseye waits 30 s for an answer).
DEFAULT_LEASE: float = _native.DEFAULT_LEASE
#: How long a handled delivery is remembered, in seconds (24 h).
DEFAULT_RETENTION: float = _native.DEFAULT_RETENTION
#: The `Retry-After` of a 503 for a failed store, in seconds (30).
STORE_RETRY_AFTER: float = _native.STORE_RETRY_AFTER

Seconds = Union[float, timedelta]
Outcome = Literal["new", "duplicate", "in_flight", "conflict"]


@dataclass(frozen=True)
class Claim:
    """A store's answer to `claim`: `outcome`, the claim's `token` (new),
    the whole seconds until the holder's lease ends (`retry_after`, in
    flight), or for a conflict the hash the store holds (`stored_hash`) and
    whether that body is `found` "in_flight" or "done"."""

    outcome: Outcome
    token: Optional[str] = None
    retry_after: Optional[int] = None
    stored_hash: Optional[str] = None
    found: Optional[Literal["in_flight", "done"]] = None

    def __repr__(self) -> str:  # the token is not a secret, but needs no showing
        extra = f", retry_after={self.retry_after}" if self.retry_after is not None else ""
        if self.outcome == "conflict":
            extra = f", stored_hash={self.stored_hash!r}, found={self.found!r}"
        return f"Claim({self.outcome!r}{extra})"

    @classmethod
    def _of(cls, native: tuple[str, Optional[str], Optional[int], Optional[str], Optional[str]]) -> Claim:
        return cls(*native)  # type: ignore[arg-type]


class Store(Protocol):
    """A synchronous store. `lease` and `retention` are in seconds;
    `body_hash` is the delivery's `body_hash`, kept with the claim and the
    done mark ("" when unknown: never a conflict)."""

    def claim(self, key: str, body_hash: str, lease: float) -> Claim: ...

    def complete(self, key: str, token: str, body_hash: str, retention: float) -> object: ...

    def release(self, key: str, token: str) -> object: ...


class AsyncStore(Protocol):
    """An asyncio store (`AsyncRedisStore`): the same calls, awaited."""

    def claim(self, key: str, body_hash: str, lease: float) -> Awaitable[Claim]: ...

    def complete(self, key: str, token: str, body_hash: str, retention: float) -> Awaitable[object]: ...

    def release(self, key: str, token: str) -> Awaitable[object]: ...


def _seconds(value: Seconds, what: str) -> float:
    seconds = value.total_seconds() if isinstance(value, timedelta) else float(value)
    if not math.isfinite(seconds) or seconds <= 0:
        raise ValueError(f"{what} must be a positive number of seconds or a timedelta")
    return seconds


def _millis(seconds: float) -> int:
    return max(1, math.ceil(seconds * 1000))


# ---- memory ---------------------------------------------------------------------------


class MemoryStore:
    """The core's in-process store: at most `capacity` keys (expired and the
    oldest done ones dropped first; when it is full of claims in flight,
    `claim` raises `StoreUnavailable`). One process only: each worker
    process has its own."""

    #: Its calls never block (no I/O): async integrations call it directly.
    blocking = False

    def __init__(self, capacity: int = _native.DEFAULT_MEMORY_CAPACITY) -> None:
        self._store = _native.MemoryStore(capacity)

    @property
    def capacity(self) -> int:
        return self._store.capacity

    def __len__(self) -> int:
        return len(self._store)

    def __repr__(self) -> str:
        return repr(self._store)

    def claim(self, key: str, body_hash: str, lease: Seconds = DEFAULT_LEASE) -> Claim:
        return Claim._of(self._store.claim(key, body_hash, _seconds(lease, "lease")))

    def complete(self, key: str, token: str, body_hash: str, retention: Seconds = DEFAULT_RETENTION) -> str:
        """Mark `key` done: "done", "lease_expired" (free, marked done) or "not_held" (left alone)."""
        return self._store.complete(key, token, body_hash, _seconds(retention, "retention"))

    def release(self, key: str, token: str) -> bool:
        """Delete `token`'s claim of `key`; True when it held it."""
        return self._store.release(key, token)


# ---- a cache of recently completed keys, in front of any store ------------------------


#: What the cache answers for every duplicate it finds: one immutable Claim,
#: not a new one per hit (building it was about a third of a cached claim).
_DUPLICATE = Claim("duplicate")


def _cached(known: tuple[str, Optional[str], Optional[int], Optional[str], Optional[str]]) -> Claim:
    return _DUPLICATE if known[0] == "duplicate" else Claim._of(known)


class CachedStore:
    """`store` (any synchronous store) with a small in-process cache in front:
    a claim of a key this process completed is answered from memory
    (duplicate, or conflict for another body: the hash is checked on this
    fast path too), without a round trip. At most `capacity` keys, each
    until its retention ends (a done mark is final until then in every store)."""

    def __init__(self, store: Store, capacity: int = _native.DEFAULT_CACHE_CAPACITY) -> None:
        self.store = store
        self.blocking = getattr(store, "blocking", True)
        self._recent = _native.RecentlyDone(capacity)

    def __repr__(self) -> str:
        return f"CachedStore({self.store!r}, cached={len(self._recent)})"

    def claim(self, key: str, body_hash: str, lease: Seconds = DEFAULT_LEASE) -> Claim:
        known = self._recent.check(key, body_hash)
        return _cached(known) if known is not None else self.store.claim(key, body_hash, _seconds(lease, "lease"))

    def complete(self, key: str, token: str, body_hash: str, retention: Seconds = DEFAULT_RETENTION) -> object:
        retention_s = _seconds(retention, "retention")
        completion = self.store.complete(key, token, body_hash, retention_s)
        if completion in ("done", "lease_expired"):
            self._recent.remember(key, body_hash, retention_s)
        return completion

    def release(self, key: str, token: str) -> object:
        return self.store.release(key, token)


class AsyncCachedStore:
    """`CachedStore` for an asyncio store (`AsyncRedisStore`)."""

    def __init__(self, store: AsyncStore, capacity: int = _native.DEFAULT_CACHE_CAPACITY) -> None:
        self.store = store
        self._recent = _native.RecentlyDone(capacity)

    def __repr__(self) -> str:
        return f"AsyncCachedStore({self.store!r}, cached={len(self._recent)})"

    async def claim(self, key: str, body_hash: str, lease: Seconds = DEFAULT_LEASE) -> Claim:
        known = self._recent.check(key, body_hash)
        return _cached(known) if known is not None else await self.store.claim(key, body_hash, _seconds(lease, "lease"))

    async def complete(self, key: str, token: str, body_hash: str, retention: Seconds = DEFAULT_RETENTION) -> object:
        retention_s = _seconds(retention, "retention")
        completion = await self.store.complete(key, token, body_hash, retention_s)
        if completion in ("done", "lease_expired"):
            self._recent.remember(key, body_hash, retention_s)
        return completion

    async def release(self, key: str, token: str) -> object:
        return await self.store.release(key, token)


# ---- SQLite ---------------------------------------------------------------------------

_DONE = "done"


class SQLiteStore:
    """A store in an SQLite file, shared by the worker processes of one host.

    WAL journal, each call one `BEGIN IMMEDIATE` transaction (claims are
    atomic across processes and threads), `timeout` seconds of waiting for
    the write lock (then `StoreUnavailable`). Times are the system clock
    (`time.time()`), shared by the processes. Expired rows are pruned now
    and then. Keep the file on a local disk: SQLite's locking is unreliable
    on network file systems.

    Each row keeps the body's hash (column `body_hash`, added to a table
    made before it; its old rows have none: an unknown hash, read as the
    same body). A call that fails rolls its transaction back, so no claim
    lands after its caller gave up: nothing to release late.
    """

    blocking = True

    def __init__(self, path: Union[str, os.PathLike[str]], *, timeout: float = 5.0, table: str = "bullseye_webhooks_deliveries") -> None:
        if not table.replace("_", "").isalnum():
            raise ValueError("table must be letters, digits and underscores")
        self.path = os.fspath(path)
        self.timeout = float(timeout)
        self.table = table
        self._local = threading.local()
        with self._transaction() as db:
            db.execute(
                f"CREATE TABLE IF NOT EXISTS {table} "
                "(key TEXT PRIMARY KEY, value TEXT NOT NULL, expires_at REAL NOT NULL, body_hash TEXT) WITHOUT ROWID"
            )
            columns = {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
            if "body_hash" not in columns:
                db.execute(f"ALTER TABLE {table} ADD COLUMN body_hash TEXT")

    def __repr__(self) -> str:
        return f"SQLiteStore({self.path!r})"

    def _connection(self) -> sqlite3.Connection:
        # One connection per thread and process (a forked child opens its own).
        local = self._local
        if getattr(local, "pid", None) != os.getpid():
            db = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None, check_same_thread=False)
            db.execute(f"PRAGMA busy_timeout = {int(self.timeout * 1000)}")
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = NORMAL")
            local.db, local.pid = db, os.getpid()
        return local.db  # type: ignore[no-any-return]

    def _transaction(self) -> _Transaction:
        return _Transaction(self)

    def claim(self, key: str, body_hash: str, lease: Seconds = DEFAULT_LEASE) -> Claim:
        lease_s = _seconds(lease, "lease")
        token = _native.new_claim_token()
        with self._transaction() as db:
            now = time.time()
            row = db.execute(
                f"SELECT value, expires_at, body_hash FROM {self.table} WHERE key = ?", (key,)
            ).fetchone()
            if row is not None and row[1] > now:
                done = row[0] == _DONE
                # No stored hash (a row of the format before it) or none given: the same body.
                if row[2] and body_hash and row[2] != body_hash:
                    return Claim("conflict", stored_hash=row[2], found="done" if done else "in_flight")
                if done:
                    return Claim("duplicate")
                return Claim("in_flight", retry_after=_native.retry_after_secs(_millis(row[1] - now)))
            db.execute(
                f"INSERT OR REPLACE INTO {self.table} (key, value, expires_at, body_hash) VALUES (?, ?, ?, ?)",
                (key, "w:" + token, now + lease_s, body_hash),
            )
            if random.random() < 1 / 512:
                db.execute(f"DELETE FROM {self.table} WHERE expires_at <= ?", (now,))
        return Claim("new", token=token)

    def complete(self, key: str, token: str, body_hash: str, retention: Seconds = DEFAULT_RETENTION) -> str:
        """Mark `key` done: "done", "lease_expired" (free, marked done) or "not_held" (left alone)."""
        retention_s = _seconds(retention, "retention")
        with self._transaction() as db:
            now = time.time()
            row = db.execute(f"SELECT value, expires_at FROM {self.table} WHERE key = ?", (key,)).fetchone()
            live = row is not None and row[1] > now
            if live and row[0] != "w:" + token:
                return "not_held"
            db.execute(
                f"INSERT OR REPLACE INTO {self.table} (key, value, expires_at, body_hash) VALUES (?, ?, ?, ?)",
                (key, _DONE, now + retention_s, body_hash),
            )
        return "done" if live else "lease_expired"

    def release(self, key: str, token: str) -> bool:
        """Delete `token`'s claim of `key`; True when it held it (live)."""
        with self._transaction() as db:
            cursor = db.execute(
                f"DELETE FROM {self.table} WHERE key = ? AND value = ? AND expires_at > ?",
                (key, "w:" + token, time.time()),
            )
            return cursor.rowcount == 1


class _Transaction:
    """`BEGIN IMMEDIATE` ... `COMMIT` (or `ROLLBACK`); sqlite3 errors become
    `StoreUnavailable`."""

    def __init__(self, store: SQLiteStore) -> None:
        self.store = store
        self.db: Optional[sqlite3.Connection] = None

    def __enter__(self) -> sqlite3.Connection:
        try:
            self.db = self.store._connection()
            self.db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as error:
            raise StoreUnavailable(f"store_unavailable: SQLite ({self.store.path}): {error}") from error
        return self.db

    def __exit__(self, kind: Any, error: Any, traceback: Any) -> None:
        assert self.db is not None
        try:
            self.db.execute("ROLLBACK" if kind is not None else "COMMIT")
        except sqlite3.Error as failure:
            if kind is None:
                raise StoreUnavailable(f"store_unavailable: SQLite ({self.store.path}): {failure}") from failure
        if kind is not None and issubclass(kind, sqlite3.Error):
            raise StoreUnavailable(f"store_unavailable: SQLite ({self.store.path}): {error}") from error


# ---- Redis ----------------------------------------------------------------------------


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
