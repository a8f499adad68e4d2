"""The FastAPI dependency, through TestClient and through real uvicorn on 127.0.0.1."""

from __future__ import annotations

import http.client
import json
import logging

import pytest
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient
from starlette.requests import Request

import pathlib
import re

from bullseye_webhooks import Event, VisitorIdentifiedEvent
from bullseye_webhooks.fastapi import BullseyeWebhook
from frameworks import (
    BODY,
    DELIVERIES,
    GOOD,
    DRIFT_DELIVERIES,
    DRIFT_IDS,
    LENIENT_PATH,
    MAX_BODY_BYTES,
    OLD_SECRET,
    OTHER_BODY,
    OTHER_DELIVERIES,
    OTHER_IDS,
    SECRET,
    STRICT_PATH,
    HeaderVerifier,
    asgi_server,
    check_drift_warning,
    expected_json,
    post,
    post_full,
    signed,
    summary,
)


def make_app() -> FastAPI:
    bullseye = BullseyeWebhook([SECRET, OLD_SECRET], max_body_bytes=MAX_BODY_BYTES)
    app = FastAPI()
    bullseye.install(app)

    @app.post("/webhooks/bullseye")
    async def receive(request: Request, event: Event = Depends(bullseye)) -> dict:
        assert isinstance(event, VisitorIdentifiedEvent) and event.visitor is not None
        # The handler can still read the body the dependency consumed.
        assert len(await request.body()) > 0
        return {"event_type": event.event_type, "email": event.visitor.email}

    lenient = BullseyeWebhook(SECRET)
    strict = BullseyeWebhook(SECRET, strict=True)

    @app.post(LENIENT_PATH)
    def drift(event: Event = Depends(lenient)) -> dict:
        return summary(event)

    @app.post(STRICT_PATH)
    def refuse(event: Event = Depends(strict)) -> dict:
        return summary(event)

    @app.post("/webhooks/echo")
    async def echo(request: Request, event: Event = Depends(bullseye)) -> dict:
        # The raw body, read again by the handler: what the dependency verified.
        body = await request.body()
        return {"length": len(body), "head": body[:12].decode(), "event_type": event.event_type}

    other = BullseyeWebhook(HeaderVerifier(SECRET))

    @app.post("/webhooks/other")
    def other_route(event: Event = Depends(other)) -> dict:
        return {"event_type": event.event_type}

    return app


@pytest.mark.parametrize(("name", "body", "headers", "status", "code"), DELIVERIES, ids=[d[0] for d in DELIVERIES])
def test_test_client(name: str, body: bytes, headers: dict, status: int, code: str | None) -> None:
    client = TestClient(make_app())
    response = client.post("/webhooks/bullseye", content=body, headers=headers)
    assert response.status_code == status, response.text
    assert response.json() == expected_json(status, code)


def test_without_install_the_status_is_still_right() -> None:
    app = FastAPI()
    bullseye = BullseyeWebhook(SECRET)

    @app.post("/hook")
    def receive(event: Event = Depends(bullseye)) -> dict:
        return {}

    response = TestClient(app).post("/hook", content=b"{}", headers={"X-Bullseye-Signature": "0" * 64})
    assert response.status_code == 401
    assert response.json() == {"detail": "signature_mismatch"}


@pytest.fixture(scope="module")
def uvicorn_port():
    with asgi_server(make_app()) as port:
        yield port


@pytest.mark.parametrize(("name", "body", "headers", "status", "code"), DELIVERIES, ids=[d[0] for d in DELIVERIES])
def test_real_uvicorn(uvicorn_port: int, name: str, body: bytes, headers: dict, status: int, code: str | None) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", uvicorn_port, timeout=10)
    connection.request("POST", "/webhooks/bullseye", body=body, headers={"Content-Type": "application/json", **headers})
    response = connection.getresponse()
    assert response.status == status
    assert json.loads(response.read()) == expected_json(status, code)
    connection.close()


def test_real_uvicorn_chunked_body_over_the_limit(uvicorn_port: int) -> None:
    """No Content-Length: the dependency stops reading past the limit."""
    connection = http.client.HTTPConnection("127.0.0.1", uvicorn_port, timeout=10)
    chunks = (b" " * 16_384 for _ in range(8))  # 128 KiB > 64 KiB
    connection.request("POST", "/webhooks/bullseye", body=chunks, headers={"X-Bullseye-Signature": "0" * 64}, encode_chunked=True)
    response = connection.getresponse()
    assert response.status == 413
    assert json.loads(response.read()) == {"error": "body_too_large"}
    connection.close()


@pytest.mark.parametrize(("name", "path", "body", "status", "answer"), DRIFT_DELIVERIES, ids=DRIFT_IDS)
def test_drift_test_client(
    caplog: pytest.LogCaptureFixture, name: str, path: str, body: bytes, status: int, answer: dict
) -> None:
    client = TestClient(make_app())
    with caplog.at_level(logging.WARNING, logger="bullseye_webhooks"):
        response = client.post(path, content=body, headers=signed(body))
    assert response.status_code == status, response.text
    assert response.json() == answer
    check_drift_warning(caplog.records, drifted=name == "drifted")


@pytest.mark.parametrize(("name", "path", "body", "status", "answer"), DRIFT_DELIVERIES, ids=DRIFT_IDS)
def test_drift_real_uvicorn(uvicorn_port: int, name: str, path: str, body: bytes, status: int, answer: dict) -> None:
    assert post(uvicorn_port, path, body, signed(body)) == (status, answer)


def test_real_uvicorn_handler_reads_the_body_again(uvicorn_port: int) -> None:
    """The dependency reads the body with Starlette's public request.body()
    (bounded by install()'s middleware); the handler gets the same bytes."""
    status, answer, _ = post_full(uvicorn_port, "/webhooks/echo", BODY, {"X-Bullseye-Signature": GOOD})
    assert status == 200, answer
    assert answer == {"length": len(BODY), "head": BODY[:12].decode(), "event_type": "visitor.identified"}


def test_real_uvicorn_chunked_body_under_the_limit_read_again(uvicorn_port: int) -> None:
    """No Content-Length, within the limit: verified, and the handler reads it again."""
    chunks = [BODY[i : i + 100] for i in range(0, len(BODY), 100)]
    status, answer, _ = post_full(
        uvicorn_port, "/webhooks/echo", iter(chunks), {"X-Bullseye-Signature": GOOD}, encode_chunked=True
    )
    assert (status, answer["length"]) == (200, len(BODY)), answer


def test_the_dependency_does_not_touch_starlette_private_attributes() -> None:
    import bullseye_webhooks.fastapi as integration

    source = pathlib.Path(integration.__file__).read_text()
    assert re.search(r"request\._|\._body|\._receive|\._stream", source) is None


@pytest.mark.parametrize(("name", "headers", "status", "answer"), OTHER_DELIVERIES, ids=OTHER_IDS)
def test_any_verifier_real_uvicorn(uvicorn_port: int, name: str, headers: dict, status: int, answer: dict) -> None:
    assert post(uvicorn_port, "/webhooks/other", OTHER_BODY, headers) == (status, answer)


def test_a_verifier_takes_no_options_here() -> None:
    with pytest.raises(TypeError, match="tolerance, strict: set on the verifier"):
        BullseyeWebhook(HeaderVerifier(SECRET), tolerance=5, strict=True)
    assert BullseyeWebhook(HeaderVerifier(SECRET, max_body_bytes=123)).max_body_bytes == 123
