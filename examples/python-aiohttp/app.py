"""A Bullseye receiver on aiohttp's own server.

    BULLSEYE_WEBHOOK_SECRET=whsec_... python app.py     # PORT=8000 by default
"""

import os

from aiohttp import web

from bullseye_webhooks.aiohttp import BullseyeWebhook

bullseye = BullseyeWebhook(os.environ["BULLSEYE_WEBHOOK_SECRET"])


@bullseye.verified
async def receive(request, event):
    email = event.visitor.email if getattr(event, "visitor", None) else None
    return web.json_response({"received": event.event_type, "email": email})


app = web.Application()
app.router.add_post("/webhooks/bullseye", receive)

if __name__ == "__main__":
    web.run_app(app, host="127.0.0.1", port=int(os.environ.get("PORT", "8000")))
