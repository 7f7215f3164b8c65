"""The per-incident reply address (C5; issue 12 item 5): incident+<id>.<mac>@<domain>.

Every email about an incident names it as its Reply-To (notification_enqueue's `reply_to`), and
inbound mail sent to it lands on the incident (mail.email_receive). The mac, keyed by the secret
key, stops anyone from writing to an incident by guessing its number. Kept apart from mail.py so
the modules that compose outgoing mail (notifications, escalations, RCAs) can use it without
importing the inbound path.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from email.utils import parseaddr

from django.conf import settings

REPLY_ADDRESS = re.compile(r"^incident\+(\d{1,12})\.([0-9a-f]{16})@", re.IGNORECASE)


def _domain() -> str:
    return (
        settings.MAIL_DOMAIN
        or parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2]
        or "opsdesk.invalid"
    )


def _mac(incident_id: int) -> str:
    key = f"opsdesk-reply:{settings.SECRET_KEY}".encode()
    return hmac.new(key, str(incident_id).encode(), hashlib.sha256).hexdigest()[:16]


def reply_address(incident_id: int) -> str:
    """The per-incident reply address: incident+<id>.<mac>@<domain>; the mac stops guessing."""
    return f"incident+{incident_id}.{_mac(incident_id)}@{_domain()}"


def incident_from_address(address: str) -> int | None:
    match = REPLY_ADDRESS.match(address or "")
    if match and hmac.compare_digest(match.group(2).lower(), _mac(int(match.group(1)))):
        return int(match.group(1))
    return None
