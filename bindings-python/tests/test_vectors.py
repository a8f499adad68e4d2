"""Every case of fixtures/vectors.json, through the Python API: the error
code, or the typed fields and the exact mismatch list (path, expected, found,
value, in document order)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import pytest

import bullseye_webhooks as bw
from conftest import body_of, load_vectors, secrets_of

VECTORS = load_vectors()
MISSING = object()
TYPED_OPERATIONS = ("construct_event", "parse_visit", "construct_visit")


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


def same(got: Any, want: Any) -> bool:
    """JSON equality that tells booleans from numbers (in Python True == 1)."""
    if isinstance(got, bool) or isinstance(want, bool):
        return type(got) is type(want) and got == want
    if isinstance(got, Mapping) and isinstance(want, Mapping):
        return set(got) == set(want) and all(same(got[k], want[k]) for k in want)
    if isinstance(got, (list, tuple)) and isinstance(want, (list, tuple)):
        return len(got) == len(want) and all(same(g, w) for g, w in zip(got, want))
    if isinstance(got, (int, float)) and isinstance(want, (int, float)):
        return got == want
    if isinstance(got, str) and isinstance(want, str):
        return got == want
    return got is None and want is None


def strict_options(case: dict[str, Any]) -> dict[str, Any]:
    """`strict=` only when the case sets it, so the default stays exercised."""
    options = case.get("options", {})
    return {"strict": options["strict"]} if "strict" in options else {}


def run(case: dict[str, Any]) -> Any:
    body = body_of(case)
    operation = case["operation"]
    if operation == "parse_visit":
        return bw.parse_visit(body, **strict_options(case))
    options = case.get("options", {})
    webhook = bw.Webhook(
        secrets_of(case),
        tolerance=options.get("tolerance_seconds"),
        max_body_bytes=options.get("max_body_bytes", bw.DEFAULT_MAX_BODY_BYTES),
        **strict_options(case),
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
        assert same(got, want), f"{case['name']}: {path} = {got!r}, expected {want!r}"
    if case["operation"] in TYPED_OPERATIONS:
        assert "mismatches" in expect, f"{case['name']}: the case lists no mismatches"
        assert isinstance(result.mismatches, tuple), f"{case['name']}: mismatches is a {type(result.mismatches)}"
        got = [
            {"path": m.path, "expected": m.expected, "found": m.found, "value": m.value}
            for m in result.mismatches
        ]
        assert same(got, expect["mismatches"]), (
            f"{case['name']}: mismatches\n  got      {got!r}\n  expected {expect['mismatches']!r}"
        )


def test_every_vector_is_collected() -> None:
    assert len(VECTORS) > 1500
