"""A Bullseye receiver on Django REST Framework, in one file (settings,
route, view), served by Django's development server.

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
    INSTALLED_APPS=["rest_framework"],
    REST_FRAMEWORK={"UNAUTHENTICATED_USER": None, "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"]},
)

from django.urls import path  # noqa: E402
from rest_framework.decorators import api_view, authentication_classes, permission_classes  # noqa: E402
from rest_framework.permissions import AllowAny  # noqa: E402
from rest_framework.response import Response  # noqa: E402

from bullseye_webhooks.rest_framework import BullseyeWebhook  # noqa: E402

bullseye = BullseyeWebhook(os.environ["BULLSEYE_WEBHOOK_SECRET"])


@api_view(["POST"])
@authentication_classes([])  # the signature is the authentication
@permission_classes([AllowAny])
@bullseye.verified  # reads request.body, the raw bytes; never request.data
def receive(request, event):
    email = event.visitor.email if getattr(event, "visitor", None) else None
    return Response({"received": event.event_type, "email": email})


urlpatterns = [path("webhooks/bullseye", receive)]

if __name__ == "__main__":
    from django.core.management import execute_from_command_line

    port = os.environ.get("PORT", "8000")
    execute_from_command_line([sys.argv[0], "runserver", f"127.0.0.1:{port}", "--noreload"])
