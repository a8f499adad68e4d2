"""A client for the webhook endpoints of Bullseye's partner API.

    from bullseye_webhooks import generate_secret
    from bullseye_webhooks.partner import PartnerClient

    client = PartnerClient(os.environ["BULLSEYE_PARTNER_API_KEY"])
    client.set_webhook("identification", url="https://example.com/webhooks/bullseye",
                       secret=generate_secret(), enabled=True)
    print(client.send_test("identification").message)
    for entry in client.iter_logs(status="failed"):
        print(entry.attempted_at, entry.status_code)

`PartnerClient` (blocking) and `AsyncPartnerClient` (the same methods as
coroutines) run on httpx: `pip install "bullseye-webhooks[partner]"`. This
module imports without it; a client made without it says what to install.
Both send the key in `X-Partner-API-Key`, never show it (repr, errors,
logs), time out, and retry 429 and 5xx answers a bounded number of times
with backoff, honouring `Retry-After`. Every failure is a `PartnerApiError`
carrying the HTTP status and the server's message. Responses are frozen
dataclasses of the documented fields; the fields the documentation does not
list are kept in `.extra`.

The rules at the edges (Retry-After, backoff, message cut, key scrubbing)
are the Rust and JS clients' too: `fixtures/partner-behaviour.json` checks
all three.
"""

from ._client import AsyncPartnerClient, PartnerClient
from ._core import API_KEY_ENV, API_KEY_HEADER, DEFAULT_BASE_URL, logger
from ._error import ErrorKind, PartnerApiError
from ._models import LogEntry, LogsPage, TestResult, WebhookConfig, WebhookEndpoint, WebhookType
from ._policy import MAX_RESPONSE_BYTES

__all__ = [
    "API_KEY_ENV",
    "API_KEY_HEADER",
    "DEFAULT_BASE_URL",
    "AsyncPartnerClient",
    "LogEntry",
    "LogsPage",
    "PartnerApiError",
    "PartnerClient",
    "TestResult",
    "WebhookConfig",
    "WebhookEndpoint",
    "WebhookType",
]
