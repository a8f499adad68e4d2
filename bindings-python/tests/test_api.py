"""The Python surface: argument types, error classes, immutability, repr."""

from __future__ import annotations

import pickle
from datetime import datetime, timedelta, timezone

import pytest

import bullseye_webhooks as bw
from bullseye_webhooks import _native

SECRET = "whsec_api_test_secret"
BODY = b'{"event":"visitor.identified","session_id":"s_9","visitor":{"email":"jane@acme.example"},"page_views":[{"url":"https://a.example/"}]}'
SIGNATURE = bw.sign(SECRET, BODY)


def test_error_codes_match_the_core() -> None:
    # _native.ERROR_CODES is the Rust core's list; bw.ERROR_CODES the Python classes'.
    assert tuple(_native.ERROR_CODES) == bw.ERROR_CODES == (
        "invalid_secret",
        "body_too_large",
        "missing_signature",
        "malformed_signature",
        "signature_mismatch",
        "invalid_body",
        "invalid_payload",
        "timestamp_out_of_tolerance",
    )


@pytest.mark.parametrize(
    ("code", "cls"),
    [
        ("missing_signature", bw.SignatureVerificationError),
        ("malformed_signature", bw.SignatureVerificationError),
        ("signature_mismatch", bw.SignatureVerificationError),
        ("timestamp_out_of_tolerance", bw.SignatureVerificationError),
        ("body_too_large", bw.PayloadError),
        ("invalid_body", bw.PayloadError),
        ("invalid_payload", bw.PayloadError),
    ],
)
def test_each_code_raises_its_class(code: str, cls: type) -> None:
    webhook = bw.Webhook(SECRET, tolerance=60, max_body_bytes=len(BODY))
    old = b'{"event":"x","timestamp":"2020-01-01T00:00:00Z"}'
    attempts = {
        "missing_signature": lambda: webhook.verify(BODY, None),
        "malformed_signature": lambda: webhook.verify(BODY, "abc"),
        "signature_mismatch": lambda: webhook.verify(BODY, "0" * 64),
        "timestamp_out_of_tolerance": lambda: webhook.construct_event(old, bw.sign(SECRET, old)),
        "body_too_large": lambda: webhook.verify(BODY + b" ", SIGNATURE),
        "invalid_body": lambda: webhook.construct_event(b"[]", bw.sign(SECRET, b"[]")),
        "invalid_payload": lambda: webhook.construct_event(b"{}", bw.sign(SECRET, b"{}")),
    }
    with pytest.raises(cls) as caught:
        attempts[code]()
    assert caught.value.code == code
    # The contract: 413 too large; 401 mismatch and tolerance; 400 the other refusals.
    expected_status = {"body_too_large": 413, "signature_mismatch": 401, "timestamp_out_of_tolerance": 401}
    assert caught.value.http_status == expected_status.get(code, 400)
    assert isinstance(caught.value, bw.WebhookError) and isinstance(caught.value, ValueError)
    assert str(caught.value).startswith(code + ":")


def test_invalid_secret_is_the_base_class() -> None:
    for secret in ("", [], ["ok", ""], b""):
        with pytest.raises(bw.WebhookError) as caught:
            bw.Webhook(secret)
        assert type(caught.value) is bw.WebhookError
        assert caught.value.code == "invalid_secret"


def test_errors_pickle_with_their_code() -> None:
    error = bw.PayloadError("invalid_body: x", "invalid_body")
    again = pickle.loads(pickle.dumps(error))
    assert type(again) is bw.PayloadError and again.code == "invalid_body" and str(again) == "invalid_body: x"


@pytest.mark.parametrize(
    "body",
    [BODY, bytearray(BODY), memoryview(BODY), BODY.decode(), memoryview(b"xx" + BODY)[2:]],
    ids=["bytes", "bytearray", "memoryview", "str", "memoryview-slice"],
)
def test_every_body_type(body: object) -> None:
    event = bw.Webhook(SECRET).construct_event(body, SIGNATURE)  # type: ignore[arg-type]
    assert isinstance(event, bw.VisitorIdentifiedEvent)
    assert event.session_id == "s_9"


def test_a_parsed_body_is_refused_with_advice() -> None:
    with pytest.raises(bw.PayloadError) as caught:
        bw.Webhook(SECRET).construct_event({"event": "visitor.identified"}, SIGNATURE)  # type: ignore[arg-type]
    assert caught.value.code == "invalid_body"
    assert "raw request body" in str(caught.value)


@pytest.mark.parametrize("body", [None, 42, 4.2, object(), ["a"]], ids=["None", "int", "float", "object", "list"])
def test_wrong_body_types(body: object) -> None:
    webhook = bw.Webhook(SECRET)
    if isinstance(body, list):
        with pytest.raises(bw.PayloadError):
            webhook.verify(body, SIGNATURE)  # type: ignore[arg-type]
        return
    with pytest.raises(TypeError, match="body must be bytes, bytearray, memoryview or str"):
        webhook.verify(body, SIGNATURE)  # type: ignore[arg-type]


def test_wrong_argument_types_are_type_errors() -> None:
    with pytest.raises(TypeError, match="secret must be str, bytes"):
        bw.Webhook(42)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="a secret must be str or bytes"):
        bw.Webhook(["ok", 3])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="signature_or_headers"):
        bw.Webhook(SECRET).verify(BODY, 42)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="tolerance"):
        bw.Webhook(SECRET, tolerance=-1)
    with pytest.raises(ValueError, match="max_body_bytes"):
        bw.Webhook(SECRET, max_body_bytes=-1)


