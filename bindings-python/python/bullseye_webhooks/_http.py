"""What the framework integrations share: one verifier (any object with
`construct_event(body, headers)` and `max_body_bytes`: a `Webhook`, a
`BitnobWebhook`, ...), the size check on the declared length, the contract's
answer for each error, a warning for each accepted delivery that has fields
of another type, and the de-duplication flow (claim, then complete or
release) with its HTTP answers."""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
import math
import threading
import time
from collections.abc import Awaitable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Callable, Optional, Protocol, Union

from . import _native
from ._errors import StoreUnavailable, WebhookError, error_for
from ._observe import Delivery, DeliveryInfo, check_hook, signature_sent
from ._observe import refusal as refusal  # where the integrations import it from
from ._native import DEFAULT_MAX_BODY_BYTES, GenericEvent, Visit, VisitorIdentifiedEvent, Webhook

Secret = Union[str, bytes]
Event = Union[VisitorIdentifiedEvent, GenericEvent, Visit]

#: The integrations' logger. An accepted delivery with mismatches is logged
#: at WARNING: each field's path and both types, never its value (it may be
#: personal data). Store failures are logged here too (never a secret).
logger = logging.getLogger("bullseye_webhooks")

#: At most this many fields are named in one log line.
LOGGED_MISMATCHES = 10

#: What an integration receives: events (`construct_event`) or
#: fingerprinting-api visits (`construct_visit`).
KINDS = ("event", "visit")

#: The choices of `on_store_error`.
ON_STORE_ERROR = ("retry", "process")
#: The choices of `on_conflict`.
ON_CONFLICT = ("refuse", "process")


class Verifier(Protocol):
    """What the integrations need from a verifier: `Webhook` and
    `BitnobWebhook` are verifiers, and so is any object of this shape."""

    @property
    def max_body_bytes(self) -> int: ...

    def construct_event(self, body: bytes, headers: Any) -> Event: ...


class _Unset:
    def __repr__(self) -> str:
        return "<unset>"


_UNSET: Any = _Unset()


def _is_verifier(value: object) -> bool:
    return (
        not isinstance(value, (str, bytes, list, tuple))
        and callable(getattr(value, "construct_event", None))
        and hasattr(value, "max_body_bytes")
    )


def _seconds(value: Union[float, timedelta], what: str) -> float:
    seconds = value.total_seconds() if isinstance(value, timedelta) else float(value)
    if not math.isfinite(seconds) or seconds <= 0:
        raise ValueError(f"{what} must be a positive number of seconds or a timedelta")
    return seconds


@dataclass(frozen=True)
class Answer:
    """An HTTP answer given without calling the handler (de-duplication)."""

    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Lease:
    """A claim this request holds: completed when the handler succeeds,
    released when it fails."""

    receiver: Receiver
    key: str
    token: str
    body_hash: str = ""


def _retry_after(seconds: float) -> dict[str, str]:
    return {"Retry-After": str(max(1, math.ceil(seconds)))}


