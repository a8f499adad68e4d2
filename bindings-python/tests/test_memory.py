"""100,000 deliveries in a loop do not grow the process: nothing leaks per call.
A generous bound on resident memory, measured from /proc (Linux)."""

from __future__ import annotations

import os

import bullseye_webhooks as bw
from conftest import FIXTURES

PAGE = os.sysconf("SC_PAGE_SIZE")


def resident_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE


def test_100k_deliveries_do_not_grow_memory() -> None:
    body = (FIXTURES / "payloads" / "identification-event.json").read_bytes()
    webhook = bw.Webhook(["whsec_new", "whsec_old"])
    good = bw.sign("whsec_old", body)
    headers = {"X-Bullseye-Signature": good}

    def deliver(i: int) -> None:
        event = webhook.construct_event(body, headers)
        assert event.event_type == "visitor.identified"
        try:
            webhook.verify(body, "0" * 64 if i % 2 else "short")
        except bw.SignatureVerificationError:
            pass

    for i in range(10_000):  # warm up allocator pools and caches
        deliver(i)
    before = resident_bytes()
    for i in range(100_000):
        deliver(i)
    grown = resident_bytes() - before
    # A leak of even 100 bytes per delivery would show as 10 MB.
    assert grown < 8 * 1024 * 1024, f"resident memory grew by {grown / 1e6:.1f} MB over 100,000 deliveries"
