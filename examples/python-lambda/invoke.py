"""Calls handler.py as Lambda would, with a REST API (payload 1.0), an HTTP
API (2.0) and a function URL event, each signed, tampered and unsigned;
prints one line per call: `shape delivery status body`.

    BULLSEYE_WEBHOOK_SECRET=whsec_... python invoke.py
"""

import base64
import json
import os

import bullseye_webhooks

from handler import handler

SECRET = os.environ["BULLSEYE_WEBHOOK_SECRET"]
BODY = json.dumps({"event_type": "visitor.identified", "visitor": {"email": "ada@example.com"}}).encode()
SIGNED = {"X-Bullseye-Signature": bullseye_webhooks.sign(SECRET, BODY), "Content-Type": "application/json"}
DELIVERIES = {
    "signed": (BODY, SIGNED),
    "tampered": (BODY.replace(b"ada", b"eve"), SIGNED),
    "unsigned": (BODY, {"Content-Type": "application/json"}),
}


def rest_v1(body, headers):
    return {"resource": "/webhook", "path": "/webhook", "httpMethod": "POST", "headers": headers,
            "multiValueHeaders": {k: [v] for k, v in headers.items()}, "body": body.decode(),
            "isBase64Encoded": False, "requestContext": {"httpMethod": "POST", "stage": "prod"}}


def http_v2(body, headers, route="POST /webhook"):
    return {"version": "2.0", "routeKey": route, "rawPath": "/webhook", "rawQueryString": "",
            "headers": {k.lower(): v for k, v in headers.items()}, "body": base64.b64encode(body).decode(),
            "isBase64Encoded": True, "requestContext": {"http": {"method": "POST", "path": "/webhook"}}}


def function_url(body, headers):
    return http_v2(body, headers, route="$default")


for shape in (rest_v1, http_v2, function_url):
    for name, (body, headers) in DELIVERIES.items():
        result = handler(shape(body, headers), None)
        print(shape.__name__, name, result["statusCode"], result["body"])