class Receiver:
    """A verifier plus what an HTTP receiver needs around it.

    `secret` is a secret (or a list of them, for rotation), from which a
    Bullseye `Webhook` is made with `tolerance`, `max_body_bytes` and
    `strict`; or any verifier, for example `BitnobWebhook(...)`, configured
    on itself.

    `kind="visit"` receives fingerprinting-api visits (`construct_visit`,
    `X-Webhook-Signature`) instead of events; the verifier must have
    `construct_visit` (a `Webhook` has).

    `dedupe` is a store (`MemoryStore`, `SQLiteStore`, `RedisStore`,
    `AsyncRedisStore`, or any object with `claim`, `complete` and `release`).
    Each verified delivery is claimed under its `delivery_key` for `lease`
    (default 60 s): a duplicate is answered 200 `{"duplicate": true}`
    without calling the handler, a delivery another worker is processing 409
    `{"error": "delivery_in_flight"}` with `Retry-After`. A handler that
    succeeds (2xx) marks the key done for `retention` (default 24 h); one
    that raises or answers otherwise releases the claim, so the sender's
    retry is processed. A delivery whose key was seen with a different body
    (the store keeps each body's hash) is answered 409
    `{"error": "delivery_conflict"}` and logged at WARNING with both hashes
    (never the body); with `on_conflict="process"` it is handled as its own
    delivery, de-duplicated under `{key}#{body_hash}`. When the store fails, the answer is 503
    `{"error": "store_unavailable"}` with `Retry-After: store_retry_after`
    (the sender retries), or with `on_store_error="process"` the handler is
    called without de-duplication and a WARNING is logged.

    `wait_for_in_flight` (seconds, default 0): instead of answering 409 at
    once, wait up to that long for a copy in flight to finish (the claim is
    tried again, 50 ms doubling to 1 s): then answer as a duplicate, or take
    the claim if the holder released it or its lease ended. Keep it well
    under the sender's timeout (Bullseye: 30 s).

    Each delivery is logged: a refusal once at WARNING, an accepted one at
    DEBUG with its mismatches (never a secret, signature or body).
    `on_refused(error, info)` is called for each refusal and
    `on_verified(event, info)` once a verified delivery is answered (by the
    handler, or a de-duplication answer); `info` is a `DeliveryInfo`. A hook
    that raises is logged, and changes no answer.
    """

    def __init__(
        self,
        secret: Union[Secret, Sequence[Secret], Verifier],
        *,
        tolerance: Union[float, timedelta, None] = _UNSET,
        max_body_bytes: int = _UNSET,
        strict: bool = _UNSET,
        kind: str = "event",
        dedupe: Any = None,
        on_store_error: str = "retry",
        on_conflict: str = "refuse",
        wait_for_in_flight: Union[float, timedelta] = 0,
        lease: Union[float, timedelta] = _native.DEFAULT_LEASE,
        retention: Union[float, timedelta] = _native.DEFAULT_RETENTION,
        store_retry_after: Union[float, timedelta] = _native.STORE_RETRY_AFTER,
        on_verified: Optional[Callable[[Event, DeliveryInfo], Any]] = None,
        on_refused: Optional[Callable[[WebhookError, DeliveryInfo], Any]] = None,
    ) -> None:
        self.webhook: Verifier
        if _is_verifier(secret):
            given = [
                name
                for name, value in (("tolerance", tolerance), ("max_body_bytes", max_body_bytes), ("strict", strict))
                if value is not _UNSET
            ]
            if given:
                raise TypeError(
                    f"{', '.join(given)}: set on the verifier itself, not here, when a verifier is given"
                )
            self.webhook = secret  # type: ignore[assignment]
        else:
            self.webhook = Webhook(
                secret,  # type: ignore[arg-type]
                tolerance=None if tolerance is _UNSET else tolerance,
                max_body_bytes=DEFAULT_MAX_BODY_BYTES if max_body_bytes is _UNSET else max_body_bytes,
                strict=False if strict is _UNSET else strict,
            )
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
        if kind == "visit" and not callable(getattr(self.webhook, "construct_visit", None)):
            raise TypeError('kind="visit" needs a verifier with construct_visit (a Webhook)')
        self.kind = kind
        if on_store_error not in ON_STORE_ERROR:
            raise ValueError(f"on_store_error must be one of {ON_STORE_ERROR}, not {on_store_error!r}")
        if on_conflict not in ON_CONFLICT:
            raise ValueError(f"on_conflict must be one of {ON_CONFLICT}, not {on_conflict!r}")
        if dedupe is not None and not all(
            callable(getattr(dedupe, name, None)) for name in ("claim", "complete", "release")
        ):
            raise TypeError("dedupe must be a store: an object with claim, complete and release")
        self.on_verified = check_hook("on_verified", on_verified)
        self.on_refused = check_hook("on_refused", on_refused)
        self.dedupe = dedupe
        self.on_store_error = on_store_error
        self.on_conflict = on_conflict
        wait = wait_for_in_flight.total_seconds() if isinstance(wait_for_in_flight, timedelta) else float(wait_for_in_flight)
        if not (math.isfinite(wait) and wait >= 0):
            raise ValueError("wait_for_in_flight must be a non-negative number of seconds or a timedelta")
        self.wait_for_in_flight = wait
        self.lease = _seconds(lease, "lease")
        self.retention = _seconds(retention, "retention")
        self.store_retry_after = _seconds(store_retry_after, "store_retry_after")

    @property
    def max_body_bytes(self) -> int:
        """The verifier's body size limit, in bytes."""
        return int(self.webhook.max_body_bytes)

    @property
    def async_store(self) -> bool:
        """Whether the store's calls are coroutines (`AsyncRedisStore`)."""
        return self.dedupe is not None and inspect.iscoroutinefunction(self.dedupe.claim)

    def __repr__(self) -> str:
        store = "" if self.dedupe is None else f", dedupe={self.dedupe!r}"
        return f"{type(self).__name__}({self.webhook!r}{store})"

    def delivery(self) -> Delivery:
        """A new request's report: logs, hooks (see `_observe`)."""
        return Delivery(self)

    def construct_event(self, body: bytes, headers: Any) -> Event:
        """The verifier's `construct_event` (`construct_visit` for
        `kind="visit"`), logging the mismatches of an accepted delivery."""
        event: Event
        try:
            if self.kind == "visit":
                event = self.webhook.construct_visit(body, headers)  # type: ignore[attr-defined]
            else:
                event = self.webhook.construct_event(body, headers)
        except WebhookError as error:
            # What `refusal` logs about the delivery: never its bytes.
            error._delivery = (signature_sent(headers), len(body))  # type: ignore[attr-defined]
            raise
        if event.mismatches:
            log_mismatches(event)
        return event

    def too_large(self, declared: Optional[int] = None) -> WebhookError:
        """`body_too_large`, raised before the body is read."""
        size = "more than" if declared is None else f"{declared} bytes, more than"
        return error_for(
            "body_too_large",
            f"body_too_large: the body is {size} the limit of {self.max_body_bytes} bytes",
        )

    def check_declared_length(self, content_length: Optional[str]) -> None:
        """Refuse by the Content-Length header alone, when it says too much."""
        if content_length is None:
            return
        try:
            declared = int(content_length)
        except ValueError:
            return
        if declared > self.max_body_bytes:
            raise self.too_large(declared)

    # ---- de-duplication -------------------------------------------------------------

    def require_sync_store(self, where: str) -> None:
        """A sync view cannot await an async store: say so when decorating."""
        if self.async_store:
            raise TypeError(f"{where}: an async store (AsyncRedisStore) needs an `async def` view")

    def _claimed(self, key: str, body_hash: str, outcome: Any) -> Union[Answer, Lease]:
        answer = claim_answer(key, body_hash, outcome)
        return Lease(self, key, outcome.token, body_hash) if answer is None else answer

    def _conflict_key(self, key: str, body_hash: str, outcome: Any) -> Optional[str]:
        """With `on_conflict="process"`, the key to claim a conflicting delivery under."""
        if outcome.outcome != "conflict" or self.on_conflict != "process":
            return None
        _log_conflict(key, body_hash, outcome, "processing it under its own key (on_conflict='process')")
        return _native.conflict_key(key, body_hash)

    def _store_failed(self, key: str, error: BaseException) -> Optional[Answer]:
        if self.on_store_error == "process":
            logger.warning(
                "the de-duplication store failed (%s); processing delivery %s without de-duplication",
                _describe(error),
                key,
            )
            return None
        logger.warning("the de-duplication store failed (%s); answering 503 for delivery %s", _describe(error), key)
        return Answer(503, {"error": "store_unavailable"}, _retry_after(self.store_retry_after))

    def claim(self, event: Event) -> Union[Answer, Lease, None]:
        """Claim a verified delivery (sync store): a `Lease` to call the handler
        under, an `Answer` to give instead, or None (no store, or fail-open)."""
        if self.dedupe is None:
            return None
        key, body_hash = event.delivery_key, _body_hash(event)
        try:
            outcome = self._claim_waiting(key, body_hash)
            own = self._conflict_key(key, body_hash, outcome)
            if own is not None:
                key, outcome = own, self._claim_waiting(own, body_hash)
        except StoreUnavailable as error:
            return self._store_failed(key, error)
        return self._claimed(key, body_hash, outcome)

    async def claim_async(self, event: Event) -> Union[Answer, Lease, None]:
        """`claim`, awaiting an async store; a blocking sync store runs in a thread."""
        if self.dedupe is None:
            return None
        key, body_hash = event.delivery_key, _body_hash(event)
        try:
            outcome = await self._claim_waiting_async(key, body_hash)
            own = self._conflict_key(key, body_hash, outcome)
            if own is not None:
                key, outcome = own, await self._claim_waiting_async(own, body_hash)
        except StoreUnavailable as error:
            return self._store_failed(key, error)
        return self._claimed(key, body_hash, outcome)

    def _claim_waiting(self, key: str, body_hash: str) -> Any:
        """Claim `key`; while a copy is in flight, again until `wait_for_in_flight` has passed."""
        deadline, delay = time.monotonic() + self.wait_for_in_flight, SETTLE_FIRST_DELAY
        while True:
            outcome = self.dedupe.claim(key, body_hash, self.lease)
            left = deadline - time.monotonic()
            if outcome.outcome != "in_flight" or left <= 0:
                return outcome
            time.sleep(min(delay, left))
            delay = min(delay * 2, SETTLE_MAX_DELAY)

    async def _claim_waiting_async(self, key: str, body_hash: str) -> Any:
        deadline, delay = time.monotonic() + self.wait_for_in_flight, SETTLE_FIRST_DELAY
        while True:
            outcome = await self._call_async("claim", key, body_hash, self.lease)
            left = deadline - time.monotonic()
            if outcome.outcome != "in_flight" or left <= 0:
                return outcome
            await asyncio.sleep(min(delay, left))
            delay = min(delay * 2, SETTLE_MAX_DELAY)

    def finish(self, lease: Optional[Lease], succeeded: bool) -> None:
        """Complete (`succeeded`) or release the claim. A store failure is
        logged, never raised (the handler's answer stands), and the call is
        retried in the background (see `_settle_later`)."""
        if lease is None:
            return
        try:
            self._settle(lease, succeeded)
            return
        except Exception as error:  # noqa: BLE001 - logged and retried; the answer stands
            _log_settle_failure(lease, succeeded, error, 1, final=False)
        self._settle_in_a_thread(lease, succeeded)

    async def finish_async(self, lease: Optional[Lease], succeeded: bool) -> None:
        """`finish`, awaiting an async store."""
        if lease is None:
            return
        try:
            if self.async_store:
                await self._settle_async(lease, succeeded)
            else:
                await self._call_async("complete" if succeeded else "release", *self._settle_args(lease, succeeded))
            return
        except Exception as error:  # noqa: BLE001 - logged and retried; the answer stands
            _log_settle_failure(lease, succeeded, error, 1, final=False)
        if self.async_store:
            task = asyncio.get_running_loop().create_task(self._settle_later_async(lease, succeeded))
            _BACKGROUND.add(task)
            task.add_done_callback(_BACKGROUND.discard)
        else:
            self._settle_in_a_thread(lease, succeeded)

    # A complete (or release) that fails after the handler is retried in the
    # background, 50 ms doubling to 1 s, until the lease plus 30 s has
    # passed: a Redis restart between the handler and its complete then
    # still marks the delivery done before a copy can take it after the
    # lease (an answer already sent cannot be taken back).

    def _settle_args(self, lease: Lease, succeeded: bool) -> tuple[Any, ...]:
        return (lease.key, lease.token, lease.body_hash, self.retention) if succeeded else (lease.key, lease.token)

    def _settle(self, lease: Lease, succeeded: bool) -> None:
        method = self.dedupe.complete if succeeded else self.dedupe.release
        method(*self._settle_args(lease, succeeded))

    async def _settle_async(self, lease: Lease, succeeded: bool) -> None:
        method = self.dedupe.complete if succeeded else self.dedupe.release
        await method(*self._settle_args(lease, succeeded))

    def _settle_in_a_thread(self, lease: Lease, succeeded: bool) -> None:
        threading.Thread(
            target=self._settle_later, args=(lease, succeeded), name="bullseye-webhooks-settle", daemon=True
        ).start()

    def _settle_later(self, lease: Lease, succeeded: bool) -> None:
        deadline = time.monotonic() + self.lease + SETTLE_GRACE
        delay, tries = SETTLE_FIRST_DELAY, 1
        last: Optional[BaseException] = None
        while time.monotonic() + delay <= deadline:
            time.sleep(delay)
            delay, tries = min(delay * 2, SETTLE_MAX_DELAY), tries + 1
            try:
                self._settle(lease, succeeded)
            except Exception as error:  # noqa: BLE001
                last = error
                continue
            logger.warning("the store's %s of delivery %s succeeded on try %d", _what(succeeded), lease.key, tries)
            return
        _log_settle_failure(lease, succeeded, last, tries, final=True)

    async def _settle_later_async(self, lease: Lease, succeeded: bool) -> None:
        deadline = time.monotonic() + self.lease + SETTLE_GRACE
        delay, tries = SETTLE_FIRST_DELAY, 1
        last: Optional[BaseException] = None
        while time.monotonic() + delay <= deadline:
            await asyncio.sleep(delay)
            delay, tries = min(delay * 2, SETTLE_MAX_DELAY), tries + 1
            try:
                await self._settle_async(lease, succeeded)
            except Exception as error:  # noqa: BLE001
                last = error
                continue
            logger.warning("the store's %s of delivery %s succeeded on try %d", _what(succeeded), lease.key, tries)
            return
        _log_settle_failure(lease, succeeded, last, tries, final=True)

    async def _call_async(self, name: str, *args: Any) -> Any:
        return await awaitable(getattr(self.dedupe, name), getattr(self.dedupe, "blocking", True))(*args)


