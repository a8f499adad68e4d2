"""BitnobWebhook: every case of fixtures/bitnob-vectors.json (computed with
the Python standard library, expectations as literals), the secret
helpers, options, secret hygiene, and Bitnob deliveries through the FastAPI,
Flask and Django integrations over real HTTP (with de-duplication)."""

from __future__ import annotations

import contextlib
import hashlib
import json
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

import bullseye_webhooks as bw
from conftest import FIXTURES, body_of
from frameworks import asgi_server, configure_django, post_full, wsgi_server

VECTORS = json.loads((FIXTURES / "bitnob-vectors.json").read_text(encoding="utf-8"))
CASES = VECTORS["cases"]
ALL_SECRETS = sorted({s for case in CASES for s in case["secrets"] if len(s) >= 4}, key=len, reverse=True)


def bitnob_of(case: dict[str, Any]) -> bw.BitnobWebhook:
    options = case.get("options", {})
    kwargs: dict[str, Any] = {}
    if "tolerance_seconds" in options:
        kwargs["tolerance"] = options["tolerance_seconds"]
    if "legacy_sha512" in options:
        kwargs["legacy_sha512"] = options["legacy_sha512"]
    if "max_body_bytes" in options:
        kwargs["max_body_bytes"] = options["max_body_bytes"]
    return bw.BitnobWebhook(list(case["secrets"]), **kwargs)


def outcome(case: dict[str, Any], operation: str, headers: Any) -> dict[str, Any]:
    try:
        bitnob = bitnob_of(case)
        if operation == "verify":
            bitnob.verify(body_of(case), headers, now=case["now_unix"])
            return {"ok": True}
        event = bitnob.construct_event(body_of(case), headers, now=case["now_unix"])
        assert isinstance(event, bw.GenericEvent)
        return {"ok": True, "event_type": event.event_type}
    except bw.WebhookError as error:
        assert not any(secret in str(error) for secret in ALL_SECRETS), str(error)
        return {"ok": False, "code": error.code}


def test_the_vectors_are_there() -> None:
    assert len(CASES) >= 60
    assert {c["expect"]["construct_event"].get("code") for c in CASES} >= {
        None, "invalid_secret", "body_too_large", "missing_signature", "malformed_signature",
        "signature_mismatch", "invalid_body", "invalid_payload", "timestamp_out_of_tolerance",
    }


@pytest.mark.parametrize("operation", ["verify", "construct_event"])
@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_vector(case: dict[str, Any], operation: str) -> None:
    pairs = [tuple(pair) for pair in case["headers"]]
    assert outcome(case, operation, pairs) == case["expect"][operation]
    # A dict of the same headers (when no name repeats) gives the same answer.
    if len({name.lower() for name, _ in pairs}) == len(pairs):
        assert outcome(case, operation, dict(pairs)) == case["expect"][operation]


@pytest.mark.parametrize("item", VECTORS["secret_last4"], ids=lambda i: i["last4"])
def test_secret_last4(item: dict[str, str]) -> None:
    assert bw.secret_last4(item["secret"]) == item["last4"]


@pytest.mark.parametrize("item", VECTORS["secrets_ending_in"], ids=lambda i: repr(i["last4"]))
def test_secrets_ending_in(item: dict[str, Any]) -> None:
    assert bw.BitnobWebhook(item["secrets"]).secrets_ending_in(item["last4"]) == item["indexes"]


def signed_case() -> dict[str, Any]:
    return next(c for c in CASES if c["name"] == "bitnob: signed, canonical header names")


def test_sign_bitnob_gives_the_vectors_signature() -> None:
    case = signed_case()
    headers = dict(case["headers"])
    timestamp = headers["X-Bitnob-Timestamp"]
    expected = headers["X-Bitnob-Signature"]
    assert bw.sign_bitnob(case["secrets"][0], body_of(case), timestamp) == expected
    assert bw.sign_bitnob(case["secrets"][0], body_of(case), int(timestamp)) == expected
    with pytest.raises(TypeError):
        bw.sign_bitnob(case["secrets"][0], body_of(case), True)  # type: ignore[arg-type]


def test_sign_bitnob_legacy_matches_the_standard_library() -> None:
    import hmac

    body = b'{"event":"x"}'
    assert bw.sign_bitnob_legacy("k", body) == hmac.new(b"k", body, hashlib.sha512).hexdigest()


