"""The partner-API client (`bullseye_webhooks.partner`) over real HTTP on
127.0.0.1, continued from test_partner.py: retries, the answers' shapes, and
the async client, against the emulator and small scripted servers
(partner_servers.py)."""

from __future__ import annotations

import asyncio
import email.utils
import json
import subprocess
import sys
import time
from typing import Any

import pytest

import bullseye_webhooks as bw
from bullseye_webhooks import partner
from bullseye_webhooks.partner import (
    AsyncPartnerClient,
    LogEntry,
    LogsPage,
    PartnerApiError,
    PartnerClient,
    TestResult,
    WebhookConfig,
    WebhookEndpoint,
)
from partner_servers import (
    CONFIG,
    JSON,
    KEY,
    Emulator,
    Receiver,
    Request,
    async_client_for,
    client_for,
    emulator,
    scripted,
    servers,
)


# ---------------------------------------------------------------- retries


def test_5xx_and_429_are_retried_with_backoff(servers: Any) -> None:
    server = servers(scripted([
        (503, JSON, {"message": "busy"}), (429, JSON, {"message": "slow down"}), (200, JSON, CONFIG)
    ]))
    started = time.monotonic()
    config = client_for(server, backoff=0.2, max_backoff=0.2).get_webhooks()
    elapsed = time.monotonic() - started
    assert config.identification == WebhookEndpoint("https://example.com/webhooks/identify", True, True)
    assert len(server.requests) == 3
    assert all(r.headers["X-Partner-API-Key"] == KEY for r in server.requests)
    # Two waits, each between half and all of 0.2 s.
    assert 0.2 <= elapsed < 3
    gaps = [b.at - a.at for a, b in zip(server.requests, server.requests[1:])]
    assert all(0.1 <= gap for gap in gaps), gaps


def test_retry_after_is_honoured_in_seconds_and_as_a_date(servers: Any) -> None:
    def answer(request: Request) -> Any:
        if len(server.requests) == 1:
            return (429, {"Retry-After": "1"}, b"")
        if len(server.requests) == 2:  # in 2 to 3 s: the date has a resolution of a second
            return (503, {"Retry-After": email.utils.formatdate(time.time() + 3, usegmt=True)}, b"")
        return (200, JSON, CONFIG)

    server = servers(answer)
    started = time.monotonic()
    client_for(server).get_webhooks()
    gaps = [b.at - a.at for a, b in zip(server.requests, server.requests[1:])]
    assert len(server.requests) == 3
    assert 0.95 <= gaps[0] < 2, gaps
    assert 1.9 <= gaps[1] < 3.5, gaps
    assert time.monotonic() - started < 7


def test_a_retry_after_beyond_the_cap_is_raised_at_once(servers: Any) -> None:
    server = servers(scripted([(429, {"Retry-After": "120", **JSON}, {"message": "rate limited"})]))
    started = time.monotonic()
    with pytest.raises(PartnerApiError) as caught:
        client_for(server, max_retry_after=5).get_webhooks()
    assert time.monotonic() - started < 2
    assert (caught.value.status, caught.value.message, caught.value.retry_after) == (429, "rate limited", 120.0)
    assert len(server.requests) == 1


def test_retries_are_bounded_and_4xx_is_not_retried(servers: Any) -> None:
    server = servers(scripted([(500, {}, b"  Internal Server Error \n")]))
    with pytest.raises(PartnerApiError) as caught:
        client_for(server, max_retries=2).logs()
    assert (caught.value.status, caught.value.message) == (500, "Internal Server Error")
    assert len(server.requests) == 3

    none = servers(scripted([(502, {}, b"x" * 1000)]))
    with pytest.raises(PartnerApiError) as caught:
        client_for(none, max_retries=0).logs()
    assert len(none.requests) == 1 and caught.value.message == "x" * 300 + "..."

    bad = servers(scripted([(400, JSON, {"error": {"message": "nested message"}})]))
    with pytest.raises(PartnerApiError) as caught:
        client_for(bad).set_webhook("billing", enabled=True)
    assert (caught.value.status, caught.value.message, caught.value.code) == (400, "nested message", None)
    assert len(bad.requests) == 1


