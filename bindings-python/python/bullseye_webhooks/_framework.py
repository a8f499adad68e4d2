"""What the decorator integrations (Flask, Django, DRF, Starlette, aiohttp,
Lambda) share: reading the verified event (or the refusal to answer), and
running the view under its claim, each reported to the request's
`Delivery` (logs, hooks)."""

from __future__ import annotations

from typing import Awaitable, Callable, TypeVar, Union

from ._errors import WebhookError
from ._http import Answer, Event
from ._observe import Delivery

R = TypeVar("R")


def event_or_refusal(
    delivery: Delivery, read: Callable[[], Event], refuse: Callable[[int, dict[str, str]], R]
) -> Union[Event, R]:
    """`read()`'s verified event, or `refuse(status, {"error": code})` for
    the delivery it refused."""
    try:
        return read()
    except WebhookError as error:
        status, payload = delivery.refused(error)
        return refuse(status, payload)
    except BaseException:
        delivery.abandoned()
        raise


async def event_or_refusal_async(
    delivery: Delivery, read: Callable[[], Awaitable[Event]], refuse: Callable[[int, dict[str, str]], R]
) -> Union[Event, R]:
    """`event_or_refusal` for a body read asynchronously."""
    try:
        return await read()
    except WebhookError as error:
        status, payload = delivery.refused(error)
        return refuse(status, payload)
    except BaseException:
        delivery.abandoned()
        raise


def _ok(status: int) -> bool:
    return 200 <= status < 300


def run_claimed(
    delivery: Delivery,
    event: Event,
    view: Callable[[], R],
    answer: Callable[[Answer], R],
    status_of: Callable[[R], int],
) -> R:
    """Claim `event`, call `view()` under the claim, and complete the claim
    when the view succeeded (2xx) or release it otherwise (also when it
    raises). A duplicate or in-flight delivery gets `answer(...)` without
    the view."""
    receiver = delivery.receiver
    claimed = receiver.claim(event)
    delivery.claimed(claimed)
    if isinstance(claimed, Answer):
        return answer(claimed)
    try:
        response = view()
    except BaseException:
        receiver.finish(claimed, False)
        delivery.handled(500)  # the framework answers a raised exception with 500
        raise
    status = status_of(response)
    receiver.finish(claimed, _ok(status))
    delivery.handled(status)
    return response


async def run_claimed_async(
    delivery: Delivery,
    event: Event,
    view: Callable[[], Awaitable[R]],
    answer: Callable[[Answer], R],
    status_of: Callable[[R], int],
) -> R:
    """`run_claimed` for an async view (and an async store)."""
    receiver = delivery.receiver
    claimed = await receiver.claim_async(event)
    delivery.claimed(claimed)
    if isinstance(claimed, Answer):
        return answer(claimed)
    try:
        response = await view()
    except BaseException:
        await receiver.finish_async(claimed, False)
        delivery.handled(500)  # the framework answers a raised exception with 500
        raise
    status = status_of(response)
    await receiver.finish_async(claimed, _ok(status))
    delivery.handled(status)
    return response
