"""The inbound mail listener (issue 12 item 5): SMTP (or LMTP) on aiosmtpd, in front of the inbox.

Each message is stored as an inbox delivery (source "email", external id = its Message-ID, the raw
bytes) and committed before the 250 answer; a redelivery of the same Message-ID is stored once and
answered 250 again. Larger than OPSDESK_MAIL_MAX_BYTES: 552 (aiosmtpd's data size limit). A message
without a Message-ID gets one from the digest of its bytes, so a resend is still stored once.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from email.parser import BytesHeaderParser
from email.policy import default as default_policy

from aiosmtpd.controller import Controller
from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import SMTP
from django.conf import settings
from django.db import close_old_connections

from opsdesk.inbox.choices import EMAIL_SMTP, DeliverySource
from opsdesk.inbox.services import delivery_store

logger = logging.getLogger("opsdesk.mail")


def message_id_of(raw: bytes) -> str:
    headers = BytesHeaderParser(policy=default_policy).parsebytes(raw)
    value = " ".join(str(headers.get("Message-ID") or "").split())
    return value[:255] if value else f"<sha256-{hashlib.sha256(raw).hexdigest()}@opsdesk.invalid>"


def store(raw: bytes, *, mail_from: str, rcpt_tos: list[str], peer: str) -> str:
    """Store one message (committed when this returns); the SMTP reply line."""
    receipt = delivery_store(
        source=DeliverySource.EMAIL,
        external_id=message_id_of(raw),
        body=raw,
        kind=EMAIL_SMTP,
        headers={"mail_from": mail_from[:500], "rcpt_to": ", ".join(rcpt_tos)[:500], "peer": peer[:100]},
        answered=250,
    )
    note = " (already stored)" if receipt.duplicate else ""
    return f"250 Message accepted as delivery {receipt.delivery.pk}{note}"


def store_in_worker_thread(raw: bytes, **envelope) -> str:
    """`store` on one of the listener's worker threads, with Django's connection hygiene."""
    close_old_connections()
    try:
        return store(raw, **envelope)
    finally:
        close_old_connections()


class InboxHandler:
    def __init__(self, store=store_in_worker_thread) -> None:
        self.store = store

    async def handle_DATA(self, server, session, envelope) -> str:
        """Runs on the event loop: the database work goes to a worker thread."""
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(
                None,
                lambda: self.store(
                    raw,
                    mail_from=envelope.mail_from or "",
                    rcpt_tos=list(envelope.rcpt_tos),
                    peer=str(session.peer),
                ),
            )
        except Exception:
            logger.exception("inbound email not stored")
            return "451 Requested action aborted: not stored, try again later"


class MailController(Controller):
    def __init__(self, *, host: str, port: int, lmtp: bool = False, store=store_in_worker_thread) -> None:
        self.lmtp = lmtp
        super().__init__(
            InboxHandler(store), hostname=host, port=port, data_size_limit=settings.MAIL_MAX_BYTES
        )

    def factory(self):
        kwargs = {"data_size_limit": settings.MAIL_MAX_BYTES, "enable_SMTPUTF8": True, "decode_data": False}
        return LMTP(self.handler, **kwargs) if self.lmtp else SMTP(self.handler, **kwargs)
