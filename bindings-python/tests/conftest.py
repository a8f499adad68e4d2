"""Shared helpers: where the fixtures are, and how a vector becomes arguments."""

from __future__ import annotations

import json
import pathlib
from typing import Any

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures"


def load_vectors() -> list[dict[str, Any]]:
    with open(FIXTURES / "vectors.json", encoding="utf-8") as f:
        return json.load(f)["cases"]


def body_of(case: dict[str, Any]) -> bytes:
    if "body" in case:
        return case["body"].encode("utf-8")
    if "body_hex" in case:
        return bytes.fromhex(case["body_hex"])
    if "body_file" in case:
        return (FIXTURES / "payloads" / case["body_file"]).read_bytes()
    repeat = case["body_repeat"]
    return (repeat["text"] * repeat["count"]).encode("utf-8")


def secrets_of(case: dict[str, Any]) -> list[Any]:
    if "secrets_hex" in case:
        return [bytes.fromhex(s) for s in case["secrets_hex"]]
    return list(case["secrets"])


@pytest.fixture(scope="session")
def payloads() -> pathlib.Path:
    return FIXTURES / "payloads"


# ---- a real redis-server on a free loopback port ----------------------------------------

REDIS_SERVER = "/usr/bin/redis-server"


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class RedisServer:
    """redis-server (the Debian package, installed by the project's set-up)
    on 127.0.0.1, no persistence, in a temporary directory. `stop()` kills
    it (a store outage); `start()` brings it back on the same port, empty."""

    def __init__(self, directory: pathlib.Path) -> None:
        import shutil

        if not (pathlib.Path(REDIS_SERVER).is_file() or shutil.which("redis-server")):
            pytest.fail(f"{REDIS_SERVER} is missing: run scripts/setup.sh (it installs the redis-server package)")
        self.executable = REDIS_SERVER if pathlib.Path(REDIS_SERVER).is_file() else str(shutil.which("redis-server"))
        self.directory = directory
        self.port = free_port()
        self.process: Any = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        import subprocess
        import time

        import redis

        self.process = subprocess.Popen(
            [self.executable, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.directory), "--loglevel", "warning"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=1, socket_connect_timeout=1)
        deadline = time.monotonic() + 15
        while True:
            try:
                if client.ping():
                    break
            except redis.RedisError:
                pass
            if time.monotonic() > deadline or self.process.poll() is not None:
                self.stop()
                pytest.fail(f"redis-server did not start on 127.0.0.1:{self.port}")
            time.sleep(0.05)
        client.close()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """One redis-server for the session's tests (keys are unique per test)."""
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def own_redis_server(tmp_path: pathlib.Path) -> Any:
    """A redis-server of this test's own, which it may kill and restart."""
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


def side_effect_lines(path: pathlib.Path) -> list[list[str]]:
    """The lines a queue test's handlers wrote ("start|done|failed <key> <pid>"), split."""
    return [line.split() for line in path.read_text().splitlines()] if path.exists() else []
