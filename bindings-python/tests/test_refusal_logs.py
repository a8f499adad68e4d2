"""Every integration logs a refusal once, at WARNING on the
`bullseye_webhooks` logger, with its code and never a secret, the
signature sent or a byte of the body: through each real server on
127.0.0.1 (the Lambda handler's own check is in test_aws_lambda.py)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from typing import Any, Callable

import pytest

from frameworks import DELIVERIES, asgi_server, check_refusal_log, post, wsgi_server

REFUSALS = [d for d in DELIVERIES if d[3] != 200]


def flask_server() -> contextlib.AbstractContextManager[int]:
    from test_flask import make_app

    return wsgi_server(make_app())


def fastapi_server() -> contextlib.AbstractContextManager[int]:
    from test_fastapi import make_app

    return asgi_server(make_app())


def django_server() -> contextlib.AbstractContextManager[int]:
    import test_django  # noqa: F401 - configures Django and its routes
    from django.core.handlers.wsgi import WSGIHandler

    return wsgi_server(WSGIHandler())


SERVERS: dict[str, Callable[[], contextlib.AbstractContextManager[int]]] = {
    "flask": flask_server,
    "fastapi (uvicorn)": fastapi_server,
    "django": django_server,
}


@pytest.fixture(scope="module", params=list(SERVERS))
def port(request: pytest.FixtureRequest) -> Iterator[int]:
    with SERVERS[request.param]() as port:
        yield port


@pytest.mark.parametrize(("name", "body", "headers", "status", "code"), REFUSALS, ids=[d[0] for d in REFUSALS])
def test_a_refusal_is_logged_once_without_secret_signature_or_body(
    port: int, caplog: pytest.LogCaptureFixture, name: str, body: bytes, headers: dict[str, str], status: int, code: str
) -> None:
    with caplog.at_level(logging.DEBUG, logger="bullseye_webhooks"):
        got, answer = post(port, "/webhooks/bullseye", body, headers)
    assert (got, answer) == (status, {"error": code})
    check_refusal_log(caplog.records, code, body, headers)


def test_the_log_says_whether_a_signature_came_and_the_body_length(caplog: Any) -> None:
    from test_flask import make_app

    with wsgi_server(make_app()) as port, caplog.at_level(logging.WARNING, logger="bullseye_webhooks"):
        post(port, "/webhooks/bullseye", b"hello", {})
        post(port, "/webhooks/bullseye", b"hello", {"X-Bullseye-Signature": "abc"})
    assert [r.refusal for r in caplog.records] == [
        {"code": "missing_signature", "signature_header": False, "body_bytes": 5},
        {"code": "malformed_signature", "signature_header": True, "body_bytes": 5},
    ]
    assert [r.getMessage() for r in caplog.records] == [
        "refused a delivery: missing_signature (signature header: absent, body: 5 bytes)",
        "refused a delivery: malformed_signature (signature header: present, body: 5 bytes)",
    ]