def awaitable(method: Callable[..., Any], blocking: bool) -> Callable[..., Awaitable[Any]]:
    """`method` as a coroutine function: itself when it is one; else run in a
    thread when it `blocking` (waits on I/O), or called on the loop."""
    if inspect.iscoroutinefunction(method):
        return method
    if blocking:
        return functools.partial(asyncio.to_thread, method)

    async def direct(*args: Any) -> Any:
        return method(*args)

    return direct


def claim_answer(key: str, body_hash: str, outcome: Any) -> Optional[Answer]:
    """The answer to a claim that is not new (a duplicate, in flight, a
    conflict, logged), or None for a new one, whose delivery goes on: the
    integrations' and the queue receivers' one reading of a store's claim."""
    kind = outcome.outcome
    if kind == "new":
        return None
    if kind == "duplicate":
        return Answer(200, {"duplicate": True})
    if kind == "in_flight":
        return Answer(409, {"error": "delivery_in_flight"}, _retry_after(outcome.retry_after or 1))
    if kind == "conflict":
        _log_conflict(key, body_hash, outcome, "answering 409 delivery_conflict")
        return Answer(409, {"error": "delivery_conflict"})
    raise ValueError(f"the store answered an unknown claim outcome {kind!r}")


def _body_hash(event: Any) -> str:
    """The event's body hash; "" (unknown: never a conflict) for an event of
    a verifier that does not give one."""
    return str(getattr(event, "body_hash", ""))


