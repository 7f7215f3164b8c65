"""Inbound email becomes notes and incidents (C5, C1, C7; issue 12 item 5).

The shell hands each inbox delivery of an email here (web/intake_email.py) as raw RFC 822 bytes.
`email_receive` decides, once per delivery (the InboundEmail row is unique by delivery):

- auto-replies and loops are ignored, with the reason (Auto-Submitted other than "no", Precedence
  bulk/junk/list, X-Autoreply/X-Autorespond, our own notifications' Message-IDs or headers);
- more than MAIL_RATE_PER_HOUR messages an hour from one sender go to triage, rate-limited;
- a reply naming an open incident (its reference in the subject, or its reply address
  incident+<id>.<mac>@<domain>, the Reply-To of every email about it) from a named contact of its
  organisation is a public note; one to its reply address from the provider's staff is an internal
  note by them;
- other mail from a named contact opens an incident (P3; what C1 needs and email does not give is
  reported back to the contact by email);
- anything else is a triage item for staff.

A customer email on an incident starts the C7 "email not answered within 8 working hours" clock
(services.email_reply_await); a public reply by staff stops it.
"""

from __future__ import annotations

import email
import email.policy
import html
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import getaddresses, parseaddr
from typing import Any

import nh3
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import QuerySet

from opsdesk.core.errors import Conflict, NotFound, ValidationFailed
from opsdesk.core.permissions import require_permission
from opsdesk.core.roles import STAFF_ROLES
from opsdesk.core.selectors import get_or_not_found, narrowed
from opsdesk.core.services import lock_for_update, record_update
from opsdesk.core.validation import reject_nul
from opsdesk.directory.models import NamedContact, Organisation, User
from opsdesk.incidents import services
from opsdesk.incidents.addresses import incident_from_address, reply_address
from opsdesk.incidents.choices import (
    OPEN_STATES,
    TRIAGE_OUTCOMES,
    EmailOutcome,
    IncidentState,
    Priority,
    Source,
    TriageState,
)
from opsdesk.incidents.models import InboundEmail, Incident
from opsdesk.notifications.services import notification_enqueue

#: What a subject names an incident by: the reference of our notifications' "[INC-000123] …".
REFERENCE = re.compile(r"\bINC-(\d{1,12})\b", re.IGNORECASE)
OUR_MESSAGE_ID = re.compile(r"<opsdesk-notification-\d+@([^>]+)>")
#: A "Service: SVC-1" line in the body names the service (C1).
SERVICE_LINE = re.compile(r"^\s*service(?:\s+reference)?\s*:\s*(\S+)", re.IGNORECASE | re.MULTILINE)
BODY_MAX_CHARS = 20_000


@dataclass
class MailPart:
    filename: str
    content_type: str
    data: bytes


@dataclass
class Received:
    """What became of the email, and its attachments for the caller to keep on the incident."""

    email: InboundEmail
    attachments: list[MailPart] = field(default_factory=list)
    created: bool = True


def ignore_reason(message: EmailMessage) -> str:
    """Why an email must not be acted on (an auto-reply or a loop), or ""."""
    auto = (message.get("Auto-Submitted") or "").strip().lower()
    if auto and auto != "no":
        return f"Auto-Submitted: {auto[:50]}"
    precedence = (message.get("Precedence") or "").strip().lower()
    if precedence in ("bulk", "junk", "list"):
        return f"Precedence: {precedence}"
    for name in ("X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress"):
        if message.get(name) and name != "X-Auto-Response-Suppress":
            return f"{name} header"
    if message.get("X-Opsdesk-Event"):
        return "Loop: one of our own notifications"
    match = OUR_MESSAGE_ID.search(message.get("Message-ID") or "")
    if match:
        return "Loop: our own Message-ID"
    ours = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].lower()
    if ours and parseaddr(message.get("From") or "")[1].lower() == ours:
        return "Loop: sent from our own address"
    return ""


def html_to_text(markup: str) -> str:
    """HTML mail as plain text: sanitised by nh3 with no tag allowed (scripts and styles go with
    their content), then entities decoded; the note is Markdown rendered without raw HTML."""
    markup = re.sub(r"(?i)<br\s*/?>|</p>|</div>|</li>|</tr>", "\n", markup)
    return html.unescape(nh3.clean(markup, tags=set())).strip()


