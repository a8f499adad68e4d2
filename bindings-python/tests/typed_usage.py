"""A typed receiver: `mypy --strict` must accept it (see test_typing.py)."""

from __future__ import annotations

from datetime import timedelta

from bullseye_webhooks import (
    Event,
    GenericEvent,
    PayloadError,
    SignatureVerificationError,
    VisitorIdentifiedEvent,
    Webhook,
    WebhookError,
    parse_visit,
    sign,
)


def handle(raw_body: bytes, headers: dict[str, str]) -> tuple[int, str]:
    webhook = Webhook(["whsec_new", "whsec_old"], tolerance=timedelta(minutes=5))
    try:
        event: Event = webhook.construct_event(raw_body, headers)
    except SignatureVerificationError as error:
        return 401, error.code
    except PayloadError as error:
        return 400, error.code
    if isinstance(event, VisitorIdentifiedEvent):
        email: str | None = event.visitor.email if event.visitor else None
        domain: str | None = event.company.domain if event.company else None
        pages: int = len(event.page_views or ())
        count: int | None = event.company.employee_count if event.company else None
        return 200, f"{email} {domain} {pages} {count}"
    assert isinstance(event, GenericEvent)
    return 200, event.event_type


def visit_width(body: bytes) -> object:
    try:
        return parse_visit(body).screen
    except WebhookError as error:
        return error.code


signature: str = sign("whsec_new", b"{}")
