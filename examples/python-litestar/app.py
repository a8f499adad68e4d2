"""A Bullseye receiver on Litestar, served by uvicorn.

    BULLSEYE_WEBHOOK_SECRET=whsec_... python app.py     # PORT=8000 by default
"""

import os
from typing import Any

import uvicorn
from litestar import Litestar, post
from litestar.di import NamedDependency

from bullseye_webhooks.litestar import BullseyeWebhook

bullseye = BullseyeWebhook(os.environ["BULLSEYE_WEBHOOK_SECRET"])


@post("/webhooks/bullseye", dependencies={"event": bullseye.dependency}, status_code=200)
async def receive(event: NamedDependency[Any]) -> dict:
    email = event.visitor.email if getattr(event, "visitor", None) else None
    return {"received": event.event_type, "email": email}


# The plugin answers refusals with {"error": code} (and, with dedupe=, settles claims).
app = Litestar([receive], plugins=[bullseye])

if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(os.environ.get("PORT", "8000")))
