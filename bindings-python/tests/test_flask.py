"""The Flask decorator, through Flask's test client."""

from __future__ import annotations

import asyncio
import logging

import pytest
from flask import Flask

from bullseye_webhooks import VisitorIdentifiedEvent
from bullseye_webhooks.flask import BullseyeWebhook
from frameworks import (
    DELIVERIES,
    DRIFT_DELIVERIES,
    DRIFT_IDS,
    LENIENT_PATH,
    MAX_BODY_BYTES,
    OLD_SECRET,
    OTHER_BODY,
    OTHER_DELIVERIES,
    OTHER_IDS,
    SECRET,
    HeaderVerifier,
    STRICT_PATH,
    check_drift_warning,
    expected_json,
    post,
    signed,
    summary,
    wsgi_server,
)


def make_app() -> Flask:
    bullseye = BullseyeWebhook([SECRET, OLD_SECRET], max_body_bytes=MAX_BODY_BYTES)
    app = Flask(__name__)

    @app.post("/webhooks/bullseye")
    @bullseye.verified
    def receive(event):  # type: ignore[no-untyped-def]
        assert isinstance(event, VisitorIdentifiedEvent) and event.visitor is not None
        return {"event_type": event.event_type, "email": event.visitor.email}

    lenient = BullseyeWebhook(SECRET)
    strict = BullseyeWebhook(SECRET, strict=True)

    @app.post(LENIENT_PATH)
    @lenient.verified
    def drift(event):  # type: ignore[no-untyped-def]
        return summary(event)

    @app.post(STRICT_PATH)
    @strict.verified
    def refuse(event):  # type: ignore[no-untyped-def]
        return summary(event)

    @app.post("/webhooks/async")
    @bullseye.verified
    async def receive_async(event):  # type: ignore[no-untyped-def]
        await asyncio.sleep(0)  # a real coroutine, run by Flask's async support
        assert isinstance(event, VisitorIdentifiedEvent) and event.visitor is not None
        return {"event_type": event.event_type, "email": event.visitor.email}

    other = BullseyeWebhook(HeaderVerifier(SECRET))

    @app.post("/webhooks/other")
    @other.verified
    async def other_route(event):  # type: ignore[no-untyped-def]
        return {"event_type": event.event_type}

    return app


@pytest.mark.parametrize(("name", "body", "headers", "status", "code"), DELIVERIES, ids=[d[0] for d in DELIVERIES])
def test_flask(name: str, body: bytes, headers: dict, status: int, code: str | None) -> None:
    response = make_app().test_client().post("/webhooks/bullseye", data=body, headers=headers)
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.get_json() == expected_json(status, code)


def test_flask_url_arguments_follow_the_event() -> None:
    bullseye = BullseyeWebhook(SECRET)
    app = Flask(__name__)

    @app.post("/hooks/<tenant>")
    @bullseye.verified
    def receive(event, tenant):  # type: ignore[no-untyped-def]
        return {"tenant": tenant, "event_type": event.event_type}

    body = b'{"event":"webhook.test"}'
    from bullseye_webhooks import sign

    response = app.test_client().post("/hooks/acme", data=body, headers={"X-Bullseye-Signature": sign(SECRET, body)})
    assert response.get_json() == {"tenant": "acme", "event_type": "webhook.test"}


@pytest.mark.parametrize(("name", "path", "body", "status", "answer"), DRIFT_DELIVERIES, ids=DRIFT_IDS)
def test_drift_test_client(
    caplog: pytest.LogCaptureFixture, name: str, path: str, body: bytes, status: int, answer: dict
) -> None:
    with caplog.at_level(logging.WARNING, logger="bullseye_webhooks"):
        response = make_app().test_client().post(path, data=body, headers=signed(body))
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.get_json() == answer
    check_drift_warning(caplog.records, drifted=name == "drifted")


@pytest.fixture(scope="module")
def flask_port():
    with wsgi_server(make_app()) as port:
        yield port


# Not "too large": it is answered before the body is read, and the simple
# test server then closes a connection the client is still writing to.
READ_DELIVERIES = [d for d in DELIVERIES if d[3] != 413]


@pytest.mark.parametrize(("name", "body", "headers", "status", "code"), READ_DELIVERIES, ids=[d[0] for d in READ_DELIVERIES])
def test_real_http(flask_port: int, name: str, body: bytes, headers: dict, status: int, code: str | None) -> None:
    assert post(flask_port, "/webhooks/bullseye", body, headers) == (status, expected_json(status, code))


@pytest.mark.parametrize(("name", "path", "body", "status", "answer"), DRIFT_DELIVERIES, ids=DRIFT_IDS)
def test_drift_real_http(flask_port: int, name: str, path: str, body: bytes, status: int, answer: dict) -> None:
    assert post(flask_port, path, body, signed(body)) == (status, answer)


@pytest.mark.parametrize(("name", "body", "headers", "status", "code"), DELIVERIES, ids=[d[0] for d in DELIVERIES])
def test_async_view_test_client(name: str, body: bytes, headers: dict, status: int, code: str | None) -> None:
    response = make_app().test_client().post("/webhooks/async", data=body, headers=headers)
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.get_json() == expected_json(status, code)


@pytest.mark.parametrize(("name", "body", "headers", "status", "code"), READ_DELIVERIES, ids=[d[0] for d in READ_DELIVERIES])
def test_async_view_real_http(flask_port: int, name: str, body: bytes, headers: dict, status: int, code: str | None) -> None:
    assert post(flask_port, "/webhooks/async", body, headers) == (status, expected_json(status, code))


@pytest.mark.parametrize(("name", "headers", "status", "answer"), OTHER_DELIVERIES, ids=OTHER_IDS)
def test_any_verifier_real_http(flask_port: int, name: str, headers: dict, status: int, answer: dict) -> None:
    assert post(flask_port, "/webhooks/other", OTHER_BODY, headers) == (status, answer)
