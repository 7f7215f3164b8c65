"""The vocabulary of the inbox (issue 12, F1): where a delivery came from and where it stands."""

from __future__ import annotations

from django.db import models


class DeliverySource(models.TextChoices):
    SNS = "sns", "Amazon SNS"
    EVENTBRIDGE = "eventbridge", "Amazon EventBridge"
    EMAIL = "email", "Email"
    WEBHOOK = "webhook", "Webhook"


class IntakePurpose(models.TextChoices):
    EVENTBRIDGE = "eventbridge", "EventBridge API destination"
    WEBHOOK = "webhook", "Generic webhook"


class DeliveryState(models.TextChoices):
    #: Stored and waiting for a worker (also after a re-process, or a retry after a failure).
    RECEIVED = "received", "Received"
    #: A worker holds it under a lease and a claim token.
    PROCESSING = "processing", "Processing"
    PROCESSED = "processed", "Processed"
    #: No handler is registered for its kind: kept, shown, and re-processable once one is.
    UNROUTED = "unrouted", "Unrouted"
    #: The handler failed on the last allowed attempt (the error is kept).
    FAILED = "failed", "Failed"
    #: Not accepted (bad signature, wrong topic, replay, malformed): recorded, never processed.
    REFUSED = "refused", "Refused"


#: The states a staff member may send back to `received`.
REPROCESSABLE = (DeliveryState.PROCESSED, DeliveryState.UNROUTED, DeliveryState.FAILED)

SNS_NOTIFICATION = "sns.notification"
SNS_SUBSCRIPTION_CONFIRMATION = "sns.subscription_confirmation"
SNS_UNSUBSCRIBE_CONFIRMATION = "sns.unsubscribe_confirmation"
#: An SNS notification whose Message is a CloudWatch alarm (issue 12 item 3).
CLOUDWATCH_ALARM = "cloudwatch.alarm"
EVENTBRIDGE_EVENT = "eventbridge.event"
WEBHOOK_ALARM = "webhook.alarm"
#: Inbound email (issue 12 item 5): by the SMTP/LMTP listener, or an SES receipt through SNS.
EMAIL_SMTP = "email.smtp"
EMAIL_SES = "email.ses"
