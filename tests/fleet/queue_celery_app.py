"""The Celery app of queue_fleet.py --queue celery: the delivery task
(`delivery_task`) on the Redis broker at REDIS_URL, sent by the receivers
(tests/fleet/queue_app.py, QUEUE=celery) and run by the workers
(`celery -A queue_celery_app worker`). The handler records
"start <key> <pid>" and "done <key> <pid>" in SIDE_EFFECTS, and hangs in the
handler of HANG_ON (the run kills that worker there)."""

from __future__ import annotations

import os
import time

import redis
from celery import Celery

from bullseye_webhooks import RedisStore, Webhook
from bullseye_webhooks.celery import delivery_task

URL = os.environ["REDIS_URL"]
SIDE_EFFECTS = os.environ["SIDE_EFFECTS"]
# A dead worker's task comes back after this many seconds (checked each
# second); the run lease below is the same, as delivery_task asks.
VISIBILITY = float(os.environ.get("CLAIM_IDLE", "3"))

app = Celery("bullseye_queue_fleet", broker=URL)
app.conf.update(
    broker_transport_options={"visibility_timeout": VISIBILITY, "unacked_restore_interval": 1,
                              "unacked_restore_throttle": 1, "socket_timeout": 2, "socket_connect_timeout": 2},
    broker_connection_timeout=2,
    broker_connection_retry_on_startup=True,
    broker_connection_max_retries=None,  # the workers outlive the Redis restart
    task_default_queue=os.environ["CELERY_QUEUE"],
    worker_prefetch_multiplier=1,
)
client = redis.Redis.from_url(URL, socket_timeout=2, socket_connect_timeout=2)


def handle(event: object) -> None:
    key = event.delivery_key  # type: ignore[attr-defined]
    with open(SIDE_EFFECTS, "a", encoding="utf-8") as f:
        f.write(f"start {key} {os.getpid()}\n")
    if key == os.environ.get("HANG_ON"):
        while True:
            time.sleep(60)
    with open(SIDE_EFFECTS, "a", encoding="utf-8") as f:
        f.write(f"done {key} {os.getpid()}\n")


deliver = delivery_task(
    app,
    Webhook(os.environ["BULLSEYE_SECRET"]),
    RedisStore(client, prefix=os.environ["PREFIX"]),
    handle,
    lease=float(os.environ.get("LEASE_SECONDS", "600")),
    dead_letters=client,
    dead_letter_stream=os.environ["STREAM"] + ":dead",
    run_lease=VISIBILITY,
)
