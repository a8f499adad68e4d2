"""hypothesis: round trips, mutations, and random input never escaping the hierarchy."""

from __future__ import annotations

from hypothesis import assume, given, settings
from hypothesis import strategies as st

import bullseye_webhooks as bw

secrets = st.one_of(st.binary(min_size=1, max_size=80), st.text(min_size=1, max_size=40))
bodies = st.binary(max_size=2048)


@settings(max_examples=300)
@given(secret=secrets, body=bodies)
def test_sign_then_verify(secret: bytes | str, body: bytes) -> None:
    bw.Webhook(secret).verify(body, bw.sign(secret, body))


@settings(max_examples=300)
@given(secret=secrets, body=bodies.filter(bool), data=st.data())
def test_any_body_mutation_is_refused(secret: bytes | str, body: bytes, data: st.DataObject) -> None:
    index = data.draw(st.integers(0, len(body) - 1))
    flip = data.draw(st.integers(1, 255))
    mutated = bytearray(body)
    mutated[index] ^= flip
    try:
        bw.Webhook(secret).verify(bytes(mutated), bw.sign(secret, body))
    except bw.SignatureVerificationError as error:
        assert error.code == "signature_mismatch"
    else:
        raise AssertionError("a mutated body was accepted")


@settings(max_examples=300)
@given(secret=secrets, other=secrets, body=bodies)
def test_another_secret_is_refused(secret: bytes | str, other: bytes | str, body: bytes) -> None:
    as_bytes = lambda s: s.encode() if isinstance(s, str) else s  # noqa: E731
    assume(as_bytes(secret) != as_bytes(other))
    try:
        bw.Webhook(other).verify(body, bw.sign(secret, body))
    except bw.SignatureVerificationError as error:
        assert error.code == "signature_mismatch"
    else:
        raise AssertionError("a signature under another secret was accepted")


@settings(max_examples=500)
@given(body=st.one_of(bodies, st.text(max_size=512)), signature=st.one_of(st.none(), st.text(max_size=80)), signed=st.booleans())
def test_random_input_raises_only_webhook_errors(body: bytes | str, signature: str | None, signed: bool) -> None:
    webhook = bw.Webhook("whsec_x", max_body_bytes=1024)
    if signed:
        signature = bw.sign("whsec_x", body)
    for call in (webhook.verify, webhook.construct_event, webhook.construct_visit):
        try:
            call(body, signature)
        except bw.WebhookError as error:
            assert error.code in bw.ERROR_CODES
    try:
        bw.parse_visit(body)
    except bw.WebhookError as error:
        assert error.code in bw.ERROR_CODES
