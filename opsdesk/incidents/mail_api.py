"""The email triage API (issue 12 item 5), provider staff only: inbound emails waiting for someone
(unknown senders, rate-limited senders, replies to closed incidents) and their steps."""

from __future__ import annotations

from ninja import Router

from opsdesk.core.crud import declare, routes, steps
from opsdesk.incidents import mail, schemas

router = Router(tags=["email triage"])

EMAIL_TRIAGE = declare(
    "email_triage",
    "/email-triage",
    ("list", "get"),
    selectors=mail,
    services=mail,
    schemas=schemas,
    id="email_id",
    ordering=("received_at", "sender"),
    docs={"list": "Inbound emails waiting in triage, newest first; `?outcome=` lists any outcome."},
)
routes(router, EMAIL_TRIAGE, module=__name__)

step = steps(
    router,
    "/email-triage/{email_id}",
    "email_triage",
    schemas.EmailTriageOut,
    module=__name__,
    selectors=mail,
    services=mail,
)
step("take", "email_triage_take", description="Assign the item to yourself.")
step("dismiss", "email_triage_dismiss", schemas.EmailTriageDismissIn, "reason", description="Nothing to do.")
step(
    "open-incident",
    "email_triage_open_incident",
    schemas.EmailTriageOpenIn,
    "organisation",
    "priority",
    description="Open an incident for an organisation from the email (its text is the description).",
)
