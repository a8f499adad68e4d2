"""A queue receiver for tests/fleet/queue_fleet.py: FastAPI on uvicorn, one
process, answering at once through `QueueReceiver` (verify, claim in Redis,
XADD to STREAM) without running any handler."""

from __future__ import annotations

import json
import os

import redis
import uvicorn
from fastapi import FastAPI, Request, Response

from bullseye_webhooks import RedisStore, Webhook
from bullseye_webhooks.queue import QueueReceiver, RedisStreamQueue

client = redis.Redis.from_url(os.environ["REDIS_URL"], socket_timeout=2, socket_connect_timeout=2)
receiver = QueueReceiver(
    Webhook(os.environ["BULLSEYE_SECRET"]),
    RedisStreamQueue(client, stream=os.environ["STREAM"]),
    RedisStore(client, prefix=os.environ["PREFIX"]),
    lease=float(os.environ.get("LEASE_SECONDS", "600")),
)
app = FastAPI()


@app.post("/webhooks/bullseye")
async def receive(request: Request) -> Response:
    answer = receiver.receive(await request.body(), request.headers)
    return Response(
        content=json.dumps(answer.body), status_code=answer.status,
        headers=answer.headers, media_type="application/json",
    )


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(os.environ["PORT"]), log_level="warning")
