"""The Django decorator, through Django's test client with CSRF checks on."""

from __future__ import annotations

import asyncio
import logging
import sys

import pytest

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
    asgi_server,
    STRICT_PATH,
    check_drift_warning,
    configure_django,
    expected_json,
    post,
    signed,
    summary,
    wsgi_server,
)

configure_django()

from django.core.handlers.asgi import ASGIHandler  # noqa: E402
from django.core.handlers.wsgi import WSGIHandler  # noqa: E402
from django.http import JsonResponse  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import path  # noqa: E402

from bullseye_webhooks import VisitorIdentifiedEvent  # noqa: E402
from bullseye_webhooks.django import BullseyeWebhook  # noqa: E402

bullseye = BullseyeWebhook([SECRET, OLD_SECRET], max_body_bytes=MAX_BODY_BYTES)


@bullseye.verified
def receive(request, event):  # type: ignore[no-untyped-def]
    assert isinstance(event, VisitorIdentifiedEvent) and event.visitor is not None
    return JsonResponse({"event_type": event.event_type, "email": event.visitor.email})


lenient = BullseyeWebhook(SECRET)
strict = BullseyeWebhook(SECRET, strict=True)


@lenient.verified
def drift(request, event):  # type: ignore[no-untyped-def]
    return JsonResponse(summary(event))


@strict.verified
def refuse(request, event):  # type: ignore[no-untyped-def]
    return JsonResponse(summary(event))


@bullseye.verified
async def receive_async(request, event):  # type: ignore[no-untyped-def]
    await asyncio.sleep(0)  # a real coroutine: Django runs it as an async view
    assert isinstance(event, VisitorIdentifiedEvent) and event.visitor is not None
    return JsonResponse({"event_type": event.event_type, "email": event.visitor.email})


other = BullseyeWebhook(HeaderVerifier(SECRET))


@other.verified
async def other_view(request, event):  # type: ignore[no-untyped-def]
    return JsonResponse({"event_type": event.event_type})


urlpatterns = [
    path("webhooks/bullseye", receive),
    path("webhooks/async", receive_async),
    path("webhooks/other", other_view),
    path(LENIENT_PATH.lstrip("/"), drift),
    path(STRICT_PATH.lstrip("/"), refuse),
]
sys.modules.setdefault(__name__, sys.modules[__name__])


@pytest.mark.parametrize(("name", "body", "headers", "status", "code"), DELIVERIES, ids=[d[0] for d in DELIVERIES])
def test_django(name: str, body: bytes, headers: dict, status: int, code: str | None) -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post("/webhooks/bullseye", data=body, content_type="application/json", headers=headers)
    assert response.status_code == status, response.content
    assert response.json() == expected_json(status, code)


@pytest.mark.parametrize(("name", "path", "body", "status", "answer"), DRIFT_DELIVERIES, ids=DRIFT_IDS)
def test_drift_test_client(
    caplog: pytest.LogCaptureFixture, name: str, path: str, body: bytes, status: int, answer: dict
) -> None:
    client = Client(enforce_csrf_checks=True)
    with caplog.at_level(logging.WARNING, logger="bullseye_webhooks"):
        response = client.post(path, data=body, content_type="application/json", headers=signed(body))
    assert response.status_code == status, response.content
    assert response.json() == answer
    check_drift_warning(caplog.records, drifted=name == "drifted")


@pytest.fixture(scope="module")
def django_port():
    with wsgi_server(WSGIHandler()) as port:
        yield port


# Not "too large": it is answered before the body is read, and the simple
# test server then closes a connection the client is still writing to.
READ_DELIVERIES = [d for d in DELIVERIES if d[3] != 413]


@pytest.mark.parametrize(("name", "body", "headers", "status", "code"), READ_DELIVERIES, ids=[d[0] for d in READ_DELIVERIES])
def test_real_http(django_port: int, name: str, body: bytes, headers: dict, status: int, code: str | None) -> None:
    assert post(django_port, "/webhooks/bullseye", body, headers) == (status, expected_json(status, code))


@pytest.mark.parametrize(("name", "path", "body", "status", "answer"), DRIFT_DELIVERIES, ids=DRIFT_IDS)
def test_drift_real_http(django_port: int, name: str, path: str, body: bytes, status: int, answer: dict) -> None:
    assert post(django_port, path, body, signed(body)) == (status, answer)


@pytest.fixture(scope="module")
def django_asgi_port():
    with asgi_server(ASGIHandler()) as port:
        yield port


@pytest.mark.parametrize(("name", "body", "headers", "status", "code"), DELIVERIES, ids=[d[0] for d in DELIVERIES])
def test_async_view_test_client(name: str, body: bytes, headers: dict, status: int, code: str | None) -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post("/webhooks/async", data=body, content_type="application/json", headers=headers)
    assert response.status_code == status, response.content
    assert response.json() == expected_json(status, code)


@pytest.mark.parametrize(("name", "body", "headers", "status", "code"), READ_DELIVERIES, ids=[d[0] for d in READ_DELIVERIES])
@pytest.mark.parametrize("route", ["/webhooks/async", "/webhooks/bullseye"])
def test_real_asgi(
    django_asgi_port: int, route: str, name: str, body: bytes, headers: dict, status: int, code: str | None
) -> None:
    """Under uvicorn (ASGI, CSRF middleware on): async and sync views alike."""
    assert post(django_asgi_port, route, body, headers) == (status, expected_json(status, code))


@pytest.mark.parametrize(("name", "headers", "status", "answer"), OTHER_DELIVERIES, ids=OTHER_IDS)
def test_any_verifier_real_asgi(django_asgi_port: int, name: str, headers: dict, status: int, answer: dict) -> None:
    assert post(django_asgi_port, "/webhooks/other", OTHER_BODY, headers) == (status, answer)
