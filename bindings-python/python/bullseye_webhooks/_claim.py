"""The claim protocol's common parts: its answer (`Claim`), the two store
protocols and the default times (`dedupe` re-exports them)."""

from __future__ import annotations

import math
from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal, Optional, Protocol, Union

from . import _native

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
