"""The verbatim fixtures are still exactly what the senders' documents print.

Each block is taken again from ../shared/reference at test time, the same way
fixtures/sources/SOURCES.md says it was taken, and compared byte for byte with
the committed file. The documents are not part of the repository: a clone with
nothing beside it skips these checks, saying why; under CI=true a missing
document fails, since there these fixtures have no other authority.
"""

from __future__ import annotations

import json
import os
import pathlib

import pytest
from conftest import IDENTIFICATION, NODE_SNIPPET, PYTHON_SNIPPET, REFERENCE, ROOT, VISIT

PARTNER_API = REFERENCE / "bullseye-partner-api-webhooks.md"
FINGERPRINTING_API = REFERENCE / "fingerprinting-api-webhooks-guide.txt"


def reference_lines(path: pathlib.Path) -> list[str]:
    if not path.is_file():
        reason = (
            f"the reference document {path.name} is not in shared/reference beside the clone "
            "(the senders' documents, which a plain clone does not have)"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; under CI=true this check must run")
        pytest.skip(f"skipped: {reason}")
    text = path.read_bytes().decode("utf-8")
    assert "\r" not in text, f"{path.name}: the extraction assumes LF line ends"
    return text.split("\n")


def fenced_block(lines: list[str], after: str, fence: str) -> str:
    """The lines between the first `fence` line after the line `after` and the
    next closing ``` line, each with its newline."""
    assert after in lines, f"no line {after!r} in the document"
    start = lines.index(after)
    opening = next((i for i in range(start + 1, len(lines)) if lines[i] == fence), None)
    assert opening is not None, f"no {fence!r} fence after {after!r}"
    # Nothing but blank or prose lines between the heading and the fence:
    # no other code block may come first.
    assert not any(line.startswith("```") for line in lines[start + 1 : opening])
    closing = next((i for i in range(opening + 1, len(lines)) if lines[i] == "```"), None)
    assert closing is not None, f"the {fence!r} block after {after!r} is not closed"
    return "".join(line + "\n" for line in lines[opening + 1 : closing])


def partner_api_identification() -> bytes:
    lines = reference_lines(PARTNER_API)
    return fenced_block(lines, "## Identification Webhook Payload", "```json").encode("utf-8")


def partner_api_node_snippet() -> bytes:
    lines = reference_lines(PARTNER_API)
    return fenced_block(lines, "**Example (Node.js):**", "```javascript").encode("utf-8")


def partner_api_python_snippet() -> bytes:
    lines = reference_lines(PARTNER_API)
    return fenced_block(lines, "**Example (Python):**", "```python").encode("utf-8")


def fingerprinting_api_visit() -> bytes:
    """From the first line `{` after "Expected Payload" to the final `}` (the
    document's last line, which has no newline), plus one newline."""
    lines = reference_lines(FINGERPRINTING_API)
    assert "Expected Payload" in lines
    start = lines.index("{", lines.index("Expected Payload"))
    end = max(i for i, line in enumerate(lines) if line == "}")
    assert all(line.strip() == "" for line in lines[end + 1 :]), "text after the payload's final }"
    return "".join(line + "\n" for line in lines[start : end + 1]).encode("utf-8")


CASES = [
    pytest.param(IDENTIFICATION, partner_api_identification, id="partner-api-identification.json"),
    pytest.param(VISIT, fingerprinting_api_visit, id="fingerprinting-api-visit.json"),
    pytest.param(NODE_SNIPPET, partner_api_node_snippet, id="partner-api-verify.js"),
    pytest.param(PYTHON_SNIPPET, partner_api_python_snippet, id="partner-api-verify.py"),
]


@pytest.mark.parametrize(("fixture", "extract"), CASES)
def test_fixture_is_the_document_block_byte_for_byte(fixture: pathlib.Path, extract) -> None:
    expected = extract()
    assert fixture.is_file(), f"{fixture.relative_to(ROOT)} is missing"
    actual = fixture.read_bytes()
    assert actual == expected, f"{fixture.relative_to(ROOT)} differs from the block in the reference document"
    assert actual.endswith(b"\n") and not actual.endswith(b"\n\n")


@pytest.mark.parametrize("fixture", [IDENTIFICATION, VISIT], ids=lambda p: p.name)
def test_payload_fixture_is_one_json_object(fixture: pathlib.Path) -> None:
    value = json.loads(fixture.read_bytes())
    assert isinstance(value, dict)


def test_the_documented_payloads_have_their_documented_keys() -> None:
    identification = json.loads(IDENTIFICATION.read_bytes())
    assert identification["event_type"] == "visitor.identified"
    assert identification["company"]["size"] == 150  # an integer in the document
    assert [view["url"] for view in identification["page_views"]] == [
        "https://acme.com/pricing",
        "https://acme.com/features",
    ]
    visit = json.loads(VISIT.read_bytes())
    # The documented visit has no type key, and sends numbers and booleans as strings.
    assert not {"event_type", "event", "type"} & visit.keys()
    assert visit["device"]["hardwareConcurrency"] == "6"
    assert visit["screen"]["touch"] == "true"