def test_constants_and_options() -> None:
    assert (bw.BITNOB_SIGNATURE_HEADER, bw.BITNOB_TIMESTAMP_HEADER, bw.BITNOB_EVENT_HEADER) == (
        "X-Bitnob-Signature", "X-Bitnob-Timestamp", "X-Bitnob-Event",
    )
    assert bw.DEFAULT_BITNOB_TOLERANCE == 300
    default = bw.BitnobWebhook("sk")
    assert (default.tolerance, default.legacy_sha512, default.max_body_bytes) == (300, True, 1024 * 1024)
    off = bw.BitnobWebhook("sk", tolerance=None, legacy_sha512=False, max_body_bytes=10)
    assert (off.tolerance, off.legacy_sha512, off.max_body_bytes) == (None, False, 10)
    assert bw.BitnobWebhook("sk", tolerance=timedelta(minutes=2)).tolerance == 120
    with pytest.raises(TypeError, match="unexpected keyword"):
        bw.BitnobWebhook("sk", strict=True)  # type: ignore[call-arg]
    with pytest.raises(ValueError):
        bw.BitnobWebhook("sk", tolerance=-1)
    with pytest.raises(TypeError):
        bw.BitnobWebhook("sk", legacy_sha512=1)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="headers"):
        bw.BitnobWebhook("sk").verify(b"{}", "0" * 64)  # one value: the timestamp is needed too
    with pytest.raises(bw.WebhookError) as caught:
        bw.BitnobWebhook([])
    assert caught.value.code == "invalid_secret"


def test_the_clock_is_now_by_default() -> None:
    body = b'{"event":"virtualcard.transaction.debit"}'
    now = str(int(time.time()))
    stale = str(int(time.time()) - 301)
    bitnob = bw.BitnobWebhook("sk_now")
    headers = {"X-Bitnob-Timestamp": now, "X-Bitnob-Signature": bw.sign_bitnob("sk_now", body, now)}
    assert bitnob.construct_event(body, headers).event_type == "virtualcard.transaction.debit"
    old = {"X-Bitnob-Timestamp": stale, "X-Bitnob-Signature": bw.sign_bitnob("sk_now", body, stale)}
    with pytest.raises(bw.SignatureVerificationError) as caught:
        bitnob.verify(body, old)
    assert caught.value.code == "timestamp_out_of_tolerance"
    bw.BitnobWebhook("sk_now", tolerance=None).verify(body, old)


def test_bitnob_events_are_generic_and_keyed_by_their_body() -> None:
    case = signed_case()
    event = bitnob_of(case).construct_event(body_of(case), case["headers"], now=case["now_unix"])
    assert isinstance(event, bw.GenericEvent)
    assert event.to_dict() == json.loads(body_of(case))
    assert event.mismatches == ()
    assert event.delivery_key == "sha256:" + hashlib.sha256(body_of(case)).hexdigest()


def test_secret_hygiene() -> None:
    secrets = ["bn_whsk_SUPERSECRETvalue1", "bn_whsk_SUPERSECRETvalue2"]
    bitnob = bw.BitnobWebhook(secrets)
    texts = [repr(bitnob), str(bitnob)]
    from bullseye_webhooks.fastapi import BullseyeWebhook

    texts.append(repr(BullseyeWebhook(bitnob)))
    body = b'{"event":"x"}'
    attempts = [
        {},
        {"X-Bitnob-Signature": "short"},
        {"X-Bitnob-Signature": "0" * 64, "X-Bitnob-Timestamp": "1"},
        {"X-Bitnob-Signature": "0" * 128},
        {"X-Bitnob-Signature": bw.sign_bitnob(secrets[0], body, "1"), "X-Bitnob-Timestamp": "1"},
        {"X-Bitnob-Signature": bw.sign_bitnob(secrets[0], b"[]", "1"), "X-Bitnob-Timestamp": "1"},
    ]
    for headers in attempts:
        for call in (bitnob.verify, bitnob.construct_event):
            with pytest.raises(bw.WebhookError) as caught:
                call(body if "[]" not in str(headers) else b"[]", headers)
            texts += [str(caught.value), repr(caught.value), caught.value.code]
    assert texts and not any("SUPERSECRET" in t for t in texts), texts
    assert "REDACTED" in repr(bitnob)