def body_text(message: EmailMessage) -> str:
    """The text part, else the HTML part as sanitised text."""
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        content = part.get_content()
    except (LookupError, UnicodeError, AssertionError):
        content = (part.get_payload(decode=True) or b"").decode("utf-8", "replace")
    if not isinstance(content, str):
        return ""
    if part.get_content_type() == "text/html":
        content = html_to_text(content)
    return content.replace("\x00", "").strip()[:BODY_MAX_CHARS]


def attachments_of(message: EmailMessage) -> list[MailPart]:
    parts = []
    for part in message.iter_attachments():
        data = part.get_payload(decode=True)
        if isinstance(data, bytes) and data:
            parts.append(MailPart(part.get_filename() or "attachment", part.get_content_type(), data))
    return parts


def _contact(sender: str) -> NamedContact | None:
    if not sender:
        return None
    return (
        NamedContact.objects.select_related("organisation", "organisation__calendar")
        .filter(email__iexact=sender, retired_at__isnull=True)
        .order_by("pk")
        .first()
    )


def _incident_named(message: EmailMessage, subject: str) -> tuple[Incident | None, bool]:
    """(the incident, whether its reply address proved it) the email is about, if any."""
    recipients = getaddresses(
        [
            str(v)
            for name in ("To", "Cc", "Delivered-To", "X-Original-To")
            for v in message.get_all(name) or []
        ]
    )
    for _, address in recipients:
        incident_id = incident_from_address(address)
        if incident_id is not None:
            found = Incident.objects.select_related("organisation").filter(pk=incident_id).first()
            if found is not None:
                return found, True
    match = REFERENCE.search(subject)
    if match:
        reference = f"INC-{int(match.group(1)):06d}"
        return Incident.objects.select_related("organisation").filter(reference=reference).first(), False
    return None, False


def _staff_user(sender: str) -> Any:
    """The provider's own person behind a sender address: staff answer incident mail too, now
    that it carries the incident's reply address."""
    if not sender:
        return None
    return User.objects.filter(email__iexact=sender, is_active=True, role__in=STAFF_ROLES).first()


def _customer_user(contact: NamedContact) -> Any:
    return User.objects.filter(contact=contact, is_active=True, role="customer").first()


def _rate_limited(sender: str, at: datetime) -> bool:
    if not sender or settings.MAIL_RATE_PER_HOUR <= 0:
        return False
    recent = InboundEmail.objects.filter(
        sender=sender, received_at__gt=at - timedelta(hours=1), received_at__lte=at
    ).exclude(outcome=EmailOutcome.IGNORED)
    return recent.count() >= settings.MAIL_RATE_PER_HOUR


def _note_body(name: str, sender: str, subject: str, text: str) -> str:
    who = f"{name} <{sender}>" if name else sender
    return f"Email from {who}: {subject}\n\n{text or '(no text)'}"[:BODY_MAX_CHARS]


def _missing_c1(text: str, organisation: Organisation) -> tuple[Any, list[str]]:
    """C1 by email: the service named by a "Service: …" line, and what is missing."""
    missing = []
    service = None
    match = SERVICE_LINE.search(text)
    if match:
        service = organisation.services.filter(reference__iexact=match.group(1).strip(".,;")).first()
    if service is None:
        missing.append('the service reference (a line "Service: <reference>" naming one of your services)')
    if not text.strip():
        missing.append("a description of the problem")
    if services.active_checklist():
        missing.append(
            "confirmation that the diagnostics checklist was done (confirm it on the incident page)"
        )
    return service, missing


def _open_incident(contact: NamedContact, subject: str, text: str, at: datetime) -> Incident:
    organisation = contact.organisation
    service, missing = _missing_c1(text, organisation)
    detail = f"Opened from an email by {contact} as {Priority.P3}."
    if missing:
        detail += " Missing (C1): " + "; ".join(missing) + "."
    incident = services._store_new(
        actor=None,
        detail=detail,
        organisation=organisation,
        service=service,
        title=(subject or "Email from " + contact.name)[:200],
        description=text or "(no text)",
        priority=Priority.P3,
        source=Source.EMAIL,
        reported_by=contact,
        diagnostics_confirmed=[],
        logged_at=services._instant(at),
    )
    if missing:
        notification_enqueue(
            event="incident.email_missing",
            organisation=organisation,
            recipients=[contact.email],
            subject=f"[{incident.reference}] Information needed: {incident.title}",
            body=(
                f"Your email has been logged as incident {incident.reference} ({Priority.P3}).\n\n"
                "To log an incident we also need:\n"
                + "".join(f"- {m}\n" for m in missing)
                + f"\nReply to this email (keep the reference {incident.reference} in the subject).\n"
            ),
            payload={"incident": incident.pk, "reference": incident.reference, "missing": missing},
            dedup_key=f"incident:{incident.pk}:email-missing",
            reply_to=reply_address(incident.pk),
        )
    return incident


