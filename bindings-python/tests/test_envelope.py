"""The queue envelope through the Python binding: every vector of
fixtures/envelope-vectors.json (the Rust and Node tests run the same), and
what an envelope never shows."""

from __future__ import annotations

import json
import pickle
from typing import Any

import pytest

from bullseye_webhooks import BitnobWebhook, Webhook, WebhookError
from bullseye_webhooks.queue import Envelope, InvalidEnvelope, make_envelope, open_envelope

from conftest import FIXTURES

with open(FIXTURES / "envelope-vectors.json", encoding="utf-8") as _f:
    VECTORS = json.load(_f)


def verifier(spec: dict[str, Any]) -> Any:
    options = {"tolerance": spec["tolerance"]} if "tolerance" in spec else {}
    if spec["kind"] == "webhook":
        return Webhook(spec["secrets"], **options)
    return BitnobWebhook(spec["secrets"], **options)


@pytest.mark.parametrize("case", VECTORS["make"], ids=[c["name"] for c in VECTORS["make"]])
def test_make_vectors(case: dict[str, Any]) -> None:
    args = (verifier(case["verifier"]), case["body"].encode(), [tuple(pair) for pair in case["headers"]])
    options = {"scheme": case["scheme"], "received_at": case["received_at_ms"] / 1000}
    expected = case["expected"]
    if "error" in expected:
        with pytest.raises(WebhookError) as raised:
            make_envelope(*args, **options)
        assert raised.value.code == expected["error"]
        return
    envelope = make_envelope(*args, **options)
    assert envelope.to_json() == expected["envelope"]
    assert envelope.key == expected["key"]
    assert envelope.scheme == case["scheme"]
    assert envelope.received_at_ms == case["received_at_ms"]
    assert envelope.body == case["body"].encode()


@pytest.mark.parametrize("case", VECTORS["open"], ids=[c["name"] for c in VECTORS["open"]])
def test_open_vectors(case: dict[str, Any]) -> None:
    expected = case["expected"]
    if "error" in expected:
        with pytest.raises((WebhookError, InvalidEnvelope)) as raised:
            open_envelope(verifier(case["verifier"]), case["envelope"])
        assert raised.value.code == expected["error"]
        return
    opened = open_envelope(verifier(case["verifier"]), case["envelope"].encode())
    assert opened.event_type == expected["event_type"]
    assert opened.delivery_key == expected["key"]


def test_a_read_envelope_is_equal_and_writes_the_same_text() -> None:
    text = VECTORS["make"][3]["expected"]["envelope"]
    envelope = Envelope.from_json(text)
    assert envelope == Envelope.from_json(text.encode())
    assert envelope.to_json() == text
    assert envelope.headers == json.loads(text)["headers"]


def test_repr_shows_neither_the_body_nor_a_signature() -> None:
    text = VECTORS["make"][0]["expected"]["envelope"]
    envelope = Envelope.from_json(text)
    shown = repr(envelope)
    assert "jane@example.com" not in shown
    assert json.loads(text)["headers"]["x-bullseye-signature"] not in shown
    assert "bullseye:org_1:visitor.identified:sess_1" in shown


def test_invalid_envelope_pickles_and_is_not_a_webhook_error() -> None:
    with pytest.raises(InvalidEnvelope) as raised:
        Envelope.from_json("[]")
    error = pickle.loads(pickle.dumps(raised.value))
    assert isinstance(error, InvalidEnvelope) and not isinstance(error, WebhookError)
    assert error.code == "invalid_envelope"


def test_a_verifier_makes_only_its_own_schemes() -> None:
    with pytest.raises(ValueError, match="bitnob"):
        make_envelope(BitnobWebhook("s"), b"{}", {}, scheme="visit")
    with pytest.raises(ValueError, match="scheme must be"):
        make_envelope(Webhook("s"), b"{}", {}, scheme="stripe")
    with pytest.raises(TypeError, match="Webhook or a BitnobWebhook"):
        make_envelope(object(), b"{}", {})
