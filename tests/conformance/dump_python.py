"""Prints {case name: outcome} for every vector through the Python package
(the Python column of compare.py): {"error": code}, or {"typed": ..,
"object": .., "mismatches": [..]}; then every Bitnob vector, as
`NAME [verify]` and `NAME [construct_event]`. Run with the project's venv."""

from __future__ import annotations

import json
import pathlib
import sys
from typing import Any

import bullseye_webhooks as bw

ROOT = pathlib.Path(__file__).resolve().parents[2]
# How a case becomes arguments: the Python suite's own helpers.
sys.path.insert(0, str(ROOT / "bindings-python" / "tests"))
from conftest import FIXTURES, body_of, secrets_of  # noqa: E402
OURS = (
    bw.VisitorIdentifiedEvent, bw.GenericEvent, bw.Visitor, bw.Company, bw.Session,
    bw.PageView, bw.Visit, bw.VisitVisitor, bw.VisitCompany,
)
# Not part of the typed view: the original object, and the mismatch list
# (reported on its own, as every language reports it).
NOT_TYPED = ("to_dict", "mismatches")


def typed(value: Any) -> Any:
    """Our objects as plain data: every public attribute, recursively."""
    if isinstance(value, OURS):
        names = [n for n in dir(type(value)) if not n.startswith("_") and n not in NOT_TYPED]
        return {n: typed(getattr(value, n)) for n in names}
    if isinstance(value, (list, tuple)):
        return [typed(v) for v in value]
    return value


def mismatches(result: Any) -> list[dict[str, Any]]:
    return [
        {"path": m.path, "expected": str(m.expected), "found": str(m.found), "value": m.value}
        for m in result.mismatches
    ]


def strict_options(case: dict[str, Any]) -> dict[str, Any]:
    options = case.get("options", {})
    return {"strict": options["strict"]} if "strict" in options else {}


def run(case: dict[str, Any]) -> dict[str, Any]:
    body = body_of(case)
    operation = case["operation"]
    try:
        if operation == "parse_visit":
            visit = bw.parse_visit(body, **strict_options(case))
            return {"typed": typed(visit), "object": visit.to_dict(), "mismatches": mismatches(visit)}
        options = case.get("options", {})
        webhook = bw.Webhook(
            secrets_of(case),
            tolerance=options.get("tolerance_seconds"),
            max_body_bytes=options.get("max_body_bytes", bw.DEFAULT_MAX_BODY_BYTES),
            **strict_options(case),
        )
        if operation == "verify":
            webhook.verify(body, case["signature"])
            return {"typed": {}, "object": {}, "mismatches": []}
        if operation == "construct_visit":
            visit = webhook.construct_visit(body, case["signature"])
            return {"typed": typed(visit), "object": visit.to_dict(), "mismatches": mismatches(visit)}
        event = webhook.construct_event(body, case["signature"], now=options.get("now_unix"))
        obj = event.to_dict()
        obj["event_type"] = event.event_type  # as JS events and Rust's Serialize show it
        return {"typed": typed(event), "object": obj, "mismatches": mismatches(event)}
    except bw.WebhookError as error:
        return {"error": error.code}


def bitnob_outcomes(out: dict[str, Any]) -> None:
    """The Bitnob columns: every case of bitnob-vectors.json as two outcomes,
    `NAME [verify]` and `NAME [construct_event]`, each {"error": code} or
    {typed, object, mismatches}: for construct_event, typed holds event_type
    and the delivery key, object the event (the payload plus event_type)."""
    cases = json.loads((FIXTURES / "bitnob-vectors.json").read_text(encoding="utf-8"))["cases"]
    for case in cases:
        body = body_of(case)
        options = case.get("options", {})
        kwargs: dict[str, Any] = {}
        if "tolerance_seconds" in options:
            kwargs["tolerance"] = options["tolerance_seconds"]
        if "legacy_sha512" in options:
            kwargs["legacy_sha512"] = options["legacy_sha512"]
        if "max_body_bytes" in options:
            kwargs["max_body_bytes"] = options["max_body_bytes"]
        headers = case["headers"]
        now = case["now_unix"]

        def verify(bitnob: bw.BitnobWebhook) -> dict[str, Any]:
            bitnob.verify(body, headers, now=now)
            return {"typed": {}, "object": {}, "mismatches": []}

        def construct(bitnob: bw.BitnobWebhook) -> dict[str, Any]:
            event = bitnob.construct_event(body, headers, now=now)
            obj = event.to_dict()
            obj["event_type"] = event.event_type
            return {
                "typed": {"event_type": event.event_type, "delivery_key": event.delivery_key},
                "object": obj,
                "mismatches": mismatches(event),
            }

        for operation, work in (("verify", verify), ("construct_event", construct)):
            try:
                out[f"{case['name']} [{operation}]"] = work(bw.BitnobWebhook(list(case["secrets"]), **kwargs))
            except bw.WebhookError as error:
                out[f"{case['name']} [{operation}]"] = {"error": error.code}


def main() -> None:
    cases = json.loads((FIXTURES / "vectors.json").read_text())["cases"]
    out = {case["name"]: run(case) for case in cases}
    bitnob_outcomes(out)
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
