"""A Bullseye receiver on FastAPI, served by uvicorn.

    BULLSEYE_WEBHOOK_SECRET=whsec_... python app.py     # PORT=8000 by default
"""

import os

import uvicorn
from fastapi import Depends, FastAPI

from bullseye_webhooks import Event
from bullseye_webhooks.fastapi import BullseyeWebhook

bullseye = BullseyeWebhook(os.environ["BULLSEYE_WEBHOOK_SECRET"])
app = FastAPI()
bullseye.install(app)  # answers refusals with {"error": code}


@app.post("/webhooks/bullseye")
def receive(event: Event = Depends(bullseye)) -> dict:
    email = event.visitor.email if getattr(event, "visitor", None) else None
    return {"received": event.event_type, "email": email}


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(os.environ.get("PORT", "8000")))
