# Types of the native module. Checked against the built module by
# `python -m mypy.stubtest bullseye_webhooks._native` in `make test`.

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Final, Literal, Union, final

# The record classes, generated from the core's field table (make generate).
from ._records import Company as Company
from ._records import PageView as PageView
from ._records import Session as Session
from ._records import Visit as Visit
from ._records import VisitCompany as VisitCompany
from ._records import Visitor as Visitor
from ._records import VisitorIdentifiedEvent as VisitorIdentifiedEvent
from ._records import VisitVisitor as VisitVisitor

__all__ = [
    "Webhook",
    "BitnobWebhook",
    "MemoryStore",
    "RecentlyDone",
    "VisitorIdentifiedEvent",
    "GenericEvent",
    "Visitor",
    "Company",
    "Session",
    "PageView",
    "Visit",
    "VisitVisitor",
    "VisitCompany",
    "Mismatch",
    "parse_visit",
    "sign",
    "secret_last4",
    "generate_secret",
    "sign_bitnob",
    "sign_bitnob_legacy",
    "new_claim_token",
    "redis_claim_reply",
    "redis_complete_reply",
    "retry_after_secs",
    "body_hash",
    "conflict_key",
    "SIGNATURE_HEADER",
    "BITNOB_SIGNATURE_HEADER",
    "BITNOB_TIMESTAMP_HEADER",
    "BITNOB_EVENT_HEADER",
    "DEFAULT_BITNOB_TOLERANCE",
    "REDIS_CLAIM_SCRIPT",
    "REDIS_COMPLETE_SCRIPT",
    "REDIS_RELEASE_SCRIPT",
    "REDIS_KEY_PREFIX",
    "DEFAULT_LEASE",
    "DEFAULT_RETENTION",
    "STORE_RETRY_AFTER",
    "DEFAULT_MEMORY_CAPACITY",
    "DEFAULT_CACHE_CAPACITY",
    "VISIT_SIGNATURE_HEADER",
    "DEFAULT_MAX_BODY_BYTES",
    "MAX_JSON_DEPTH",
    "ERROR_CODES",
    "ERROR_HTTP_STATUSES",
    "Envelope",
    "make_envelope",
    "open_envelope",
    "retry_delay_ms",
    "ENVELOPE_VERSION",
    "DEFAULT_QUEUE_STREAM",
    "DEFAULT_QUEUE_GROUP",
    "RETRY_SET_SUFFIX",
    "DEAD_LETTER_SUFFIX",
    "DEFAULT_QUEUE_LEASE_MS",
    "DEFAULT_MAX_ATTEMPTS",
    "DEFAULT_RETRY_DELAY_MS",
    "DEFAULT_MAX_RETRY_DELAY_MS",
    "DEFAULT_CLAIM_IDLE_MS",
    "QUEUE_FAIL_SCRIPT",
    "QUEUE_PROMOTE_SCRIPT",
    "QUEUE_ACK_SCRIPT",
    "QUEUE_RUN_KEY_PREFIX",
]

_Body = Union[bytes, bytearray, memoryview, str]
_Secret = Union[str, bytes]
_SignatureOrHeaders = Union[str, bytes, Mapping[str, str], Mapping[bytes, bytes], Any, None]
_Json = Any
_Object = dict[str, Any]
# The JSON type names a Mismatch reports.
_JsonType = Literal["string", "integer", "number", "boolean", "object", "array"]

SIGNATURE_HEADER: Final[str]
VISIT_SIGNATURE_HEADER: Final[str]
DEFAULT_MAX_BODY_BYTES: Final[int]
MAX_JSON_DEPTH: Final[int]
ERROR_CODES: Final[tuple[str, ...]]
ERROR_HTTP_STATUSES: Final[tuple[int, ...]]
BITNOB_SIGNATURE_HEADER: Final[str]
BITNOB_TIMESTAMP_HEADER: Final[str]
BITNOB_EVENT_HEADER: Final[str]
# Seconds.
DEFAULT_BITNOB_TOLERANCE: Final[float]
# The core's Lua scripts for Redis stores, and their key prefix.
REDIS_CLAIM_SCRIPT: Final[str]
REDIS_COMPLETE_SCRIPT: Final[str]
REDIS_RELEASE_SCRIPT: Final[str]
REDIS_KEY_PREFIX: Final[str]
# Seconds.
DEFAULT_LEASE: Final[float]
DEFAULT_RETENTION: Final[float]
STORE_RETRY_AFTER: Final[float]
DEFAULT_MEMORY_CAPACITY: Final[int]
DEFAULT_CACHE_CAPACITY: Final[int]

_Headers = Union[Mapping[str, str], Mapping[bytes, bytes], Sequence[Union[tuple[str, str], list[str]]], Any, None]
# (outcome, token, retry_after): ("new", token, None), ("duplicate", None, None), ("in_flight", None, seconds).
_ClaimTuple = tuple[
    Literal["new", "duplicate", "in_flight", "conflict"],
    str | None,
    int | None,
    str | None,
    Literal["in_flight", "done"] | None,
]
_Completion = Literal["done", "lease_expired", "not_held"]

@final
class Webhook:
    def __new__(
        cls,
        secret: _Secret | Sequence[_Secret],
        *,
        tolerance: float | timedelta | None = None,
        max_body_bytes: int = ...,
        strict: bool = False,
    ) -> Webhook: ...
    @property
    def tolerance(self) -> float | None: ...
    @property
    def max_body_bytes(self) -> int: ...
    @property
    def strict(self) -> bool: ...
    def verify(self, body: _Body, signature_or_headers: _SignatureOrHeaders) -> None: ...
    def construct_event(
        self,
        body: _Body,
        signature_or_headers: _SignatureOrHeaders,
        *,
        now: datetime | float | None = None,
    ) -> VisitorIdentifiedEvent | GenericEvent: ...
    def construct_visit(self, body: _Body, signature_or_headers: _SignatureOrHeaders) -> Visit: ...

