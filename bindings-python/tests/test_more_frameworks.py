"""Starlette, Litestar, aiohttp and Django REST Framework, each serving
real HTTP on 127.0.0.1 (more_apps.py): signed, rotated, tampered, unsigned,
malformed, not-JSON and too-large deliveries (by Content-Length and
chunked), the drift routes, another verifier, visits, and the refusal log."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from litestar.di import NamedDependency  # resolved by Litestar from this module's names

import bullseye_webhooks as bw
from conftest import FIXTURES
from frameworks import (
    DELIVERIES,
    DRIFT_DELIVERIES,
    DRIFT_IDS,
    OTHER_BODY,
    OTHER_DELIVERIES,
    OTHER_IDS,
    SECRET,
    check_refusal_log,
    expected_json,
    post,
    post_full,
    signed,
)
from more_apps import FRAMEWORKS, serve


@pytest.fixture(scope="module", params=FRAMEWORKS)
def port(request: pytest.FixtureRequest) -> Iterator[int]:
    with serve(request.param) as port:
        yield port


@pytest.mark.parametrize(("name", "body", "headers", "status", "code"), DELIVERIES, ids=[d[0] for d in DELIVERIES])
def test_deliveries(
    port: int, caplog: pytest.LogCaptureFixture, name: str, body: bytes, headers: dict, status: int, code: str | None
) -> None:
    with caplog.at_level(logging.WARNING, logger="bullseye_webhooks"):
        got = post(port, "/webhooks/bullseye", body, {"Content-Type": "application/json", **headers})
    assert got == (status, expected_json(status, code))
    if code is not None:
        check_refusal_log(caplog.records, code, body, headers)
    else:
        assert [r for r in caplog.records if hasattr(r, "refusal")] == []


@pytest.fixture(scope="module", params=[f for f in FRAMEWORKS if f != "drf"])
def streaming_port(request: pytest.FixtureRequest) -> Iterator[int]:
    """The servers that take chunked request bodies (WSGI's wsgiref does not)."""
    with serve(request.param) as port:
        yield port


def test_chunked_body_over_the_limit(streaming_port: int) -> None:
    """No Content-Length: the integration stops reading past the limit."""
    chunks = (b" " * 16_384 for _ in range(8))  # 128 KiB > 64 KiB
    status, answer, _ = post_full(
        streaming_port, "/webhooks/bullseye", chunks, {"X-Bullseye-Signature": "0" * 64}, encode_chunked=True
    )
    assert (status, answer) == (413, {"error": "body_too_large"})


def test_chunked_body_under_the_limit(streaming_port: int) -> None:
    body, headers = DELIVERIES[0][1], DELIVERIES[0][2]
    chunks = [body[i : i + 100] for i in range(0, len(body), 100)]
    status, answer, _ = post_full(streaming_port, "/webhooks/bullseye", iter(chunks), headers, encode_chunked=True)
    assert (status, answer) == (200, expected_json(200, None))


@pytest.mark.parametrize(("name", "path", "body", "status", "answer"), DRIFT_DELIVERIES, ids=DRIFT_IDS)
def test_drift(port: int, name: str, path: str, body: bytes, status: int, answer: dict) -> None:
    assert post(port, path, body, signed(body)) == (status, answer)


@pytest.mark.parametrize(("name", "headers", "status", "answer"), OTHER_DELIVERIES, ids=OTHER_IDS)
def test_any_verifier(port: int, name: str, headers: dict, status: int, answer: dict) -> None:
    assert post(port, "/webhooks/other", OTHER_BODY, headers) == (status, answer)


VISIT = (FIXTURES / "payloads" / "visit-new-visit.json").read_bytes()


@pytest.mark.parametrize(
    ("name", "headers", "status", "answer"),
    [
        ("hmac", {"X-Webhook-Signature": bw.sign(SECRET, VISIT)}, 200, {"event_type": "NEW_VISIT", "id": "vst_3f9a61c2"}),
        ("static token", {"X-Webhook-Signature": SECRET}, 200, {"event_type": "NEW_VISIT", "id": "vst_3f9a61c2"}),
        ("wrong token", {"X-Webhook-Signature": "nope"}, 401, {"error": "signature_mismatch"}),
        ("unsigned", {}, 400, {"error": "missing_signature"}),
    ],
)
def test_kind_visit(port: int, name: str, headers: dict, status: int, answer: dict) -> None:
    assert post(port, "/webhooks/visit", VISIT, headers) == (status, answer)


def test_drf_verifies_the_raw_body_after_request_data() -> None:
    """A DRF view that parsed `request.data` first still verifies: DRF keeps
    the raw body, and the integration reads it (the signed body is indented
    JSON, which a re-serialization of `request.data` would not reproduce)."""
    body, headers = DELIVERIES[0][1], DELIVERIES[0][2]
    with serve("drf") as port:
        got = post(port, "/webhooks/data-first", body, {"Content-Type": "application/json", **headers})
    assert got == (200, expected_json(200, None))


def test_drf_a_consumed_stream_is_invalid_body() -> None:
    """When something read the request's stream itself, no raw body is left:
    invalid_body, never a verification of something else."""
    from django.test import RequestFactory

    from bullseye_webhooks.rest_framework import BullseyeWebhook

    body, headers = DELIVERIES[0][1], DELIVERIES[0][2]
    request = RequestFactory().post("/hook", data=body, content_type="application/json", headers=headers)
    request.read()
    view = BullseyeWebhook(SECRET).verified(lambda request, event: pytest.fail("called"))
    response = view(request)
    assert (response.status_code, json.loads(response.content)) == (400, {"error": "invalid_body"})


def test_options_are_checked() -> None:
    from bullseye_webhooks.starlette import BullseyeWebhook

    with pytest.raises(ValueError, match="kind"):
        BullseyeWebhook(SECRET, kind="visits")
    with pytest.raises(TypeError, match="construct_visit"):
        BullseyeWebhook(bw.BitnobWebhook(SECRET), kind="visit")


def test_litestar_dedupe_needs_the_plugin() -> None:
    from litestar import Litestar, post as litestar_post
    from litestar.testing import TestClient

    from bullseye_webhooks.dedupe import MemoryStore
    from bullseye_webhooks.litestar import BullseyeWebhook

    bullseye = BullseyeWebhook(SECRET, dedupe=MemoryStore())

    @litestar_post("/hook", dependencies={"event": bullseye.dependency})
    async def hook(event: NamedDependency[Any]) -> dict:
        return {}

    body, headers = DELIVERIES[0][1], DELIVERIES[0][2]
    with TestClient(Litestar([hook], debug=True)) as client:
        response = client.post("/hook", content=body, headers=headers)
    assert response.status_code == 500
    assert "needs its middleware" in response.text and "plugins=[bullseye]" in response.text
