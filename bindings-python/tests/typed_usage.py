"""A typed receiver: `mypy --strict` must accept it (see test_typing.py)."""

from __future__ import annotations

from datetime import timedelta

from bullseye_webhooks import (
    BITNOB_SIGNATURE_HEADER,
    AsyncStore,
    BitnobWebhook,
    Claim,
    Event,
    GenericEvent,
    MemoryStore,
    Mismatch,
    PayloadError,
    SignatureVerificationError,
    SQLiteStore,
    Store,
    StoreUnavailable,
    VisitorIdentifiedEvent,
    Webhook,
    WebhookError,
    parse_visit,
    secret_last4,
    sign,
    sign_bitnob,
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


def dedupe(raw_body: bytes, headers: dict[str, str], store: Store) -> tuple[int, str]:
    """The claim protocol by hand, on any store."""
    event = Webhook("whsec_new").construct_event(raw_body, headers)
    key: str = event.delivery_key
    body_hash: str = event.body_hash
    try:
        claim: Claim = store.claim(key, body_hash, 60.0)
    except StoreUnavailable:
        return 503, "store_unavailable"
    if claim.outcome == "duplicate":
        return 200, "duplicate"
    if claim.outcome == "in_flight":
        return 409, str(claim.retry_after)
    if claim.outcome == "conflict":
        return 409, f"{claim.found} {claim.stored_hash}"
    assert claim.token is not None
    store.complete(key, claim.token, body_hash, 86400.0)
    return 200, key


async def dedupe_async(key: str, store: AsyncStore) -> str:
    claim = await store.claim(key, "", 60.0)
    if claim.token is not None:
        await store.release(key, claim.token)
    return claim.outcome


stores: list[Store] = [MemoryStore(), SQLiteStore("deliveries.db")]


def bitnob(raw_body: bytes, headers: dict[str, str]) -> tuple[str, list[int], str]:
    verifier = BitnobWebhook(["sk_new", "sk_old"], tolerance=timedelta(minutes=5), legacy_sha512=False)
    event: GenericEvent = verifier.construct_event(raw_body, headers)
    pairs: list[tuple[str, str]] = [(BITNOB_SIGNATURE_HEADER, sign_bitnob("sk_new", raw_body, 1700000000))]
    verifier.verify(raw_body, pairs, now=1700000000)
    return event.event_type, verifier.secrets_ending_in(secret_last4("sk_new")), event.delivery_key


signature: str = sign("whsec_new", b"{}")