@final
class BitnobWebhook:
    def __new__(
        cls,
        secret: _Secret | Sequence[_Secret],
        *,
        tolerance: float | timedelta | None = 300.0,
        legacy_sha512: bool = True,
        max_body_bytes: int = 1048576,
    ) -> BitnobWebhook: ...
    @property
    def tolerance(self) -> float | None: ...
    @property
    def legacy_sha512(self) -> bool: ...
    @property
    def max_body_bytes(self) -> int: ...
    def secrets_ending_in(self, last4: str) -> list[int]: ...
    def verify(self, body: _Body, headers: _Headers, *, now: datetime | float | None = None) -> None: ...
    def construct_event(
        self, body: _Body, headers: _Headers, *, now: datetime | float | None = None
    ) -> GenericEvent: ...

@final
class MemoryStore:
    def __new__(cls, capacity: int = ...) -> MemoryStore: ...
    @property
    def capacity(self) -> int: ...
    def __len__(self) -> int: ...
    def claim(self, key: str, body_hash: str, lease: float | timedelta) -> _ClaimTuple: ...
    def complete(self, key: str, token: str, body_hash: str, retention: float | timedelta) -> _Completion: ...
    def release(self, key: str, token: str) -> bool: ...

@final
class RecentlyDone:
    def __new__(cls, capacity: int = ...) -> RecentlyDone: ...
    def __len__(self) -> int: ...
    def check(self, key: str, body_hash: str) -> _ClaimTuple | None: ...
    def remember(self, key: str, body_hash: str, retention: float | timedelta) -> None: ...

@final
class GenericEvent:
    @property
    def event_type(self) -> str: ...
    @property
    def mismatches(self) -> tuple[Mismatch, ...]: ...
    @property
    def delivery_key(self) -> str: ...
    @property
    def body_hash(self) -> str: ...
    def to_dict(self) -> dict[str, Any]: ...

@final
class Mismatch:
    """A documented field sent with another JSON type: reported, not refused."""
    @property
    def path(self) -> str: ...
    @property
    def expected(self) -> _JsonType: ...
    @property
    def found(self) -> _JsonType: ...
    @property
    def value(self) -> _Json: ...
    def __eq__(self, value: object, /) -> bool: ...
    def __ne__(self, value: object, /) -> bool: ...
    def __hash__(self) -> int: ...

def parse_visit(body: _Body, *, strict: bool = False) -> Visit: ...
def sign(secret: _Secret, body: _Body) -> str: ...
def secret_last4(secret: _Secret) -> str: ...
def generate_secret() -> str: ...
def sign_bitnob(secret: _Secret, body: _Body, timestamp: int | str) -> str: ...
def sign_bitnob_legacy(secret: _Secret, body: _Body) -> str: ...
def new_claim_token() -> str: ...
def redis_claim_reply(reply: int, stored_hash: str, token: str) -> _ClaimTuple: ...
def redis_complete_reply(reply: int) -> _Completion: ...
def retry_after_secs(remaining_ms: int) -> int: ...

# The queue envelope and the Redis Streams hand-off (bullseye_webhooks.queue).
ENVELOPE_VERSION: Final[int]
DEFAULT_QUEUE_STREAM: Final[str]
DEFAULT_QUEUE_GROUP: Final[str]
RETRY_SET_SUFFIX: Final[str]
DEAD_LETTER_SUFFIX: Final[str]
DEFAULT_QUEUE_LEASE_MS: Final[int]
DEFAULT_MAX_ATTEMPTS: Final[int]
DEFAULT_RETRY_DELAY_MS: Final[int]
DEFAULT_MAX_RETRY_DELAY_MS: Final[int]
DEFAULT_CLAIM_IDLE_MS: Final[int]
QUEUE_FAIL_SCRIPT: Final[str]
QUEUE_PROMOTE_SCRIPT: Final[str]
QUEUE_ACK_SCRIPT: Final[str]
QUEUE_RUN_KEY_PREFIX: Final[str]
_Scheme = Literal["bullseye_event", "visit", "bitnob"]

@final
class Envelope:
    @staticmethod
    def from_json(data: str | bytes, *, max_body_bytes: int = ...) -> Envelope: ...
    def to_json(self) -> str: ...
    @property
    def scheme(self) -> _Scheme: ...
    @property
    def key(self) -> str: ...
    @property
    def received_at_ms(self) -> int: ...
    @property
    def headers(self) -> dict[str, str]: ...
    @property
    def body(self) -> bytes: ...
    def __eq__(self, other: object, /) -> bool: ...
    def __ne__(self, other: object, /) -> bool: ...
    __hash__: None  # type: ignore[assignment]

def make_envelope(
    verifier: Webhook | BitnobWebhook,
    body: _Body,
    headers: _Headers,
    *,
    scheme: _Scheme | None = None,
    received_at: datetime | float | None = None,
) -> Envelope: ...
def open_envelope(
    verifier: Webhook | BitnobWebhook, envelope: Envelope | str | bytes
) -> VisitorIdentifiedEvent | GenericEvent | Visit: ...
def retry_delay_ms(attempt: int, first_ms: int, max_ms: int) -> int: ...
def body_hash(body: bytes) -> str: ...
def conflict_key(key: str, body_hash: str) -> str: ...
