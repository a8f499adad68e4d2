"""OpenTelemetry: one span per delivery in every Python integration, each on
its real server on 127.0.0.1 (the apps of test_dedupe_http) and in the
Lambda handler, read back through the SDK's InMemorySpanExporter; and no
OpenTelemetry import where the application has not loaded it."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from bullseye_webhooks.dedupe import MemoryStore
from frameworks import post_full
from test_dedupe_http import FRAMEWORKS, SECRET, Behaviour, delivery, serve

EXPORTER = InMemorySpanExporter()


@pytest.fixture(scope="module", autouse=True)
def provider() -> Iterator[None]:
    # The global provider can be set once per process: this module's, or
    # one already set by another module's tests (then the exporter joins it).
    current = trace.get_tracer_provider()
    if not isinstance(current, TracerProvider):
        current = TracerProvider()
        trace.set_tracer_provider(current)
    current.add_span_processor(SimpleSpanProcessor(EXPORTER))
    yield


@pytest.fixture(autouse=True)
def clear() -> None:
    EXPORTER.clear()


def ours() -> list[Any]:
    return [s for s in EXPORTER.get_finished_spans() if s.name == "bullseye-webhooks delivery"]


def summary(span: Any) -> tuple[dict[str, Any], list[str], StatusCode]:
    return dict(span.attributes), [e.name for e in span.events], span.status.status_code


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_one_span_per_delivery(framework: str) -> None:
    with serve(framework, {"dedupe": MemoryStore()}, Behaviour()) as port:
        body, headers, key = delivery()
        assert post_full(port, "/hook", body, headers)[:2] == (200, {"processed": key})
        assert post_full(port, "/hook", body, headers)[:2] == (200, {"duplicate": True})
        assert post_full(port, "/hook", body.replace(b"org_t", b"org_x"), headers)[0] == 401
        assert post_full(port, "/hook", body, {"Content-Type": "application/json"})[0] == 400
        failing, failing_headers, _ = delivery("500-first")
        assert post_full(port, "/hook", failing, failing_headers)[0] == 500
    spans = ours()
    assert [summary(s) for s in spans] == [
        (
            {"bullseye.event_type": "test.dedupe", "bullseye.outcome": "ok", "http.response.status_code": 200},
            ["verify", "claim", "handle"],
            StatusCode.UNSET,
        ),
        (
            {"bullseye.event_type": "test.dedupe", "bullseye.outcome": "duplicate", "http.response.status_code": 200},
            ["verify", "claim"],
            StatusCode.UNSET,
        ),
        ({"bullseye.outcome": "signature_mismatch", "http.response.status_code": 401}, ["verify"], StatusCode.ERROR),
        ({"bullseye.outcome": "missing_signature", "http.response.status_code": 400}, ["verify"], StatusCode.ERROR),
        (
            {"bullseye.event_type": "test.dedupe", "bullseye.outcome": "ok", "http.response.status_code": 500},
            ["verify", "claim", "handle"],
            StatusCode.ERROR,
        ),
    ]
    assert all(s.kind == trace.SpanKind.INTERNAL for s in spans)
    text = repr([(s.attributes, [(e.name, e.attributes) for e in s.events], s.status.description) for s in spans])
    assert SECRET not in text and headers["X-Bullseye-Signature"] not in text and "org_t" not in text


def test_the_span_is_a_child_of_the_current_span() -> None:
    from bullseye_webhooks.aws_lambda import BullseyeWebhook

    handler = BullseyeWebhook(SECRET).handler(lambda event, lambda_event, context: None)
    body, headers, _ = delivery()
    tracer = trace.get_tracer("test")
    with tracer.start_as_current_span("lambda invocation") as parent:
        assert handler({"body": body.decode(), "headers": headers})["statusCode"] == 200
    (span,) = ours()
    assert span.parent is not None and span.parent.span_id == parent.get_span_context().span_id
    assert summary(span) == (
        {"bullseye.event_type": "test.dedupe", "bullseye.outcome": "ok", "http.response.status_code": 200},
        ["verify", "claim", "handle"],
        StatusCode.UNSET,
    )


def test_a_drifted_delivery_counts_its_mismatches() -> None:
    from bullseye_webhooks import sign
    from bullseye_webhooks.aws_lambda import BullseyeWebhook
    from frameworks import DRIFTED

    handler = BullseyeWebhook(SECRET).handler(lambda event, lambda_event, context: None)
    assert handler({"body": DRIFTED.decode(), "headers": {"X-Bullseye-Signature": sign(SECRET, DRIFTED)}})["statusCode"] == 200
    (span,) = ours()
    assert span.attributes["bullseye.mismatches"] == 2
    assert span.attributes["bullseye.event_type"] == "visitor.identified"


def test_nothing_is_imported_when_the_application_has_not_loaded_opentelemetry() -> None:
    script = (
        "import sys\n"
        "from bullseye_webhooks import sign\n"
        "from bullseye_webhooks.aws_lambda import BullseyeWebhook\n"
        "handler = BullseyeWebhook('whsec_x').handler(lambda event, lambda_event, context: None)\n"
        "body = '{\"event\":\"x.y\"}'\n"
        "assert handler({'body': body, 'headers': {'X-Bullseye-Signature': sign('whsec_x', body)}})['statusCode'] == 200\n"
        "assert handler({'body': body, 'headers': {}})['statusCode'] == 400\n"
        "print(sorted(m for m in sys.modules if m.startswith('opentelemetry')))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
