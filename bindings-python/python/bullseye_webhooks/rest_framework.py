"""Django REST Framework integration: a decorator for `@api_view` functions
and `APIView` methods that verifies the raw body (`request.body`, never
`request.data`, whose parsing changes the bytes that were signed) and calls
the view with the typed event after the request.

    bullseye = BullseyeWebhook("whsec_...")        # or BullseyeWebhook(BitnobWebhook("..."))

    @api_view(["POST"])
    @authentication_classes([])                    # the signature is the authentication
    @permission_classes([AllowAny])
    @bullseye.verified
    def receive(request, event):
        return Response({"received": event.event_type})

    class Receive(APIView):
        authentication_classes, permission_classes = [], [AllowAny]

        @bullseye.verified
        def post(self, request, event): ...

Refused deliveries are answered with the contract's status and
`{"error": code}`; a view that read `request.data` before verification gets
`invalid_body`. The de-duplication options and answers are the Django
integration's (a sync store: DRF views are not coroutines).
"""

from __future__ import annotations

import functools
from typing import Any, Callable

from django.http import HttpRequest, HttpResponseBase
from rest_framework.request import Request

from . import django as _django
from ._framework import run_claimed

__all__ = ["BullseyeWebhook"]


class BullseyeWebhook(_django.BullseyeWebhook):
    """Verifies deliveries for DRF views (Bullseye's, or any verifier's)."""

    def verified(self, view: Callable[..., Any]) -> Callable[..., Any]:
        """Call `view(request, event, ...)` (or, on an `APIView` method,
        `view(self, request, event, ...)`) for a verified delivery; answer
        400/401/413 with `{"error": code}` otherwise."""
        self.require_sync_store(f"@verified on {getattr(view, '__name__', view)!r}")

        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> HttpResponseBase:
            at = 0 if isinstance(args[0], (Request, HttpRequest)) else 1  # a method's first is the view
            delivery = self.delivery()
            event = self._event(delivery, args[at])
            if isinstance(event, HttpResponseBase):
                return event
            before, after = args[: at + 1], args[at + 1 :]
            return run_claimed(
                delivery, event, lambda: view(*before, event, *after, **kwargs), _django._answer, _django._status
            )

        return wrapper
