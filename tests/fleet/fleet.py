#!/usr/bin/env python3
"""The fleet test: several receiver processes share one de-duplication store,
and a sender that behaves like Bullseye delivers every event several times.

- DELIVERIES unique signed identification events (the documented example,
  each with its own session_id), each sent COPIES times, concurrently and in
  shuffled order, each copy to a receiver picked at random (no proxy);
- the sender retries every copy like a webhook sender does: on any answer
  other than 2xx (409 in flight, 503 store down) or a refused connection, it
  waits for Retry-After (scaled down by --retry-scale, so the run is short)
  and sends the same bytes again, until a 2xx;
- each receiver's handler appends "delivery key<TAB>pid" to one file outside
  the receivers (O_APPEND, one write per line);
- at the end, every delivery must be in that file exactly once.

With --kill-redis-at F, redis-server is killed (SIGKILL) once a fraction F of
the copies has been answered, and restarted on the same port and data
directory (append-only file, fsync always) --redis-down seconds later.

With --pause-redis-at F, redis-server is paused instead (SIGSTOP) for
--redis-pause seconds while claims are in flight, then resumed (SIGCONT).
Claims that time out in a receiver (after --store-timeout seconds, the
receivers' call timeout) still land when Redis resumes; the stores release
them by token in the background. The run checks that no delivery with a copy
in flight during the pause answers 409 later than the pause plus the store
timeout after the resume (a claim nobody releases answers 409 for its whole
lease: give a --lease well above that bound).

Signatures are computed here with the standard library's hmac: nothing of
the code under test decides what is sent or what is expected.

Prints one JSON line of figures; exits 1 if any delivery was processed other
than exactly once.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import http.client
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "fixtures/payloads/bullseye-partner-api-identification.json"
SECRET = "whsec_fleet_test_only_5c1e"
ORGANIZATION = "0b6f1c2e-7d1a-4c53-9a53-0c8f2f6b1d11"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, what: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"fleet: {what} exited with {process.returncode} before listening")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"fleet: {what} did not listen on 127.0.0.1:{port} within {seconds} s")


class Redis:
    """The Debian package's redis-server on a loopback port, append-only with
    fsync always, so a restart keeps every acknowledged write."""

    def __init__(self, workdir: Path) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise SystemExit("fleet: redis-server is not installed (scripts/setup.sh installs Debian's redis-server)")
        self.binary: str = binary
        self.port = free_port()
        self.dir = workdir / "redis"
        self.dir.mkdir()
        self.process: subprocess.Popen | None = None
        self.kills = 0
        self.pauses = 0
        self.appendfsync = "always"  # queue_fleet.py's --appendfsync (a diagnosis) may change it

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                self.binary, "--bind", "127.0.0.1", "--port", str(self.port), "--dir", str(self.dir),
                "--save", "", "--appendonly", "yes", "--appendfsync", self.appendfsync, "--protected-mode", "yes",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port, self.process, "redis-server")

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()
        self.kills += 1

    def pause(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)
        self.pauses += 1

    def resume(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)  # a stopped process does not act on SIGTERM
            self.process.terminate()
            self.process.wait(timeout=10)


class Receivers:
    def __init__(self) -> None:
        self.processes: list[subprocess.Popen] = []
        self.urls: list[tuple[str, int]] = []
        self.logs: list[Path] = []

    def start(self, name: str, command: list[str], env: dict[str, str], log: Path) -> None:
        port = free_port()
        handle = log.open("wb")
        process = subprocess.Popen(
            command, env={**os.environ, **env, "PORT": str(port)}, stdout=handle, stderr=subprocess.STDOUT, cwd=ROOT
        )
        self.processes.append(process)
        self.logs.append(log)
        wait_for_port(port, process, name)
        self.urls.append(("127.0.0.1", port))

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


def deliveries(count: int) -> list[tuple[str, bytes, str]]:
    """(session_id, body, signature) for `count` unique identifications."""
    template = EXAMPLE.read_text(encoding="utf-8")
    assert template.count('"session_id": "uuid"') == 1 and template.count('"organization_id": "uuid"') == 1
    template = template.replace('"organization_id": "uuid"', f'"organization_id": "{ORGANIZATION}"')
    out = []
    for _ in range(count):
        session = str(uuid.uuid4())
        body = template.replace('"session_id": "uuid"', f'"session_id": "{session}"').encode()
        signature = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        out.append((session, body, signature))
    return out


class Sender:
    """Delivers one copy until a 2xx, like a webhook sender retrying."""

    def __init__(self, receivers: list[tuple[str, int]], retry_scale: float, max_attempts: int) -> None:
        self.receivers = receivers
        self.retry_scale = retry_scale
        self.max_attempts = max_attempts
        self.lock = threading.Lock()
        self.statuses: Counter[str] = Counter()
        self.answered = 0
        self.local = threading.local()
        # (signature, started, ended, label) of every attempt, monotonic
        # seconds: the signature names the delivery (one per body).
        self.attempts: list[tuple[str, float, float, str]] = []

    def _post(self, host: str, port: int, body: bytes, signature: str) -> tuple[int, dict[str, str], bytes]:
        connection = http.client.HTTPConnection(host, port, timeout=30)
        try:
            connection.request(
                "POST",
                "/webhooks/bullseye",
                body=body,
                headers={"Content-Type": "application/json", "X-Bullseye-Signature": signature},
            )
            response = connection.getresponse()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
        finally:
            connection.close()

    def deliver(self, body: bytes, signature: str) -> None:
        rng = random.Random()
        for _ in range(self.max_attempts):
            host, port = rng.choice(self.receivers)
            started = time.monotonic()
            try:
                status, headers, answer = self._post(host, port, body, signature)
            except OSError:
                with self.lock:
                    self.statuses["connection_error"] += 1
                    self.attempts.append((signature, started, time.monotonic(), "connection_error"))
                time.sleep(0.2)
                continue
            label = str(status)
            if status == 200 and answer.startswith(b"{") and json.loads(answer).get("duplicate") is True:
                label = "200 duplicate"
            with self.lock:
                self.statuses[label] += 1
                self.attempts.append((signature, started, time.monotonic(), label))
            if 200 <= status < 300:
                with self.lock:
                    self.answered += 1
                return
            if status not in (409, 503):
                raise SystemExit(f"fleet: unexpected answer {status}: {answer[:200]!r}")
            retry_after = headers.get("retry-after")
            if retry_after is None or not retry_after.isdigit() or int(retry_after) < 1:
                raise SystemExit(f"fleet: a {status} without a valid Retry-After ({retry_after!r})")
            time.sleep(int(retry_after) * self.retry_scale)
        raise SystemExit(f"fleet: a copy got no 2xx in {self.max_attempts} attempts")


def after_pause(attempts: list[tuple[str, float, float, str]], stopped: float, resumed: float) -> dict:
    """Of the deliveries with a copy in flight while Redis was paused (the
    only ones a claim landing late can hold): how many, their 409s answered
    after the resume, and the latest such 409, in seconds after the resume."""
    in_flight = {signature for signature, started, ended, _ in attempts if started < resumed and ended > stopped}
    last: dict[str, float] = {}
    answers = 0
    for signature, _, ended, label in attempts:
        if label == "409" and signature in in_flight and ended > resumed:
            answers += 1
            last[signature] = max(last.get(signature, ended), ended)
    worst = max(last, key=lambda signature: last[signature], default=None)
    return {
        "deliveries": len(in_flight),
        "answers": answers,
        "max": round(last[worst] - resumed, 3) if worst else 0.0,
        "worst": worst,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", choices=["redis", "sqlite", "memory", "none"], required=True)
    parser.add_argument(
        "--control", action="store_true",
        help="the negative control: with --store none, expect some delivery processed more than once",
    )
    parser.add_argument("--python-receivers", type=int, default=3)
    parser.add_argument("--node-receivers", type=int, default=1)
    parser.add_argument("--deliveries", type=int, default=2000)
    parser.add_argument("--copies", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--kill-redis-at", type=float, default=None, help="fraction of answered copies")
    parser.add_argument("--redis-down", type=float, default=1.0, help="seconds redis stays down")
    parser.add_argument("--pause-redis-at", type=float, default=None, help="fraction of answered copies")
    parser.add_argument("--redis-pause", type=float, default=2.0, help="seconds redis stays paused (SIGSTOP)")
    parser.add_argument("--store-timeout", type=float, default=2.0, help="the receivers' store call timeout, seconds")
    parser.add_argument("--lease", type=float, default=5.0, help="the receivers' claim lease, seconds")
    parser.add_argument("--retry-scale", type=float, default=0.05, help="seconds slept per Retry-After second")
    parser.add_argument("--max-attempts", type=int, default=400)
    parser.add_argument("--python", default=str(ROOT / ".venv/bin/python"))
    args = parser.parse_args()
    if args.control != (args.store == "none"):
        parser.error("--store none is the negative control: give it with --control, and only then")
    if args.store != "redis" and (
        args.node_receivers or args.kill_redis_at is not None or args.pause_redis_at is not None
    ):
        parser.error("the Node receiver, --kill-redis-at and --pause-redis-at need --store redis")
    if args.kill_redis_at is not None and args.pause_redis_at is not None:
        parser.error("give --kill-redis-at or --pause-redis-at, not both")

    ok = False
    workdir = Path(tempfile.mkdtemp(prefix="bullseye-fleet-"))
    side_effects = workdir / "side-effects.tsv"
    side_effects.touch()
    redis = Redis(workdir) if args.store == "redis" else None
    receivers = Receivers()
    env = {
        "BULLSEYE_SECRET": SECRET,
        "DEDUPE_STORE": args.store,
        "SIDE_EFFECTS_FILE": str(side_effects),
        "LEASE_SECONDS": str(args.lease),
        "STORE_TIMEOUT": str(args.store_timeout),
        "SQLITE_PATH": str(workdir / "dedupe.sqlite3"),
    }
    try:
        if redis is not None:
            redis.start()
            env["REDIS_URL"] = redis.url
        for i in range(args.python_receivers):
            receivers.start(
                f"python receiver {i}", [args.python, str(ROOT / "tests/fleet/app.py")], env, workdir / f"python-{i}.log"
            )
        for i in range(args.node_receivers):
            receivers.start(
                f"node receiver {i}", ["node", str(ROOT / "bindings-node/demo/fleet-receiver.js")], env,
                workdir / f"node-{i}.log",
            )

        events = deliveries(args.deliveries)
        copies = [(session, body, signature) for session, body, signature in events for _ in range(args.copies)]
        random.shuffle(copies)
        sender = Sender(receivers.urls, args.retry_scale, args.max_attempts)

        restarted = threading.Event()

        def chaos() -> None:
            assert redis is not None and args.kill_redis_at is not None
            threshold = int(len(copies) * args.kill_redis_at)
            while sender.answered < threshold:
                time.sleep(0.01)
            redis.kill()
            time.sleep(args.redis_down)
            redis.start()
            restarted.set()

        paused_at: list[float] = []  # monotonic times of SIGSTOP and SIGCONT

        def pause() -> None:
            assert redis is not None and args.pause_redis_at is not None
            threshold = int(len(copies) * args.pause_redis_at)
            while sender.answered < threshold:
                time.sleep(0.01)
            redis.pause()
            paused_at.append(time.monotonic())
            time.sleep(args.redis_pause)
            redis.resume()
            paused_at.append(time.monotonic())
            restarted.set()

        chaos_thread = None
        if args.kill_redis_at is not None or args.pause_redis_at is not None:
            chaos_thread = threading.Thread(target=chaos if args.pause_redis_at is None else pause, daemon=True)
            chaos_thread.start()

        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=args.concurrency) as pool:
            for future in [pool.submit(sender.deliver, body, signature) for _, body, signature in copies]:
                future.result()
        elapsed = time.monotonic() - started
        if chaos_thread is not None:
            chaos_thread.join(timeout=30)
            if not restarted.is_set():
                raise SystemExit("fleet: redis was never killed and restarted (or paused and resumed)")

        lines = side_effects.read_text(encoding="utf-8").splitlines()
        keys = Counter(line.split("\t")[0] for line in lines)
        pids = Counter(line.split("\t")[1] for line in lines)
        sessions = {session for session, _, _ in events}
        # The key names its session (issue 13: organization, event type and
        # session_id); map each processed key back to the session it names.
        processed: Counter[str] = Counter()
        for key, times in keys.items():
            session = key.rsplit(":", 1)[-1]
            if session not in sessions or ORGANIZATION not in key:
                raise SystemExit(f"fleet: a processed key names no sent delivery: {key!r}")
            processed[session] += times
        twice = sorted(s for s, n in processed.items() if n > 1)
        never = sorted(sessions - set(processed))
        figures = {
            "store": args.store,
            "receivers": {"python": args.python_receivers, "node": args.node_receivers},
            "deliveries": args.deliveries,
            "copies_sent": len(copies),
            "processed_once": sum(1 for n in processed.values() if n == 1),
            "processed_twice_or_more": len(twice),
            "never_processed": len(never),
            "answers": dict(sorted(sender.statuses.items())),
            "processing_pids": len(pids),
            "redis_kills": redis.kills if redis else 0,
            "seconds": round(elapsed, 1),
        }
        late_409 = None
        if paused_at:
            late_409 = after_pause(sender.attempts, *paused_at)
            figures.update(
                redis_pauses=redis.pauses if redis else 0,
                pause_seconds=round(paused_at[1] - paused_at[0], 2),
                store_timeout=args.store_timeout,
                lease=args.lease,
                deliveries_in_flight_in_pause=late_409["deliveries"],
                answers_409_after_resume=late_409["answers"],
                last_409_after_resume_max_s=late_409["max"],
            )
        print(json.dumps(figures))
        if args.control:
            # Without a store the same run must show duplicates, or this
            # test could not tell de-duplication from luck.
            ok = bool(twice) and not never
            if not twice:
                print("fleet: the control run (no store) processed nothing twice", file=sys.stderr)
            return 0 if ok else 1
        ok = not twice and not never and figures["processed_once"] == args.deliveries
        if args.kill_redis_at is not None and sender.statuses["503"] == 0:
            print("fleet: redis was killed but no receiver answered 503", file=sys.stderr)
            ok = False
        if late_409 is not None:
            session_of = {signature: session for session, _, signature in events}
            if sender.statuses["503"] == 0:
                print("fleet: redis was paused but no claim timed out (no 503)", file=sys.stderr)
                ok = False
            bound = (paused_at[1] - paused_at[0]) + args.store_timeout
            if late_409["max"] > bound:
                print(
                    f"fleet: a delivery answered 409 {late_409['max']} s after redis resumed, past the pause plus "
                    f"the store timeout ({bound:.2f} s): session {session_of[late_409['worst']]}",
                    file=sys.stderr,
                )
                ok = False
        if not ok:
            print(f"fleet: FAILED: twice={twice[:5]} never={never[:5]}; logs in {workdir}", file=sys.stderr)
            for log in receivers.logs:
                print(f"--- {log.name}", file=sys.stderr)
                print(log.read_text(errors="replace")[-2000:], file=sys.stderr)
            return 1
        return 0
    finally:
        receivers.stop()
        if redis is not None:
            redis.stop()
        if ok:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
