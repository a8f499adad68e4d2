"""The FastAPI example receiver for `make demo` (see demo/README.md):
uvicorn on 127.0.0.1, any free port, announced on stdout. Each mismatch (a
documented field sent with another JSON type, still accepted) is logged to
stderr as `mismatch: PATH expected TYPE, found TYPE`, never its value; the
FastAPI integration's own WARNING goes there too.

POST /bitnob verifies Bitnob deliveries; POST /bullseye-once handles each
Bullseye delivery once (a MemoryStore), and GET /handled?key= says how many
times its handler ran for a delivery key."""

from __future__ import annotations

import logging
import os
import socket
import sys
import threading
import time
from collections import Counter
from collections.abc import Sequence

import uvicorn
from fastapi import Depends, FastAPI, Header, Request
from fastapi.responses import JSONResponse

from bullseye_webhooks import (
    BitnobWebhook,
    Event,
    MemoryStore,
    Mismatch,
    VisitorIdentifiedEvent,
    Webhook,
    WebhookError,
)
from bullseye_webhooks.fastapi import BullseyeWebhook

# Rotation: the new secret first, the one being retired after it.
SECRETS = [os.environ["DEMO_SECRET"], os.environ["DEMO_PREVIOUS_SECRET"]]
BITNOB_SECRETS = [os.environ["DEMO_BITNOB_SECRET"], os.environ["DEMO_BITNOB_PREVIOUS_SECRET"]]
bullseye = BullseyeWebhook(SECRETS)
bitnob = BullseyeWebhook(BitnobWebhook(BITNOB_SECRETS))
once = BullseyeWebhook(SECRETS, dedupe=MemoryStore())
visits = Webhook(SECRETS)
app = FastAPI()
for integration in (bullseye, bitnob, once):
    integration.install(app)  # the middleware is added once; with dedupe= it settles the claims

# How many times the /bullseye-once handler ran, per delivery key: the demo's
# evidence that a duplicate did not run it again.
handled: Counter[str] = Counter()
handled_lock = threading.Lock()
# The slow handler (demo only, `?slow_ms=`, not signed) sleeps at most this.
MAX_SLOW_MS = 10_000
logging.basicConfig(stream=sys.stderr, level=logging.WARNING, format="%(message)s")
log = logging.getLogger("demo")


def reported(mismatches: Sequence[Mismatch]) -> list[str]:
    """Log each mismatch (path and types only) and list their paths."""
    for m in mismatches:
        log.warning("mismatch: %s expected %s, found %s", m.path, m.expected, m.found)
    return [m.path for m in mismatches]


@app.post("/bullseye")
def receive(event: Event = Depends(bullseye)) -> dict:
    if isinstance(event, VisitorIdentifiedEvent):
        return {
            "event_type": event.event_type,
            "email": event.visitor.email if event.visitor else None,
            "company_domain": event.company.domain if event.company else None,
            "company_size": event.company.size if event.company else None,
            "mismatches": reported(event.mismatches),
        }
    return {"event_type": event.event_type}


@app.post("/bitnob")
def receive_bitnob(event: Event = Depends(bitnob)) -> dict:
    return {"event_type": event.event_type, "delivery_key": event.delivery_key}


@app.post("/bullseye-once")
def receive_once(event: Event = Depends(once), slow_ms: int = 0) -> dict:
    # Called only for a new delivery: a duplicate is answered 200
    # {"duplicate": true}, a copy while this runs 409 with Retry-After.
    key = event.delivery_key
    with handled_lock:
        handled[key] += 1
        calls = handled[key]
    time.sleep(min(max(slow_ms, 0), MAX_SLOW_MS) / 1000)
    return {"event_type": event.event_type, "delivery_key": key, "handled": calls}


@app.get("/handled")
def handled_count(key: str) -> dict:
    with handled_lock:
        return {"key": key, "handled": handled[key]}


@app.post("/visit")
async def visit(request: Request, x_webhook_signature: str | None = Header(default=None)) -> JSONResponse:
    try:
        parsed = visits.construct_visit(await request.body(), x_webhook_signature)
    except WebhookError as error:
        return JSONResponse({"error": error.code}, status_code=error.http_status)
    return JSONResponse({
        "event_type": parsed.event_type,
        "visit_id": parsed.id,
        "visitor_id": parsed.visitor.id if parsed.visitor else None,
        "mismatches": reported(parsed.mismatches),
    })


if __name__ == "__main__":
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)  # connections wait in the backlog until uvicorn accepts them
    print(f"listening on http://127.0.0.1:{sock.getsockname()[1]}", flush=True)
    uvicorn.Server(uvicorn.Config(app, log_level="warning")).run(sockets=[sock])
