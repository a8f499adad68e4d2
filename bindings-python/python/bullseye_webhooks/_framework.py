"""What the Flask and Django view decorators share: reading the verified
event (or the refusal to answer), and running the view under its claim."""

from __future__ import annotations

from typing import Awaitable, Callable, TypeVar, Union

from ._errors import WebhookError
from ._http import Answer, Event, Receiver, refusal

R = TypeVar("R")


def event_or_refusal(read: Callable[[], Event], refuse: Callable[[int, dict[str, str]], R]) -> Union[Event, R]:
    """`read()`'s verified event, or `refuse(status, {"error": code})` for
    the delivery it refused."""
    try:
        return read()
    except WebhookError as error:
        status, payload = refusal(error)
        return refuse(status, payload)


def run_claimed(
    receiver: Receiver,
    event: Event,
    view: Callable[[], R],
    answer: Callable[[Answer], R],
    succeeded: Callable[[R], bool],
) -> R:
    """Claim `event`, call `view()` under the claim, and complete the claim
    when the view succeeded or release it otherwise (also when it raises).
    A duplicate or in-flight delivery gets `answer(...)` without the view."""
    claimed = receiver.claim(event)
    if isinstance(claimed, Answer):
        return answer(claimed)
    try:
        response = view()
    except BaseException:
        receiver.finish(claimed, False)
        raise
    receiver.finish(claimed, succeeded(response))
    return response


async def run_claimed_async(
    receiver: Receiver,
    event: Event,
    view: Callable[[], Awaitable[R]],
    answer: Callable[[Answer], R],
    succeeded: Callable[[R], bool],
) -> R:
    """`run_claimed` for an async view (and an async store)."""
    claimed = await receiver.claim_async(event)
    if isinstance(claimed, Answer):
        return answer(claimed)
    try:
        response = await view()
    except BaseException:
        await receiver.finish_async(claimed, False)
        raise
    await receiver.finish_async(claimed, succeeded(response))
    return response
