"""The Flask decorator, through Flask's test client."""

from __future__ import annotations

import pytest
from flask import Flask

from bullseye_webhooks import VisitorIdentifiedEvent
from bullseye_webhooks.flask import BullseyeWebhook
from frameworks import DELIVERIES, MAX_BODY_BYTES, OLD_SECRET, SECRET, expected_json


def make_app() -> Flask:
    bullseye = BullseyeWebhook([SECRET, OLD_SECRET], max_body_bytes=MAX_BODY_BYTES)
    app = Flask(__name__)

    @app.post("/webhooks/bullseye")
    @bullseye.verified
    def receive(event):  # type: ignore[no-untyped-def]
        assert isinstance(event, VisitorIdentifiedEvent) and event.visitor is not None
        return {"event_type": event.event_type, "email": event.visitor.email}

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
