"""The Celery app of test_celery.py's real workers (`celery -A celery_app
worker`): the delivery task on the Redis broker at REDIS_URL, with a handler
that records "start <key> <pid>" and "done <key> <pid>" in SIDE_EFFECTS. It
hangs in the handler of HANG_ON, and fails every time for keys ending in
ALWAYS_FAIL and the first time for keys ending in FAIL_ONCE."""

from __future__ import annotations

import os
import time

import redis
from celery import Celery

from bullseye_webhooks import RedisStore, Webhook
from bullseye_webhooks.celery import delivery_task

URL = os.environ["REDIS_URL"]
SIDE_EFFECTS = os.environ["SIDE_EFFECTS"]

app = Celery("bullseye_celery_test", broker=URL)
app.conf.update(
    # A dead worker's task comes back after 3 s (checked every second).
    broker_transport_options={"visibility_timeout": 3, "unacked_restore_interval": 1, "unacked_restore_throttle": 1},
    broker_connection_timeout=2,
    broker_connection_retry_on_startup=True,
    task_default_queue=os.environ["CELERY_QUEUE"],
    worker_prefetch_multiplier=1,
)
client = redis.Redis.from_url(URL, socket_timeout=5, socket_connect_timeout=5)


def handle(event: object) -> None:
    key = event.delivery_key  # type: ignore[attr-defined]
    with open(SIDE_EFFECTS, "a+", encoding="utf-8") as f:
        f.seek(0)
        seen = f.read()
        f.write(f"start {key} {os.getpid()}\n")
    if key == os.environ.get("HANG_ON"):
        while True:
            time.sleep(60)
    if key.endswith(os.environ.get("ALWAYS_FAIL") or "\0"):
        raise LookupError("no such account")
    if key.endswith(os.environ.get("FAIL_ONCE") or "\0") and f"start {key} " not in seen:
        raise RuntimeError("failing once, as asked")
    with open(SIDE_EFFECTS, "a", encoding="utf-8") as f:
        f.write(f"done {key} {os.getpid()}\n")


deliver = delivery_task(
    app,
    Webhook(os.environ["SECRET"]),
    RedisStore(client, prefix=os.environ["PREFIX"]),
    handle,
    max_attempts=3,
    retry_delay=0.2,
    max_retry_delay=0.4,
    dead_letters=client,
    dead_letter_stream=os.environ["DEAD_LETTERS"],
    run_lease=3,  # the visibility timeout above
)
