"""Verify and parse Bullseye webhooks (and fingerprinting-api visits, and
Bitnob's: `BitnobWebhook`), and de-duplicate retried deliveries (`dedupe`).

    from bullseye_webhooks import Webhook

    webhook = Webhook("whsec_...")               # or ["whsec_new", "whsec_old"]
    event = webhook.construct_event(raw_body, request.headers)
    if event.event_type == "visitor.identified":
        print(event.visitor.email if event.visitor else None)

Every failure raises a `WebhookError` with a stable `.code`. A documented
field sent with another JSON type is not a failure: the typed view holds the
value converted without loss (or None) and `event.mismatches` lists each such
field; `Webhook(..., strict=True)` refuses it instead (`invalid_payload`).
"""

from __future__ import annotations

# typing costs about 10 ms at import (re, enum, collections): this module
# avoids it, and mypy reads a local TYPE_CHECKING = False as typing's.
TYPE_CHECKING = False

from ._errors import (
    ERROR_CODES,
    PayloadError,
    SignatureVerificationError,
    StoreUnavailable,
    WebhookError,
)
from ._native import (
    BITNOB_EVENT_HEADER,
    BITNOB_SIGNATURE_HEADER,
    BITNOB_TIMESTAMP_HEADER,
    DEFAULT_BITNOB_TOLERANCE,
    DEFAULT_MAX_BODY_BYTES,
    MAX_JSON_DEPTH,
    SIGNATURE_HEADER,
    VISIT_SIGNATURE_HEADER,
    Company,
    GenericEvent,
    Mismatch,
    PageView,
    Session,
    Visit,
    VisitCompany,
    Visitor,
    VisitorIdentifiedEvent,
    VisitVisitor,
    BitnobWebhook,
    Webhook,
    generate_secret,
    parse_visit,
    secret_last4,
    sign,
    sign_bitnob,
    sign_bitnob_legacy,
)
from ._native import ERROR_CODES as _CORE_ERROR_CODES

if TYPE_CHECKING:
    from typing import Union

    #: What `Webhook.construct_event` returns (`BitnobWebhook`'s is a `GenericEvent`).
    Event = Union[VisitorIdentifiedEvent, GenericEvent]

    from .dedupe import (
        AsyncCachedStore,
        AsyncRedisStore,
        AsyncStore,
        CachedStore,
        Claim,
        MemoryStore,
        RedisStore,
        SQLiteStore,
        Store,
    )
    from ._observe import DeliveryInfo

# De-duplication pulls in asyncio, sqlite3 and threading: imported on first
# use, so that verifying (a Lambda cold start, a CLI tool) does not pay for it.
_DEDUPE_NAMES = frozenset(
    {"AsyncCachedStore", "AsyncRedisStore", "AsyncStore", "CachedStore", "Claim", "MemoryStore", "RedisStore", "SQLiteStore", "Store"}
)


def __getattr__(name: str) -> object:
    if name == "Event":
        from typing import Union

        globals()["Event"] = Union[VisitorIdentifiedEvent, GenericEvent]
        return globals()["Event"]
    if name == "DeliveryInfo":  # what the integrations' hooks get; logging and dataclasses load with it
        from ._observe import DeliveryInfo

        globals()[name] = DeliveryInfo
        return DeliveryInfo
    if name in _DEDUPE_NAMES:
        from . import dedupe

        value = getattr(dedupe, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | _DEDUPE_NAMES | {"Event", "DeliveryInfo"})


if tuple(_CORE_ERROR_CODES) != ERROR_CODES:  # pragma: no cover - a build mismatch
    raise ImportError(
        "bullseye_webhooks: the native module's error codes differ from the Python ones"
    )

__all__ = [
    "AsyncCachedStore",
    "AsyncRedisStore",
    "AsyncStore",
    "CachedStore",
    "BITNOB_EVENT_HEADER",
    "BITNOB_SIGNATURE_HEADER",
    "BITNOB_TIMESTAMP_HEADER",
    "BitnobWebhook",
    "Claim",
    "DEFAULT_BITNOB_TOLERANCE",
    "DEFAULT_MAX_BODY_BYTES",
    "DeliveryInfo",
    "ERROR_CODES",
    "MAX_JSON_DEPTH",
    "SIGNATURE_HEADER",
    "VISIT_SIGNATURE_HEADER",
    "Company",
    "Event",
    "GenericEvent",
    "MemoryStore",
    "Mismatch",
    "PageView",
    "PayloadError",
    "RedisStore",
    "SQLiteStore",
    "Session",
    "SignatureVerificationError",
    "Store",
    "StoreUnavailable",
    "Visit",
    "VisitCompany",
    "Visitor",
    "VisitorIdentifiedEvent",
    "VisitVisitor",
    "Webhook",
    "WebhookError",
    "generate_secret",
    "parse_visit",
    "secret_last4",
    "sign",
    "sign_bitnob",
    "sign_bitnob_legacy",
]
