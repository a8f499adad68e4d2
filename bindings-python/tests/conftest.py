"""Shared helpers: where the fixtures are, and how a vector becomes arguments."""

from __future__ import annotations

import json
import pathlib
from typing import Any

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures"


def load_vectors() -> list[dict[str, Any]]:
    with open(FIXTURES / "vectors.json", encoding="utf-8") as f:
        return json.load(f)["cases"]


def body_of(case: dict[str, Any]) -> bytes:
    if "body" in case:
        return case["body"].encode("utf-8")
    if "body_hex" in case:
        return bytes.fromhex(case["body_hex"])
    if "body_file" in case:
        return (FIXTURES / "payloads" / case["body_file"]).read_bytes()
    repeat = case["body_repeat"]
    return (repeat["text"] * repeat["count"]).encode("utf-8")


def secrets_of(case: dict[str, Any]) -> list[Any]:
    if "secrets_hex" in case:
        return [bytes.fromhex(s) for s in case["secrets_hex"]]
    return list(case["secrets"])


@pytest.fixture(scope="session")
def payloads() -> pathlib.Path:
    return FIXTURES / "payloads"