def test_no_answer_is_retried_for_gets_and_puts_but_never_for_the_test_post(servers: Any) -> None:
    server = servers(scripted(["close", (200, JSON, {"identification": CONFIG["identification"]})]))
    endpoint = client_for(server).set_webhook("identification", enabled=True)
    assert endpoint.enabled and len(server.requests) == 2
    assert json.loads(server.requests[0].body) == {"enabled": True}
    assert server.requests[0].headers["Content-Type"] == "application/json"

    post = servers(scripted(["close", (200, JSON, {"success": True, "message": "sent"})]))
    with pytest.raises(PartnerApiError) as caught:
        client_for(post).send_test("billing")
    assert (caught.value.status, caught.value.kind) == (None, "transport")
    assert caught.value.message.startswith("POST /partner/webhooks/test: ")
    assert len(post.requests) == 1
    assert json.loads(post.requests[0].body) == {"type": "billing"}
    # A 503 says the test was not sent: that one is retried.
    busy = servers(scripted([(503, {}, b""), (200, JSON, {"success": True, "message": "sent"})]))
    assert client_for(busy).send_test("billing") == TestResult(success=True, message="sent")
    assert len(busy.requests) == 2


def test_a_refused_connection_is_a_transport_error() -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    client = PartnerClient(KEY, base_url=f"http://127.0.0.1:{port}/api/v1", max_retries=1, backoff=0.01)
    with pytest.raises(PartnerApiError) as caught:
        client.get_webhooks()
    assert (caught.value.status, caught.value.kind) == (None, "transport")
    assert "refused" in caught.value.message.lower()
    assert str(caught.value).startswith("partner API transport: GET /partner/webhooks: ")


def test_a_slow_answer_times_out(servers: Any) -> None:
    server = servers(scripted([("sleep", 2.0, (200, JSON, CONFIG))]))
    started = time.monotonic()
    with pytest.raises(PartnerApiError) as caught:
        client_for(server, timeout=0.3, max_retries=0).get_webhooks()
    assert time.monotonic() - started < 1.5
    assert (caught.value.status, caught.value.kind, caught.value.message) == (
        None, "transport", "GET /partner/webhooks: timed out after 0.3 s"
    )
    with pytest.raises(PartnerApiError) as caught:
        asyncio.run(async_client_for(server, timeout=0.3, max_retries=0).get_webhooks())
    assert (caught.value.kind, caught.value.message) == ("transport", "GET /partner/webhooks: timed out after 0.3 s")


# ---------------------------------------------------------------- the shapes


def test_unknown_fields_are_kept_and_given_back(servers: Any) -> None:
    config = {
        "identification": {"url": None, "enabled": False, "hasSecret": False, "createdAt": "2025-01-01"},
        "billing": {"url": "https://b.example", "enabled": True, "hasSecret": True, "limits": {"rps": 5}},
        "account": {"plan": "pro"},
    }
    logs = {
        "logs": [{"id": "1", "type": "billing", "organizationId": None, "status": "retrying",
                  "statusCode": None, "attemptedAt": "2025-02-27T10:30:00Z", "responseTimeMs": None,
                  "attempt": 2, "error": "timeout"}],
        "total": 1, "page": 1, "pageSize": 20, "cursor": "abc",
    }
    server = servers(lambda r: (200, JSON, logs if "/logs" in r.path else config))
    client = client_for(server)
    got = client.get_webhooks()
    assert got.identification is not None and got.identification.extra == {"createdAt": "2025-01-01"}
    assert got.billing is not None and got.billing.extra == {"limits": {"rps": 5}}
    assert got.extra == {"account": {"plan": "pro"}}
    assert got.to_dict() == config
    page = client.logs()
    assert page.extra == {"cursor": "abc"}
    assert page.logs[0].extra == {"attempt": 2, "error": "timeout"}
    assert page.logs[0].status_code is None
    assert page.to_dict() == logs


