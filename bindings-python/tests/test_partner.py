"""The partner-API client (`bullseye_webhooks.partner`) over real HTTP on
127.0.0.1: against the emulator (a local Bullseye, started as a subprocess)
for every endpoint, and against small scripted servers for what the emulator
does not do (429, 5xx, redirects, slow or cut answers). And
`generate_secret`.

The emulator binary is built by `make test-python` (cargo build -p
bullseye-webhooks-emulator); BULLSEYE_EMULATOR names another one."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import pickle
import re
import secrets
import traceback
from typing import Any, Callable

import pytest

import bullseye_webhooks as bw
from bullseye_webhooks.partner import (
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
    README,
    Emulator,
    Receiver,
    async_client_for,
    client_for,
    emulator,
    scripted,
    servers,
    wait_for_logs,
)


# ---------------------------------------------------------------- every endpoint, against the emulator


def test_a_new_emulator_has_both_webhooks_unset(emulator: Emulator) -> None:
    config = emulator.client().get_webhooks()
    assert isinstance(config, WebhookConfig)
    unset = WebhookEndpoint(url=None, enabled=False, has_secret=False)
    assert (config.identification, config.billing) == (unset, unset)
    assert config.get("billing") == unset
    assert config.extra == {}


@pytest.mark.parametrize("kind", ["identification", "billing"])
def test_set_webhook_changes_what_is_given_and_keeps_the_rest(emulator: Emulator, kind: Any) -> None:
    client = emulator.client()
    endpoint = client.set_webhook(kind, url="https://example.com/hooks", secret="whsec_abc", enabled=True)
    assert endpoint == WebhookEndpoint(url="https://example.com/hooks", enabled=True, has_secret=True)
    # Only `enabled` is sent: the URL and the secret stay.
    assert client.set_webhook(kind, enabled=False) == WebhookEndpoint(
        url="https://example.com/hooks", enabled=False, has_secret=True
    )
    config = client.get_webhooks()
    assert config.get(kind) == WebhookEndpoint(url="https://example.com/hooks", enabled=False, has_secret=True)
    other: Any = "billing" if kind == "identification" else "identification"
    assert config.get(other) == WebhookEndpoint()
    assert "whsec_abc" not in json.dumps(config.to_dict())


def test_set_webhook_refusals_carry_the_servers_message(emulator: Emulator) -> None:
    with pytest.raises(PartnerApiError) as caught:
        emulator.client().set_webhook("identification", url="ftp://example.com/hooks")
    error = caught.value
    assert (error.status, error.kind, error.code) == (400, "api_status", "invalid_request")
    assert error.message == "url must be an http:// or https:// URL of at most 2048 characters"
    assert str(error) == (
        "partner API answered 400: url must be an http:// or https:// URL of at most 2048 characters"
    )


def test_arguments_are_checked_before_any_request() -> None:
    client = PartnerClient("k", base_url="http://127.0.0.1:9/api/v1")
    with pytest.raises(ValueError, match="unknown webhook type 'refund'"):
        client.set_webhook("refund", enabled=True)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown webhook type"):
        client.send_test("Identification")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="page must be an integer of at least 1"):
        client.logs(page=0)
    with pytest.raises(ValueError, match="page_size must be"):
        client.iter_logs(page_size=True)
    with pytest.raises(ValueError, match="unknown webhook type"):
        client.logs(type="refunds")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="enabled must be a bool"):
        client.set_webhook("billing", enabled="yes")  # type: ignore[arg-type]
    for key in ["", "has space", "k\r\nX-Injected: 1", "clé"]:
        with pytest.raises(ValueError) as caught:
            PartnerClient(key)
        assert key == "" or key not in str(caught.value)
    for base in ["ftp://example.com", "https://", "api.app.bullseye.so", "https://example.com/api?x=1"]:
        with pytest.raises(ValueError, match="is not an http:// or https:// URL"):
            PartnerClient("k", base_url=base)
    with pytest.raises(ValueError, match="max_retries"):
        PartnerClient("k", max_retries=-1)
    with pytest.raises(ValueError, match="timeout"):
        PartnerClient("k", timeout=0)
    assert PartnerClient("k").base_url == "https://api.app.bullseye.so/api/v1"
    assert PartnerClient("k", base_url="http://127.0.0.1:1/api/v1/").base_url == "http://127.0.0.1:1/api/v1"


@pytest.mark.parametrize(
    ("kind", "event_type"), [("identification", "visitor.identified"), ("billing", "billing.test")]
)
def test_send_test_delivers_a_signed_webhook_and_logs_it(
    emulator: Emulator, servers: Any, kind: Any, event_type: str
) -> None:
    receiver = Receiver(servers)
    secret = bw.generate_secret()
    client = emulator.client()
    client.set_webhook(kind, url=receiver.url, secret=secret, enabled=True)

    result = client.send_test(kind)
    assert isinstance(result, TestResult)
    assert (result.success, result.message) == (True, "Test webhook sent successfully")
    assert result.extra["status"] == "delivered" and result.extra["statusCode"] == 200

    [delivery] = receiver.deliveries
    assert (delivery.method, delivery.path) == ("POST", "/webhooks/bullseye")
    event = bw.Webhook(secret).construct_event(delivery.body, delivery.headers["X-Bullseye-Signature"])
    assert event.event_type == event_type

    page = client.logs()
    assert (page.total, page.page, page.page_size) == (1, 1, 20)
    [entry] = page.logs
    assert (entry.type, entry.status, entry.status_code) == (kind, "delivered", 200)
    assert entry.response_time_ms is not None and entry.response_time_ms >= 0
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", entry.attempted_at)
    # The emulator's fields beyond the documented ones are kept.
    assert entry.extra["deliveryId"] == result.extra["deliveryId"]
    assert (entry.extra["attempt"], entry.extra["test"], entry.extra["eventType"]) == (1, True, event_type)
    assert entry.to_dict()["deliveryId"] == result.extra["deliveryId"]


def test_send_test_to_a_failing_receiver_says_so_and_the_logs_show_the_retries(
    emulator: Emulator, servers: Any
) -> None:
    receiver = Receiver(servers)
    receiver.status = lambda request: 500 if len(receiver.deliveries) <= 2 else 200
    client = emulator.client()
    client.set_webhook("identification", url=receiver.url, secret="whsec_test", enabled=True)

    result = client.send_test("identification")
    assert result.success is False
    assert result.message.startswith("Test webhook delivery failed: the receiver answered 500; retrying at ")
    assert result.extra["statusCode"] == 500

    # Retries at 60 ms and 300 ms (time scale 0.001): 500, 500, then 200.
    entries = wait_for_logs(client, 3)
    assert [(e.extra["attempt"], e.status, e.status_code) for e in entries] == [
        (3, "delivered", 200),
        (2, "failed", 500),
        (1, "failed", 500),
    ]
    assert len({e.extra["deliveryId"] for e in entries}) == 1
    assert [e.attempted_at for e in entries] == sorted((e.attempted_at for e in entries), reverse=True)
    assert [e.status_code for e in PartnerClient(emulator.key, base_url=emulator.base_url).iter_logs(
        status="failed"
    )] == [500, 500]
    assert len(receiver.deliveries) == 3

def test_logs_pages_and_filters(emulator: Emulator, servers: Any) -> None:
    receiver = Receiver(servers)
    receiver.status = lambda request: 500 if b'"org-c"' in request.body else 200
    client = emulator.client()
    for kind in ("identification", "billing"):
        client.set_webhook(kind, url=receiver.url, secret="whsec_test", enabled=True)
    for i in range(7):
        emulator.deliver("identification", {"event_type": "visitor.identified", "organization_id": "org-a",
                                            "session_id": f"s-{i}"})
    for i in range(3):
        emulator.deliver("billing", {"event_type": "billing.charged", "organization_id": "org-b", "n": i})
    emulator.deliver("identification", {"event_type": "visitor.identified", "organization_id": "org-c"})
    # org-c's delivery fails 4 times (1 + 3 retries, the last 1.8 s after the third).
    failed = wait_for_logs(client, 4, status="failed")
    assert {(e.organization_id, e.status_code) for e in failed} == {("org-c", 500)}
    assert [e.extra["attempt"] for e in failed] == [4, 3, 2, 1]
    assert failed[0].extra["nextRetryAt"] is None

    pages = [client.logs(organization_id="org-a", page_size=3, page=n) for n in (1, 2, 3, 4)]
    assert [(p.total, p.page, p.page_size, len(p.logs)) for p in pages] == [
        (7, 1, 3, 3), (7, 2, 3, 3), (7, 3, 3, 1), (7, 4, 3, 0),
    ]
    paged = [e for p in pages for e in p.logs]
    assert {(e.type, e.organization_id, e.status, e.status_code) for e in paged} == {
        ("identification", "org-a", "delivered", 200)
    }
    assert len({e.id for e in paged}) == 7

    walked = list(client.iter_logs(organization_id="org-a", page_size=3))
    assert [e.id for e in walked] == [e.id for e in paged]
    assert [e.id for e in client.iter_logs(organization_id="org-a", page_size=3, page=2)] == [
        e.id for e in paged[3:]
    ]
    assert len(list(client.iter_logs(organization_id="org-a"))) == 7  # one page of 20

    billing = list(client.iter_logs(type="billing", page_size=2))
    assert len(billing) == 3 and {e.organization_id for e in billing} == {"org-b"}
    assert len(list(client.iter_logs(type="identification", page_size=5))) == 7 + 4
    assert client.logs(status="delivered").total == 10
    assert list(client.iter_logs(status="failed", organization_id="org-a")) == []
    assert client.logs(status="no-such-status") == LogsPage(logs=(), total=0, page=1, page_size=20)

    with pytest.raises(PartnerApiError) as caught:
        client.logs(page_size=101)
    assert (caught.value.status, caught.value.code) == (400, "invalid_request")
    assert caught.value.message == 'pageSize must be an integer from 1 to 100, not "101"'


def test_a_filter_value_is_sent_encoded(servers: Any) -> None:
    server = servers(scripted([(200, JSON, {"logs": [], "total": 0, "page": 1, "pageSize": 20})]))
    client_for(server).logs(status="a b&c=d/é", organization_id="org 1", type="billing", page=2, page_size=5)
    [request] = server.requests
    assert request.path == (
        "/api/v1/partner/webhooks/logs?page=2&pageSize=5&type=billing&status=a%20b%26c%3Dd%2F%C3%A9"
        "&organizationId=org%201"
    )


def test_iter_logs_does_not_yield_an_entry_twice_when_new_attempts_push_the_pages(servers: Any) -> None:
    def entry(n: int) -> dict[str, Any]:
        return {"id": f"log-{n}", "type": "billing", "status": "delivered"}

    # Page 1 is 5,4; then a new attempt (6) is logged, so page 2 is 4,3 and page 3 is 2,1.
    server = servers(scripted([
        (200, JSON, {"logs": [entry(5), entry(4)], "total": 5, "page": 1, "pageSize": 2}),
        (200, JSON, {"logs": [entry(4), entry(3)], "total": 6, "page": 2, "pageSize": 2}),
        (200, JSON, {"logs": [entry(2), entry(1)], "total": 6, "page": 3, "pageSize": 2}),
    ]))
    assert [e.id for e in client_for(server).iter_logs(page_size=2)] == ["log-5", "log-4", "log-3", "log-2", "log-1"]
    assert [r.path.split("?")[1] for r in server.requests] == [
        "page=1&pageSize=2", "page=2&pageSize=2", "page=3&pageSize=2"
    ]


def test_iter_logs_raises_the_error_of_a_failed_page(servers: Any) -> None:
    server = servers(scripted([
        (200, JSON, {"logs": [{"id": "a"}], "total": 2, "page": 1, "pageSize": 1}),
        (403, JSON, {"error": "forbidden", "message": "key revoked"}),
    ]))
    walk = client_for(server).iter_logs(page_size=1)
    assert next(walk).id == "a"
    with pytest.raises(PartnerApiError) as caught:
        next(walk)
    assert (caught.value.status, caught.value.message, caught.value.is_unauthorized) == (403, "key revoked", True)



# ---------------------------------------------------------------- authentication and the key


def test_a_wrong_key_is_a_401_with_the_servers_message(emulator: Emulator) -> None:
    wrong = "pk_wrong_" + secrets.token_hex(8)
    calls: list[Callable[[PartnerClient], Any]] = [
        lambda c: c.get_webhooks(),
        lambda c: c.set_webhook("identification", enabled=True),
        lambda c: c.send_test("billing"),
        lambda c: c.logs(),
        lambda c: list(c.iter_logs()),
    ]
    for call in calls:
        with pytest.raises(PartnerApiError) as caught:
            call(PartnerClient(wrong, base_url=emulator.base_url, max_retries=3, backoff=5))
        error = caught.value
        assert (error.status, error.kind, error.code, error.message) == (
            401, "api_status", "unauthorized", "invalid API key"
        )
        assert error.is_unauthorized and error.retry_after is None
        assert str(error) == "partner API answered 401: invalid API key"
        for text in (str(error), repr(error), "".join(traceback.format_exception(type(error), error, None))):
            assert wrong not in text and emulator.key not in text


def test_the_key_is_sent_and_never_shown(servers: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    # The server echoes the key it got, in its message and its code.
    server = servers(lambda r: (401, JSON, {"error": r.headers["X-Partner-API-Key"],
                                            "message": "bad key " + r.headers["X-Partner-API-Key"]}))
    client = client_for(server)
    with pytest.raises(PartnerApiError) as caught:
        client.get_webhooks()
    [request] = server.requests
    assert request.headers["X-Partner-API-Key"] == KEY
    assert request.headers["Accept"] == "application/json"
    error = caught.value
    assert (error.message, error.code) == ("bad key [REDACTED]", "[REDACTED]")

    async_client = async_client_for(server)
    with pytest.raises(PartnerApiError) as async_caught:
        asyncio.run(async_client.get_webhooks())
    assert async_caught.value.message == "bad key [REDACTED]"
    assert server.requests[-1].headers["x-partner-api-key"] == KEY

    shown = [
        repr(client), str(client), repr(async_client), str(async_client), str(error), repr(error),
        "".join(traceback.format_exception(type(error), error, error.__traceback__)),
        str(async_caught.value), caplog.text, repr(vars(error)),
    ]
    for text in shown:
        assert KEY not in text
    assert repr(client) == (
        f"PartnerClient(base_url='{server.url}/api/v1', api_key='[REDACTED]', timeout=30.0, max_retries=3)"
    )
    with pytest.raises(TypeError, match="not picklable"):
        pickle.dumps(client)
    assert not hasattr(client, "__dict__")
    # A key at the 300-character cut of a long message is scrubbed before the cut.
    long = servers(scripted([(500, JSON, {"message": "a" * 295 + KEY})]))
    with pytest.raises(PartnerApiError) as cut:
        client_for(long, max_retries=0).get_webhooks()
    assert cut.value.message == "a" * 295 + "[REDA..."
    # An error pickles (for multiprocessing) with what it carries.
    again = pickle.loads(pickle.dumps(error))
    assert (again.status, again.message, again.code) == (401, "bad key [REDACTED]", "[REDACTED]")


def test_the_key_is_not_in_the_logs_of_retries(servers: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    server = servers(scripted([(503, JSON, {"message": "busy"}), "close", (200, JSON, CONFIG)]))
    client_for(server).get_webhooks()
    asyncio.run(async_client_for(servers(scripted([(503, {}, b""), (200, JSON, CONFIG)]))).get_webhooks())
    retries = [r for r in caplog.records if r.name == "bullseye_webhooks.partner"]
    assert [r.levelname for r in retries] == ["INFO", "INFO", "INFO"]
    assert retries[0].getMessage().startswith("partner API: GET /partner/webhooks answered 503; retry 1 of 3 in ")
    assert retries[1].getMessage().startswith("partner API: GET /partner/webhooks got no answer (")
    assert KEY not in caplog.text


def test_the_emulator_never_prints_the_key(emulator: Emulator, servers: Any) -> None:
    receiver = Receiver(servers)
    client = emulator.client()
    client.set_webhook("identification", url=receiver.url, secret="whsec_x", enabled=True)
    client.send_test("identification")
    with pytest.raises(PartnerApiError):
        PartnerClient("pk_wrong", base_url=emulator.base_url).get_webhooks()
    assert emulator.key not in emulator.stdout + emulator.stderr()
    assert len(emulator.stderr().splitlines()) >= 2  # it did log the delivery


def test_redirects_are_not_followed(servers: Any) -> None:
    elsewhere = servers(scripted([(200, JSON, CONFIG)]))
    server = servers(scripted([(302, {"Location": elsewhere.url + "/api/v1/partner/webhooks"}, b"")]))
    with pytest.raises(PartnerApiError) as caught:
        client_for(server).get_webhooks()
    assert caught.value.status == 302
    with pytest.raises(PartnerApiError) as async_caught:
        asyncio.run(async_client_for(server).get_webhooks())
    assert async_caught.value.status == 302
    assert elsewhere.requests == [] and len(server.requests) == 2


# ---------------------------------------------------------------- generate_secret

ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def test_generate_secret_is_whsec_and_43_base64url_characters() -> None:
    secret = bw.generate_secret()
    assert isinstance(secret, str)
    assert re.fullmatch(r"whsec_[A-Za-z0-9_-]{43}", secret), secret
    assert len(secret) == 49
    body = secret[len("whsec_"):]
    # 32 bytes are 256 bits: 42 whole characters and one carrying 4 bits and
    # 2 zero bits, so the last is one of 16 characters.
    assert body[-1] in "AEIMQUYcgkosw048"
    raw = base64.urlsafe_b64decode(body + "=")
    assert len(raw) == 32
    assert base64.urlsafe_b64encode(raw).decode().rstrip("=") == body


def test_generated_secrets_are_random() -> None:
    generated = [bw.generate_secret() for _ in range(2000)]
    assert len(set(generated)) == 2000
    raw = b"".join(base64.urlsafe_b64decode(s[6:] + "=") for s in generated)
    # 512,000 bits: one half ones, to well within 14 standard deviations.
    ones = sum(bin(byte).count("1") for byte in raw)
    assert abs(ones / (len(raw) * 8) - 0.5) < 0.01
    # Every byte value turns up (64,000 bytes, 250 expected of each).
    assert len(set(raw)) == 256
    # Every character of the alphabet turns up in the first 42 positions.
    assert set("".join(s[6:48] for s in generated)) == set(ALPHABET)


def test_a_generated_secret_signs_and_verifies() -> None:
    secret = bw.generate_secret()
    body = b'{"event_type":"visitor.identified","session_id":"s"}'
    event = bw.Webhook(secret).construct_event(body, bw.sign(secret, body))
    assert event.event_type == "visitor.identified"
    assert bw.generate_secret.__module__ in ("bullseye_webhooks._native", "builtins")


# ---------------------------------------------------------------- the README's quickstart


def partner_blocks() -> list[str]:
    """The README's ```python partner blocks (test_readme.py runs the plain
    ```python ones; these need the emulator and a receiver)."""
    return re.findall(r"```python partner\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)