def _log_conflict(key: str, body_hash: str, outcome: Any, then: str) -> None:
    """One WARNING for a key seen with another body: both hashes, never a body."""
    details = {"key": key, "body_hash": body_hash, "stored_hash": outcome.stored_hash, "found": outcome.found}
    logger.warning(
        "delivery_conflict: delivery %s came with body hash %s, but the store holds %s (%s) for it; %s",
        key, body_hash, outcome.stored_hash, outcome.found, then,
        extra={"conflict": details},
    )


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"


def _what(succeeded: bool) -> str:
    return "complete" if succeeded else "release"


def _log_settle_failure(
    lease: Lease, succeeded: bool, error: Optional[BaseException], tries: int, *, final: bool
) -> None:
    cause = _describe(error) if error is not None else "no try left"
    if not final:
        logger.error(
            "the store's %s of delivery %s failed (%s); retrying it in the background",
            _what(succeeded), lease.key, cause,
        )
    elif succeeded:
        logger.error(
            "the store's complete of delivery %s failed %d times (%s): the delivery was handled, "
            "but a copy arriving after its lease may be handled again",
            lease.key, tries, cause,
        )
    else:
        logger.error(
            "the store's release of delivery %s failed %d times (%s): its claim stays until the lease "
            "expires, then the retry is handled",
            lease.key, tries, cause,
        )


#: Background retries of a failed complete/release: the first delay, the
#: largest, and how long past the lease they go on (seconds).
SETTLE_FIRST_DELAY = 0.05
SETTLE_MAX_DELAY = 1.0
SETTLE_GRACE = 30.0

# Background tasks, kept referenced until they end.
_BACKGROUND: set[asyncio.Task[None]] = set()


def log_mismatches(event: Event) -> None:
    """One WARNING for an accepted delivery with fields of another type: the
    paths and types (also as `record.mismatches`, for structured logging),
    never the values."""
    if not logger.isEnabledFor(logging.WARNING):
        return
    mismatches = event.mismatches
    fields: list[Mapping[str, str]] = [
        {"path": m.path, "expected": m.expected, "found": m.found} for m in mismatches
    ]
    named = ", ".join(
        f"{f['path']} (expected {f['expected']}, found {f['found']})" for f in fields[:LOGGED_MISMATCHES]
    )
    more = len(fields) - LOGGED_MISMATCHES
    logger.warning(
        "accepted a %s delivery with %d field(s) of another type than documented: %s%s",
        event.event_type,
        len(fields),
        named,
        f", and {more} more" if more > 0 else "",
        extra={"mismatches": fields},
    )
