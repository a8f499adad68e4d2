"""A mismatch's value as sent, as a Python object (called by the native
module): `json.loads` of the exact JSON text, so an integer beyond 64 bits
stays an exact `int`, as Python's own JSON reading gives it."""

from __future__ import annotations

import json
from typing import Any, Union

__all__ = ["value_of", "same_value"]


def _integer(literal: str) -> Union[int, float]:
    # `-0` is a JSON number, not an integer (what the mismatch's `found` says).
    return -0.0 if literal == "-0" else int(literal)


def value_of(text: str) -> Any:
    """The JSON `text` (a value the core's reader accepted) as a Python object."""
    return json.loads(text, parse_int=_integer)


def _same(a: Any, b: Any) -> bool:
    # JSON equality: booleans, integers and other numbers are told apart
    # (in Python `True == 1 == 1.0`).
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return bool(a == b)


def same_value(a: str, b: str) -> bool:
    """Whether two JSON texts hold the same value (`1e2` and `100.0` do)."""
    if a == b:
        return True
    try:
        return _same(value_of(a), value_of(b))
    except ValueError:  # an integer too long for int(): only the text can tell
        return False
