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

# The stores live in one module per kind; this is their public face.
from ._claim import (
    DEFAULT_LEASE,
    DEFAULT_RETENTION,
    STORE_RETRY_AFTER,
    AsyncStore,
    Claim,
    Outcome,
    Seconds,
    Store,
)
from ._errors import StoreUnavailable
from ._memory_store import AsyncCachedStore, CachedStore, MemoryStore
from ._redis_store import AsyncRedisStore, RedisStore
from ._sqlite_store import SQLiteStore

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
