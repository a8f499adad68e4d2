"""AWS Lambda integration: a handler decorator for API Gateway REST APIs
(payload 1.0), HTTP APIs (payload 2.0) and function URLs.

    bullseye = BullseyeWebhook("whsec_...")        # or BullseyeWebhook(BitnobWebhook("..."))

    @bullseye.handler
    def handler(event, lambda_event, context):
        return {"received": event.event_type}      # or a whole Lambda response

The raw body is the event's `body`, base64-decoded when `isBase64Encoded`;
headers are read in any case, from `multiValueHeaders` (REST APIs) or
`headers`. The answer is a Lambda proxy response (`statusCode`, `headers`,
`body`, `isBase64Encoded`), the shape all three event sources take.
Refusals are `{"error": code}` with the contract's status; `dedupe=` takes a
sync store (`RedisStore`, `SQLiteStore`, `MemoryStore`): a Lambda handler is
not a coroutine.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
from collections.abc import Mapping
from typing import Any, Callable, Optional

from ._errors import error_for
from ._framework import event_or_refusal, run_claimed
from ._http import Answer, Event, Receiver
from ._observe import Delivery

__all__ = ["BullseyeWebhook", "LambdaResponse"]

LambdaResponse = dict[str, Any]


def response(status: int, body: Any, headers: Optional[Mapping[str, str]] = None) -> LambdaResponse:
    """A Lambda proxy response with a JSON body."""
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json", **(headers or {})},
        "body": json.dumps(body, separators=(",", ":")),
        "isBase64Encoded": False,
    }


def _answer(answer: Answer) -> LambdaResponse:
    return response(answer.status, answer.body, answer.headers)


def _refuse(status: int, payload: dict[str, str]) -> LambdaResponse:
    return response(status, payload)


def _status(result: LambdaResponse) -> int:
    return int(result.get("statusCode", 200))


def headers_of(lambda_event: Mapping[str, Any]) -> dict[str, str]:
    """The request's headers, names lower-cased. A REST API sends every
    value in `multiValueHeaders` (and the last one in `headers`); a header
    sent more than once is joined with commas, as HTTP joins it, so two
    signatures read as one malformed signature, never as whichever came last."""
    headers = {str(k).lower(): str(v) for k, v in (lambda_event.get("headers") or {}).items() if v is not None}
    for name, values in (lambda_event.get("multiValueHeaders") or {}).items():
        if values:
            headers[str(name).lower()] = ",".join(str(v) for v in values)
    return headers


class BullseyeWebhook(Receiver):
    """Verifies deliveries for AWS Lambda handlers (Bullseye's, or any verifier's)."""

    def body_of(self, lambda_event: Mapping[str, Any]) -> bytes:
        """The raw body, refused as too large before it is decoded."""
        text = lambda_event.get("body") or ""
        if not isinstance(text, str):
            raise error_for("invalid_body", "invalid_body: the Lambda event's body is not a string")
        encoded = bool(lambda_event.get("isBase64Encoded"))
        # base64 holds 3 bytes in 4 characters; a plain body's UTF-8 is at
        # least one byte a character.
        if (len(text) // 4 * 3 if encoded else len(text)) > self.max_body_bytes:
            raise self.too_large()
        if not encoded:
            return text.encode("utf-8", "surrogatepass")
        try:
            return base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raise error_for("invalid_body", "invalid_body: the Lambda event's body is not valid base64") from None

    def read(self, lambda_event: Mapping[str, Any], delivery: Optional[Delivery] = None) -> Event:
        """The verified event of a Lambda proxy event (raises `WebhookError`)."""
        headers = headers_of(lambda_event)
        self.check_declared_length(headers.get("content-length"))
        return (delivery or self.delivery()).construct(self.body_of(lambda_event), headers)

    def handler(self, fn: Callable[[Event, Any, Any], Any]) -> Callable[[Any, Any], LambdaResponse]:
        """Call `fn(event, lambda_event, context)` for a verified delivery. Its
        result is the response when it is a dict with `statusCode`, and
        otherwise the JSON body of a 200 (None: `{"ok": true}`). Refused
        deliveries are answered 400/401/413 with `{"error": code}`."""
        self.require_sync_store(f"handler {getattr(fn, '__name__', fn)!r}")

        @functools.wraps(fn)
        def lambda_handler(lambda_event: Any, context: Any = None) -> LambdaResponse:
            delivery = self.delivery()
            event = event_or_refusal(delivery, lambda: self.read(lambda_event, delivery), _refuse)
            if isinstance(event, dict):
                return event

            def call() -> LambdaResponse:
                result = fn(event, lambda_event, context)
                if isinstance(result, dict) and "statusCode" in result:
                    return result
                return response(200, {"ok": True} if result is None else result)

            return run_claimed(delivery, event, call, _answer, _status)

        return lambda_handler
