"""A Bullseye receiver on Flask, served by its development server.

    BULLSEYE_WEBHOOK_SECRET=whsec_... python app.py     # PORT=8000 by default
"""

import os

from flask import Flask

from bullseye_webhooks.flask import BullseyeWebhook

bullseye = BullseyeWebhook(os.environ["BULLSEYE_WEBHOOK_SECRET"])
app = Flask(__name__)


@app.post("/webhooks/bullseye")
@bullseye.verified
def receive(event):
    email = event.visitor.email if getattr(event, "visitor", None) else None
    return {"received": event.event_type, "email": email}


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=int(os.environ.get("PORT", "8000")))
