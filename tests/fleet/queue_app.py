"""A queue receiver for tests/fleet/queue_fleet.py: FastAPI on uvicorn, one
process, answering at once through `QueueReceiver` (verify, claim in Redis,
enqueue; redis-py with hiredis's parser, in a thread) without running any handler; with
RECEIVER=async, through `AsyncQueueReceiver` on the event loop
(redis.asyncio, no thread), which answered slower here (bench/PROFILE.md,
"Queue fleet: a receiver's p99"). QUEUE=streams (default) adds to the Redis stream STREAM;
QUEUE=celery sends the Celery task of bindings-python/tests/celery_app.py
(`CeleryQueue`).

With ANSWER_TIMES set, each answer's time inside this process is appended
to that file (see `AnswerTimes`)."""

from __future__ import annotations

import asyncio
import gc
import json
import os
import sys
import time
from pathlib import Path
from typing import Any, Awaitable, Callable

import redis
import redis.asyncio
import uvicorn
from fastapi import FastAPI, Request, Response

from bullseye_webhooks import AsyncRedisStore, RedisStore, Webhook
from bullseye_webhooks.queue import AsyncQueueReceiver, AsyncRedisStreamQueue, QueueReceiver, RedisStreamQueue


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


THREAD = os.environ.get("RECEIVER", "thread") == "thread"
URL, PREFIX = os.environ["REDIS_URL"], os.environ["PREFIX"]
# Every Redis call bounded at 2 s, by the client (and by the asyncio store and queue).
client: Any = (redis.Redis if THREAD else redis.asyncio.Redis).from_url(URL, socket_timeout=2, socket_connect_timeout=2)
if os.environ.get("QUEUE", "streams") == "celery":
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bindings-python/tests"))
    from celery_app import deliver  # the receivers send the workers' own task

    from bullseye_webhooks.celery import CeleryQueue

    queue: Any = CeleryQueue(deliver)
elif THREAD:
    queue = RedisStreamQueue(client, stream=os.environ["STREAM"])
else:
    queue = AsyncRedisStreamQueue(client, stream=os.environ["STREAM"], timeout=2)
lease = float(os.environ.get("LEASE_SECONDS", "600"))
receiver: Any = (
    QueueReceiver(Webhook(os.environ["BULLSEYE_SECRET"]), queue, RedisStore(client, prefix=PREFIX), lease=lease)
    if THREAD else
    AsyncQueueReceiver(Webhook(os.environ["BULLSEYE_SECRET"]), queue, AsyncRedisStore(client, prefix=PREFIX, timeout=2),
                       lease=lease)
)
app = FastAPI()


def timed(body: bytes, headers: Any) -> tuple[Any, float]:
    """The blocking receive()'s answer and its time in ms (in a thread: redis-py
    gives each thread a pooled connection, kept open)."""
    started = time.perf_counter()
    answer = receiver.receive(body, headers)
    return answer, (time.perf_counter() - started) * 1000


@app.post("/webhooks/bullseye")
async def receive(request: Request) -> Response:
    body = await request.body()
    if THREAD:
        # asyncio's own hop (its default executor), not Starlette's
        # run_in_threadpool: anyio's hand-off to its worker thread was a
        # third of this process's GIL-held time (bench/PROFILE.md, "Queue
        # fleet: a receiver's p99").
        answer, receive_ms = await asyncio.to_thread(timed, body, request.headers)
    else:
        started = time.perf_counter()
        answer = await receiver.receive(body, request.headers)
        receive_ms = (time.perf_counter() - started) * 1000
    # receive()'s time (verify, claim, enqueue), for AnswerTimes.
    request.scope["receive_ms"] = receive_ms
    return Response(
        content=json.dumps(answer.body), status_code=answer.status,
        headers=answer.headers, media_type="application/json",
    )


if __name__ == "__main__":
    # The README's advice for a receiver's p99 (queue fleet): what start-up
    # made (FastAPI, pydantic, redis-py, Celery) is frozen out of the
    # collector's reach, whose full collections otherwise walked all of it
    # (36 to 64 ms each, every thread stopped meanwhile); young
    # objects are collected a tenth as often; HTTP is parsed by httptools
    # (C) instead of h11 (pure Python, an eighth of the busy process's time);
    # the event loop is uvloop's (libuv), not asyncio's own.
    gc.collect()
    gc.freeze()
    gc.set_threshold(7000, 10, 10)
    served: Any = AnswerTimes(app, os.environ["ANSWER_TIMES"]) if os.environ.get("ANSWER_TIMES") else app
    uvicorn.run(served, host="127.0.0.1", port=int(os.environ["PORT"]), log_level="warning",
                http="httptools", loop="uvloop")
