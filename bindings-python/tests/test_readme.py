"""The README's Python examples run as written; the receivers they define
answer as the README says."""

from __future__ import annotations

import pathlib
import re
import sys
import time
import types
from typing import Any

import pytest

README = pathlib.Path(__file__).resolve().parents[1] / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)


def test_the_readme_has_examples() -> None:
    assert len(BLOCKS) >= 10


def run(block: str) -> dict[str, Any]:
    # A module of its own in sys.modules: Litestar resolves a handler's
    # annotations through its module, as it would in an application.
    module = types.ModuleType("readme_example")
    sys.modules[module.__name__] = module
    exec(compile(block, str(README), "exec"), module.__dict__)
    return module.__dict__


@pytest.mark.parametrize("block", BLOCKS, ids=[f"block{i}" for i in range(len(BLOCKS))])
def test_readme_block(block: str, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # a block may create a store's file
    run(block)


def block_with(*needles: str) -> str:
    found = [b for b in BLOCKS if all(n in b for n in needles)]
    assert len(found) == 1, needles
    return found[0]


def test_the_dedupe_quickstart_answers_a_duplicate() -> None:
    from fastapi.testclient import TestClient

    import bullseye_webhooks as bw

    app = run(block_with("dedupe=MemoryStore()", '"whsec_your_secret"', "/webhooks/bullseye"))["app"]
    client = TestClient(app)
    body = b'{"event":"visitor.identified","organization_id":"org_1","session_id":"s_readme"}'
    headers = {"X-Bullseye-Signature": bw.sign("whsec_your_secret", body)}
    first = client.post("/webhooks/bullseye", content=body, headers=headers)
    assert (first.status_code, first.json()) == (200, {"received": "bullseye:org_1:visitor.identified:s_readme"})
    again = client.post("/webhooks/bullseye", content=body, headers=headers)
    assert (again.status_code, again.json()) == (200, {"duplicate": True})


def test_the_bitnob_receiver_answers_as_documented() -> None:
    from fastapi.testclient import TestClient

    import bullseye_webhooks as bw

    app = run(block_with("BitnobWebhook", "/webhooks/bitnob"))["app"]
    client = TestClient(app)
    body = b'{"event":"virtualcard.transaction.debit","data":{"amount":2500}}'
    now = str(int(time.time()))
    headers = {"X-Bitnob-Signature": bw.sign_bitnob("bn_whsk_your_secret", body, now), "X-Bitnob-Timestamp": now}
    first = client.post("/webhooks/bitnob", content=body, headers=headers)
    assert (first.status_code, first.json()) == (200, {"received": "virtualcard.transaction.debit"})
    again = client.post("/webhooks/bitnob", content=body, headers=headers)
    assert (again.status_code, again.json()) == (200, {"duplicate": True})
    stale = str(int(time.time()) - 600)
    old = {"X-Bitnob-Signature": bw.sign_bitnob("bn_whsk_your_secret", body, stale), "X-Bitnob-Timestamp": stale}
    refused = client.post("/webhooks/bitnob", content=body, headers=old)
    assert (refused.status_code, refused.json()) == (401, {"error": "timestamp_out_of_tolerance"})