def email_receive(*, delivery_id: int, raw: bytes, received_at: datetime) -> Received:
    """C5: act on one inbound email, once per delivery (a second run returns the first outcome)."""
    existing = InboundEmail.objects.filter(delivery_id=delivery_id).first()
    if existing is not None:
        return Received(existing, created=False)
    message = email.message_from_bytes(raw, policy=email.policy.default)
    name, sender = parseaddr(str(message.get("From") or ""))
    sender = sender.strip().lower()[:254]
    subject = " ".join(str(message.get("Subject") or "").split())[:300].replace("\x00", "")
    row = InboundEmail(
        delivery_id=delivery_id,
        message_id=str(message.get("Message-ID") or "").strip()[:255].replace("\x00", ""),
        sender=sender,
        sender_name=name[:200].replace("\x00", ""),
        subject=subject,
        received_at=received_at,
    )
    parts: list[MailPart] = []
    reason = ignore_reason(message)
    if reason:
        row.outcome, row.reason = EmailOutcome.IGNORED, reason
        return _save(row, parts)
    row.body_text = body_text(message)
    contact = _contact(sender)
    row.contact = contact
    row.organisation = contact.organisation if contact is not None else None
    if _rate_limited(sender, received_at):
        row.outcome, row.triage_state = EmailOutcome.RATE_LIMITED, TriageState.OPEN
        row.reason = f"More than {settings.MAIL_RATE_PER_HOUR} messages from this sender in an hour."
        return _save(row, parts)
    incident, proven = _incident_named(message, subject)
    parts = attachments_of(message)
    with transaction.atomic():
        if incident is not None and (
            proven or (contact and contact.organisation_id == incident.organisation_id)
        ):
            row.organisation = incident.organisation
            if incident.state not in OPEN_STATES:
                row.outcome, row.triage_state = EmailOutcome.TRIAGE, TriageState.OPEN
                row.reason = (
                    f"A reply to {incident.reference}, which is {incident.get_state_display().lower()}."
                )
                row.incident = incident
                return _save(row, [])
            current = Incident.objects.select_for_update().get(pk=incident.pk)
            # The contact's own sign-in, when they have one, writes the note as the portal would
            # (and their answer resumes an incident awaiting them, B4); otherwise "system". A
            # colleague answering a warning or an escalation at the reply address writes an
            # internal note, never a public one sent on to the customer.
            staff = _staff_user(sender) if proven and contact is None else None
            author = staff or (
                _customer_user(contact)
                if contact and contact.organisation_id == incident.organisation_id
                else None
            )
            row.note = services._note(
                actor=author,
                incident=current,
                body=_note_body(name, sender, subject, row.body_text),
                public=staff is None,
                at=services._instant(received_at),
                response=False,
            )
            row.outcome, row.incident = EmailOutcome.NOTE, incident
            if staff is not None:
                return _save(row, parts)
            if author is not None and current.state == IncidentState.AWAITING_CUSTOMER:
                services.incident_resume(actor=author, incident=current, at=received_at)
            services.email_reply_await(incident=current, at=received_at)
            return _save(row, parts)
        if contact is not None:
            opened = _open_incident(contact, subject, row.body_text, received_at)
            row.outcome, row.incident = EmailOutcome.INCIDENT, opened
            services.email_reply_await(incident=opened, at=received_at)
            return _save(row, parts)
    row.outcome, row.triage_state = EmailOutcome.TRIAGE, TriageState.OPEN
    row.reason = (
        f"Names {incident.reference} but is not from a named contact of its organisation."
        if incident is not None
        else "Not from a named contact."
    )
    return _save(row, [])


