"""Importing the package to verify must not pull in what only de-duplication,
the partner client or the integrations need: a Lambda cold start or a CLI
tool pays for every module at import. Each check runs a fresh interpreter."""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = ["asyncio", "sqlite3", "ssl", "socket", "inspect", "http.client", "urllib.request"]


def modules_after(statement: str) -> set[str]:
    script = f"import sys\n{statement}\nprint('\\n'.join(sorted(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    return set(result.stdout.split())


def test_import_loads_none_of_the_heavy_modules() -> None:
    loaded = modules_after("import bullseye_webhooks")
    assert "bullseye_webhooks._native" in loaded
    assert sorted(loaded & set(HEAVY)) == []
    assert "typing" not in loaded  # about 10 ms of re, enum and collections


def test_event_alias_is_the_union_of_the_event_types() -> None:
    from typing import Union

    import bullseye_webhooks as bw

    assert bw.Event == Union[bw.VisitorIdentifiedEvent, bw.GenericEvent]


def test_verifying_loads_none_of_the_heavy_modules() -> None:
    loaded = modules_after(
        "from bullseye_webhooks import Webhook, sign\n"
        "w = Webhook('whsec_x')\n"
        "body = b'{\"event_type\":\"visitor.identified\"}'\n"
        "w.construct_event(body, {'X-Bullseye-Signature': sign('whsec_x', body)})"
    )
    assert sorted(loaded & set(HEAVY)) == []


@pytest.mark.parametrize("name", ["MemoryStore", "SQLiteStore", "RedisStore", "AsyncRedisStore", "Claim"])
def test_dedupe_names_load_on_first_use(name: str) -> None:
    import bullseye_webhooks
    from bullseye_webhooks import dedupe

    assert name in dir(bullseye_webhooks)
    assert getattr(bullseye_webhooks, name) is getattr(dedupe, name)


def test_an_unknown_name_is_an_attribute_error() -> None:
    import bullseye_webhooks

    with pytest.raises(AttributeError, match="no_such_name"):
        bullseye_webhooks.no_such_name  # noqa: B018
