"""Django integration: a CSRF-exempt view decorator that verifies
`request.body` and calls the view with the typed event after the request.
Views may be `def` or `async def` (under ASGI, or WSGI).

    bullseye = BullseyeWebhook("whsec_...")        # or BullseyeWebhook(BitnobWebhook("..."))

    @bullseye.verified
    def receive(request, event): ...

With `dedupe=`, a duplicate is answered 200 `{"duplicate": true}` without
calling the view, a delivery in flight 409 with `Retry-After`, a store
failure 503 with `Retry-After`; a view that raises or answers non-2xx
releases its claim. An async store (`AsyncRedisStore`) needs an async view.

A delivery whose documented fields have another JSON type is accepted: its
fields are on `event.mismatches`, and one WARNING on the `bullseye_webhooks`
logger names them (paths and types, never values). `strict=True` answers 400
`invalid_payload` instead.
"""

from __future__ import annotations

import functools
import inspect
from typing import Any, Callable, Union

from django.core.exceptions import RequestDataTooBig
from django.http.request import RawPostDataException
from django.http import HttpRequest, HttpResponseBase, JsonResponse

from ._errors import error_for
from ._framework import event_or_refusal, run_claimed, run_claimed_async
from ._http import Answer, Event, Receiver
from ._observe import Delivery

__all__ = ["BullseyeWebhook"]


def _answer(answer: Answer) -> JsonResponse:
    response = JsonResponse(answer.body, status=answer.status)
    for name, value in answer.headers.items():
        response[name] = value
    return response


def _status(response: Any) -> int:
    # Not a response: Django answers 500 for it.
    return int(response.status_code) if isinstance(response, HttpResponseBase) else 500


class BullseyeWebhook(Receiver):
    """Verifies deliveries for Django views (Bullseye's, or any verifier's)."""

    def _event(self, delivery: Delivery, request: HttpRequest) -> Union[Event, JsonResponse]:
        """The verified event of `request`, or the refusal to answer."""

        def read() -> Event:
            self.check_declared_length(request.META.get("CONTENT_LENGTH") or None)
            try:
                body = request.body
            except RequestDataTooBig:
                raise self.too_large() from None
            except RawPostDataException:
                # request.POST, or DRF's request.data, consumed the stream first.
                raise error_for(
                    "invalid_body",
                    "invalid_body: the raw body was read before verification (request.POST or request.data); "
                    "verify first",
                ) from None
            return delivery.construct(body, request.headers)

        return event_or_refusal(delivery, read, lambda status, payload: JsonResponse(payload, status=status))

    def verified(self, view: Callable[..., Any]) -> Callable[..., Any]:
        """Call `view(request, event, *args, **kwargs)` for a verified
        delivery; answer 400/401/413 with `{"error": code}` otherwise.
        CSRF-exempt (what `csrf_exempt` marks, on sync and async views
        alike): the senders cannot send a CSRF token, and the signature is
        the authentication."""
        if inspect.iscoroutinefunction(view):

            @functools.wraps(view)
            async def async_wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
                delivery = self.delivery()
                event = self._event(delivery, request)
                if isinstance(event, JsonResponse):
                    return event
                return await run_claimed_async(
                    delivery, event, lambda: view(request, event, *args, **kwargs), _answer, _status
                )

            async_wrapper.csrf_exempt = True  # type: ignore[attr-defined]
            return async_wrapper

        self.require_sync_store(f"@verified on {getattr(view, '__name__', view)!r}")

        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            delivery = self.delivery()
            event = self._event(delivery, request)
            if isinstance(event, JsonResponse):
                return event
            return run_claimed(delivery, event, lambda: view(request, event, *args, **kwargs), _answer, _status)

        wrapper.csrf_exempt = True  # type: ignore[attr-defined]
        return wrapper