def test_the_documented_examples_read(servers: Any) -> None:
    """The page's own response examples, as written there."""
    documented_logs = {
        "logs": [{"id": "uuid", "type": "identification", "organizationId": "uuid", "status": "delivered",
                  "statusCode": 200, "attemptedAt": "2025-02-27T10:30:00Z", "responseTimeMs": 150}],
        "total": 100, "page": 1, "pageSize": 20,
    }
    server = servers(lambda r: (200, JSON, documented_logs if "/logs" in r.path else (
        {"success": True, "message": "Test webhook sent successfully"} if r.method == "POST"
        else {"billing": CONFIG["billing"]} if r.method == "PUT" else CONFIG)))
    client = client_for(server)
    assert client.get_webhooks() == WebhookConfig(
        identification=WebhookEndpoint("https://example.com/webhooks/identify", True, True),
        billing=WebhookEndpoint("https://example.com/webhooks/billing", True, True),
    )
    assert client.set_webhook("billing", url="https://example.com/webhooks/billing", secret="whsec_your_webhook_secret",
                              enabled=True) == WebhookEndpoint("https://example.com/webhooks/billing", True, True)
    assert json.loads(server.requests[-1].body) == {
        "url": "https://example.com/webhooks/billing", "secret": "whsec_your_webhook_secret", "enabled": True
    }
    assert server.requests[-1].path == "/api/v1/partner/webhooks/billing"
    assert client.send_test("identification") == TestResult(True, "Test webhook sent successfully")
    assert client.logs() == LogsPage(
        logs=(LogEntry("uuid", "identification", "uuid", "delivered", 200, "2025-02-27T10:30:00Z", 150),),
        total=100, page=1, page_size=20,
    )


def test_an_answer_that_is_not_the_documented_json_is_a_decode_error(servers: Any) -> None:
    for body, needle in [
        (b"<html>ok</html>", "is not JSON"),
        (b'{"identification": "on"}', "expected an object, got a string"),
        (b'{"identification": {"enabled": "yes"}}', "`enabled` must be a boolean, got a string"),
        (b"[1]", "expected an object, got an array"),
    ]:
        server = servers(scripted([(200, JSON, body)]))
        with pytest.raises(PartnerApiError) as caught:
            client_for(server).get_webhooks()
        assert (caught.value.kind, caught.value.status) == ("decode", 200)
        assert needle in caught.value.message, caught.value.message
    server = servers(scripted([(200, JSON, {"billing": CONFIG["billing"]})]))
    with pytest.raises(PartnerApiError, match="has no 'identification' member"):
        client_for(server).set_webhook("identification", enabled=True)
    page = servers(scripted([(200, JSON, {"logs": [{"id": 7}], "total": 1})]))
    with pytest.raises(PartnerApiError, match=r"logs\[0\]\).*`id` must be a string, got a number"):
        client_for(page).logs()


def test_an_oversized_answer_is_refused(servers: Any) -> None:
    server = servers(scripted([(200, JSON, b"[" + b" " * (partner.MAX_RESPONSE_BYTES + 1) + b"]")]))
    with pytest.raises(PartnerApiError, match="longer than 16777216 bytes"):
        client_for(server, max_retries=0).get_webhooks()
    with pytest.raises(PartnerApiError, match="longer than 16777216 bytes"):
        asyncio.run(async_client_for(server, max_retries=0).get_webhooks())


# ---------------------------------------------------------------- the async client


