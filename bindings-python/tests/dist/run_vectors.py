"""Every shared vector through an installed bullseye_webhooks, standard library only.

Runs where pytest is not installed: in a clean venv that holds only the wheel
(or the sdist's build), and in Debian's aarch64 Python under qemu-user-static.

    python run_vectors.py FIXTURES_DIR [--expect-machine aarch64] [--expect-under DIR]

Checks fixtures/vectors.json (error codes, typed fields, mismatch lists) and
fixtures/bitnob-vectors.json (verify and construct_event with the headers as
pairs and as a dict, secret_last4, secrets_ending_in), the same expectations
the pytest suite checks. Prints one line per failure and a closing
'N passed, N failed' line; exits 1 on any failure or when nothing ran.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import platform
import re
import sys
from typing import Any, Callable

MISSING = object()
TYPED_OPERATIONS = ("construct_event", "parse_visit", "construct_visit")


def snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def resolve(root: Any, path: str) -> Any:
    """`a.b[0].c` / `list.length` on the typed objects (camelCase read as
    snake_case) and, once inside a JSON value, on dicts and lists."""
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
    """JSON equality that tells booleans from numbers."""
    if isinstance(got, bool) or isinstance(want, bool):
        return type(got) is type(want) and got == want
    if isinstance(got, dict) and isinstance(want, dict):
        return set(got) == set(want) and all(same(got[k], want[k]) for k in want)
    if isinstance(got, (list, tuple)) and isinstance(want, (list, tuple)):
        return len(got) == len(want) and all(same(g, w) for g, w in zip(got, want))
    if isinstance(got, (int, float)) and isinstance(want, (int, float)):
        return got == want
    if isinstance(got, str) and isinstance(want, str):
        return got == want
    return got is None and want is None


class Runner:
    def __init__(self, fixtures: pathlib.Path) -> None:
        self.fixtures = fixtures
        self.passed = 0
        self.failures: list[str] = []

    def check(self, name: str, test: Callable[[], None]) -> None:
        try:
            test()
        except Exception as error:  # noqa: BLE001 - every failure is reported, none stops the run
            self.failures.append(f"FAIL {name}: {type(error).__name__}: {error}")
        else:
            self.passed += 1

    def body_of(self, case: dict[str, Any]) -> bytes:
        if "body" in case:
            return case["body"].encode("utf-8")
        if "body_hex" in case:
            return bytes.fromhex(case["body_hex"])
        if "body_file" in case:
            return (self.fixtures / "payloads" / case["body_file"]).read_bytes()
        repeat = case["body_repeat"]
        return (repeat["text"] * repeat["count"]).encode("utf-8")


def bullseye_case(runner: Runner, bw: Any, case: dict[str, Any]) -> None:
    body = runner.body_of(case)
    options = case.get("options", {})
    strict = {"strict": options["strict"]} if "strict" in options else {}
    operation = case["operation"]

    def run() -> Any:
        if operation == "parse_visit":
            return bw.parse_visit(body, **strict)
        secrets = (
            [bytes.fromhex(s) for s in case["secrets_hex"]] if "secrets_hex" in case else list(case["secrets"])
        )
        webhook = bw.Webhook(
            secrets,
            tolerance=options.get("tolerance_seconds"),
            max_body_bytes=options.get("max_body_bytes", bw.DEFAULT_MAX_BODY_BYTES),
            **strict,
        )
        if operation == "verify":
            return webhook.verify(body, case["signature"])
        if operation == "construct_visit":
            return webhook.construct_visit(body, case["signature"])
        assert operation == "construct_event", operation
        return webhook.construct_event(body, case["signature"], now=options.get("now_unix"))

    expect = case["expect"]
    if "error" in expect:
        try:
            run()
        except bw.WebhookError as error:
            assert error.code == expect["error"], f"code {error.code!r}, expected {expect['error']!r}"
            return
        raise AssertionError(f"no error, expected {expect['error']!r}")
    result = run()
    for path, want in expect.get("fields", {}).items():
        got = resolve(result.to_dict(), path[4:]) if path.startswith("raw.") else resolve(result, path)
        assert same(got, want), f"{path} = {got!r}, expected {want!r}"
    if operation in TYPED_OPERATIONS:
        assert "mismatches" in expect, "the case lists no mismatches"
        got = [{"path": m.path, "expected": m.expected, "found": m.found, "value": m.value} for m in result.mismatches]
        assert same(got, expect["mismatches"]), f"mismatches {got!r}, expected {expect['mismatches']!r}"


def bitnob_outcome(runner: Runner, bw: Any, case: dict[str, Any], operation: str, headers: Any) -> dict[str, Any]:
    options = case.get("options", {})
    kwargs: dict[str, Any] = {}
    for name, option in (("tolerance_seconds", "tolerance"), ("legacy_sha512", "legacy_sha512"),
                         ("max_body_bytes", "max_body_bytes")):
        if name in options:
            kwargs[option] = options[name]
    try:
        bitnob = bw.BitnobWebhook(list(case["secrets"]), **kwargs)
        if operation == "verify":
            bitnob.verify(runner.body_of(case), headers, now=case["now_unix"])
            return {"ok": True}
        event = bitnob.construct_event(runner.body_of(case), headers, now=case["now_unix"])
        return {"ok": True, "event_type": event.event_type}
    except bw.WebhookError as error:
        return {"ok": False, "code": error.code}


def bitnob_case(runner: Runner, bw: Any, case: dict[str, Any], operation: str) -> None:
    pairs = [tuple(pair) for pair in case["headers"]]
    want = case["expect"][operation]
    got = bitnob_outcome(runner, bw, case, operation, pairs)
    assert got == want, f"{got!r}, expected {want!r}"
    if len({name.lower() for name, _ in pairs}) == len(pairs):
        got = bitnob_outcome(runner, bw, case, operation, dict(pairs))
        assert got == want, f"(headers as a dict) {got!r}, expected {want!r}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("fixtures", type=pathlib.Path)
    parser.add_argument("--expect-machine", help="platform.machine() this Python must report")
    parser.add_argument("--expect-under", type=pathlib.Path, help="the native module must load from under this directory")
    args = parser.parse_args()

    import bullseye_webhooks as bw
    import bullseye_webhooks._native as native

    native_file = pathlib.Path(native.__file__).resolve()
    print(f"run_vectors: Python {platform.python_version()} on {platform.machine()}, native module {native_file.name}")
    if args.expect_machine and platform.machine() != args.expect_machine:
        print(f"run_vectors: this Python runs on {platform.machine()}, expected {args.expect_machine}", file=sys.stderr)
        return 1
    if args.expect_under and not str(native_file).startswith(str(args.expect_under.resolve()) + os.sep):
        print(f"run_vectors: the native module loaded from {native_file}, not from under {args.expect_under}",
              file=sys.stderr)
        return 1
    # abi3: `_native.abi3.so` on Linux and macOS; Windows names it `_native.pyd`.
    if not native_file.name.endswith(".pyd" if sys.platform == "win32" else ".abi3.so"):
        print(f"run_vectors: {native_file.name} is not an abi3 extension", file=sys.stderr)
        return 1

    runner = Runner(args.fixtures)
    vectors = json.loads((args.fixtures / "vectors.json").read_text(encoding="utf-8"))["cases"]
    for case in vectors:
        runner.check(case["name"], lambda case=case: bullseye_case(runner, bw, case))
    bitnob = json.loads((args.fixtures / "bitnob-vectors.json").read_text(encoding="utf-8"))
    for case in bitnob["cases"]:
        for operation in ("verify", "construct_event"):
            runner.check(f"{case['name']} [{operation}]",
                         lambda case=case, operation=operation: bitnob_case(runner, bw, case, operation))
    for item in bitnob["secret_last4"]:
        def last4(item: dict[str, Any] = item) -> None:
            assert bw.secret_last4(item["secret"]) == item["last4"]
        runner.check(f"secret_last4 {item['last4']!r}", last4)
    for item in bitnob["secrets_ending_in"]:
        def ending_in(item: dict[str, Any] = item) -> None:
            got = bw.BitnobWebhook(item["secrets"]).secrets_ending_in(item["last4"])
            assert got == item["indexes"], f"{got!r}, expected {item['indexes']!r}"
        runner.check(f"secrets_ending_in {item['last4']!r}", ending_in)

    for failure in runner.failures:
        print(failure)
    # Bounds: a fixture file that lost its cases must not pass as "0 failed".
    if len(vectors) < 1500 or len(bitnob["cases"]) < 60:
        print(f"run_vectors: only {len(vectors)} + {len(bitnob['cases'])} cases found", file=sys.stderr)
        return 1
    print(f"{runner.passed} passed, {len(runner.failures)} failed")
    return 1 if runner.failures else 0


if __name__ == "__main__":
    sys.exit(main())
