"""Issue 12 item 5 (C5, C1, C7): inbound email through the real SMTP listener (aiosmtpd, in a thread,
on a free port, sent to with smtplib) and through Amazon SES receipts carried by signed SNS
messages, into notes, incidents and the triage list."""

from __future__ import annotations

import base64
import datetime as dt
import json
import smtplib
import socket
import uuid
from email.message import EmailMessage

import pytest
from django.db import connections
from django.utils import timezone

from opsdesk.core.models import AuditEvent  # noqa: F401  (the audit log is part of the world)
from opsdesk.directory.models import NamedContact
from opsdesk.inbox import services as inbox
from opsdesk.inbox import sns
from opsdesk.inbox.models import Delivery
from opsdesk.inbox.tests import snsfixture
from opsdesk.incidents import mail
from opsdesk.incidents import services as incidents
from opsdesk.incidents.attachments.models import Attachment
from opsdesk.incidents.choices import EmailOutcome, TriageState
from opsdesk.incidents.models import InboundEmail, Incident, IncidentNote
from opsdesk.incidents.tests.conftest import logged_by_desk
from opsdesk.notifications.models import Notification
from opsdesk.sla.choices import DeadlineKind
from opsdesk.sla.deadlines import deadlines_of, deadlines_sweep
from opsdesk.web.mailserver import MailController, store

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def listener(db, settings, django_capture_on_commit_callbacks):
    """The listener on a free port. Its worker thread uses this test's connection (as Django's live
    server does), so what it stores is inside the test's transaction and rolled back after."""
    settings.MAIL_MAX_BYTES = 200_000
    conn = connections["default"]
    conn.inc_thread_sharing()

    def shared_store(raw, **envelope):
        connections["default"] = conn
        return store(raw, **envelope)

    port = _free_port()
    controller = MailController(host="127.0.0.1", port=port, store=shared_store)
    controller.start()

    def send(message: EmailMessage) -> None:
        # Processing is scheduled on commit: run it as the commit would.
        with django_capture_on_commit_callbacks(execute=True):
            with smtplib.SMTP("127.0.0.1", port, timeout=20) as client:
                client.send_message(message)

    send.port = port
    yield send
    controller.stop()
    conn.dec_thread_sharing()


