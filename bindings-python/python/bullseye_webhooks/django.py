"""Django integration: a CSRF-exempt view decorator that verifies
`request.body` and calls the view with the typed event after the request.

    bullseye = BullseyeWebhook("whsec_...")

    @bullseye.verified
    def receive(request, event): ...

A delivery whose documented fields have another JSON type is accepted: its
fields are on `event.mismatches`, and one WARNING on the `bullseye_webhooks`
logger names them (paths and types, never values). `strict=True` answers 400
`invalid_payload` instead.
"""

from __future__ import annotations

import functools
from typing import Any, Callable

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from ._errors import WebhookError
from ._http import Receiver, refusal

__all__ = ["BullseyeWebhook"]


class BullseyeWebhook(Receiver):
    """Verifies Bullseye deliveries for Django views."""

    def verified(self, view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        """Call `view(request, event, *args, **kwargs)` for a verified
        delivery; answer 400/401/413 with `{"error": code}` otherwise.
        CSRF-exempt: Bullseye cannot send a CSRF token, and the signature
        is the authentication."""

        @csrf_exempt
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            try:
                self.check_declared_length(request.META.get("CONTENT_LENGTH") or None)
                try:
                    body = request.body
                except RequestDataTooBig:
                    raise self.too_large() from None
                event = self.construct_event(body, request.headers)
            except WebhookError as error:
                status, payload = refusal(error)
                return JsonResponse(payload, status=status)
            return view(request, event, *args, **kwargs)

        return wrapper
