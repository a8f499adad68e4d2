"""The FastAPI dependency, through TestClient and through real uvicorn on 127.0.0.1."""

from __future__ import annotations

import http.client
import json
import threading
import time

import logging

import pytest
import uvicorn
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient
from starlette.requests import Request

from bullseye_webhooks import Event, VisitorIdentifiedEvent
from bullseye_webhooks.fastapi import BullseyeWebhook
from frameworks import (
    DELIVERIES,
    DRIFT_DELIVERIES,
    DRIFT_IDS,
    LENIENT_PATH,
    MAX_BODY_BYTES,
    OLD_SECRET,
    SECRET,
    STRICT_PATH,
    check_drift_warning,
    expected_json,
    post,
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
    config = uvicorn.Config(make_app(), host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start on 127.0.0.1")
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield port
    server.should_exit = True
    thread.join(timeout=10)


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
