#!/usr/bin/env python3
"""The fleet test's queue run: receivers that answer at once and enqueue,
workers of two languages that handle, a worker killed mid-message and Redis
killed and restarted partway.

- DELIVERIES signed identifications (fleet.py's), each sent COPIES times,
  concurrently and shuffled, to receivers picked at random (2 Python on
  uvicorn, tests/fleet/queue_app.py, and 1 Node, tests/fleet/queue-receiver.js),
  the sender retrying like Bullseye on 409 and 503 (fleet.py's Sender);
- 2 Python and 2 Node workers (bindings-python/tests/queue_worker.py,
  tests/js/node/queue-worker.js) on one Redis stream; one Python worker
  hangs inside the handler of the first delivery and is killed (SIGKILL);
- with --kill-redis-at F, redis-server (append-only, fsync always) is killed
  once a fraction F of the copies is answered, and restarted --redis-down
  seconds later;
- every handler that finishes writes "done <key> <pid>" outside the workers;
  at the end each delivery must be done exactly once.

Prints one JSON line of figures (the receivers' answer times included);
exits 1 if any delivery was handled other than exactly once.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fleet import ORGANIZATION, ROOT, SECRET, Receivers, Redis, Sender, deliveries  # noqa: E402

WORKERS = {
    "python": [str(ROOT / ".venv/bin/python"), str(ROOT / "bindings-python/tests/queue_worker.py")],
    "node": ["node", str(ROOT / "tests/js/node/queue-worker.js")],
}


class TimedSender(Sender):
    """fleet.py's sender, timing each answer."""

    def __init__(self, *args: object) -> None:
        super().__init__(*args)  # type: ignore[arg-type]
        self.times: list[float] = []

    def _post(self, host: str, port: int, body: bytes, signature: str) -> tuple[int, dict[str, str], bytes]:
        started = time.perf_counter()
        answer = super()._post(host, port, body, signature)
        with self.lock:
            self.times.append(time.perf_counter() - started)
        return answer


def lines(path: Path) -> list[list[str]]:
    return [line.split() for line in path.read_text().splitlines()] if path.exists() else []


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))] if ordered else 0.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--deliveries", type=int, default=2000)
    parser.add_argument("--copies", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--kill-redis-at", type=float, default=None)
    parser.add_argument("--redis-down", type=float, default=1.0)
    parser.add_argument("--retry-scale", type=float, default=0.01)
    parser.add_argument("--max-attempts", type=int, default=2000)
    parser.add_argument("--lease", type=float, default=30.0,
                        help="the receivers' claim lease, seconds (a claim Redis took just before it died holds its key that long)")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="bullseye-queue-fleet-"))
    side_effects = workdir / "side-effects"
    side_effects.touch()
    redis = Redis(workdir)
    receivers = Receivers()
    workers: dict[str, subprocess.Popen[str]] = {}
    events = deliveries(args.deliveries)
    hang_key = f"bullseye:{ORGANIZATION}:visitor.identified:{events[0][0]}"
    ok = False
    try:
        redis.start()
        env = {"BULLSEYE_SECRET": SECRET, "SECRET": SECRET, "REDIS_URL": redis.url, "STREAM": "fleet:{queue}",
               "PREFIX": "fleet:delivery:", "SIDE_EFFECTS": str(side_effects), "CLAIM_IDLE": "3",
               "LEASE_SECONDS": str(args.lease)}
        for i in range(2):
            receivers.start(f"python receiver {i}", [WORKERS["python"][0], str(ROOT / "tests/fleet/queue_app.py")],
                            env, workdir / f"receiver-python-{i}.log")
        receivers.start("node receiver", ["node", str(ROOT / "tests/fleet/queue-receiver.js")], env,
                        workdir / "receiver-node.log")

        def start_worker(name: str, language: str, hang_on: str = "") -> None:
            log = (workdir / f"{name}.log").open("w")
            process = subprocess.Popen(WORKERS[language], env={**os.environ, **env, "HANG_ON": hang_on},
                                       stdout=subprocess.PIPE, stderr=log, text=True, cwd=ROOT)
            assert process.stdout is not None and process.stdout.readline().strip() == "ready", name
            workers[name] = process

        start_worker("python-doomed", "python", hang_key)
        start_worker("python-2", "python")
        start_worker("node-1", "node")
        start_worker("node-2", "node")

        def kill_doomed() -> None:
            while not any(l[:2] == ["start", hang_key] for l in lines(side_effects)):
                time.sleep(0.05)
            workers["python-doomed"].send_signal(signal.SIGKILL)
            workers["python-doomed"].wait()

        killer = threading.Thread(target=kill_doomed, daemon=True)
        killer.start()

        copies = [(body, signature) for _, body, signature in events for _ in range(args.copies)]
        random.shuffle(copies)
        sender = TimedSender(receivers.urls, args.retry_scale, args.max_attempts)
        restarted = threading.Event()

        def chaos() -> None:
            threshold = int(len(copies) * (args.kill_redis_at or 0))
            while sender.answered < threshold:
                time.sleep(0.01)
            redis.kill()
            time.sleep(args.redis_down)
            redis.start()
            restarted.set()

        if args.kill_redis_at is not None:
            threading.Thread(target=chaos, daemon=True).start()
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=args.concurrency) as pool:
            for future in [pool.submit(sender.deliver, body, signature) for body, signature in copies]:
                future.result()
        sent = time.monotonic() - started
        deadline = time.monotonic() + 180
        while len({l[1] for l in lines(side_effects) if l[0] == "done"}) < args.deliveries and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(5)  # past the take-over idle time: nothing may run twice later
        killer.join(timeout=1)
        done = Counter(l[1] for l in lines(side_effects) if l[0] == "done")
        keys = {f"bullseye:{ORGANIZATION}:visitor.identified:{session}" for session, _, _ in events}
        figures = {
            "queue": "redis-streams",
            "receivers": {"python": 2, "node": 1},
            "workers": {"python": 2, "node": 2, "killed_mid_message": int(workers["python-doomed"].poll() is not None)},
            "deliveries": args.deliveries,
            "copies_sent": len(copies),
            "handled_once": sum(1 for k in keys if done[k] == 1),
            "handled_twice_or_more": sum(1 for k in keys if done[k] > 1),
            "never_handled": sum(1 for k in keys if done[k] == 0),
            "answers": dict(sorted(sender.statuses.items())),
            "answer_ms": {"p50": round(percentile(sender.times, 0.5) * 1000, 1),
                          "p99": round(percentile(sender.times, 0.99) * 1000, 1),
                          "max": round(max(sender.times, default=0) * 1000, 1)},
            "redis_kills": redis.kills,
            "seconds_sending": round(sent, 1),
            "seconds_until_all_handled": round(time.monotonic() - started - 5, 1),
        }
        print(json.dumps(figures))
        ok = (figures["handled_once"] == args.deliveries and not figures["handled_twice_or_more"]
              and not figures["never_handled"] and (args.kill_redis_at is None or restarted.is_set()))
        if not ok:
            print(f"queue-fleet: not exactly once; logs in {workdir}", file=sys.stderr)
    finally:
        for process in workers.values():
            if process.poll() is None:
                process.kill()
                process.wait(timeout=10)
        receivers.stop()
        redis.stop()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
