"""What "once" covers, shown with a receiver process killed inside the
window between its handler's side effect and its done mark: the claim stays
until its lease ends, the sender's retry then runs the handler again, and
only an idempotent handler (keyed by the delivery key) writes its effect
once. Real uvicorn processes on 127.0.0.1, sharing one SQLiteStore."""

from __future__ import annotations

import http.client
import json
import os
import pathlib
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import bullseye_webhooks as bw
from conftest import free_port

HERE = pathlib.Path(__file__).parent
SECRET = "whsec_once_window"


def post(port: int, body: bytes) -> tuple[int, Any]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("POST", "/webhooks/bullseye", body=body, headers={"X-Bullseye-Signature": bw.sign(SECRET, body)})
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


@contextmanager
def receiver(env: dict[str, str]) -> Iterator[tuple[int, subprocess.Popen[bytes]]]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "once_window_app:app", "--app-dir", str(HERE), "--host", "127.0.0.1",
         "--port", str(port), "--log-level", "warning"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None and time.monotonic() < deadline, "the receiver did not start"
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                connection.request("GET", "/health")
                if connection.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.1)
        yield port, process
    finally:
        if process.poll() is None:
            process.terminate()
        process.wait(timeout=30)


def test_a_receiver_killed_between_side_effect_and_done_mark(tmp_path: pathlib.Path) -> None:
    env = dict(os.environ, STORE_DB=str(tmp_path / "store.db"), SIDE_EFFECTS_DB=str(tmp_path / "effects.db"), LEASE="2")
    body = json.dumps({"event": "visitor.identified", "organization_id": "org_w", "session_id": "s-window"}).encode()
    key = "bullseye:org_w:visitor.identified:s-window"

    with receiver(env) as (port, process):
        try:
            post(port, body)
            raise AssertionError("the receiver answered; it should have died in its handler")
        except (OSError, http.client.HTTPException):
            pass  # killed: no answer, no done mark
        assert process.wait(timeout=30) < 0  # by a signal

    with receiver(env) as (port, _):
        # The dead worker's claim holds until its lease ends: the retry is 409.
        status, answer = post(port, body)
        assert (status, answer) == (409, {"error": "delivery_in_flight"})
        # After the lease (as Bullseye retries, minutes later), it is handled again.
        deadline = time.monotonic() + 30
        while status == 409 and time.monotonic() < deadline:
            time.sleep(0.25)
            status, answer = post(port, body)
        assert (status, answer) == (200, {"processed": key})
        assert post(port, body) == (200, {"duplicate": True})

    effects = sqlite3.connect(tmp_path / "effects.db")
    # The handler ran twice: a handler that is not idempotent wrote twice,
    # an idempotent one (keyed by the delivery key) once.
    assert effects.execute("SELECT COUNT(*) FROM plain").fetchone()[0] == 2
    assert effects.execute("SELECT COUNT(*) FROM keyed").fetchone()[0] == 1
