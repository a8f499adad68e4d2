"""The Celery app of the real Celery workers (`celery -A celery_app worker`)
of test_celery.py and of tests/fleet/queue_fleet.py --queue celery: the
delivery task on the Redis broker at REDIS_URL, sent by the tests and the
fleet's receivers (tests/fleet/queue_app.py, QUEUE=celery), with a handler
that records "start <key> <pid>" and "done <key> <pid>" in SIDE_EFFECTS.
It hangs in the handler of HANG_ON, and fails every time for keys ending
in ALWAYS_FAIL and the first time for keys ending in FAIL_ONCE.

Settings from the environment: SECRET, PREFIX (the store's), CELERY_QUEUE,
DEAD_LETTERS (the dead-letter stream); CLAIM_IDLE (seconds, default 3: a
dead worker's task comes back after it, checked each second; the run lease
is the same, as delivery_task asks); LEASE_SECONDS, MAX_ATTEMPTS,
RETRY_DELAY, MAX_RETRY_DELAY (delivery_task's defaults when unset)."""

from __future__ import annotations

import os
import time
from typing import Any

import redis
from celery import Celery

from bullseye_webhooks import RedisStore, Webhook
from bullseye_webhooks.celery import delivery_task

URL = os.environ["REDIS_URL"]
SIDE_EFFECTS = os.environ["SIDE_EFFECTS"]
VISIBILITY = float(os.environ.get("CLAIM_IDLE", "3"))

app = Celery("bullseye_celery_test", broker=URL)
app.conf.update(
    broker_transport="bullseye_webhooks.celery:RedisTransport",  # the README's advice: one client per pool
    broker_transport_options={"visibility_timeout": VISIBILITY, "unacked_restore_interval": 1,
                              "unacked_restore_throttle": 1, "socket_timeout": 2, "socket_connect_timeout": 2},
    broker_connection_timeout=2,
    broker_connection_retry_on_startup=True,
    broker_connection_max_retries=None,  # the fleet's workers outlive its Redis restart
    task_default_queue=os.environ["CELERY_QUEUE"],
    worker_prefetch_multiplier=1,
)
client = redis.Redis.from_url(URL, socket_timeout=5, socket_connect_timeout=5)


def handle(event: object) -> None:
    key = event.delivery_key  # type: ignore[attr-defined]
    fail_once = os.environ.get("FAIL_ONCE") or "\0"
    with open(SIDE_EFFECTS, "a+", encoding="utf-8") as f:
        f.seek(0)
        seen = f.read() if key.endswith(fail_once) else ""
        f.write(f"start {key} {os.getpid()}\n")
    if key == os.environ.get("HANG_ON"):
        while True:
            time.sleep(60)
    if key.endswith(os.environ.get("ALWAYS_FAIL") or "\0"):
        raise LookupError("no such account")
    if key.endswith(fail_once) and f"start {key} " not in seen:
        raise RuntimeError("failing once, as asked")
    with open(SIDE_EFFECTS, "a", encoding="utf-8") as f:
        f.write(f"done {key} {os.getpid()}\n")


def _settings() -> dict[str, Any]:
    names = {"LEASE_SECONDS": ("lease", float), "MAX_ATTEMPTS": ("max_attempts", int),
             "RETRY_DELAY": ("retry_delay", float), "MAX_RETRY_DELAY": ("max_retry_delay", float)}
    return {name: read(os.environ[variable]) for variable, (name, read) in names.items() if os.environ.get(variable)}


deliver = delivery_task(
    app,
    Webhook(os.environ["SECRET"]),
    RedisStore(client, prefix=os.environ["PREFIX"]),
    handle,
    dead_letters=client,
    dead_letter_stream=os.environ["DEAD_LETTERS"],
    run_lease=VISIBILITY,
    **_settings(),
)
