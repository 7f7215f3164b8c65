"""C5, issue 12 item 5: every email about an incident names the incident's own reply address as its
Reply-To (and keeps the reference in the subject), so an answer from any mail client lands on the
incident; other mail is unchanged. End to end: the outbox sends through Django's locmem backend, the
answer goes back in through the SMTP listener's store and the inbox's processing."""

from __future__ import annotations

import uuid
from email.message import EmailMessage

import pytest
from django.core import mail as outbox

from opsdesk.incidents import services as incidents
from opsdesk.incidents.choices import EmailOutcome
from opsdesk.incidents.escalations import services as escalations
from opsdesk.incidents.mail import reply_address
from opsdesk.incidents.models import InboundEmail, IncidentNote
from opsdesk.incidents.tests.conftest import logged_by_desk
from opsdesk.notifications import delivery
from opsdesk.notifications.models import Notification
from opsdesk.web.mailserver import store
from opsdesk.web.signin import password_reset_email_enqueue


def _sent(event: str, recipient: str):
    """Deliver the outbox row through the mail backend; the message as it left."""
    row = Notification.objects.get(event=event, recipient=recipient)
    assert delivery.deliver(row.pk)
    return outbox.outbox[-1].message()


def _answer(capture, sent, sender: str, text: str, *, subject: str | None = None) -> InboundEmail:
    """What a mail client's "Reply" makes of `sent`, received by the listener's store and processed
    as the commit hands it on."""
    reply = EmailMessage()
    reply["From"] = sender
    reply["To"] = sent["Reply-To"] or sent["From"]
    reply["Subject"] = subject if subject is not None else f"Re: {sent['Subject']}"
    reply["Message-ID"] = f"<{uuid.uuid4()}@customer.test>"
    reply["In-Reply-To"] = sent["Message-ID"]
    reply.set_content(text)
    raw = bytes(reply)
    with capture(execute=True):
        answer = store(raw, mail_from=sender, rcpt_tos=[str(reply["To"])], peer="127.0.0.1")
    assert answer.startswith("250 ")
    return InboundEmail.objects.get(message_id=reply["Message-ID"])


@pytest.fixture
def incident(world):
    return logged_by_desk(world, title="Disk full", description="The volume is at 100 %.")


def test_a_notified_contact_answers_by_reply_and_it_is_a_note_on_the_incident(
    world, incident, django_capture_on_commit_callbacks
):
    contact = world["contact_a"]
    sent = _sent("incident.logged", contact.email)
    assert sent["Reply-To"] == reply_address(incident.pk)
    assert incident.reference in sent["Subject"]
    row = _answer(django_capture_on_commit_callbacks, sent, contact.email, "Still full after the clean-up.")
    assert row.outcome == EmailOutcome.NOTE and row.incident_id == incident.pk
    note = IncidentNote.objects.get(pk=row.note_id)
    assert note.public and note.incident_id == incident.pk and "Still full" in note.body
    assert note.author == world["customer_a"]  # the contact's own sign-in, as the portal writes it


def test_the_reply_address_carries_an_answer_the_subject_alone_would_not(
    world, incident, django_capture_on_commit_callbacks
):
    """A colleague of the contact, not a named contact, answers from a phone that dropped the
    reference: only the Reply-To ties it to the incident."""
    sent = _sent("incident.logged", world["contact_a"].email)
    row = _answer(
        django_capture_on_commit_callbacks,
        sent,
        "night-shift@elsewhere.test",
        "Restarted the box.",
        subject="Re: your email",
    )
    assert row.outcome == EmailOutcome.NOTE and row.incident_id == incident.pk


def test_every_email_about_an_incident_names_its_reply_address(world, incident):
    desk = world["service_desk"]
    incidents.incident_acknowledge(actor=desk, incident=incident)
    incidents.incident_add_note(actor=desk, incident=incident, body="We are extending the volume.")
    escalations.escalation_raise(
        actor=world["customer_a"], incident=incident, criterion="poor_updates", details="Updates are vague."
    )
    rows = Notification.objects.filter(channel="email", payload__incident=incident.pk)
    events = set(rows.values_list("event", flat=True))
    assert {"incident.logged", "incident.acknowledged", "incident.note", "escalation.raised"} <= events
    assert set(rows.values_list("reply_to", flat=True)) == {reply_address(incident.pk)}
    for row in rows:
        assert incident.reference in row.subject
    # And as sent: the escalation's copy to the cloud support manager carries it too.
    sent = _sent("escalation.raised", world["cloud_support_manager"].email)
    assert sent["Reply-To"] == reply_address(incident.pk)


def test_a_staff_answer_to_the_reply_address_is_an_internal_note(
    world, incident, django_capture_on_commit_callbacks
):
    """The cloud support manager answers an escalation copy by email: kept on the incident for colleagues,
    never sent on to the customer as a public update."""
    escalations.escalation_raise(
        actor=world["customer_a"], incident=incident, criterion="poor_updates", details="Updates are vague."
    )
    sent = _sent("escalation.raised", world["cloud_support_manager"].email)
    row = _answer(
        django_capture_on_commit_callbacks, sent, world["cloud_support_manager"].email, "Calling them now."
    )
    note = IncidentNote.objects.get(pk=row.note_id)
    assert (
        not note.public and note.author == world["cloud_support_manager"] and note.incident_id == incident.pk
    )
    assert not Notification.objects.filter(event="incident.note", payload__note=note.pk).exists()


def test_mail_not_about_an_incident_has_no_reply_to(world):
    password_reset_email_enqueue(user=world["customer_a"], subject="Reset your password", body="link")
    sent = _sent("auth.password_reset", world["customer_a"].email)
    assert sent["Reply-To"] is None