def test_the_async_client_against_the_emulator(emulator: Emulator, servers: Any) -> None:
    receiver = Receiver(servers)
    secret = bw.generate_secret()

    async def scenario() -> None:
        async with AsyncPartnerClient(emulator.key, base_url=emulator.base_url) as client:
            assert (await client.get_webhooks()).identification == WebhookEndpoint()
            endpoint = await client.set_webhook("identification", url=receiver.url, secret=secret, enabled=True)
            assert endpoint == WebhookEndpoint(receiver.url, True, True)
            result = await client.send_test("identification")
            assert (result.success, result.message) == (True, "Test webhook sent successfully")
            for i in range(4):
                emulator.deliver("identification", {"event_type": "visitor.identified", "organization_id": "org-x",
                                                    "session_id": f"s{i}"})
            page = await client.logs(organization_id="org-x", page_size=3, page=2)
            assert (page.total, page.page, page.page_size, len(page.logs)) == (4, 2, 3, 1)
            walked = [e async for e in client.iter_logs(organization_id="org-x", page_size=3)]
            assert len(walked) == 4 and len({e.id for e in walked}) == 4
            assert [e.id for e in walked][3] == page.logs[0].id
            assert len([e async for e in client.iter_logs(type="identification")]) == 5
            assert [e async for e in client.iter_logs(type="billing")] == []
        async with AsyncPartnerClient("pk_wrong", base_url=emulator.base_url) as wrong:
            with pytest.raises(PartnerApiError) as caught:
                await wrong.logs()
            assert (caught.value.status, caught.value.message) == (401, "invalid API key")

    asyncio.run(scenario())
    assert len(receiver.deliveries) == 5
    for delivery in receiver.deliveries:
        bw.Webhook(secret).verify(delivery.body, delivery.headers["X-Bullseye-Signature"])


def test_the_async_client_retries_like_the_sync_one(servers: Any) -> None:
    server = servers(scripted([(503, {}, b""), (429, {"Retry-After": "1"}, b""), "close", (200, JSON, CONFIG)]))
    post = servers(scripted(["close", (200, JSON, {"success": True, "message": "sent"})]))

    async def scenario() -> None:
        async with async_client_for(server) as client:
            assert (await client.get_webhooks()).billing == WebhookEndpoint("https://example.com/webhooks/billing",
                                                                            True, True)
        async with async_client_for(post) as client:
            with pytest.raises(PartnerApiError) as caught:
                await client.send_test("identification")
            assert caught.value.kind == "transport"

    asyncio.run(scenario())
    assert len(server.requests) == 4 and len(post.requests) == 1
    assert 0.95 <= server.requests[2].at - server.requests[1].at < 2


def test_the_async_client_uses_a_given_httpx_client_without_closing_it(servers: Any) -> None:
    import httpx

    server = servers(scripted([(200, JSON, CONFIG)]))

    async def scenario() -> None:
        async with httpx.AsyncClient(follow_redirects=True) as http_client:
            async with AsyncPartnerClient(KEY, base_url=server.url + "/api/v1", http_client=http_client) as client:
                await client.get_webhooks()
            assert not http_client.is_closed

    asyncio.run(scenario())
    assert server.requests[0].headers["X-Partner-API-Key"] == KEY


def test_the_sync_client_uses_a_given_httpx_client_without_closing_it(servers: Any) -> None:
    import httpx

    server = servers(scripted([(302, {"Location": "http://127.0.0.1:9/elsewhere"}, b""), (200, JSON, CONFIG)]))
    with httpx.Client(follow_redirects=True) as http_client:
        with PartnerClient(KEY, base_url=server.url + "/api/v1", http_client=http_client) as client:
            with pytest.raises(PartnerApiError) as caught:
                client.get_webhooks()  # a redirect is still not followed
            assert caught.value.status == 302
            assert client.get_webhooks().identification is not None
        assert not http_client.is_closed
    assert server.requests[0].headers["X-Partner-API-Key"] == KEY


def test_without_httpx_the_clients_say_what_to_install() -> None:
    code = (
        "import sys\n"
        "import bullseye_webhooks\n"
        "assert 'httpx' not in sys.modules, 'the core library imports httpx'\n"
        "sys.modules['httpx'] = None\n"
        "from bullseye_webhooks.partner import AsyncPartnerClient, PartnerApiError, PartnerClient\n"
        "for make in (PartnerClient, AsyncPartnerClient):\n"
        "    try:\n"
        "        make('k')\n"
        "    except ImportError as e:\n"
        "        print(e)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout == 'the partner clients need httpx: pip install "bullseye-webhooks[partner]"\n' * 2

