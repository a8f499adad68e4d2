"""Cross-language conformance: every vector through Rust, Python, Node and
WASM; fails on any difference in outcome, error code, typed field, object or
mismatch list.

Each language's dumper prints
{case: {"error": code} | {"typed": .., "object": .., "mismatches": [..]}}.
Rust is the reference for the typed view's shape: each language's typed view
is read at Rust's key paths (camelCase and snake_case are the same key; an
absent documented field reads as null, as the contract says). Objects (the
whole payload as sent) and mismatch lists ({path, expected, found, value}, in
document order) must be equal exactly.

Bitnob: every case of fixtures/bitnob-vectors.json is dumped as two outcomes,
`NAME [verify]` and `NAME [construct_event]`, in the same form (verify's
success: {"typed": {}, "object": {}, "mismatches": []}; construct_event's:
typed = {event_type, delivery_key}, object = the payload plus event_type). They
are compared with Rust's like every other outcome, and each language's answer
is also held to the vector's stored expectation ({ok, event_type} or
{ok: false, code}), so no column can agree with a wrong reference.

"Exactly" means as JSON values, with two rules: a boolean never equals a
number (Python's True == 1 is not allowed to hide a difference), and numbers
are compared as JavaScript holds them: an integer beyond 2**53 is compared as
the double nearest to it, since a JS number cannot carry more.
"""

from __future__ import annotations

import json
import os
import pathlib
import re
import subprocess
import sys
from typing import Any

ROOT = pathlib.Path(__file__).resolve().parents[2]
VENV_PYTHON = ROOT / ".venv" / "bin" / "python"
TARGET = pathlib.Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))


def dumpers() -> dict[str, list[str]]:
    return {
        "rust": ["cargo", "run", "--quiet", "-p", "bullseye-webhooks-conformance", "--bin", "conformance-dump-rust"],
        "python": [str(VENV_PYTHON), str(ROOT / "tests/conformance/dump_python.py")],
        "node": ["node", str(ROOT / "tests/conformance/dump_js.js")],
        "wasm": ["node", str(ROOT / "tests/conformance/dump_js.js")],
    }


def dump(language: str, command: list[str]) -> dict[str, Any]:
    env = dict(os.environ, BULLSEYE_IMPL=language)
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    if result.returncode != 0:
        raise SystemExit(f"conformance: the {language} dumper failed:\n{result.stderr[-4000:]}")
    return json.loads(result.stdout)


JS_SAFE = 2 ** 53


BITNOB_OPERATIONS = ("verify", "construct_event")


def bitnob_expectations() -> dict[str, dict[str, Any]]:
    """Each Bitnob outcome's dump key and the answer its vector stores."""
    path = ROOT / "fixtures" / "bitnob-vectors.json"
    cases = json.loads(path.read_text(encoding="utf-8"))["cases"]
    return {f"{c['name']} [{op}]": c["expect"][op] for c in cases for op in BITNOB_OPERATIONS}


def bitnob_answer(outcome: dict[str, Any]) -> dict[str, Any]:
    """A dumped outcome in the vectors' form: {ok, event_type} or {ok: false, code}."""
    if "error" in outcome:
        return {"ok": False, "code": outcome["error"]}
    typed = outcome.get("typed") or {}
    return {"ok": True, "event_type": typed["event_type"]} if "event_type" in typed else {"ok": True}


def normalized(value: Any) -> Any:
    """A dumped value with booleans told apart from numbers, and integers
    beyond JavaScript's exact range as the double a JS number holds."""
    if isinstance(value, bool):
        return ("boolean", value)
    if isinstance(value, int) and abs(value) > JS_SAFE:
        return float(value)
    if isinstance(value, dict):
        return {k: normalized(v) for k, v in value.items()}
    if isinstance(value, list):
        return [normalized(v) for v in value]
    return value


def key(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def project(reference: Any, other: Any) -> Any:
    """`other` read at `reference`'s key paths."""
    if isinstance(reference, dict):
        if not isinstance(other, dict):
            return other
        by_key = {key(k): v for k, v in other.items()}
        return {k: project(v, by_key.get(key(k))) for k, v in reference.items()}
    if isinstance(reference, list) and isinstance(other, list) and len(reference) == len(other):
        return [project(r, o) for r, o in zip(reference, other)]
    return other


def main(languages: list[str]) -> int:
    commands = dumpers()
    dumped = {language: dump(language, commands[language]) for language in languages}
    outcomes = {language: normalized(dumped[language]) for language in languages}
    reference = outcomes[languages[0]]
    failures = []
    failed_pairs = 0
    bitnob = bitnob_expectations()
    bitnob_wrong = 0
    for language in languages:
        for case, expected in bitnob.items():
            got = dumped[language].get(case)
            if got is None or bitnob_answer(got) != expected:
                bitnob_wrong += 1
                answer = "no outcome" if got is None else f"answered {bitnob_answer(got)}"
                failures.append(f"{case}: {language} {answer}, the vector expects {expected}")
    for case, expected in reference.items():
        for language in languages[1:]:
            before = len(failures)
            got = outcomes[language].get(case)
            if got is None:
                failures.append(f"{case}: {language} has no outcome")
            elif "error" in expected or "error" in got:
                if expected.get("error") != got.get("error"):
                    failures.append(f"{case}: {languages[0]} {expected} but {language} {got}")
            else:
                if project(expected["typed"], got["typed"]) != expected["typed"]:
                    failures.append(f"{case}: typed view differs in {language}:\n  {expected['typed']}\n  {project(expected['typed'], got['typed'])}")
                if got["object"] != expected["object"]:
                    failures.append(f"{case}: object differs in {language}")
                if got.get("mismatches") != expected.get("mismatches"):
                    failures.append(f"{case}: mismatches differ in {language}:\n  {expected.get('mismatches')}\n  {got.get('mismatches')}")
            failed_pairs += len(failures) > before
    for failure in failures:
        print(failure, file=sys.stderr)
    compared = len(reference) * (len(languages) - 1)
    print(f"conformance: {len(reference)} outcomes ({len(reference) - len(bitnob)} Bullseye vectors, "
          f"{len(bitnob)} Bitnob: {len(bitnob) // 2} vectors x verify, construct_event) "
          f"x {len(languages)} languages ({', '.join(languages)})")
    print(f"conformance: {compared - failed_pairs} passed, {failed_pairs} failed")
    checked = len(bitnob) * len(languages)
    print(f"conformance: Bitnob answers as the vectors store them: {checked - bitnob_wrong} of {checked}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or ["rust", "python", "node", "wasm"]))
