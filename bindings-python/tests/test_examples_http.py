"""examples/python-*: each receiver run as its README says (`python app.py`,
its own server on 127.0.0.1) and sent signed, tampered and unsigned
deliveries over real HTTP."""

from __future__ import annotations

import json
import os
import pathlib
import socket
import subprocess
import sys
import time

import pytest

import bullseye_webhooks as bw
from conftest import free_port
from frameworks import post

EXAMPLES = pathlib.Path(__file__).resolve().parents[2] / "examples"
NAMES = ["python-starlette", "python-litestar", "python-aiohttp", "python-drf", "python-fastapi", "python-flask", "python-django"]

SECRET = "whsec_example"
BODY = json.dumps({"event_type": "visitor.identified", "visitor": {"email": "ada@example.com"}}).encode()
SIGNED = {"X-Bullseye-Signature": bw.sign(SECRET, BODY), "Content-Type": "application/json"}


def wait_for(process: subprocess.Popen[bytes], port: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the example exited with {process.returncode}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise AssertionError(f"the example did not listen on 127.0.0.1:{port}")


@pytest.mark.parametrize("name", NAMES)
def test_the_example_answers_each_delivery(name: str) -> None:
    port = free_port()
    env = {**os.environ, "BULLSEYE_WEBHOOK_SECRET": SECRET, "PORT": str(port)}
    process = subprocess.Popen(
        [sys.executable, "app.py"], cwd=EXAMPLES / name, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        wait_for(process, port)
        assert post(port, "/webhooks/bullseye", BODY, SIGNED) == (
            200,
            {"received": "visitor.identified", "email": "ada@example.com"},
        )
        tampered = BODY.replace(b"ada", b"eve")
        assert post(port, "/webhooks/bullseye", tampered, SIGNED) == (401, {"error": "signature_mismatch"})
        assert post(port, "/webhooks/bullseye", BODY, {"Content-Type": "application/json"}) == (
            400,
            {"error": "missing_signature"},
        )
    finally:
        process.terminate()
        try:
            _, stderr = process.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            _, stderr = process.communicate()
    assert b"Traceback" not in stderr, stderr.decode(errors="replace")
