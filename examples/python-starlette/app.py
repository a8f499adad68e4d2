"""A Bullseye receiver on Starlette, served by uvicorn.

    BULLSEYE_WEBHOOK_SECRET=whsec_... python app.py     # PORT=8000 by default
"""

import os

import uvicorn
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from bullseye_webhooks.starlette import BullseyeWebhook

bullseye = BullseyeWebhook(os.environ["BULLSEYE_WEBHOOK_SECRET"])


@bullseye.verified
async def receive(request, event):
    email = event.visitor.email if getattr(event, "visitor", None) else None
    return JSONResponse({"received": event.event_type, "email": email})


app = Starlette(routes=[Route("/webhooks/bullseye", receive, methods=["POST"])])

if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(os.environ.get("PORT", "8000")))
