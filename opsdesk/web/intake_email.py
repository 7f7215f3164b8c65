"""The shell's wiring of inbound email (issue 12 item 5, C5): the inbox's email deliveries (the
SMTP/LMTP listener's `email.smtp`, SES receipts through SNS `email.ses`) are handed to incidents
(incidents.mail.email_receive), and the files they carried are kept through the attachments rules
(incidents.attachments.services.attachment_add_from_email). A refused file (too large, a refused
type) is recorded on the inbound email's row, never fails the delivery."""

from __future__ import annotations

from typing import Any

from opsdesk.core.errors import ValidationFailed
from opsdesk.inbox import registry
from opsdesk.inbox.choices import EMAIL_SES, EMAIL_SMTP
from opsdesk.inbox.services import delivery_raw
from opsdesk.inbox.sns import ses_email_bytes
from opsdesk.incidents import mail
from opsdesk.incidents.attachments.services import attachment_add_from_email
from opsdesk.incidents.models import InboundEmail


def _receive(delivery: Any, raw: bytes) -> None:
    received = mail.email_receive(delivery_id=delivery.pk, raw=raw, received_at=delivery.received_at)
    row = received.email
    if not received.created or row.incident_id is None or not received.attachments:
        return
    refused = []
    for part in received.attachments:
        try:
            attachment_add_from_email(
                incident=row.incident, note=row.note, filename=part.filename, data=part.data
            )
        except ValidationFailed as exc:
            refused.append({"filename": part.filename[:200], "reason": str(exc)[:300]})
    if refused:
        InboundEmail.objects.filter(pk=row.pk).update(attachments_refused=refused)


def email_from_smtp(delivery: Any) -> None:
    _receive(delivery, delivery_raw(delivery))


def email_from_ses(delivery: Any) -> None:
    _receive(delivery, ses_email_bytes(delivery.body))


def register() -> None:
    registry.register(EMAIL_SMTP, email_from_smtp)
    registry.register(EMAIL_SES, email_from_ses)
