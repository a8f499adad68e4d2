"""A typed receiver: `mypy --strict` must accept it (see test_typing.py)."""

from __future__ import annotations

from datetime import timedelta

from bullseye_webhooks import (
    Event,
    GenericEvent,
    Mismatch,
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


def drift(raw_body: bytes, signature: str, strict: bool) -> list[str]:
    """Fields of another type: reported (lenient) or refused (strict)."""
    webhook = Webhook("whsec_new", strict=strict)
    assert webhook.strict is strict
    event = webhook.construct_event(raw_body, signature)
    mismatches: tuple[Mismatch, ...] = event.mismatches
    lines = [f"{m.path}: expected {m.expected}, found {m.found}, sent {m.value!r}" for m in mismatches]
    if isinstance(event, VisitorIdentifiedEvent):
        size: int | None = event.company.size if event.company else None
        persona: bool | None = event.visitor.persona_match if event.visitor else None
        statuses: dict[str, object] | None = event.visitor.icp_statuses if event.visitor else None
        urls = [view.url for view in event.page_views or () if view is not None]
        lines.append(f"{size} {persona} {statuses} {urls}")
    visit = parse_visit(raw_body, strict=strict)
    params: dict[str, object] | None = visit.params
    zone: str | None = visit.timezone
    lines += [f"{params} {zone}"] + [m.path for m in visit.mismatches]
    return lines


signature: str = sign("whsec_new", b"{}")