def _save(row: InboundEmail, parts: list[MailPart]) -> Received:
    try:
        with transaction.atomic():
            row.save(force_insert=True)
    except IntegrityError:  # another worker recorded the same delivery first
        return Received(InboundEmail.objects.get(delivery_id=row.delivery_id), created=False)
    return Received(row, parts)


# --- the triage list (staff) ---------------------------------------------------------------------

TRIAGE_VIEW = "incidents.email_triage"
TRIAGE_MANAGE = "incidents.manage"


def _require_staff(user: Any, permission: str) -> None:
    if not getattr(user, "is_provider_staff", False):
        raise NotFound()
    require_permission(user, permission)


def email_triage_list(
    *, user: Any, triage_state: str | None = None, outcome: str | None = None, sender: str | None = None
) -> QuerySet:
    """Inbound emails waiting for staff (unknown senders, rate-limited, replies to closed incidents),
    newest first; with `outcome` any inbound email (ignored ones show their reason). Staff only:
    to a customer the list is absent (404)."""
    _require_staff(user, TRIAGE_VIEW)
    qs = InboundEmail.objects.select_related("organisation", "incident", "assignee")
    if outcome:
        qs = qs.filter(outcome=outcome)
    else:
        qs = qs.filter(outcome__in=TRIAGE_OUTCOMES)
    return narrowed(qs, triage_state=triage_state, sender__iexact=sender)


def email_triage_get(*, user: Any, pk: Any) -> InboundEmail:
    _require_staff(user, TRIAGE_VIEW)
    return get_or_not_found(InboundEmail.objects.select_related("organisation", "incident", "assignee"), pk)


def _triage_open(item: InboundEmail, expected_version: int | None) -> InboundEmail:
    locked = lock_for_update(item, expected_version)
    if locked.outcome not in TRIAGE_OUTCOMES or locked.triage_state not in (
        TriageState.OPEN,
        TriageState.ASSIGNED,
    ):
        raise Conflict(
            f"This email is not waiting in triage ({locked.get_triage_state_display() or locked.outcome})."
        )
    return locked


def email_triage_take(
    *, actor: Any, email_triage: InboundEmail, expected_version: int | None = None
) -> InboundEmail:
    """A staff member takes the item (assigned to them)."""
    require_permission(actor, TRIAGE_MANAGE)
    with transaction.atomic():
        locked = _triage_open(email_triage, expected_version)
        return record_update(
            actor=actor,
            obj=locked,
            changes={"triage_state": TriageState.ASSIGNED, "assignee": actor},
            public=False,
        )


def email_triage_dismiss(
    *, actor: Any, email_triage: InboundEmail, reason: str = "", expected_version: int | None = None
) -> InboundEmail:
    """Nothing to do (spam, a thank-you): dismissed, with the reason kept."""
    require_permission(actor, TRIAGE_MANAGE)
    reject_nul(reason=reason)
    with transaction.atomic():
        locked = _triage_open(email_triage, expected_version)
        changes = {"triage_state": TriageState.DISMISSED}
        if reason.strip():
            changes["reason"] = f"Dismissed: {reason.strip()}"[:300]
        return record_update(actor=actor, obj=locked, changes=changes, public=False)


def email_triage_open_incident(
    *,
    actor: Any,
    email_triage: InboundEmail,
    organisation: Any,
    priority: str = Priority.P3,
    expected_version: int | None = None,
) -> InboundEmail:
    """Staff open an incident from a triage item for an organisation (C3: raised by the provider,
    the organisation's technical contact to reach); the email's text is its description."""
    require_permission(actor, TRIAGE_MANAGE)
    org = (
        Organisation.objects.restrict(actor).filter(pk=organisation).first()
        if str(organisation).isdigit()
        else None
    )
    if org is None:
        raise ValidationFailed.field("organisation", "No such organisation.")
    with transaction.atomic():
        locked = _triage_open(email_triage, expected_version)
        incident = services.incident_raise_proactive(
            actor=actor,
            organisation=org,
            title=(locked.subject or f"Email from {locked.sender}")[:200],
            description=f"Email from {locked.sender_name or locked.sender} <{locked.sender}>:\n\n"
            f"{locked.body_text or '(no text)'}",
            priority=priority,
        )
        return record_update(
            actor=actor,
            obj=locked,
            changes={"triage_state": TriageState.INCIDENT, "incident": incident, "organisation": org},
            public=False,
        )
