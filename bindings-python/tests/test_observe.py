"""on_verified / on_refused and the DEBUG record of an accepted delivery, in
every Python integration, each on its real server on 127.0.0.1 (the apps
of test_dedupe_http), and in the Lambda handler."""

from __future__ import annotations

import logging
import threading
from typing import Any

import pytest

import bullseye_webhooks as bw
from bullseye_webhooks.dedupe import MemoryStore
from test_dedupe_http import FRAMEWORKS, SECRET, Behaviour, delivery, serve
from frameworks import post_full


class Recorder:
    """The hooks' calls, in order (servers call them from their own threads)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any, bw.DeliveryInfo]] = []
        self.lock = threading.Lock()

    def verified(self, event: Any, info: bw.DeliveryInfo) -> None:
        with self.lock:
            self.calls.append(("verified", event.delivery_key, info))

    def refused(self, error: bw.WebhookError, info: bw.DeliveryInfo) -> None:
        with self.lock:
            self.calls.append(("refused", error.code, info))


def no_secret_signature_or_body(records: list[logging.LogRecord], body: bytes, headers: dict[str, str]) -> None:
    text = "".join(r.getMessage() + repr(vars(r)) for r in records)
    assert SECRET not in text
    assert all(value not in text for name, value in headers.items() if name.lower().endswith("signature"))
    stripped = body.decode()
    assert all(stripped[i : i + 16] not in text for i in range(0, len(stripped) - 15, 16))


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_hooks_and_logs_over_http(framework: str, caplog: pytest.LogCaptureFixture) -> None:
    recorder = Recorder()
    options = {"dedupe": MemoryStore(), "on_verified": recorder.verified, "on_refused": recorder.refused}
    with serve(framework, options, Behaviour()) as port:
        body, headers, key = delivery()
        tampered = body.replace(b"org_t", b"org_x")
        unsigned = {"Content-Type": "application/json"}
        with caplog.at_level(logging.DEBUG, logger="bullseye_webhooks"):
            assert post_full(port, "/hook", body, headers)[:2] == (200, {"processed": key})
            assert post_full(port, "/hook", body, headers)[:2] == (200, {"duplicate": True})
            assert post_full(port, "/hook", tampered, headers)[:2] == (401, {"error": "signature_mismatch"})
            assert post_full(port, "/hook", body, unsigned)[:2] == (400, {"error": "missing_signature"})
    length = len(body)
    assert recorder.calls == [
        ("verified", key, bw.DeliveryInfo("ok", 200, True, length, "test.dedupe")),
        ("verified", key, bw.DeliveryInfo("duplicate", 200, True, length, "test.dedupe")),
        ("refused", "signature_mismatch", bw.DeliveryInfo("signature_mismatch", 401, True, length, None)),
        ("refused", "missing_signature", bw.DeliveryInfo("missing_signature", 400, False, length, None)),
    ]
    ours = [r for r in caplog.records if r.name == "bullseye_webhooks"]
    assert [(r.levelname, r.getMessage()) for r in ours] == [
        ("DEBUG", f"accepted a test.dedupe delivery (signature header: present, body: {length} bytes; mismatches: none)"),
        ("DEBUG", f"accepted a test.dedupe delivery (signature header: present, body: {length} bytes; mismatches: none)"),
        ("WARNING", f"refused a delivery: signature_mismatch (signature header: present, body: {length} bytes)"),
        ("WARNING", f"refused a delivery: missing_signature (signature header: absent, body: {length} bytes)"),
    ]
    no_secret_signature_or_body(ours, body, headers)


def test_the_debug_record_names_mismatches_by_path_and_type(caplog: pytest.LogCaptureFixture) -> None:
    from frameworks import DRIFTED

    recorder = Recorder()
    with serve("flask", {"on_verified": recorder.verified}, Behaviour()) as port:
        with caplog.at_level(logging.DEBUG, logger="bullseye_webhooks"):
            status, _, _ = post_full(port, "/hook", DRIFTED, {"X-Bullseye-Signature": bw.sign(SECRET, DRIFTED)})
    assert status == 500  # the handler wants a "mode" field; the delivery was verified
    debug = [r for r in caplog.records if r.name == "bullseye_webhooks" and r.levelname == "DEBUG"]
    assert len(debug) == 1
    assert debug[0].getMessage().endswith(
        "mismatches: visitor.job_title (expected string, found object), company.size (expected integer, found string))"
    )
    assert debug[0].accepted["mismatches"] == [
        {"path": "visitor.job_title", "expected": "string", "found": "object"},
        {"path": "company.size", "expected": "integer", "found": "string"},
    ]
    text = debug[0].getMessage() + repr(vars(debug[0]))
    assert "CTO" not in text and "whsec" not in text
    assert [c[2].status for c in recorder.calls] == [500]  # on_verified sees the handler's failure


def test_a_hook_that_raises_changes_no_answer(caplog: pytest.LogCaptureFixture) -> None:
    def broken(first: Any, info: Any) -> None:
        raise RuntimeError(f"boom {info}")

    with serve("fastapi", {"on_verified": broken, "on_refused": broken}, Behaviour()) as port:
        body, headers, key = delivery()
        with caplog.at_level(logging.WARNING, logger="bullseye_webhooks"):
            assert post_full(port, "/hook", body, headers)[:2] == (200, {"processed": key})
            assert post_full(port, "/hook", body, {})[:2] == (400, {"error": "missing_signature"})
    messages = [r.getMessage() for r in caplog.records if r.name == "bullseye_webhooks"]
    assert "the on_verified hook raised RuntimeError; the delivery's answer stands" in messages
    assert "the on_refused hook raised RuntimeError; the delivery's answer stands" in messages
    assert not any("boom" in m for m in messages)


def test_lambda_hooks() -> None:
    import json

    from bullseye_webhooks.aws_lambda import BullseyeWebhook

    recorder = Recorder()
    bullseye = BullseyeWebhook(SECRET, on_verified=recorder.verified, on_refused=recorder.refused)

    @bullseye.handler
    def handler(event: Any, lambda_event: Any, context: Any) -> Any:
        return {"statusCode": 202, "body": "{}"}

    body, headers, key = delivery()
    assert handler({"body": body.decode(), "headers": headers})["statusCode"] == 202
    answer = handler({"body": body.decode(), "headers": {}})
    assert (answer["statusCode"], json.loads(answer["body"])) == (400, {"error": "missing_signature"})
    assert recorder.calls == [
        ("verified", key, bw.DeliveryInfo("ok", 202, True, len(body), "test.dedupe")),
        ("refused", "missing_signature", bw.DeliveryInfo("missing_signature", 400, False, len(body), None)),
    ]


def test_hooks_are_checked() -> None:
    from bullseye_webhooks.flask import BullseyeWebhook

    with pytest.raises(TypeError, match="on_verified must be a function"):
        BullseyeWebhook(SECRET, on_verified="print")
