"""The in-process stores (`dedupe` re-exports them): the core's memory
store, and a cache of recently completed keys in front of any store."""

from __future__ import annotations

from typing import Optional

from . import _native
from ._claim import DEFAULT_LEASE, DEFAULT_RETENTION, AsyncStore, Claim, Seconds, Store, _seconds


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
