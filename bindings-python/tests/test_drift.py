"""Field types and drift: a documented field of another JSON type is read
leniently and reported in `mismatches`, or refused with `strict=True`."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

import bullseye_webhooks as bw
from conftest import FIXTURES
from frameworks import DOCUMENTED, DRIFTED

SECRET = "whsec_drift_test"


def event_of(body: bytes, **options: object) -> bw.Event:
    return bw.Webhook(SECRET, **options).construct_event(body, bw.sign(SECRET, body))  # type: ignore[arg-type]


def identification(body: bytes, **options: object) -> bw.VisitorIdentifiedEvent:
    event = event_of(body, **options)
    assert isinstance(event, bw.VisitorIdentifiedEvent)
    return event


def listed(mismatches: tuple[bw.Mismatch, ...]) -> list[tuple[str, str, str, object]]:
    return [(m.path, m.expected, m.found, m.value) for m in mismatches]


# ---- the documented example -----------------------------------------------------------


def test_the_documented_example_is_typed_with_no_mismatch() -> None:
    event = identification(DOCUMENTED)
    assert event.mismatches == () and isinstance(event.mismatches, tuple)
    assert event.event_type == "visitor.identified"
    assert event.workspace == "Org Name"
    assert event.visitor is not None and event.company is not None and event.session is not None
    assert event.company.size == 150 and type(event.company.size) is int
    assert event.company.employee_count is None  # not in the example
    assert event.visitor.persona_match is True
    assert event.visitor.icp == "Enterprise Lead"
    assert event.visitor.icp_statuses == {}
    assert event.visitor.homeowner is None and event.visitor.gender is None
    assert event.session.tracking_params == {}
    assert event.session.first_visit is False
    assert event.session.pages_visited is None
    assert event.page_views is not None and len(event.page_views) == 2
    first = event.page_views[0]
    assert first is not None and first.url == "https://acme.com/pricing"
    assert event.to_dict()["company"]["size"] == 150
    assert "mismatches" not in repr(event)


def test_the_documented_example_passes_strict() -> None:
    event = identification(DOCUMENTED, strict=True)
    assert event.mismatches == () and event.company is not None and event.company.size == 150


# ---- lenient by default ---------------------------------------------------------------


def test_a_drifted_delivery_is_accepted_and_reported() -> None:
    event = identification(DRIFTED)
    assert event.company is not None and event.company.size == 150  # "150", converted
    assert event.visitor is not None and event.visitor.job_title is None  # an object: not convertible
    assert listed(event.mismatches) == [
        ("visitor.job_title", "string", "object", {"title": "CTO"}),
        ("company.size", "integer", "string", "150"),
    ]
    # The original stays reachable, as sent.
    assert event.to_dict()["company"]["size"] == "150"
    assert event.to_dict()["visitor"]["job_title"] == {"title": "CTO"}
    assert repr(event).endswith(" mismatches=2>")


def test_the_older_example_is_accepted_with_its_mismatches() -> None:
    # A sample written before the senders' documents fixed the types: once
    # invalid_payload, now accepted, every drifted field listed in document order.
    body = (FIXTURES / "payloads" / "identification-event.json").read_bytes()
    event = identification(body)
    assert listed(event.mismatches) == [
        ("visitor.icp", "string", "boolean", True),
        ("visitor.icp_statuses", "object", "array", ["enterprise", "north-america"]),
        ("visitor.persona_match", "boolean", "string", "Marketing Leader"),
        ("company.size", "integer", "string", "201-500"),
    ]
    assert event.visitor is not None and event.company is not None
    assert event.visitor.icp is None and event.visitor.icp_statuses is None and event.visitor.persona_match is None
    assert event.company.size is None and event.company.employee_count == 340


@pytest.mark.parametrize(
    ("record", "field", "sent", "typed", "found"),
    [
        ("company", "size", '"150"', 150, "string"),
        ("company", "size", '"0150"', None, "string"),
        ("company", "size", '" 150"', None, "string"),
        ("company", "size", "1.0", None, "number"),
        ("company", "size", "9223372036854775808", None, "number"),
        ("company", "industry", "42", "42", "integer"),
        ("company", "industry", "7.5", None, "number"),
        ("company", "industry", "true", None, "boolean"),
        ("company", "industry", "[1]", None, "array"),
        ("visitor", "id", "12345", "12345", "integer"),
        ("visitor", "persona_match", '"true"', True, "string"),
        ("visitor", "persona_match", '"false"', False, "string"),
        ("visitor", "persona_match", '"yes"', None, "string"),
        ("visitor", "persona_match", "1", None, "integer"),
        ("visitor", "icp_statuses", '"x"', None, "string"),
        ("session", "pages_visited", '"4"', 4, "string"),
        ("session", "tracking_params", "[]", None, "array"),
    ],
)
def test_conversions(record: str, field: str, sent: str, typed: object, found: str) -> None:
    body = f'{{"event_type":"visitor.identified","{record}":{{"{field}":{sent}}}}}'.encode()
    event = identification(body)
    got = getattr(getattr(event, record), field)
    assert got == typed and type(got) is type(typed)
    [mismatch] = event.mismatches
    assert (mismatch.path, mismatch.found) == (f"{record}.{field}", found)
    assert mismatch.value == json.loads(sent)


def test_null_is_never_a_mismatch() -> None:
    body = b'{"event":"visitor.identified","workspace":null,"company":{"size":null},"page_views":[null]}'
    event = identification(body)
    assert event.mismatches == () and event.workspace is None and event.page_views == (None,)


def test_records_and_lists_of_another_type() -> None:
    body = (
        b'{"event":"visitor.identified","visitor":"jane","session":[1],'
        b'"page_views":[null,3,{"url":1,"visited_at":"t"}]}'
    )
    event = identification(body)
    assert event.visitor is None and event.session is None
    assert event.page_views is not None and len(event.page_views) == 3
    assert event.page_views[0] is None and event.page_views[1] is None
    view = event.page_views[2]
    assert view is not None and view.url == "1" and view.visited_at == "t"
    assert listed(event.mismatches) == [
        ("visitor", "object", "string", "jane"),
        ("session", "object", "array", [1]),
        ("page_views.1", "object", "integer", 3),
        ("page_views.2.url", "string", "integer", 1),
    ]
    not_a_list = identification(b'{"event":"visitor.identified","page_views":{"url":"x"}}')
    assert not_a_list.page_views is None
    assert listed(not_a_list.mismatches) == [("page_views", "array", "object", {"url": "x"})]


def test_a_repeated_key_counts_by_its_last_occurrence() -> None:
    event = identification(b'{"event":"visitor.identified","company":{"size":"x","size":7}}')
    assert event.mismatches == () and event.company is not None and event.company.size == 7


def test_generic_events_have_no_mismatches() -> None:
    event = event_of(b'{"event":"billing.updated","company":{"size":"150"},"visitor":7}')
    assert isinstance(event, bw.GenericEvent) and event.mismatches == ()
    # The type key is not a documented field: another type is no mismatch.
    fallback = event_of(b'{"event_type":7,"event":"visitor.identified","company":{"size":1}}')
    assert fallback.event_type == "visitor.identified" and fallback.mismatches == ()


# ---- strict ---------------------------------------------------------------------------


def test_strict_refuses_the_first_mismatch_without_its_value() -> None:
    webhook = bw.Webhook(SECRET, strict=True)
    assert webhook.strict is True and bw.Webhook(SECRET).strict is False
    assert repr(webhook).endswith("strict=True)")
    with pytest.raises(bw.PayloadError) as caught:
        webhook.construct_event(DRIFTED, bw.sign(SECRET, DRIFTED))
    assert caught.value.code == "invalid_payload" and caught.value.http_status == 400
    assert str(caught.value) == "invalid_payload: `visitor.job_title` must be a string, but it is an object"
    assert "CTO" not in str(caught.value)


def test_strict_must_be_a_bool() -> None:
    with pytest.raises(TypeError):
        bw.Webhook(SECRET, strict="yes")  # type: ignore[arg-type]


def test_body_errors_come_before_strict() -> None:
    body = b'{"event":"visitor.identified","company":{"size":"1"}} x'
    with pytest.raises(bw.PayloadError) as caught:
        event_of(body, strict=True)
    assert caught.value.code == "invalid_body"


# ---- tolerance ------------------------------------------------------------------------

SIGNED_AT = datetime(2025, 1, 15, 10, 30, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    "timestamp",
    ['"2025-01-15 10:30:00"', '"yesterday"', "1736937000", "null", None],
    ids=["not RFC 3339", "words", "an integer", "null", "absent"],
)
def test_an_unreadable_timestamp_is_out_of_tolerance(timestamp: str | None) -> None:
    field = "" if timestamp is None else f',"timestamp":{timestamp}'
    body = f'{{"event":"visitor.identified"{field}}}'.encode()
    webhook = bw.Webhook(SECRET, tolerance=300)
    with pytest.raises(bw.SignatureVerificationError) as caught:
        webhook.construct_event(body, bw.sign(SECRET, body), now=SIGNED_AT)
    assert caught.value.code == "timestamp_out_of_tolerance"
    # Without a tolerance, the same delivery is accepted.
    bw.Webhook(SECRET).construct_event(body, bw.sign(SECRET, body))


def test_strict_comes_before_the_tolerance() -> None:
    body = b'{"event":"visitor.identified","timestamp":"2020-01-01T00:00:00Z","company":{"size":"1"}}'
    with pytest.raises(bw.PayloadError) as caught:
        bw.Webhook(SECRET, tolerance=300, strict=True).construct_event(body, bw.sign(SECRET, body))
    assert caught.value.code == "invalid_payload"


# ---- Mismatch -------------------------------------------------------------------------


def test_mismatch_equality_hash_and_repr() -> None:
    a = identification(DRIFTED).mismatches
    b = identification(DRIFTED.replace(b'"150"', b'"15\\u0030"')).mismatches  # the same value, spelt otherwise
    assert a == b and hash(a) == hash(b) and len({*a, *b}) == 2
    assert a[0] != a[1]
    assert a[1] != "company.size" and a[1] is not None
    assert repr(a[1]) == "Mismatch(path='company.size', expected='integer', found='string')"
    assert "CTO" not in repr(a) and "150" not in repr(a)
    # JSON equality: an integer, a number and a boolean differ.
    values = [identification(f'{{"event":"visitor.identified","company":{{"name":{v}}}}}'.encode()).mismatches[0]
              for v in ('{"a":1}', '{"a":1.0}', '{"a":true}', '{ "a" : 1 }')]
    assert values[0] != values[1] and values[0] != values[2] and values[1] != values[2]
    assert values[0] == values[3]


def test_mismatch_is_frozen_and_its_value_fresh() -> None:
    [mismatch] = identification(b'{"event":"visitor.identified","company":{"name":{"a":[1]}}}').mismatches
    assert isinstance(mismatch, bw.Mismatch)
    with pytest.raises(AttributeError):
        mismatch.path = "x"  # type: ignore[misc]
    value = mismatch.value
    value["a"].append(2)
    assert mismatch.value == {"a": [1]}
    with pytest.raises(TypeError):
        bw.Mismatch()  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("sent", "value"),
    [
        ("-9223372036854775809", -9223372036854775809),
        ("12345678901234567890", 12345678901234567890),
        ("-0", -0.0),
        ("1e2", 100.0),
        ('"caf\\u00e9"', "café"),
        ('{"b":[true,null,2.5],"a":"x"}', {"b": [True, None, 2.5], "a": "x"}),
    ],
)
def test_mismatch_value_is_exactly_as_sent(sent: str, value: object) -> None:
    [mismatch] = identification(f'{{"event":"visitor.identified","company":{{"size":{sent}}}}}'.encode()).mismatches
    got = mismatch.value
    assert got == value and type(got) is type(value)


# ---- visits ---------------------------------------------------------------------------


def test_the_documented_visit_has_no_mismatch() -> None:
    visit = bw.parse_visit((FIXTURES / "payloads" / "fingerprinting-api-visit.json").read_bytes(), strict=True)
    assert visit.mismatches == ()
    assert visit.params == {"utm_source": "newsletter", "utm_medium": "email", "utm_campaign": "spring_sale"}
    assert visit.timezone == "America/Los_Angeles"
    assert visit.visitor is not None and visit.visitor.first_seen == "2023-01-01T12:00:00Z"
    assert visit.screen == {"height": 2532, "width": 1170, "touch": True}  # typed: documented, no mismatch


def test_a_drifted_visit() -> None:
    body = b'{"event":"NEW_VISIT","id":5,"params":"a=1","visitor":{"firstSeen":1700000000},"timezone":["UTC"]}'
    visit = bw.parse_visit(body)
    assert visit.id == "5" and visit.params is None and visit.timezone is None
    assert visit.visitor is not None and visit.visitor.first_seen == "1700000000"
    assert listed(visit.mismatches) == [
        ("id", "string", "integer", 5),
        ("params", "object", "string", "a=1"),
        ("visitor.firstSeen", "string", "integer", 1700000000),
        ("timezone", "string", "array", ["UTC"]),
    ]
    assert repr(visit).endswith(" mismatches=4>")
    with pytest.raises(bw.PayloadError) as caught:
        bw.parse_visit(body, strict=True)
    assert str(caught.value) == "invalid_payload: `id` must be a string, but it is an integer"
    with pytest.raises(bw.PayloadError):
        bw.Webhook("token", strict=True).construct_visit(body, "token")
    assert bw.Webhook("token").construct_visit(body, "token").mismatches == visit.mismatches
