#!/usr/bin/env python3
"""The fleet test's queue runs: receivers that answer at once and enqueue,
workers that handle, a worker killed mid-message and Redis killed and
restarted partway, on one of three queues (--queue):

- streams (default): the core's Redis stream; 2 Python receivers on uvicorn
  (tests/fleet/queue_app.py) and 1 Node (tests/fleet/queue-receiver.js);
  2 Python and 2 Node workers (bindings-python/tests/queue_worker.py,
  tests/js/node/queue-worker.js) in one consumer group;
- celery: 3 Python receivers sending the Celery task of
  bindings-python/tests/celery_app.py (`CeleryQueue`, Redis broker); 4 Celery
  worker processes (`celery worker --pool=solo`);
- bullmq: 3 Node receivers adding BullMQ jobs (`BullmqQueue`); 4 Node
  processes each running a BullMQ Worker (tests/js/node/bullmq-worker.js).

In each: DELIVERIES signed identifications (fleet.py's), each sent COPIES
times, concurrently and shuffled, to receivers picked at random, the sender
retrying like Bullseye on 409 and 503 (fleet.py's Sender); one worker,
started alone, takes the first copy of the first delivery (sent before the
others) and hangs inside its handler, the other three start, and it is
killed there (SIGKILL) once --kill-worker-at of the copies are answered;
with --kill-redis-at F, redis-server (append-only, fsync always) is killed
once a fraction F of the copies is answered, and restarted --redis-down
seconds later; every handler that finishes writes "done <key> <pid>"
outside the workers, and at the end each delivery must be done exactly
once, and the doomed worker must have died inside its handler. Before the
concurrent copies, --warm-up deliveries of their own are sent once each
(handled exactly once too; their answer times kept apart).

The sender's threads and the workers run at a lower CPU priority than the
receivers (--sender-nice, --workers-nice: 10 by default). Bullseye sends
from its own machines, and a fleet's workers run on theirs, where neither
takes the receivers' CPU; here all of them and Redis share the cores.
With both at 0 the receivers' answer times include the wait for a CPU the
sender or a worker holds.

Answer times are measured twice: the sender's round trip (connect, send,
read the answer: it includes the sender's own threads waiting for the CPU),
and each receiver's own time, inside its process, from the request's head
parsed to the answer's last byte handed to the kernel (ANSWER_TIMES).

Prints one JSON line of figures; exits 1 if any delivery was handled other
than exactly once.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Optional

import redis as redis_py

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fleet import ORGANIZATION, ROOT, SECRET, Receivers, Redis, Sender, deliveries  # noqa: E402

PYTHON = str(ROOT / ".venv/bin/python")
FLEET = ROOT / "tests/fleet"
PYTHON_RECEIVER = [PYTHON, str(FLEET / "queue_app.py")]
NODE_RECEIVER = ["node", str(FLEET / "queue-receiver.js")]
# Where celery_app.py is: the Celery app of the workers and of the receivers.
CELERY_APP = ROOT / "bindings-python/tests"
WORKERS = {
    "python": [PYTHON, str(ROOT / "bindings-python/tests/queue_worker.py")],
    "node": ["node", str(ROOT / "tests/js/node/queue-worker.js")],
    "bullmq": ["node", str(ROOT / "tests/js/node/bullmq-worker.js")],
    # One process each: the solo pool runs the task in the worker itself,
    # so the SIGKILL lands inside the handler.
    "celery": [PYTHON, "-m", "celery", "-A", "celery_app", "worker", "--pool=solo", "--loglevel=INFO",
               "--without-gossip", "--without-mingle", "--without-heartbeat"],
}
# (receivers, workers: the first one hangs and is killed) of each queue.
RUNS = {
    "streams": ([("python", PYTHON_RECEIVER)] * 2 + [("node", NODE_RECEIVER)],
                ["python", "python", "node", "node"]),
    "celery": ([("python", PYTHON_RECEIVER)] * 3, ["celery"] * 4),
    "bullmq": ([("node", NODE_RECEIVER)] * 3, ["bullmq"] * 4),
}


class TimedSender(Sender):
    """fleet.py's sender, timing each round trip."""

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


def summary(ms: list[float]) -> dict[str, float]:
    return {"n": len(ms), "p50": round(percentile(ms, 0.5), 1), "p99": round(percentile(ms, 0.99), 1),
            "max": round(max(ms, default=0.0), 1)}