def _mail(
    sender: str,
    subject: str,
    text: str = "The API answers 502.",
    *,
    to: str = "desk@provider.test",
    **headers,
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = f"<{uuid.uuid4()}@customer.test>"
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(text)
    return message


def _outcome(message: EmailMessage) -> InboundEmail:
    delivery = Delivery.objects.get(source="email", external_id=message["Message-ID"])
    assert delivery.state == "processed", delivery.error
    return InboundEmail.objects.get(delivery_id=delivery.pk)


def test_named_contact_opens_an_incident_and_is_told_what_c1_lacks(world, listener):
    contact = world["contact_a"]
    message = _mail(contact.email.upper(), "Database down", "Orders fail since 10:00.")
    listener(message)
    row = _outcome(message)
    assert row.outcome == EmailOutcome.INCIDENT
    incident = row.incident
    assert incident.priority == "P3" and incident.reported_by == contact and incident.source == "email"
    assert incident.title == "Database down" and "Orders fail" in incident.description
    # C1: no service named and the diagnostics not confirmed: opened anyway, the contact is told.
    told = Notification.objects.get(event="incident.email_missing")
    assert told.recipient == contact.email and incident.reference in told.subject
    assert "service reference" in told.body
    # C7: the email waits for a reply, 8 working hours.
    assert incident.awaiting_reply_since is not None
    assert DeadlineKind.EMAIL_REPLY in deadlines_of(owner_type="incident", owner_id=incident.pk)


def test_service_line_names_the_service(world, listener):
    contact, service = world["contact_a"], world["service_a"]
    message = _mail(contact.email, "Slow", f"Service: {service.reference}\nPages take 30 s.")
    listener(message)
    assert _outcome(message).incident.service == service


def test_reply_with_reference_is_a_note_and_a_staff_reply_answers_it(world, listener):
    incident = logged_by_desk(world, title="Disk full", description="The volume is at 100 %.")
    message = _mail(world["contact_a"].email, f"Re: [{incident.reference}] Update: Disk full", "Still full.")
    listener(message)
    row = _outcome(message)
    assert row.outcome == EmailOutcome.NOTE and row.incident == incident
    note = IncidentNote.objects.get(pk=row.note_id)
    assert note.public and "Still full." in note.body and note.incident == incident
    incident.refresh_from_db()
    assert incident.awaiting_reply_since is not None
    deadline = deadlines_of(owner_type="incident", owner_id=incident.pk)[DeadlineKind.EMAIL_REPLY]
    assert deadline.hours == 8 and deadline.met_at is None
    # A public staff note answers it: cleared, the deadline met.
    incidents.incident_add_note(actor=world["service_desk"], incident=incident, body="We are extending it.")
    incident.refresh_from_db()
    assert incident.awaiting_reply_since is None
    deadline.refresh_from_db()
    assert deadline.met_at is not None


def test_unanswered_email_breaches_after_eight_working_hours(world, listener):
    incident = logged_by_desk(world, title="Disk full", description="The volume is at 100 %.")
    message = _mail(world["contact_a"].email, f"[{incident.reference}] any news?", "Any news?")
    listener(message)
    deadline = deadlines_of(owner_type="incident", owner_id=incident.pk)[DeadlineKind.EMAIL_REPLY]
    deadlines_sweep(now=deadline.due_at + dt.timedelta(seconds=1))
    incident.refresh_from_db()
    assert incident.escalation_offered
    assert incident.events.filter(kind="breach", detail__contains="8 working hours").exists()


def test_per_incident_reply_address(world, listener):
    incident = logged_by_desk(world, title="Disk full", description="The volume is at 100 %.")
    message = _mail(
        "someone@elsewhere.test", "no reference here", "From my phone.", to=mail.reply_address(incident.pk)
    )
    listener(message)
    assert _outcome(message).outcome == EmailOutcome.NOTE
    forged = _mail("x@elsewhere.test", "hi", to=f"incident+{incident.pk}.0000000000000000@provider.test")
    listener(forged)
    assert _outcome(forged).outcome == EmailOutcome.TRIAGE


def test_unknown_sender_goes_to_triage(world, listener):
    message = _mail("stranger@nowhere.test", "Please help")
    listener(message)
    row = _outcome(message)
    assert row.outcome == EmailOutcome.TRIAGE and row.triage_state == TriageState.OPEN
    assert row.incident is None and "named contact" in row.reason


@pytest.mark.parametrize(
    "headers, reason",
    [
        ({"Auto_Submitted": "auto-replied"}, "Auto-Submitted"),
        ({"Precedence": "bulk"}, "Precedence"),
        ({"X_Autoreply": "yes"}, "X-Autoreply"),
    ],
)
def test_auto_replies_are_ignored(world, listener, headers, reason):
    message = _mail(world["contact_a"].email, "Out of office", **headers)
    listener(message)
    row = _outcome(message)
    assert row.outcome == EmailOutcome.IGNORED and reason in row.reason
    assert not Incident.objects.filter(source="email").exists()


def test_our_own_message_id_is_a_loop(world, listener):
    message = _mail(world["contact_a"].email, "[INC-000001] Update")
    message.replace_header("Message-ID", "<opsdesk-notification-42@localhost>")
    listener(message)
    row = _outcome(message)
    assert row.outcome == EmailOutcome.IGNORED and "Loop" in row.reason


def test_html_is_sanitised_and_text_preferred(world, listener):
    message = EmailMessage()
    message["From"] = world["contact_a"].email
    message["To"] = "desk@provider.test"
    message["Subject"] = "HTML only"
    message["Message-ID"] = f"<{uuid.uuid4()}@customer.test>"
    message.set_content("<p>Hello <b>desk</b></p><script>alert('x')</script><p>Bye</p>", subtype="html")
    listener(message)
    incident = _outcome(message).incident
    assert "Hello desk" in incident.description and "Bye" in incident.description
    assert "script" not in incident.description and "alert" not in incident.description


def test_attachment_kept_on_the_note(world, listener):
    incident = logged_by_desk(world, title="Disk full", description="The volume is at 100 %.")
    message = _mail(world["contact_a"].email, f"[{incident.reference}] screenshot", "See attached.")
    message.add_attachment(PNG, maintype="image", subtype="png", filename="graph.png")
    listener(message)
    row = _outcome(message)
    attachment = Attachment.objects.get(incident=incident)
    assert attachment.note_id == row.note_id and attachment.content_type == "image/png"
    assert attachment.public and attachment.size == len(PNG)


def test_mail_bomb_is_rate_limited_into_triage(world, listener, settings):
    settings.MAIL_RATE_PER_HOUR = 20
    incident = logged_by_desk(world, title="Disk full", description="The volume is at 100 %.")
    sent = []
    for n in range(25):
        message = _mail(world["contact_a"].email, f"[{incident.reference}] again {n}", f"Message {n}")
        listener(message)
        sent.append(message)
    rows = [_outcome(m) for m in sent]
    assert len(rows) == 25  # all recorded
    assert [r.outcome for r in rows].count(EmailOutcome.NOTE) == 20
    limited = [r for r in rows if r.outcome == EmailOutcome.RATE_LIMITED]
    assert len(limited) == 5 and all(r.triage_state == TriageState.OPEN for r in limited)


def test_same_message_id_twice_is_one_delivery(world, listener):
    message = _mail(world["contact_a"].email, "Twice")
    listener(message)
    listener(message)
    assert Delivery.objects.filter(source="email", external_id=message["Message-ID"]).count() == 1
    assert Incident.objects.filter(source="email").count() == 1


def test_too_large_is_refused_with_552(world, listener):
    message = _mail(world["contact_a"].email, "Huge", "x" * 300_000)
    with pytest.raises(smtplib.SMTPException) as refused:
        listener(message)
    assert "552" in str(refused.value)
    assert not Delivery.objects.filter(source="email").exists()


def test_handler_runs_once_per_delivery(world):
    raw = bytes(_mail(world["contact_a"].email, "Once"))
    receipt = inbox.delivery_store(source="email", external_id="<once@x>", body=raw, kind="email.smtp")
    first = mail.email_receive(delivery_id=receipt.delivery.pk, raw=raw, received_at=timezone.now())
    again = mail.email_receive(delivery_id=receipt.delivery.pk, raw=raw, received_at=timezone.now())
    assert again.email.pk == first.email.pk and not again.created
    assert Incident.objects.filter(source="email").count() == 1


# --- Amazon SES receipts through SNS -----------------------------------------------------------


@pytest.fixture
def ses_endpoint(world, settings):
    settings.SNS_FETCHER = "opsdesk.inbox.tests.snsfixture.fetch"
    sns.clear_certificate_cache()
    snsfixture.SERVED.clear()
    snsfixture.serve_certificate()
    subscription = inbox.sns_subscription_create(
        actor=world["admin"], organisation=world["org_a"], topic_arns=[snsfixture.TOPIC], description="SES"
    )
    yield f"/intake/sns/{subscription.token}/"
    sns.clear_certificate_cache()


@pytest.mark.parametrize("encoding", ["BASE64", "UTF8"])
def test_ses_receipt_through_sns_opens_an_incident(
    world, client, ses_endpoint, encoding, django_capture_on_commit_callbacks
):
    raw = bytes(_mail(world["contact_a"].email, f"Via SES {encoding}", "Queue is stuck."))
    content = base64.b64encode(raw).decode() if encoding == "BASE64" else raw.decode()
    receipt = {
        "notificationType": "Received",
        "mail": {"source": world["contact_a"].email, "messageId": "ses-1"},
        "receipt": {"action": {"type": "SNS", "encoding": encoding, "topicArn": snsfixture.TOPIC}},
        "content": content,
    }
    document = snsfixture.sign(
        snsfixture.notification(message=json.dumps(receipt), subject="Amazon SES Email Receipt Notification")
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = snsfixture.post(client, ses_endpoint, document)
    assert response.status_code == 200, response.content
    delivery = Delivery.objects.get(pk=response.json()["id"])
    assert delivery.kind == "email.ses" and delivery.state == "processed", delivery.error
    row = InboundEmail.objects.get(delivery_id=delivery.pk)
    assert row.outcome == EmailOutcome.INCIDENT and row.incident.title == f"Via SES {encoding}"


# --- the triage list ---------------------------------------------------------------------------


def test_triage_api_staff_only_and_steps(world, listener, client):
    message = _mail("stranger@nowhere.test", "Please help", "Our site is down.")
    listener(message)
    item = _outcome(message)
    client.force_login(world["customer_a"])
    assert client.get("/api/v1/email-triage").status_code == 404
    assert client.get(f"/api/v1/email-triage/{item.pk}").status_code == 404
    assert client.get(f"/incidents/email-triage/{item.pk}/").status_code == 404
    client.force_login(world["service_desk"])
    listed = client.get("/api/v1/email-triage").json()
    assert [r["id"] for r in listed["results"]] == [item.pk]
    page = client.get(f"/incidents/email-triage/{item.pk}/")
    assert page.status_code == 200 and b"Our site is down." in page.content
    # C3: the incident needs a technical contact to reach at this hour, whatever the hour the suite runs.
    NamedContact.objects.filter(organisation=world["org_a"]).update(
        is_technical_in_hours=True, is_technical_out_of_hours=True
    )
    taken = client.post(f"/api/v1/email-triage/{item.pk}/take", content_type="application/json")
    assert taken.status_code == 200 and taken.json()["triage_state"] == "assigned"
    opened = client.post(
        f"/api/v1/email-triage/{item.pk}/open-incident",
        {"organisation": world["org_a"].pk, "priority": "P3"},
        content_type="application/json",
    )
    assert opened.status_code == 200, opened.content
    incident = Incident.objects.get(pk=opened.json()["incident_id"])
    assert incident.organisation == world["org_a"] and "Our site is down." in incident.description
    again = client.post(
        f"/api/v1/email-triage/{item.pk}/dismiss", {"reason": "x"}, content_type="application/json"
    )
    assert again.status_code == 409


def test_triage_dismiss(world, listener, client):
    message = _mail("stranger@nowhere.test", "Buy our SEO")
    listener(message)
    item = _outcome(message)
    client.force_login(world["service_desk"])
    response = client.post(f"/incidents/email-triage/{item.pk}/dismiss/", {"reason": "spam"})
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.triage_state == TriageState.DISMISSED and "spam" in item.reason


def test_a_calendar_change_moves_the_email_reply_deadline_not_the_response_copies(world):
    """B5: the email_reply deadline is recomputed with the others; the incident's copies of its
    response targets take only their own deadlines' instants."""
    from datetime import date

    from opsdesk.calendars import services as calendars
    from opsdesk.calendars.models import Calendar
    from opsdesk.incidents.tests.conftest import london
    from opsdesk.sla import deadlines

    incident = logged_by_desk(
        world, title="Disk full", description="Full.", priority="P3", at=london(2026, 12, 1, 9, 0)
    )
    incidents.email_reply_await(incident=incident, at=london(2026, 12, 1, 16, 0))
    before = Incident.objects.get(pk=incident.pk)
    reply_before = deadlines_of(owner_type="incident", owner_id=incident.pk)[DeadlineKind.EMAIL_REPLY].due_at
    uk = Calendar.objects.get(name="uk")
    calendars.closure_add(actor=world["admin"], calendar=uk, date=date(2026, 12, 2), reason="Office move")
    uk.refresh_from_db()
    deadlines.deadlines_recompute(calendar=uk, actor=world["admin"])
    after = Incident.objects.get(pk=incident.pk)
    mine = deadlines_of(owner_type="incident", owner_id=incident.pk)
    assert mine[DeadlineKind.EMAIL_REPLY].due_at > reply_before
    assert after.considered_response_due == mine[DeadlineKind.CONSIDERED_RESPONSE].due_at
    assert after.initial_response_due == before.initial_response_due


def test_a_reply_by_email_resumes_an_incident_awaiting_the_customer(world, listener):
    incident = logged_by_desk(world, title="Disk full", description="The volume is at 100 %.")
    desk = world["service_desk"]
    incident = incidents.incident_acknowledge(actor=desk, incident=incident)
    incident = incidents.incident_await_customer(actor=desk, incident=incident, note="Which volume?")
    message = _mail(world["contact_a"].email, f"Re: [{incident.reference}] Awaiting you", "The data volume.")
    listener(message)
    row = _outcome(message)
    incident.refresh_from_db()
    assert row.outcome == EmailOutcome.NOTE and incident.state == "investigating"
    assert IncidentNote.objects.get(pk=row.note_id).author == world["customer_a"]


def test_a_mail_bomb_of_1000_messages_from_one_sender_is_rate_limited_into_triage(
    world, settings, django_capture_on_commit_callbacks
):
    """Issue 12, "Bad input": 1,000 messages from one sender within the hour, stored as the listener
    stores them (one inbox delivery each) and processed by the scheduled task. The first
    MAIL_RATE_PER_HOUR become notes; the rest wait in triage as rate-limited, each with its reason.
    Nothing is lost: every message is one processed delivery and one recorded email."""
    settings.MAIL_RATE_PER_HOUR = 20  # the shipped default
    incident = logged_by_desk(world, title="Disk full", description="The volume is at 100 %.")
    sender = world["contact_a"].email
    for n in range(1000):
        message = _mail(sender, f"[{incident.reference}] again {n}", f"Message {n}")
        with django_capture_on_commit_callbacks(execute=True):
            store(bytes(message), mail_from=sender, rcpt_tos=["desk@provider.test"], peer="127.0.0.1")
    deliveries = Delivery.objects.filter(source="email")
    assert deliveries.count() == 1000 and not deliveries.exclude(state="processed").exists()
    rows = InboundEmail.objects.filter(sender=sender.lower())
    assert rows.count() == 1000 and rows.values("delivery_id").distinct().count() == 1000
    assert rows.filter(outcome=EmailOutcome.NOTE).count() == 20
    assert IncidentNote.objects.filter(incident=incident, body__startswith="Email from").count() == 20
    limited = rows.filter(outcome=EmailOutcome.RATE_LIMITED)
    assert limited.count() == 980
    assert not limited.exclude(triage_state=TriageState.OPEN).exists()
    assert set(limited.values_list("reason", flat=True)) == {
        "More than 20 messages from this sender in an hour."
    }
    # Staff see them on the triage list, filtered by the sender.
    listed = mail.email_triage_list(user=world["admin"], outcome=EmailOutcome.RATE_LIMITED, sender=sender)
    assert listed.count() == 980
