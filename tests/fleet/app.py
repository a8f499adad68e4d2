"""A fleet receiver (tests/fleet/fleet.py): FastAPI on uvicorn, one process,
de-duplicating in the store DEDUPE_STORE names (redis at REDIS_URL, sqlite at
SQLITE_PATH, or memory). The handler's side effect is one line,
"delivery key<TAB>pid", appended to SIDE_EFFECTS_FILE with a single write."""

from __future__ import annotations

import os

import uvicorn
from fastapi import Depends, FastAPI

from bullseye_webhooks import MemoryStore, SQLiteStore
from bullseye_webhooks.fastapi import BullseyeWebhook


def store():
    kind = os.environ["DEDUPE_STORE"]
    if kind == "redis":
        import redis

        from bullseye_webhooks import RedisStore

        timeout = float(os.environ.get("STORE_TIMEOUT", "2"))  # every call bounded (the fleet's paused run)
        return RedisStore(redis.Redis.from_url(os.environ["REDIS_URL"], socket_timeout=timeout, socket_connect_timeout=timeout))
    if kind == "sqlite":
        return SQLiteStore(os.environ["SQLITE_PATH"])
    if kind == "memory":
        return MemoryStore()
    if kind == "none":  # the fleet test's negative control
        return None
    raise SystemExit(f"unknown DEDUPE_STORE {kind!r}")


bullseye = BullseyeWebhook(
    os.environ["BULLSEYE_SECRET"], dedupe=store(), lease=float(os.environ.get("LEASE_SECONDS", "60"))
)
app = FastAPI()
bullseye.install(app)
side_effects = os.open(os.environ["SIDE_EFFECTS_FILE"], os.O_WRONLY | os.O_APPEND)


@app.post("/webhooks/bullseye")
def receive(event=Depends(bullseye)):
    os.write(side_effects, f"{event.delivery_key}\t{os.getpid()}\n".encode())
    return {"ok": True}


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(os.environ["PORT"]), log_level="warning")