def receiver_times(path: Path, since: float, outage: Optional[tuple[float, float]]) -> dict[str, object]:
    """One receiver's own answer times (its ANSWER_TIMES file) from `since`
    (wall clock: the concurrent copies): all of them, those of the requests
    that did not overlap the Redis outage (from the kill to the restarted
    server listening), the part spent in QueueReceiver.receive (verify,
    claim, enqueue: the Redis round trips); and the answers before, cold."""
    every = [(float(start), float(ms), float(receiving)) for start, ms, _, receiving in lines(path)]
    rows = [row for row in every if row[0] >= since]
    out: dict[str, object] = dict(summary([ms for _, ms, _ in rows]))
    out["before_cold"] = summary([ms for start, ms, _ in every if start < since])
    out["in_receive"] = summary([receiving for _, _, receiving in rows])
    if outage is not None:
        killed, back = outage
        out["outside_outage"] = summary([ms for start, ms, _ in rows if start > back or start + ms / 1000 < killed])
    return out


def measured(path: Path, since: float) -> int:
    """How many answers a receiver gave from `since` on."""
    return sum(1 for row in lines(path) if float(row[0]) >= since)


class Worker:
    """One worker process, ready once it says so (on stdout, or Celery's
    "ready." in its log)."""

    def __init__(self, name: str, kind: str, env: dict[str, str], log: Path, niceness: int) -> None:
        self.log = log
        command = WORKERS[kind] + (["-n", f"{name}@localhost"] if kind == "celery" else [])
        command = ["nice", "-n", str(niceness), *command]  # nice execs it: the pid is the worker's
        with log.open("w") as handle:
            self.process = subprocess.Popen(
                command, env={**os.environ, **env}, cwd=CELERY_APP if kind == "celery" else ROOT, text=True,
                stdout=subprocess.DEVNULL if kind == "celery" else subprocess.PIPE, stderr=handle,
            )
        if kind == "celery":
            deadline = time.monotonic() + 90
            while " ready." not in log.read_text(errors="replace"):
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"queue-fleet: the celery worker {name} did not get ready; see {log}")
                time.sleep(0.1)
        else:
            assert self.process.stdout is not None and self.process.stdout.readline().strip() == "ready", name


def schedstat(pid: int) -> tuple[float, float]:
    """(ms on a CPU, ms ready to run but waiting for one) of all the threads
    of process `pid` so far (Linux's /proc/<pid>/task/*/schedstat)."""
    on_cpu = waiting = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            fields = (task / "schedstat").read_text().split()
        except OSError:  # a thread that just ended
            continue
        on_cpu, waiting = on_cpu + int(fields[0]), waiting + int(fields[1])
    return on_cpu / 1e6, waiting / 1e6


def cpu_figures(before: tuple[float, float], after: tuple[float, float], answers: int) -> dict[str, float]:
    """A process's CPU time and its wait for a CPU between two schedstat()
    readings, in all and per answer, in ms."""
    on_cpu, waiting = after[0] - before[0], after[1] - before[1]
    return {"on_cpu_ms": round(on_cpu), "waiting_for_cpu_ms": round(waiting),
            "on_cpu_ms_per_answer": round(on_cpu / max(answers, 1), 2),
            "waiting_for_cpu_ms_per_answer": round(waiting / max(answers, 1), 2)}


def watch_latency(url: str) -> None:
    """Have redis-server record its own stalls of 5 ms or more (LATENCY
    LATEST: fsync of the append-only file, slow commands), anew after each
    start."""
    with redis_py.Redis.from_url(url, socket_timeout=5) as client:
        client.config_set("latency-monitor-threshold", 5)