def test_the_readme_quickstart_runs_against_the_emulator(
    emulator: Emulator, servers: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    blocks = partner_blocks()
    assert len(blocks) == 2
    receiver = Receiver(servers)
    monkeypatch.setenv("BULLSEYE_PARTNER_API_KEY", emulator.key)
    monkeypatch.setenv("BULLSEYE_PARTNER_API_URL", emulator.base_url)
    monkeypatch.setenv("RECEIVER_URL", receiver.url)

    namespace: dict[str, Any] = {"__name__": "readme_partner"}
    exec(compile(blocks[0], str(README), "exec"), namespace)
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "True Test webhook sent successfully"
    assert re.fullmatch(r"\d{4}-\S+Z delivered 200 \d+", out[1]), out
    assert out[2:] == ["partner API answered 401: invalid API key"]
    [delivery] = receiver.deliveries
    signature = delivery.headers["X-Bullseye-Signature"]
    event = bw.Webhook(namespace["secret"]).construct_event(delivery.body, signature)
    assert event.event_type == "visitor.identified"
    assert emulator.client().get_webhooks().identification == WebhookEndpoint(receiver.url, True, True)

    # The async block counts the failed attempts: none, then one after a
    # delivery whose first attempt the receiver refuses (its retry, 60 ms
    # later at this time scale, is accepted).
    exec(compile(blocks[1], str(README), "exec"), {"__name__": "readme_partner_async"})
    assert capsys.readouterr().out == "0\n"
    receiver.status = lambda request: 500 if len(receiver.deliveries) == 2 else 200
    emulator.deliver("identification", {"event_type": "visitor.identified", "session_id": "s-2"})
    wait_for_logs(emulator.client(), 3)
    exec(compile(blocks[1], str(README), "exec"), {"__name__": "readme_partner_async"})
    assert capsys.readouterr().out == "1\n"
    assert emulator.key not in emulator.stderr()

