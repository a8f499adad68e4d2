"""A FastAPI receiver for fleet tests: several processes (uvicorn
`--workers N`, next to receivers in other languages) de-duplicating on one
Redis. Configured by the environment:

- REDIS_URL: the shared Redis, e.g. redis://127.0.0.1:6390/0;
- BULLSEYE_SECRET: the webhook secret;
- SIDE_EFFECTS_DB: an SQLite file; each processed delivery appends a row
  (key, pid) to its table `processed`, with no unique constraint, so a
  delivery processed twice shows as two rows.

The store error policy is the default (on_store_error="retry"): while
Redis is down, deliveries are answered 503 with Retry-After, and nothing
is processed.

    REDIS_URL=redis://127.0.0.1:6390/0 BULLSEYE_SECRET=whsec_... SIDE_EFFECTS_DB=side.db \\
      .venv/bin/python -m uvicorn fleet_app:app --app-dir bindings-python/tests \\
      --host 127.0.0.1 --port 8001 --workers 3

POST deliveries to /webhooks/bullseye; GET /health answers {"ok": true, "pid": ..}.
"""

from __future__ import annotations

import os
import sqlite3
import threading

from fastapi import Depends, FastAPI

from bullseye_webhooks import Event
from bullseye_webhooks.dedupe import AsyncRedisStore
from bullseye_webhooks.fastapi import BullseyeWebhook

REDIS_URL = os.environ["REDIS_URL"]
SECRET = os.environ["BULLSEYE_SECRET"]
SIDE_EFFECTS_DB = os.environ["SIDE_EFFECTS_DB"]

bullseye = BullseyeWebhook(SECRET, dedupe=AsyncRedisStore.from_url(REDIS_URL, timeout=2))
app = FastAPI()
bullseye.install(app)

_local = threading.local()


def _side_effects() -> sqlite3.Connection:
    db = getattr(_local, "db", None)
    if db is None:
        db = sqlite3.connect(SIDE_EFFECTS_DB, timeout=60, isolation_level=None)
        db.execute("PRAGMA busy_timeout = 60000")
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("CREATE TABLE IF NOT EXISTS processed (key TEXT, pid INTEGER)")
        _local.db = db
    return db


_side_effects()  # the table exists before the first delivery


@app.post("/webhooks/bullseye")
def receive(event: Event = Depends(bullseye)) -> dict[str, str]:
    # Sync: runs in the thread pool, so the blocking write does not stall the loop.
    _side_effects().execute("INSERT INTO processed (key, pid) VALUES (?, ?)", (event.delivery_key, os.getpid()))
    return {"processed": event.delivery_key}


@app.get("/health")
def health() -> dict[str, object]:
    return {"ok": True, "pid": os.getpid()}
