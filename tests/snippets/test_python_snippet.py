"""Bullseye's own Python `verify_webhook_signature` (fixtures/sources/, verbatim
from the partner-API page) against this SDK and its CLI:

a. the snippet accepts what `bullseye_webhooks.sign` produces;
b. the snippet accepts what `bullseye-webhooks send` puts on the wire (a
   receiver on 127.0.0.1 records the raw body and the signature header), and
   the body on the wire is the file's bytes exactly;
c. `Webhook(secret).verify` accepts the signature the snippet computes, and
   refuses a tampered body with `signature_mismatch`.

Then where the snippet and the SDK differ, so the difference is deliberate.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import os
import pathlib
import re
import subprocess
from types import ModuleType
from typing import Callable

import pytest
from conftest import BODY_PARAMS, IDENTIFICATION, SECRET_PARAMS, SECRETS, VISIT, Receiver

HEX64 = re.compile(r"[0-9a-f]{64}")
_counter = itertools.count(1)


def their_signature(secret: str, body: bytes) -> str:
    """The snippet's own computation, as the page writes it."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def tampered(body: bytes) -> bytes:
    """The body with one byte changed (or one added, for an empty body)."""
    if not body:
        return b" "
    return body[:-1] + bytes([body[-1] ^ 0x01])


def code_of(bw: ModuleType, call: Callable[[], object]) -> str:
    with pytest.raises(bw.WebhookError) as caught:
        call()
    return caught.value.code


# --- a. the snippet accepts sign() ------------------------------------------------


@pytest.mark.parametrize("secret", SECRET_PARAMS)
@pytest.mark.parametrize("load", BODY_PARAMS)
def test_snippet_accepts_sdk_sign(bw: ModuleType, snippet, load, secret: str) -> None:
    body = load()
    signature = bw.sign(secret, body)
    assert HEX64.fullmatch(signature), signature
    assert snippet(body, signature, secret) is True
    # And it is not an accept-everything: the same signature fails another body.
    assert snippet(tampered(body), signature, secret) is False


@pytest.mark.parametrize("load", BODY_PARAMS)
def test_snippet_refuses_sdk_sign_with_another_secret(bw: ModuleType, snippet, load) -> None:
    body = load()
    (_, first), (_, second) = SECRETS[0], SECRETS[1]
    assert snippet(body, bw.sign(second, body), first) is False


# --- b. the snippet accepts what the CLI sends ------------------------------------