# ---- through the integrations, over real HTTP -------------------------------------------

SECRET = "bn_whsk_integration_test"


def bitnob_delivery(age: int = 0, tamper: bool = False, legacy: bool = False) -> tuple[bytes, dict[str, str]]:
    body = json.dumps({"event": "virtualcard.transaction.debit", "data": {"id": uuid.uuid4().hex, "amount": 2500}}).encode()
    timestamp = str(int(time.time()) - age)
    signature = bw.sign_bitnob_legacy(SECRET, body) if legacy else bw.sign_bitnob(SECRET, body, timestamp)
    headers = {"Content-Type": "application/json", "X-Bitnob-Signature": signature, "X-Bitnob-Event": "virtualcard.transaction.debit"}
    if not legacy:
        headers["X-Bitnob-Timestamp"] = timestamp
    return (body.replace(b"2500", b"2501") if tamper else body), headers


urlpatterns: list[Any] = []


@contextlib.contextmanager
def serve(framework: str, calls: list[str]) -> Iterator[int]:
    store = bw.MemoryStore()
    if framework == "fastapi":
        from fastapi import Depends, FastAPI

        from bullseye_webhooks.fastapi import BullseyeWebhook as FastAPIWebhook

        receiver = FastAPIWebhook(bw.BitnobWebhook(SECRET), dedupe=store)
        app = FastAPI()
        receiver.install(app)

        @app.post("/bitnob")
        def hook(event: bw.Event = Depends(receiver)) -> dict[str, str]:
            calls.append(event.delivery_key)
            return {"event_type": event.event_type}

        with asgi_server(app) as port:
            yield port
    elif framework == "flask":
        from flask import Flask

        from bullseye_webhooks.flask import BullseyeWebhook as FlaskWebhook

        flask_receiver = FlaskWebhook(bw.BitnobWebhook(SECRET), dedupe=store)
        flask_app = Flask("bitnob")

        @flask_app.post("/bitnob")
        @flask_receiver.verified
        def flask_hook(event):  # type: ignore[no-untyped-def]
            calls.append(event.delivery_key)
            return {"event_type": event.event_type}

        with wsgi_server(flask_app, threaded=True) as port:
            yield port
    else:
        configure_django()
        from django.core.handlers.wsgi import WSGIHandler
        from django.http import JsonResponse
        from django.test import override_settings
        from django.urls import path

        from bullseye_webhooks.django import BullseyeWebhook as DjangoWebhook

        django_receiver = DjangoWebhook(bw.BitnobWebhook(SECRET), dedupe=store)

        @django_receiver.verified
        def django_hook(request, event):  # type: ignore[no-untyped-def]
            calls.append(event.delivery_key)
            return JsonResponse({"event_type": event.event_type})

        urlpatterns[:] = [path("bitnob", django_hook)]
        with override_settings(ROOT_URLCONF=__name__), wsgi_server(WSGIHandler(), threaded=True) as port:
            yield port


@pytest.mark.parametrize("framework", ["fastapi", "flask", "django"])
def test_bitnob_through_the_integrations(framework: str) -> None:
    calls: list[str] = []
    with serve(framework, calls) as port:
        body, headers = bitnob_delivery()
        assert post_full(port, "/bitnob", body, headers)[:2] == (200, {"event_type": "virtualcard.transaction.debit"})
        # Bitnob retries: the duplicate is not handled again.
        assert post_full(port, "/bitnob", body, headers)[:2] == (200, {"duplicate": True})
        assert calls == ["sha256:" + hashlib.sha256(body).hexdigest()]
        legacy_body, legacy_headers = bitnob_delivery(legacy=True)
        assert post_full(port, "/bitnob", legacy_body, legacy_headers)[0] == 200
        stale_body, stale_headers = bitnob_delivery(age=301)
        assert post_full(port, "/bitnob", stale_body, stale_headers)[:2] == (401, {"error": "timestamp_out_of_tolerance"})
        tampered_body, tampered_headers = bitnob_delivery(tamper=True)
        assert post_full(port, "/bitnob", tampered_body, tampered_headers)[:2] == (401, {"error": "signature_mismatch"})
        assert post_full(port, "/bitnob", body, {"Content-Type": "application/json"})[:2] == (400, {"error": "missing_signature"})
        assert len(calls) == 2
