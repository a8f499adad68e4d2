"""fleet_app.py as the fleet test runs it: uvicorn with 2 worker processes
on one real Redis; unique deliveries, each sent 3 times concurrently in
shuffled order; the side-effects table shows each processed exactly once."""

from __future__ import annotations

import http.client
import json
import os
import pathlib
import random
import sqlite3
import subprocess
import sys
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import bullseye_webhooks as bw
from conftest import free_port

HERE = pathlib.Path(__file__).resolve().parent
SECRET = "whsec_fleet_app"


def request(port: int, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None) -> tuple[int, Any]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


def test_two_workers_on_one_redis_process_each_delivery_once(redis_server: Any, tmp_path: pathlib.Path) -> None:
    port = free_port()
    side_effects = tmp_path / "side-effects.db"
    env = dict(os.environ, REDIS_URL=redis_server.url, BULLSEYE_SECRET=SECRET, SIDE_EFFECTS_DB=str(side_effects))
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "fleet_app:app", "--app-dir", str(HERE), "--host", "127.0.0.1",
         "--port", str(port), "--workers", "2", "--log-level", "warning"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        pids = set()
        while len(pids) < 2:
            assert server.poll() is None, server.stderr.read().decode() if server.stderr else ""
            assert time.monotonic() < deadline, "fleet_app did not answer with 2 workers"
            try:
                pids.add(request(port, "GET", "/health")[1]["pid"])
            except OSError:
                time.sleep(0.1)

        run = uuid.uuid4().hex
        bodies = [
            json.dumps({"event": "visitor.identified", "organization_id": "org_f", "session_id": f"{run}-{i}"}).encode()
            for i in range(150)
        ]
        sends = [body for body in bodies for _ in range(3)]
        random.shuffle(sends)

        def send(body: bytes) -> int:
            status, _ = request(port, "POST", "/webhooks/bullseye", body, {"X-Bullseye-Signature": bw.sign(SECRET, body)})
            return status

        with ThreadPoolExecutor(max_workers=16) as pool:
            statuses = Counter(pool.map(send, sends))
        # 200 for the first and for duplicates; 409 for a copy that met the first in flight.
        assert set(statuses) <= {200, 409}, statuses
    finally:
        server.terminate()
        server.wait(timeout=30)

    rows = sqlite3.connect(side_effects).execute("SELECT key, pid FROM processed").fetchall()
    per_key = Counter(key for key, _ in rows)
    expected = {f"bullseye:org_f:visitor.identified:{run}-{i}" for i in range(150)}
    # A 409'd copy is not retried here: each key is processed at most once,
    # and at least once (its first arrival is never refused).
    assert set(per_key) == expected
    assert max(per_key.values()) == 1
    assert {pid for _, pid in rows} <= pids  # (which worker took each is up to the kernel)