def test_a_huge_memoryview_is_refused_by_size() -> None:
    huge = memoryview(bytearray(100 * 1024 * 1024))
    with pytest.raises(bw.PayloadError) as caught:
        bw.Webhook(SECRET).verify(huge, SIGNATURE)
    assert caught.value.code == "body_too_large"


def test_a_huge_string_is_refused_by_size() -> None:
    with pytest.raises(bw.PayloadError) as caught:
        bw.Webhook(SECRET).construct_event(" " * (100 * 1024 * 1024), SIGNATURE)
    assert caught.value.code == "body_too_large"


def test_headers_mappings_are_searched_case_insensitively() -> None:
    webhook = bw.Webhook(SECRET)
    for headers in (
        {"X-Bullseye-Signature": SIGNATURE},
        {"x-bullseye-signature": SIGNATURE, "content-type": "application/json"},
        {b"x-bullseye-signature": SIGNATURE.encode()},
    ):
        webhook.verify(BODY, headers)
    with pytest.raises(bw.SignatureVerificationError) as caught:
        webhook.verify(BODY, {"content-type": "application/json"})
    assert caught.value.code == "missing_signature"


def test_two_signature_headers_are_malformed() -> None:
    class MultiHeaders:
        def items(self) -> list[tuple[str, str]]:
            return [("X-Bullseye-Signature", SIGNATURE), ("x-bullseye-signature", SIGNATURE)]

    with pytest.raises(bw.SignatureVerificationError) as caught:
        bw.Webhook(SECRET).verify(BODY, MultiHeaders())
    assert caught.value.code == "malformed_signature"


def test_events_are_immutable() -> None:
    event = bw.Webhook(SECRET).construct_event(BODY, SIGNATURE)
    assert isinstance(event, bw.VisitorIdentifiedEvent)
    with pytest.raises(AttributeError):
        event.session_id = "other"  # type: ignore[misc]
    assert event.visitor is not None
    with pytest.raises(AttributeError):
        event.visitor.email = "other"  # type: ignore[misc]
    data = event.to_dict()
    data["session_id"] = "changed"
    assert event.to_dict()["session_id"] == "s_9"


def test_repr_shows_type_and_session_but_no_personal_data() -> None:
    event = bw.Webhook(SECRET).construct_event(BODY, SIGNATURE)
    text = repr(event)
    assert "visitor.identified" in text and "s_9" in text
    assert "jane" not in text and "acme" not in text


def test_no_repr_or_message_contains_the_secret() -> None:
    secret = "whsec_RECOGNISABLE_SECRET_7c1f"
    webhook = bw.Webhook([secret, "whsec_RECOGNISABLE_OTHER"], tolerance=timedelta(seconds=5))
    texts = [repr(webhook), str(webhook)]
    attempts = [
        lambda: webhook.verify(BODY, secret),
        lambda: webhook.verify(BODY, None),
        lambda: webhook.verify(BODY, "0" * 64),
        lambda: webhook.construct_event(b"nope", bw.sign(secret, b"nope")),
        lambda: webhook.construct_visit(BODY, "wrong"),
        lambda: bw.Webhook([secret, ""]),
        lambda: bw.Webhook(secret, max_body_bytes=1).verify(BODY, secret),
    ]
    for attempt in attempts:
        with pytest.raises(bw.WebhookError) as caught:
            attempt()
        texts += [str(caught.value), repr(caught.value)]
    event = bw.Webhook(secret).construct_event(BODY, bw.sign(secret, BODY))
    texts.append(repr(event))
    assert all("RECOGNISABLE" not in t for t in texts), texts


def test_tolerance_accepts_seconds_and_timedelta_and_now_datetime() -> None:
    body = b'{"event":"visitor.identified","timestamp":"2025-01-15T10:30:00Z"}'
    signature = bw.sign(SECRET, body)
    signed_at = datetime(2025, 1, 15, 10, 30, tzinfo=timezone.utc)
    for tolerance in (300, 300.0, timedelta(minutes=5)):
        webhook = bw.Webhook(SECRET, tolerance=tolerance)
        assert webhook.tolerance == 300.0
        webhook.construct_event(body, signature, now=signed_at + timedelta(seconds=299))
        with pytest.raises(bw.SignatureVerificationError):
            webhook.construct_event(body, signature, now=signed_at + timedelta(seconds=301))
    # Without `now`, the system clock: 2025 is long past.
    with pytest.raises(bw.SignatureVerificationError):
        bw.Webhook(SECRET, tolerance=300).construct_event(body, signature)


def test_generic_events_keep_everything() -> None:
    body = b'{"event_type":"webhook.test","message":"hi","n":[1,2.5,null,true]}'
    event = bw.Webhook(SECRET).construct_event(body, bw.sign(SECRET, body))
    assert isinstance(event, bw.GenericEvent)
    assert event.event_type == "webhook.test"
    assert event.to_dict() == {"event_type": "webhook.test", "message": "hi", "n": [1, 2.5, None, True]}
    assert repr(event) == '<GenericEvent event_type="webhook.test">'
