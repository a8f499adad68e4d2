"""Flask integration: a view decorator that verifies the raw body and calls
the view with the typed event first.

    bullseye = BullseyeWebhook("whsec_...")

    @app.post("/webhooks/bullseye")
    @bullseye.verified
    def receive(event): ...

A delivery whose documented fields have another JSON type is accepted: its
fields are on `event.mismatches`, and one WARNING on the `bullseye_webhooks`
logger names them (paths and types, never values). `strict=True` answers 400
`invalid_payload` instead.
"""

from __future__ import annotations

import functools
from typing import Any, Callable, TypeVar

from flask import jsonify, request
from werkzeug.exceptions import RequestEntityTooLarge

from ._errors import WebhookError
from ._http import Receiver, refusal

__all__ = ["BullseyeWebhook"]

R = TypeVar("R")


class BullseyeWebhook(Receiver):
    """Verifies Bullseye deliveries for Flask views."""

    def verified(self, view: Callable[..., R]) -> Callable[..., Any]:
        """Call `view(event, *args, **kwargs)` for a verified delivery;
        answer 400/401/413 with `{"error": code}` otherwise."""

        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                self.check_declared_length(request.headers.get("Content-Length"))
                # Werkzeug stops reading past this, chunked bodies included.
                request.max_content_length = self.max_body_bytes
                try:
                    body = request.get_data(cache=True)
                except RequestEntityTooLarge:
                    raise self.too_large() from None
                event = self.construct_event(body, request.headers)
            except WebhookError as error:
                status, payload = refusal(error)
                return jsonify(payload), status
            return view(event, *args, **kwargs)

        return wrapper
