"""A queue receiver for tests/fleet/queue_fleet.py: FastAPI on uvicorn, one
process, answering at once through `QueueReceiver` (verify, claim in Redis,
enqueue) without running any handler. QUEUE=streams (default) adds to the
Redis stream STREAM; QUEUE=celery sends the Celery task of
tests/fleet/queue_celery_app.py (`CeleryQueue`).

With ANSWER_TIMES set, each answer's time inside this process is appended
to that file (see `AnswerTimes`)."""

from __future__ import annotations

import json
import os
import time
from typing import Any, Awaitable, Callable

import redis
import uvicorn
from fastapi import FastAPI, Request, Response
from starlette.concurrency import run_in_threadpool

from bullseye_webhooks import RedisStore, Webhook
from bullseye_webhooks.queue import QueueReceiver, RedisStreamQueue


class AnswerTimes:
    """ASGI middleware: for each HTTP request, from the app getting it (the
    server has read its head) to the last byte of the answer handed back to
    the server, one line "<wall-clock start, s> <ms> <status> <ms in
    receive()>" appended to `path` (one write per line, O_APPEND). Time a
    request waits in the kernel before this process reads it is not in it."""

    def __init__(self, app: Any, path: str) -> None:
        self.app = app
        self.fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    async def __call__(self, scope: dict, receive: Callable[[], Awaitable[dict]], send: Callable[[dict], Awaitable[None]]) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        wall, started, status = time.time(), time.perf_counter(), 0

        async def timed(message: dict) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)
            if message["type"] == "http.response.body" and not message.get("more_body"):
                os.write(self.fd, f"{wall:.6f} {(time.perf_counter() - started) * 1000:.3f} {status} "
                                  f"{scope.get('receive_ms', 0.0):.3f}\n".encode())

        await self.app(scope, receive, timed)


client = redis.Redis.from_url(os.environ["REDIS_URL"], socket_timeout=2, socket_connect_timeout=2)
if os.environ.get("QUEUE", "streams") == "celery":
    from queue_celery_app import deliver  # the receivers send the workers' own task

    from bullseye_webhooks.celery import CeleryQueue

    queue: Any = CeleryQueue(deliver)
else:
    queue = RedisStreamQueue(client, stream=os.environ["STREAM"])
receiver = QueueReceiver(
    Webhook(os.environ["BULLSEYE_SECRET"]),
    queue,
    RedisStore(client, prefix=os.environ["PREFIX"]),
    lease=float(os.environ.get("LEASE_SECONDS", "600")),
)
app = FastAPI()


def timed_receive(body: bytes, headers: Any) -> tuple[Any, float]:
    """receive()'s answer, and its time (verify, claim, enqueue) in ms."""
    started = time.perf_counter()
    answer = receiver.receive(body, headers)
    return answer, (time.perf_counter() - started) * 1000


@app.post("/webhooks/bullseye")
async def receive(request: Request) -> Response:
    # receive() waits on Redis (two writes for a new delivery, each after
    # Redis's fsync): in a thread, so the event loop goes on reading and
    # answering other requests meanwhile (redis-py gives each thread a
    # pooled connection, kept open).
    answer, request.scope["receive_ms"] = await run_in_threadpool(timed_receive, await request.body(), request.headers)
    return Response(
        content=json.dumps(answer.body), status_code=answer.status,
        headers=answer.headers, media_type="application/json",
    )


if __name__ == "__main__":
    served: Any = AnswerTimes(app, os.environ["ANSWER_TIMES"]) if os.environ.get("ANSWER_TIMES") else app
    uvicorn.run(served, host="127.0.0.1", port=int(os.environ["PORT"]), log_level="warning")