def send_with_cli(cli: pathlib.Path, receiver: Receiver, secret: str, file: pathlib.Path):
    """Run `bullseye-webhooks send` with the secret in BULLSEYE_WEBHOOK_SECRET;
    return the one request the receiver recorded."""
    path = f"/webhooks/bullseye/{next(_counter)}"
    before = len(receiver.requests)
    env = {key: value for key, value in os.environ.items() if not key.startswith("BULLSEYE_WEBHOOK_")}
    env["BULLSEYE_WEBHOOK_SECRET"] = secret
    done = subprocess.run(
        [str(cli), "send", "--url", receiver.url(path), "--expect-status", "200", str(file)],
        env=env,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, (
        f"bullseye-webhooks send exited {done.returncode}\n"
        f"stdout: {done.stdout.decode(errors='replace')}\nstderr: {done.stderr.decode(errors='replace')}"
    )
    assert b"200" in done.stdout
    # The CLI never prints the secret.
    assert secret.encode() not in done.stdout + done.stderr
    mine = [r for r in receiver.requests[before:] if r.path == path]
    assert len(mine) == 1, f"expected one request on {path}, got {len(mine)}"
    return mine[0]


@pytest.mark.parametrize("secret", SECRET_PARAMS)
@pytest.mark.parametrize("load", BODY_PARAMS)
def test_snippet_accepts_what_cli_send_puts_on_the_wire(
    bw: ModuleType, snippet, cli: pathlib.Path, receiver: Receiver, tmp_path: pathlib.Path, load, secret: str
) -> None:
    body = load()
    file = tmp_path / "body.json"
    file.write_bytes(body)
    request = send_with_cli(cli, receiver, secret, file)
    assert request.method == "POST"
    assert request.body == body
    assert len(request.signatures) == 1, request.signatures
    signature = request.signatures[0]
    assert snippet(request.body, signature, secret) is True
    assert signature == their_signature(secret, body)
    assert signature == bw.sign(secret, body)
    assert request.content_type == "application/json"


@pytest.mark.parametrize("fixture", [IDENTIFICATION, VISIT], ids=lambda p: p.name)
@pytest.mark.parametrize("secret", SECRET_PARAMS)
def test_cli_sends_the_documented_fixture_byte_for_byte(
    snippet, cli: pathlib.Path, receiver: Receiver, fixture: pathlib.Path, secret: str
) -> None:
    # The fixture file itself, not a copy: the wire bytes are its bytes.
    request = send_with_cli(cli, receiver, secret, fixture)
    assert request.body == fixture.read_bytes()
    assert len(request.signatures) == 1
    assert snippet(request.body, request.signatures[0], secret) is True


def test_snippet_refuses_cli_send_tamper(snippet, cli: pathlib.Path, receiver: Receiver) -> None:
    """`send --tamper` signs, then changes one character: the snippet says no."""
    secret = SECRETS[0][1]
    path = f"/webhooks/bullseye/{next(_counter)}"
    env = {key: value for key, value in os.environ.items() if not key.startswith("BULLSEYE_WEBHOOK_")}
    env["BULLSEYE_WEBHOOK_SECRET"] = secret
    before = len(receiver.requests)
    done = subprocess.run(
        [str(cli), "send", "--url", receiver.url(path), "--tamper", str(IDENTIFICATION)],
        env=env,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    (request,) = [r for r in receiver.requests[before:] if r.path == path]
    original = IDENTIFICATION.read_bytes()
    assert request.body != original and len(request.body) == len(original)
    assert request.signatures == [their_signature(secret, original)]
    assert snippet(request.body, request.signatures[0], secret) is False


# --- c. the SDK accepts the snippet's computation ---------------------------------


@pytest.mark.parametrize("secret", SECRET_PARAMS)
@pytest.mark.parametrize("load", BODY_PARAMS)
def test_sdk_verify_accepts_the_snippets_signature(bw: ModuleType, snippet, load, secret: str) -> None:
    body = load()
    signature = their_signature(secret, body)
    assert snippet(body, signature, secret) is True
    assert bw.Webhook(secret).verify(body, signature) is None
    assert bw.Webhook(secret).verify(body, {"x-bullseye-signature": signature}) is None
    # A tampered body: the SDK refuses it with signature_mismatch, as the snippet does.
    assert snippet(tampered(body), signature, secret) is False
    assert code_of(bw, lambda: bw.Webhook(secret).verify(tampered(body), signature)) == "signature_mismatch"


@pytest.mark.parametrize("load", BODY_PARAMS)
def test_sdk_verify_refuses_the_snippets_signature_under_another_secret(bw: ModuleType, load) -> None:
    body = load()
    signature = their_signature(SECRETS[0][1], body)
    assert code_of(bw, lambda: bw.Webhook(SECRETS[1][1]).verify(body, signature)) == "signature_mismatch"
    # During a rotation, either secret accepts it.
    assert bw.Webhook([SECRETS[1][1], SECRETS[0][1]]).verify(body, signature) is None


# --- where the snippet and the SDK differ -----------------------------------------


@pytest.fixture
def documented() -> tuple[bytes, str, str]:
    body = IDENTIFICATION.read_bytes()
    secret = SECRETS[0][1]
    return body, secret, their_signature(secret, body)


@pytest.mark.parametrize("short", ["", "abc", "00" * 31, "0" * 63])
def test_short_signature_snippet_says_false_sdk_says_malformed(
    bw: ModuleType, snippet, documented, short: str
) -> None:
    """compare_digest takes strings of different lengths (False, no exception);
    the SDK names the problem (an empty header is missing_signature)."""
    body, secret, _ = documented
    assert snippet(body, short, secret) is False
    expected = "missing_signature" if short == "" else "malformed_signature"
    assert code_of(bw, lambda: bw.Webhook(secret).verify(body, short)) == expected


def test_non_ascii_signature_snippet_raises_typeerror_sdk_says_malformed(
    bw: ModuleType, snippet, documented
) -> None:
    """hmac.compare_digest refuses a str with non-ASCII characters with a
    TypeError: a header like that makes the snippet raise instead of answer."""
    body, secret, good = documented
    header = "é" + good[1:]
    with pytest.raises(TypeError):
        snippet(body, header, secret)
    assert code_of(bw, lambda: bw.Webhook(secret).verify(body, header)) == "malformed_signature"


def test_uppercase_or_padded_hex_snippet_refuses_sdk_accepts(bw: ModuleType, snippet, documented) -> None:
    """The contract accepts either hex case and trims surrounding whitespace;
    the Python snippet compares the text as is."""
    body, secret, good = documented
    for header in (good.upper(), f"  {good}\t", f"{good}\n"):
        assert snippet(body, header, secret) is False
        assert bw.Webhook(secret).verify(body, header) is None
