#!/usr/bin/env python3
"""Python and Node workers on one Redis stream: the queue hand-off across
languages.

DELIVERIES signed deliveries are each received COPIES times by the Python
`QueueReceiver` (the copies answered 409 or 200, never queued twice), and
consumed by 3 Python and 3 Node worker processes (bindings-python's
tests/queue_worker.py, tests/js/node/queue-worker.js), all started first.
One worker of each language hangs inside the handler of one delivery and is
killed there (SIGKILL); every tenth delivery's handler fails once, so its
retry may run in the other language. At the end, every delivery must have been handled
("done" written by a handler, outside the workers) exactly once, by workers
of both languages, with nothing left in the stream, the retry set or the
dead letters.

Prints one JSON line of figures; exits 1 on any difference.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

import redis

from bullseye_webhooks import RedisStore, Webhook, sign
from bullseye_webhooks.queue import QueueReceiver, RedisStreamQueue

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fleet import Redis  # noqa: E402 - the fleet test's redis-server, append-only

ROOT = Path(__file__).resolve().parents[2]
SECRET = "whsec_queue_mixed_test_only"
WORKERS = {
    "python": [sys.executable, str(ROOT / "bindings-python/tests/queue_worker.py")],
    "node": ["node", str(ROOT / "tests/js/node/queue-worker.js")],
}


def key_of(i: int) -> str:
    return f"bullseye:org_m:visitor.identified:m{i}"


def lines(path: Path) -> list[list[str]]:
    return [line.split() for line in path.read_text().splitlines()] if path.exists() else []


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deliveries", type=int, default=200)
    parser.add_argument("--copies", type=int, default=2)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bullseye-queue-mixed-") as tmp:
        workdir = Path(tmp)
        server = Redis(workdir)
        server.start()
        side_effects = workdir / "side-effects"
        client = redis.Redis.from_url(server.url, socket_timeout=5, socket_connect_timeout=5)
        stream, prefix = f"mixed:{{{uuid.uuid4().hex}}}", f"mixed:{uuid.uuid4().hex}:"
        queue, store = RedisStreamQueue(client, stream=stream), RedisStore(client, prefix=prefix)
        receiver = QueueReceiver(Webhook(SECRET), queue, store)
        # One worker of each language hangs in the handler of its own delivery.
        hang = {"python": key_of(3), "node": key_of(4)}
        processes: dict[str, subprocess.Popen[str]] = {}

        def start(name: str, language: str, hang_on: str = "") -> None:
            env = {**os.environ, "REDIS_URL": server.url, "SECRET": SECRET, "SIDE_EFFECTS": str(side_effects),
                   "STREAM": stream, "PREFIX": prefix, "HANG_ON": hang_on, "CLAIM_IDLE": "2", "FAIL_ONCE": "0"}
            process = subprocess.Popen(WORKERS[language], env=env, stdout=subprocess.PIPE, text=True, cwd=ROOT)
            assert process.stdout is not None and process.stdout.readline().strip() == "ready", name
            processes[name] = process

        started = time.monotonic()
        answers: Counter[int] = Counter()
        try:
            start("python-doomed", "python", hang["python"])
            start("node-doomed", "node", hang["node"])
            for name, language in (("python-1", "python"), ("python-2", "python"), ("node-1", "node"), ("node-2", "node")):
                start(name, language)
            for copy in range(args.copies):
                for i in range(args.deliveries):
                    body = json.dumps({"event_type": "visitor.identified", "organization_id": "org_m",
                                       "session_id": f"m{i}"}).encode()
                    answer = receiver.receive(body, {"X-Bullseye-Signature": sign(SECRET, body)})
                    answers[answer.status] += 1
            # The doomed workers are killed once inside their hanging handler.
            deadline = time.monotonic() + 60
            while not all(any(l[:2] == ["start", key] for l in lines(side_effects)) for key in hang.values()):
                if time.monotonic() > deadline:
                    raise SystemExit("queue-mixed: the doomed workers never reached their hanging handler")
                time.sleep(0.05)
            for name in ("python-doomed", "node-doomed"):
                processes[name].send_signal(signal.SIGKILL)
                processes[name].wait(timeout=10)
            deadline = time.monotonic() + 120
            while len([l for l in lines(side_effects) if l[0] == "done"]) < args.deliveries:
                if time.monotonic() > deadline:
                    break
                time.sleep(0.2)
            time.sleep(3)  # past the take-over idle time: nothing may run twice later
        finally:
            for process in processes.values():
                if process.poll() is None:
                    process.kill()
                    process.wait(timeout=10)
        done = Counter(l[1] for l in lines(side_effects) if l[0] == "done")
        pids = {l[2] for l in lines(side_effects) if l[0] == "done"}
        by_language = {
            language: sum(1 for l in lines(side_effects) if l[0] == "done" and l[2] in
                          {str(p.pid) for n, p in processes.items() if n.startswith(language)})
            for language in WORKERS
        }
        figures = {
            "deliveries": args.deliveries,
            "copies": args.copies,
            "answers": dict(answers),
            "handled_once": sum(1 for n in done.values() if n == 1),
            "handled_twice_or_more": sum(1 for n in done.values() if n > 1),
            "lost": args.deliveries - len(done),
            "failed_once_then_retried": sum(1 for l in lines(side_effects) if l[0] == "failed"),
            "done_by": by_language,
            "worker_pids": len(pids),
            "done_by_worker": {n: sum(1 for l in lines(side_effects) if l[0] == "done" and l[2] == str(p.pid))
                               for n, p in processes.items()},
            "left_in_stream": client.xlen(stream),
            "left_in_retry_set": client.zcard(stream + ":retry"),
            "dead_letters": client.xlen(stream + ":dead") if client.exists(stream + ":dead") else 0,
            "seconds": round(time.monotonic() - started, 1),
        }
        client.close()
        server.stop()
    print(json.dumps({"queue_mixed": figures}))
    ok = (
        figures["handled_once"] == args.deliveries
        and figures["handled_twice_or_more"] == 0
        and figures["lost"] == 0
        and answers[202] == args.deliveries
        and all(n > 0 for n in by_language.values())
        and figures["left_in_stream"] == 0
        and figures["left_in_retry_set"] == 0
        and figures["dead_letters"] == 0
    )
    if not ok:
        print("queue-mixed: a delivery was not handled exactly once, or a language handled none", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
