"""The Django decorator, through Django's test client with CSRF checks on."""

from __future__ import annotations

import sys

import django
import pytest
from django.conf import settings

from frameworks import DELIVERIES, MAX_BODY_BYTES, OLD_SECRET, SECRET, expected_json

if not settings.configured:
    settings.configure(
        DEBUG=False,
        SECRET_KEY="django-test-only",
        ALLOWED_HOSTS=["testserver", "127.0.0.1"],
        ROOT_URLCONF=__name__,
        MIDDLEWARE=["django.middleware.csrf.CsrfViewMiddleware"],
        INSTALLED_APPS=[],
    )
    django.setup()

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


urlpatterns = [path("webhooks/bullseye", receive)]
sys.modules.setdefault(__name__, sys.modules[__name__])


@pytest.mark.parametrize(("name", "body", "headers", "status", "code"), DELIVERIES, ids=[d[0] for d in DELIVERIES])
def test_django(name: str, body: bytes, headers: dict, status: int, code: str | None) -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post("/webhooks/bullseye", data=body, content_type="application/json", headers=headers)
    assert response.status_code == status, response.content
    assert response.json() == expected_json(status, code)