def redis_stalls(url: str) -> dict[str, dict[str, int]]:
    """Redis's own stalls since its last start, per event:
    the longest (ms) and in how many seconds one happened (LATENCY HISTORY
    keeps one sample a second)."""
    with redis_py.Redis.from_url(url, socket_timeout=5) as client:
        latest = client.execute_command("LATENCY", "LATEST")
        return {event.decode(): {"max_ms": int(most), "seconds_with_one": len(client.execute_command("LATENCY", "HISTORY", event))}
                for event, _, _, most, *_ in latest}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--queue", choices=sorted(RUNS), default="streams")
    parser.add_argument("--deliveries", type=int, default=2000)
    parser.add_argument("--copies", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--kill-redis-at", type=float, default=None)
    parser.add_argument("--redis-down", type=float, default=1.0)
    parser.add_argument("--retry-scale", type=float, default=0.01)
    parser.add_argument("--max-attempts", type=int, default=2000)
    parser.add_argument("--lease", type=float, default=30.0,
                        help="the receivers' claim lease, seconds (a claim Redis took just before it died holds its key that long)")
    parser.add_argument("--warm-up", type=int, default=64,
                        help="deliveries sent once each before the measured copies (answer times kept apart)")
    parser.add_argument("--kill-worker-at", type=float, default=0.1,
                        help="fraction of answered copies at which the doomed worker, hanging in its handler, is killed")
    parser.add_argument("--claim-idle", type=float, default=3.0,
                        help="seconds after which a dead worker's message goes to another (stream idle time, "
                             "Celery's visibility timeout, BullMQ's lock)")
    parser.add_argument("--workers-nice", type=int, default=10,
                        help="the workers' niceness: below the receivers, as workers on machines of their own would "
                             "not take the receivers' CPU; 0 shares it evenly (on 2 cores, 4 workers then delay the "
                             "receivers' answers)")
    parser.add_argument("--sender-nice", type=int, default=10,
                        help="the sender's threads' niceness, for the same reason (Bullseye sends from elsewhere)")
    parser.add_argument("--appendfsync", choices=["always", "everysec"], default="always",
                        help="redis-server's fsync of its append-only file; everysec is a diagnosis only (how much "
                             "of the answer times is Redis waiting on the disk), not the test")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix=f"bullseye-queue-fleet-{args.queue}-"))
    side_effects = workdir / "side-effects"
    side_effects.touch()
    redis = Redis(workdir)
    redis.appendfsync = args.appendfsync
    receivers = Receivers()
    workers: dict[str, Worker] = {}
    events = deliveries(args.deliveries + args.warm_up)
    events, warm_up = events[:args.deliveries], events[args.deliveries:]
    hang_key = f"bullseye:{ORGANIZATION}:visitor.identified:{events[0][0]}"
    receiver_kinds, worker_kinds = RUNS[args.queue]

    def sender_priority() -> None:
        # Linux keeps a niceness per thread: who=0 is the calling thread only.
        os.setpriority(os.PRIO_PROCESS, 0, args.sender_nice)

    ok = False
    try:
        redis.start()
        watch_latency(redis.url)
        env = {"BULLSEYE_SECRET": SECRET, "SECRET": SECRET, "REDIS_URL": redis.url, "STREAM": "fleet:{queue}", "DEAD_LETTERS": "fleet:{queue}:dead",
               "PREFIX": "fleet:delivery:", "SIDE_EFFECTS": str(side_effects), "CLAIM_IDLE": str(args.claim_idle),
               "LOCK_SECONDS": str(args.claim_idle), "LEASE_SECONDS": str(args.lease), "QUEUE": args.queue,
               "CELERY_QUEUE": "fleet-celery", "BULLMQ_QUEUE": "fleet-bullmq"}
        names = []
        for i, (language, command) in enumerate(receiver_kinds):
            name = f"{language}-{i}"
            names.append(name)
            receivers.start(f"{language} receiver {i}", command, {**env, "ANSWER_TIMES": str(workdir / f"answers-{name}")},
                            workdir / f"receiver-{name}.log")
        # bullmq-worker.js reads its queue's name from QUEUE.
        worker_env = {**env, "QUEUE": env["BULLMQ_QUEUE"]} if args.queue == "bullmq" else env

        def start_worker(i: int) -> None:
            name = f"{worker_kinds[i]}-{'doomed' if i == 0 else i}"
            workers[name] = Worker(name, worker_kinds[i], {**worker_env, "HANG_ON": hang_key if i == 0 else ""},
                                   workdir / f"{name}.log", args.workers_nice)

        # The doomed worker starts alone and gets the first delivery, so it
        # surely hangs inside that handler; the others start after.
        start_worker(0)
        doomed = workers[next(iter(workers))].process
        before = TimedSender(receivers.urls, args.retry_scale, args.max_attempts)
        before.deliver(events[0][1], events[0][2])
        deadline = time.monotonic() + 60
        while ["start", hang_key, str(doomed.pid)] not in lines(side_effects):
            if time.monotonic() > deadline:
                raise SystemExit(f"queue-fleet: the doomed worker never started its delivery; logs in {workdir}")
            time.sleep(0.05)
        for i in range(1, len(worker_kinds)):
            start_worker(i)
        # Deliveries of their own (handled exactly once too), so that the
        # receivers' first answers (connections, thread pools, lazy imports,
        # Lua scripts, cold JIT) are not among those measured.
        with ThreadPoolExecutor(max_workers=args.concurrency, initializer=sender_priority) as pool:
            list(pool.map(lambda event: before.deliver(event[1], event[2]), warm_up))
        sender = TimedSender(receivers.urls, args.retry_scale, args.max_attempts)

        copies = [(body, signature) for _, body, signature in events for _ in range(args.copies)]
        copies.remove((events[0][1], events[0][2]))  # sent above
        random.shuffle(copies)

        def kill_doomed() -> None:
            while sender.answered < len(copies) * args.kill_worker_at:
                time.sleep(0.01)
            doomed.send_signal(signal.SIGKILL)
            doomed.wait()

        killer = threading.Thread(target=kill_doomed, daemon=True)
        killer.start()
        restarted = threading.Event()
        outage: list[float] = []  # wall-clock seconds: killed, listening again

        def chaos() -> None:
            threshold = int(len(copies) * (args.kill_redis_at or 0))
            while sender.answered < threshold:
                time.sleep(0.01)
            outage.append(time.time())
            redis.kill()
            time.sleep(args.redis_down)
            redis.start()
            outage.append(time.time())
            watch_latency(redis.url)
            restarted.set()

        if args.kill_redis_at is not None:
            threading.Thread(target=chaos, daemon=True).start()
        since = time.time()
        load_before = round(os.getloadavg()[0], 1)  # the machine's: other work shares its cores
        cpu_before = [schedstat(process.pid) for process in receivers.processes]
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=args.concurrency, initializer=sender_priority) as pool:
            for future in [pool.submit(sender.deliver, body, signature) for body, signature in copies]:
                future.result()
        sent = time.monotonic() - started
        cpu_after = [schedstat(process.pid) for process in receivers.processes]
        assert redis.process is not None
        redis_cpu = schedstat(redis.process.pid)
        deadline = time.monotonic() + 180
        while (len({l[1] for l in lines(side_effects) if l[0] == "done"}) < args.deliveries + args.warm_up
               and time.monotonic() < deadline):
            time.sleep(0.2)
        handled = time.monotonic() - started
        time.sleep(args.claim_idle + 2)  # past the take-over time: nothing may run twice later
        killer.join(timeout=1)
        # Killed by SIGKILL inside the handler it started, which it never finished.
        killed_mid_message = (doomed.poll() == -signal.SIGKILL
                              and ["done", hang_key, str(doomed.pid)] not in lines(side_effects))
        done = Counter(l[1] for l in lines(side_effects) if l[0] == "done")
        keys = {f"bullseye:{ORGANIZATION}:visitor.identified:{session}" for session, _, _ in events + warm_up}
        window = (outage[0], outage[1]) if len(outage) == 2 else None
        figures = {
            "queue": {"streams": "redis-streams"}.get(args.queue, args.queue),
            "receivers": dict(Counter(language for language, _ in receiver_kinds)),
            "workers": {**Counter(worker_kinds), "killed_mid_message": int(killed_mid_message)},
            "deliveries": args.deliveries,
            "copies_sent": len(copies) + 1,
            "warm_up_deliveries": args.warm_up,
            "handled_once": sum(1 for k in keys if done[k] == 1),  # the warm-up's too
            "handled_twice_or_more": sum(1 for k in keys if done[k] > 1),
            "never_handled": sum(1 for k in keys if done[k] == 0),
            "answers": dict(sorted(sender.statuses.items())),
            "sender_round_trip_ms": summary([t * 1000 for t in sender.times]),
            "receiver_answer_ms": {name: receiver_times(workdir / f"answers-{name}", since, window) for name in names},
            # Where the receivers' time went: their own CPU, and their wait
            # for a CPU (the machine's other processes and this run's).
            "receiver_cpu": {name: cpu_figures(cpu_before[i], cpu_after[i], measured(workdir / f"answers-{name}", since))
                             for i, name in enumerate(names)},
            "redis_cpu_since_restart": {"on_cpu_ms": round(redis_cpu[0]), "waiting_for_cpu_ms": round(redis_cpu[1])},
            "workers_nice": args.workers_nice,
            "sender_nice": args.sender_nice,
            "appendfsync": args.appendfsync,
            "load_average_1m": [load_before, round(os.getloadavg()[0], 1)],
            "redis_kills": redis.kills,
            "redis_stalls_since_restart": redis_stalls(redis.url),
            "redis_outage_s": round(window[1] - window[0], 2) if window else 0.0,
            "seconds_sending": round(sent, 1),
            "seconds_until_all_handled": round(handled, 1),
        }
        print(json.dumps(figures))
        ok = (figures["handled_once"] == len(keys) and not figures["handled_twice_or_more"]
              and not figures["never_handled"] and killed_mid_message
              and (args.kill_redis_at is None or restarted.is_set()))
        if not ok:
            print(f"queue-fleet: not exactly once, or no worker killed mid-message; logs in {workdir}", file=sys.stderr)
    finally:
        for worker in workers.values():
            if worker.process.poll() is None:
                worker.process.kill()
                worker.process.wait(timeout=10)
        receivers.stop()
        redis.stop()
        if ok:
            shutil.rmtree(workdir, ignore_errors=True)  # kept for a failed run: its logs
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
