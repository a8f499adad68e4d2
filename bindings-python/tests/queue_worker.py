"""A queue worker process for test_queue_redis.py: reads the stream on
REDIS_URL and records each delivery it handles in SIDE_EFFECTS (one line per
handler call that finished: "done <key>"), with "start <key>" before.
With HANG_ON set, the handler of that key hangs after "start" (the test
kills the process there). With FAIL_ONCE, the handler of each key ending in
that text fails the first time any worker runs it ("failed <key>")."""

from __future__ import annotations

import os
import sys
import threading
import time

import redis

from bullseye_webhooks import RedisStore, Webhook
from bullseye_webhooks.queue import QueueWorker, RedisStreamQueue


def main() -> None:
    url, secret, side_effects = os.environ["REDIS_URL"], os.environ["SECRET"], os.environ["SIDE_EFFECTS"]
    hang_on = os.environ.get("HANG_ON")
    fail_once = os.environ.get("FAIL_ONCE")
    client = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
    queue = RedisStreamQueue(client, stream=os.environ["STREAM"])
    store = RedisStore(client, prefix=os.environ["PREFIX"])

    def handle(event: object) -> None:
        key = event.delivery_key  # type: ignore[attr-defined]
        with open(side_effects, "a", encoding="utf-8") as f:
            f.write(f"start {key} {os.getpid()}\n")
        if key == hang_on:
            while True:
                time.sleep(60)
        if fail_once and key.endswith(fail_once):
            with open(side_effects, "a+", encoding="utf-8") as f:
                f.seek(0)
                if f"failed {key} " not in f.read():
                    f.write(f"failed {key} {os.getpid()}\n")
                    raise RuntimeError("failing once, as asked")
        with open(side_effects, "a", encoding="utf-8") as f:
            f.write(f"done {key} {os.getpid()}\n")

    worker = QueueWorker(
        Webhook(secret), queue, store, handle,
        consumer=f"worker-{os.getpid()}", claim_idle=float(os.environ.get("CLAIM_IDLE", "1")), block=0.2,
    )
    stop = threading.Event()
    print("ready", flush=True)
    worker.run(stop)


if __name__ == "__main__":
    sys.exit(main())
