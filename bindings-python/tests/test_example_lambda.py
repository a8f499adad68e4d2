"""examples/python-lambda: its script invokes the handler with AWS's event
shapes, each signed, tampered and unsigned."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys

EXAMPLE = pathlib.Path(__file__).resolve().parents[2] / "examples" / "python-lambda"


def test_the_lambda_example_answers_each_delivery() -> None:
    env = {**os.environ, "BULLSEYE_WEBHOOK_SECRET": "whsec_example"}
    result = subprocess.run(
        [sys.executable, "invoke.py"], cwd=EXAMPLE, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    expected = []
    for shape in ("rest_v1", "http_v2", "function_url"):
        expected += [
            f'{shape} signed 200 {{"received":"visitor.identified","email":"ada@example.com"}}',
            f'{shape} tampered 401 {{"error":"signature_mismatch"}}',
            f'{shape} unsigned 400 {{"error":"missing_signature"}}',
        ]
    assert result.stdout.splitlines() == expected
