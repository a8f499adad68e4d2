"""Deliveries the framework tests send: (name, body, headers, status, code)."""

from __future__ import annotations

from conftest import FIXTURES

import bullseye_webhooks as bw

SECRET = "whsec_framework_test"
OLD_SECRET = "whsec_framework_old"
BODY = (FIXTURES / "payloads" / "identification-event.json").read_bytes()
GOOD = bw.sign(SECRET, BODY)

DELIVERIES = [
    ("signed", BODY, {"X-Bullseye-Signature": GOOD}, 200, None),
    ("rotated secret", BODY, {"X-Bullseye-Signature": bw.sign(OLD_SECRET, BODY)}, 200, None),
    ("lower-case header name", BODY, {"x-bullseye-signature": GOOD}, 200, None),
    ("tampered", BODY.replace(b"340", b"341"), {"X-Bullseye-Signature": GOOD}, 401, "signature_mismatch"),
    ("unsigned", BODY, {}, 400, "missing_signature"),
    ("malformed", BODY, {"X-Bullseye-Signature": "abc"}, 400, "malformed_signature"),
    ("not json", b"hello", {"X-Bullseye-Signature": bw.sign(SECRET, b"hello")}, 400, "invalid_body"),
    ("too large", b" " * 70_000, {"X-Bullseye-Signature": "0" * 64}, 413, "body_too_large"),
]

MAX_BODY_BYTES = 65_536


def expected_json(status: int, code: str | None) -> dict[str, str]:
    if code is None:
        return {
            "event_type": "visitor.identified",
            "email": "jane.doe@acme-industries.example",
        }
    return {"error": code}
