"""Every case of fixtures/vectors.json, through the Python API."""

from __future__ import annotations

import re
from typing import Any

import pytest

import bullseye_webhooks as bw
from conftest import body_of, load_vectors, secrets_of

VECTORS = load_vectors()
MISSING = object()


def snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def resolve(root: Any, path: str) -> Any:
    """`a.b[0].c` / `list.length` on our objects (attributes, camelCase read
    as snake_case) and, once inside a JSON value, on dicts and lists."""
    current = root
    for part in path.split("."):
        if part == "length":
            return len(current)
        key, _, rest = part.partition("[")
        if isinstance(current, dict):
            current = current.get(key, MISSING)
        else:
            current = getattr(current, snake(key), MISSING)
        if current is MISSING:
            return MISSING
        for index in re.findall(r"(\d+)\]", "[" + rest if rest else ""):
            current = current[int(index)]
    return current


def run(case: dict[str, Any]) -> Any:
    body = body_of(case)
    operation = case["operation"]
    if operation == "parse_visit":
        return bw.parse_visit(body)
    options = case.get("options", {})
    webhook = bw.Webhook(
        secrets_of(case),
        tolerance=options.get("tolerance_seconds"),
        max_body_bytes=options.get("max_body_bytes", bw.DEFAULT_MAX_BODY_BYTES),
    )
    signature = case["signature"]
    if operation == "verify":
        return webhook.verify(body, signature)
    if operation == "construct_visit":
        return webhook.construct_visit(body, signature)
    assert operation == "construct_event", operation
    return webhook.construct_event(body, signature, now=options.get("now_unix"))


@pytest.mark.parametrize("case", VECTORS, ids=[c["name"] for c in VECTORS])
def test_vector(case: dict[str, Any]) -> None:
    expect = case["expect"]
    if "error" in expect:
        with pytest.raises(bw.WebhookError) as caught:
            run(case)
        assert caught.value.code == expect["error"], f"{case['name']} [{case['source']}]: {caught.value}"
        return
    result = run(case)
    for path, want in expect.get("fields", {}).items():
        if path.startswith("raw."):
            got = resolve(result.to_dict(), path[len("raw."):])
        else:
            got = resolve(result, path)
        assert got == want, f"{case['name']}: {path} = {got!r}, expected {want!r}"


def test_every_vector_is_collected() -> None:
    assert len(VECTORS) > 250
