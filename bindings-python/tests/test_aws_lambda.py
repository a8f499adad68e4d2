"""The AWS Lambda handler, given the proxy events AWS documents: API Gateway
REST APIs (payload 1.0, with `multiValueHeaders`), HTTP APIs (payload 2.0,
lower-case headers) and function URLs, bodies base64-encoded or not."""

from __future__ import annotations

import base64
import json
import logging
from typing import Any

import pytest

import bullseye_webhooks as bw
from bullseye_webhooks import MemoryStore, VisitorIdentifiedEvent
from bullseye_webhooks.aws_lambda import BullseyeWebhook
from frameworks import BODY, DELIVERIES, MAX_BODY_BYTES, OLD_SECRET, SECRET, check_refusal_log, expected_json


def rest_v1(body: bytes, headers: dict[str, str], *, b64: bool = False) -> dict[str, Any]:
    """An API Gateway REST API proxy event (payload format 1.0)."""
    return {
        "resource": "/webhooks/bullseye",
        "path": "/webhooks/bullseye",
        "httpMethod": "POST",
        "headers": dict(headers),
        "multiValueHeaders": {name: [value] for name, value in headers.items()},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {"resourcePath": "/webhooks/bullseye", "httpMethod": "POST", "stage": "prod"},
        "body": base64.b64encode(body).decode() if b64 else body.decode("utf-8", "surrogateescape"),
        "isBase64Encoded": b64,
    }


def http_v2(body: bytes, headers: dict[str, str], *, b64: bool = False, route: str = "POST /webhooks/bullseye") -> dict[str, Any]:
    """An HTTP API proxy event (payload format 2.0); a function URL's is the
    same with the route `$default`. Header names arrive lower-cased."""
    return {
        "version": "2.0",
        "routeKey": route,
        "rawPath": "/webhooks/bullseye",
        "rawQueryString": "",
        "headers": {name.lower(): value for name, value in headers.items()},
        "requestContext": {"http": {"method": "POST", "path": "/webhooks/bullseye", "protocol": "HTTP/1.1"}},
        "body": base64.b64encode(body).decode() if b64 else body.decode("utf-8", "surrogateescape"),
        "isBase64Encoded": b64,
    }


def function_url(body: bytes, headers: dict[str, str], *, b64: bool = False) -> dict[str, Any]:
    return http_v2(body, headers, b64=b64, route="$default")


SHAPES = [("rest-v1", rest_v1), ("http-v2", http_v2), ("function-url", function_url)]

bullseye = BullseyeWebhook([SECRET, OLD_SECRET], max_body_bytes=MAX_BODY_BYTES)


@bullseye.handler
def handler(event: Any, lambda_event: Any, context: Any) -> Any:
    assert isinstance(event, VisitorIdentifiedEvent) and event.visitor is not None
    return {"event_type": event.event_type, "email": event.visitor.email}


def check_response(result: dict[str, Any], status: int, body: Any) -> None:
    assert result["statusCode"] == status
    assert result["isBase64Encoded"] is False
    assert result["headers"]["Content-Type"] == "application/json"
    assert json.loads(result["body"]) == body


@pytest.mark.parametrize("shape", [s[1] for s in SHAPES], ids=[s[0] for s in SHAPES])
@pytest.mark.parametrize("base64_body", [False, True], ids=["text", "base64"])
@pytest.mark.parametrize(("name", "body", "headers", "status", "code"), DELIVERIES, ids=[d[0] for d in DELIVERIES])
def test_every_delivery_in_every_shape(shape: Any, base64_body: bool, name: str, body: bytes, headers: dict[str, str], status: int, code: Any) -> None:
    result = handler(shape(body, headers, b64=base64_body), None)
    check_response(result, status, expected_json(status, code))


def test_mixed_case_multi_value_header_is_read() -> None:
    event = rest_v1(BODY, {})
    event["headers"] = None  # REST APIs may send null when a header map is empty
    event["multiValueHeaders"] = {"x-BULLSEYE-Signature": [bw.sign(SECRET, BODY)]}
    result = handler(event, None)
    assert result["statusCode"] == 200


def test_a_header_sent_twice_is_refused_not_picked() -> None:
    event = rest_v1(BODY, {"X-Bullseye-Signature": bw.sign(SECRET, BODY)})
    event["multiValueHeaders"]["X-Bullseye-Signature"].append(bw.sign(OLD_SECRET, BODY))
    check_response(handler(event, None), 400, {"error": "malformed_signature"})


def test_invalid_base64_is_invalid_body() -> None:
    event = http_v2(BODY, {"X-Bullseye-Signature": bw.sign(SECRET, BODY)}, b64=True)
    event["body"] = "not base64!"
    check_response(handler(event, None), 400, {"error": "invalid_body"})


def test_no_body_is_refused() -> None:
    event = http_v2(b"", {"X-Bullseye-Signature": bw.sign(SECRET, b"")})
    del event["body"]
    check_response(handler(event, None), 400, {"error": "invalid_body"})


def test_declared_length_over_the_limit_is_413_before_reading() -> None:
    event = http_v2(b"{}", {"X-Bullseye-Signature": "0" * 64, "Content-Length": str(MAX_BODY_BYTES + 1)})
    check_response(handler(event, None), 413, {"error": "body_too_large"})


def test_a_whole_lambda_response_passes_through_and_none_is_ok() -> None:
    hook = BullseyeWebhook(SECRET)
    whole = hook.handler(lambda event, lambda_event, context: {"statusCode": 202, "body": "queued"})
    assert whole(http_v2(BODY, {"X-Bullseye-Signature": bw.sign(SECRET, BODY)}), None) == {"statusCode": 202, "body": "queued"}
    nothing = hook.handler(lambda event, lambda_event, context: None)
    check_response(nothing(function_url(BODY, {"X-Bullseye-Signature": bw.sign(SECRET, BODY)}), None), 200, {"ok": True})


def test_dedupe_handles_a_delivery_once_and_releases_on_failure() -> None:
    calls: list[str] = []
    outcomes = iter([{"statusCode": 500, "body": "down"}, None])

    hook = BullseyeWebhook(SECRET, dedupe=MemoryStore())

    @hook.handler
    def once(event: Any, lambda_event: Any, context: Any) -> Any:
        calls.append(event.event_type)
        return next(outcomes)

    delivery = rest_v1(BODY, {"X-Bullseye-Signature": bw.sign(SECRET, BODY)})
    assert once(delivery, None)["statusCode"] == 500  # released: the retry is handled
    check_response(once(delivery, None), 200, {"ok": True})
    check_response(once(delivery, None), 200, {"duplicate": True})
    assert calls == ["visitor.identified", "visitor.identified"]


REFUSALS = [d for d in DELIVERIES if d[3] != 200]


@pytest.mark.parametrize(("name", "body", "headers", "status", "code"), REFUSALS, ids=[d[0] for d in REFUSALS])
def test_a_refusal_is_logged_once_without_secret_signature_or_body(
    caplog: pytest.LogCaptureFixture, name: str, body: bytes, headers: dict[str, str], status: int, code: str
) -> None:
    with caplog.at_level(logging.DEBUG, logger="bullseye_webhooks"):
        assert handler(http_v2(body, headers), None)["statusCode"] == status
    check_refusal_log(caplog.records, code, body, headers)
    expected_length = None if code == "body_too_large" else len(body)
    assert caplog.records[0].refusal == {
        "code": code,
        "signature_header": None if code == "body_too_large" else bool(headers),
        "body_bytes": expected_length,
    }
