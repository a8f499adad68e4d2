"""A Bullseye receiver on Django, in one file (settings, route, view),
served by Django's development server.

    BULLSEYE_WEBHOOK_SECRET=whsec_... python app.py     # PORT=8000 by default
"""

import os
import sys

from django.conf import settings

settings.configure(
    DEBUG=False,
    SECRET_KEY="example-only",  # Django's own key (sessions, CSRF), not the webhook secret
    ALLOWED_HOSTS=["127.0.0.1", "localhost"],
    ROOT_URLCONF=__name__,
    MIDDLEWARE=["django.middleware.csrf.CsrfViewMiddleware"],  # the decorator marks the view CSRF-exempt
)

from django.http import JsonResponse  # noqa: E402
from django.urls import path  # noqa: E402

from bullseye_webhooks.django import BullseyeWebhook  # noqa: E402

bullseye = BullseyeWebhook(os.environ["BULLSEYE_WEBHOOK_SECRET"])


@bullseye.verified
def receive(request, event):
    email = event.visitor.email if getattr(event, "visitor", None) else None
    return JsonResponse({"received": event.event_type, "email": email})


urlpatterns = [path("webhooks/bullseye", receive)]

if __name__ == "__main__":
    from django.core.management import execute_from_command_line

    port = os.environ.get("PORT", "8000")
    execute_from_command_line([sys.argv[0], "runserver", f"127.0.0.1:{port}", "--noreload"])
