"""A FastAPI receiver that dies inside the window "once" cannot cover: its
handler writes its side effect, then the process is killed (SIGKILL) before
it answers or marks the delivery done. Configured by the environment:

- STORE_DB: the SQLiteStore file the receivers share;
- SIDE_EFFECTS_DB: an SQLite file with two tables: `plain` (a row per run,
  as a handler that is not idempotent writes) and `keyed` (keyed by the
  delivery key, INSERT OR IGNORE: an idempotent handler);
- LEASE: the claim's lease, in seconds.

The handler dies on a delivery's first run only (when `plain` has no row
for its key yet), so the sender's retry, on a fresh receiver, completes.
"""

from __future__ import annotations

import os
import signal
import sqlite3

from fastapi import Depends, FastAPI

from bullseye_webhooks import Event
from bullseye_webhooks.dedupe import SQLiteStore
from bullseye_webhooks.fastapi import BullseyeWebhook

bullseye = BullseyeWebhook(
    "whsec_once_window", dedupe=SQLiteStore(os.environ["STORE_DB"]), lease=float(os.environ["LEASE"])
)
app = FastAPI()
bullseye.install(app)


def side_effects() -> sqlite3.Connection:
    db = sqlite3.connect(os.environ["SIDE_EFFECTS_DB"], isolation_level=None)
    db.execute("CREATE TABLE IF NOT EXISTS plain (key TEXT)")
    db.execute("CREATE TABLE IF NOT EXISTS keyed (key TEXT PRIMARY KEY)")
    return db


@app.post("/webhooks/bullseye")
def receive(event: Event = Depends(bullseye)) -> dict[str, str]:
    db = side_effects()
    first = db.execute("SELECT COUNT(*) FROM plain WHERE key = ?", (event.delivery_key,)).fetchone()[0] == 0
    db.execute("INSERT INTO plain (key) VALUES (?)", (event.delivery_key,))
    db.execute("INSERT OR IGNORE INTO keyed (key) VALUES (?)", (event.delivery_key,))
    db.close()
    if first:
        os.kill(os.getpid(), signal.SIGKILL)  # after the side effect, before the done mark
    return {"processed": event.delivery_key}


@app.get("/health")
def health() -> dict[str, bool]:
    return {"ok": True}
