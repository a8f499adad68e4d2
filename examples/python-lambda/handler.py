"""A Bullseye receiver on AWS Lambda: behind API Gateway (REST or HTTP
API) or a function URL. Set BULLSEYE_WEBHOOK_SECRET in the function's
environment; `invoke.py` calls it with the events AWS documents."""

import os

from bullseye_webhooks.aws_lambda import BullseyeWebhook

bullseye = BullseyeWebhook(os.environ["BULLSEYE_WEBHOOK_SECRET"])


@bullseye.handler
def handler(event, lambda_event, context):
    email = event.visitor.email if getattr(event, "visitor", None) else None
    return {"received": event.event_type, "email": email}
