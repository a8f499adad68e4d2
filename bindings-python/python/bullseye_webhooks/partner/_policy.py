"""The client's rules at the edges, apart from any transport, so that
`fixtures/partner-behaviour.json` checks them as it checks the Rust and JS
clients': reading `Retry-After`, when to retry and how long to wait, and
what of a failed answer goes into the error. Internal."""

from __future__ import annotations

import calendar
import json
import random
import re
from dataclasses import dataclass
from typing import Optional

#: The longest response body read (a logs page is the largest answer).
MAX_RESPONSE_BYTES = 16 * 1024 * 1024
#: How many characters (code points) of a server's message go into an error.
MAX_MESSAGE_CHARS = 300
#: The longest delay-seconds read; larger ones saturate here.
_MAX_DELAY_SECONDS = 4294967295
REDACTED = "[REDACTED]"


@dataclass(frozen=True)
class RetryPolicy:
    """When and how often a call is retried (seconds)."""

    max_retries: int = 3
    backoff: float = 0.5
    max_backoff: float = 8.0
    max_retry_after: float = 60.0

    def wait(self, status: Optional[int], retry_after: Optional[float], retries: int, idempotent: bool) -> Optional[float]:
        """Seconds to wait before the next try, or None to give up: after an
        answer with `status` (None: no answer at all) and a `Retry-After` of
        `retry_after` seconds, to an `idempotent` call or not, with `retries`
        retries already made. 429 and 5xx are retried; no answer only for
        idempotent calls (the test POST may have been sent); a Retry-After
        over `max_retry_after` is not waited for."""
        if retries >= self.max_retries:
            return None
        if status is None:
            return self._backoff(retries) if idempotent else None
        if status != 429 and not 500 <= status <= 599:
            return None
        if retry_after is None:
            return self._backoff(retries)
        return retry_after if retry_after <= self.max_retry_after else None

    def _backoff(self, retries: int) -> float:
        least, most = backoff_bounds(self.backoff, self.max_backoff, retries)
        return least + (most - least) * random.random()


def backoff_bounds(initial: float, maximum: float, retries: int) -> tuple[float, float]:
    """The range of the backoff before retry number `retries` (0-based):
    `full = min(initial * 2**retries, maximum)`, drawn from full/2 to full."""
    full = min(initial * (2.0 ** min(retries, 62)), maximum)
    return full / 2, full


# RFC 9110's three HTTP-date formats, read exactly (as the Rust client's
# httpdate crate reads them). email.utils is not used: it takes variants
# (a one-digit day, other zones) the other clients refuse.
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")  # datetime's weekday() order
_LONG_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_DAY, _MONTH, _CLOCK = "|".join(_DAYS), "|".join(_MONTHS), r"([0-9]{2}):([0-9]{2}):([0-9]{2})"
_IMF_FIXDATE = re.compile(rf"({_DAY}), ([0-9]{{2}}) ({_MONTH}) ([0-9]{{4}}) {_CLOCK} GMT")
_RFC850_DATE = re.compile(rf"({'|'.join(_LONG_DAYS)}), ([0-9]{{2}})-({_MONTH})-([0-9]{{2}}) {_CLOCK} GMT")
_ASCTIME_DATE = re.compile(rf"({_DAY}) ({_MONTH}) ( [0-9]|[0-9]{{2}}) {_CLOCK} ([0-9]{{4}})")


def _http_date_ms(text: str) -> Optional[int]:
    """An HTTP date as Unix milliseconds; None when it is not one (or not a
    real day, or its weekday is wrong)."""
    match = _IMF_FIXDATE.fullmatch(text)
    if match:
        day, date, month, year, h, m, s = match.groups()
        full_year = int(year)
    elif (match := _RFC850_DATE.fullmatch(text)) is not None:
        long_day, date, month, year, h, m, s = match.groups()
        day = long_day[:3]
        full_year = int(year) + (2000 if int(year) < 70 else 1900)
    elif (match := _ASCTIME_DATE.fullmatch(text)) is not None:
        day, month, date, h, m, s, year = match.groups()
        full_year = int(year)
    else:
        return None
    hour, minute, second, mday = int(h), int(m), int(s), int(date)
    if full_year < 1970 or hour > 23 or minute > 59 or second > 59:
        return None
    mon = _MONTHS.index(month) + 1
    if not 1 <= mday <= calendar.monthrange(full_year, mon)[1]:
        return None
    if _DAYS[calendar.weekday(full_year, mon, mday)] != day:
        return None
    return calendar.timegm((full_year, mon, mday, hour, minute, second)) * 1000


def retry_after_ms(value: Optional[str], now_ms: int) -> Optional[int]:
    """`Retry-After` at `now_ms`, in milliseconds: delay-seconds (ASCII
    digits) or an HTTP date (a past one is 0); None when absent or invalid."""
    if value is None:
        return None
    text = value.strip(" \t")
    if text and all("0" <= c <= "9" for c in text):
        return min(int(text), _MAX_DELAY_SECONDS) * 1000
    date = _http_date_ms(text)
    return None if date is None else max(0, date - now_ms)


def scrub(text: str, secrets: tuple[str, ...]) -> str:
    """`text` with every occurrence of each non-empty secret replaced."""
    for secret in secrets:
        if secret and secret in text:
            text = text.replace(secret, REDACTED)
    return text


def truncate_message(text: str) -> str:
    """`text` cut to its first MAX_MESSAGE_CHARS characters and `...`."""
    return text if len(text) <= MAX_MESSAGE_CHARS else text[:MAX_MESSAGE_CHARS] + "..."


def server_message(body: bytes, secrets: tuple[str, ...]) -> tuple[str, Optional[str]]:
    """The server's message and error code: `message`, else `error` (a
    string, or an object with a `message`), else the trimmed body; scrubbed
    of `secrets`, then cut (scrubbed first: no piece of a secret survives
    the cut)."""
    message: Optional[str] = None
    code: Optional[str] = None
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        data = None
    if isinstance(data, dict):
        error = data.get("error")
        if isinstance(error, str):
            code = error
        if isinstance(data.get("message"), str):
            message = data["message"]
        elif isinstance(error, str):
            message = error
        elif isinstance(error, dict) and isinstance(error.get("message"), str):
            message = error["message"]
    if message is None:
        message = body.decode("utf-8", errors="replace").strip()
    clean_code = None if code is None else truncate_message(scrub(code, secrets))
    return truncate_message(scrub(message, secrets)), clean_code
