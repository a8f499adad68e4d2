"""Verify and parse Bullseye webhooks (and fingerprinting-api visits).

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

from typing import Union

from ._errors import (
    ERROR_CODES,
    PayloadError,
    SignatureVerificationError,
    WebhookError,
)
from ._native import (
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
    Webhook,
    parse_visit,
    sign,
)
from ._native import ERROR_CODES as _CORE_ERROR_CODES

#: What `Webhook.construct_event` returns.
Event = Union[VisitorIdentifiedEvent, GenericEvent]

if tuple(_CORE_ERROR_CODES) != ERROR_CODES:  # pragma: no cover - a build mismatch
    raise ImportError(
        "bullseye_webhooks: the native module's error codes differ from the Python ones"
    )

__all__ = [
    "DEFAULT_MAX_BODY_BYTES",
    "ERROR_CODES",
    "MAX_JSON_DEPTH",
    "SIGNATURE_HEADER",
    "VISIT_SIGNATURE_HEADER",
    "Company",
    "Event",
    "GenericEvent",
    "Mismatch",
    "PageView",
    "PayloadError",
    "Session",
    "SignatureVerificationError",
    "Visit",
    "VisitCompany",
    "Visitor",
    "VisitorIdentifiedEvent",
    "VisitVisitor",
    "Webhook",
    "WebhookError",
    "parse_visit",
    "sign",
]
