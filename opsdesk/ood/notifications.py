"""What Operations on Demand tells people (G3), through the outbox (L2), inside the caller's
transaction and with a dedup key, so a retried decision sends nothing twice."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from opsdesk.core import humanize
from opsdesk.core.roles import Role
from opsdesk.directory.models import User
from opsdesk.notifications.services import notification_enqueue
from opsdesk.ood.choices import RequestState
from opsdesk.ood.models import OodRequest


def _lines(request: OodRequest) -> str:
    rows = []
    for line in request.lines.select_related("offering").prefetch_related("approved_accounts"):
        if request.state == RequestState.DENIED:
            rows.append(f"- Line {line.position}: {line.offering}, {line.blocks} block(s): not approved")
            continue
        approved = ", ".join(a.account_id for a in line.approved_accounts.all()) or "none"
        text = (
            f"- Line {line.position}: {line.offering}, "
            f"{line.approved_blocks} of {line.blocks} block(s) for {approved}"
        )
        if line.decision_reason:
            text += f" ({line.decision_reason})"
        rows.append(text)
    return "\n".join(rows)


def notify_decided(request: OodRequest, *, start: dt.date | None) -> None:
    """G3: the named contact who asked learns the decision, line by line, and when work starts."""
    contact = request.contact
    decision = request.get_state_display().lower()
    body = (
        f"Your Operations on Demand request {request.reference} has been {decision}.\n\n{_lines(request)}\n"
    )
    if request.decision_reason:
        body += f"\nReason: {request.decision_reason}\n"
    if start is not None:
        body += f"\nThe engagements start on {start:%A %-d %B %Y}.\n"
    notification_enqueue(
        event=f"ood.request.{request.state}",
        organisation=request.organisation,
        recipients=[contact.email] if contact.email else [],
        subject=f"[{request.reference}] Operations on Demand request {decision}",
        body=body,
        payload={
            "request": request.pk,
            "reference": request.reference,
            "organisation": request.organisation_id,
            "state": request.state,
            "start_date": start.isoformat() if start else None,
        },
        dedup_key=f"ood-request:{request.pk}:decided",
    )


def threshold_recipients(engagement) -> list[str]:
    """The CSDM and the organisation's billing contacts; without a billing contact, the CSDM and
    the account manager."""
    org = engagement.organisation
    emails: list[str] = []
    if org.csdm_id and org.csdm.email:
        emails.append(org.csdm.email)
    billing = [
        c.email
        for c in org.contacts.filter(is_billing_contact=True, retired_at__isnull=True).order_by("pk")
        if c.email
    ]
    if billing:
        emails.extend(billing)
    elif org.account_manager_id and org.account_manager.email:
        emails.append(org.account_manager.email)
    return list(dict.fromkeys(emails))


def notify_threshold(engagement, month: dt.date, *, used, allocated_hours) -> None:
    """G6: an engagement-month has used the threshold share of its allocated hours; told once per
    engagement-month (the dedup key), however many entries follow."""
    share = (used * 100 / allocated_hours).quantize(Decimal("1")) if allocated_hours else Decimal(0)
    body = (
        f"{engagement.offering} for account {engagement.account.account_id} ({engagement.organisation}) "
        f"has used {used:.2f} of its {allocated_hours:.2f} allocated hours in {month:%B %Y} ({share} %).\n"
        "Hours past the allocation are flagged for review and not billed.\n"
    )
    notification_enqueue(
        event="ood.engagement.threshold",
        organisation=engagement.organisation,
        recipients=threshold_recipients(engagement),
        subject=f"[Operations on Demand] {engagement.offering} · {engagement.account.account_id}: "
        f"{share} % of {month:%B %Y} used",
        body=body,
        payload={
            "engagement": engagement.pk,
            "organisation": engagement.organisation_id,
            "month": f"{month:%Y-%m}",
            "hours_used": f"{used:.2f}",
            "allocated_hours": f"{allocated_hours:.2f}",
        },
        dedup_key=f"ood-threshold:{engagement.pk}:{month:%Y-%m}",
    )


def _modification_changes(modification) -> str:
    """The changes a modification names, one a line, as the requester wrote them."""
    rows = []
    if modification.blocks is not None:
        rows.append(f"- {modification.blocks} block(s) a month")
    if modification.end:
        rows.append("- end the engagement")
    added = ", ".join(a.account_id for a in modification.add_accounts.all())
    if added:
        rows.append(f"- add account(s) {added}")
    removed = ", ".join(a.account_id for a in modification.remove_accounts.all())
    if removed:
        rows.append(f"- remove account(s) {removed}")
    return "\n".join(rows)


def notify_modification_decided(modification) -> None:
    """G5: the named contact who asked for a change learns the decision and, once approved, the
    month it takes effect; sent to scoping, that the CSDM will scope it with them."""
    engagement = modification.engagement
    decision = modification.get_state_display().lower()
    body = (
        f"Your modification {modification.reference} of {engagement.offering} for account "
        f"{engagement.account.account_id} has been reviewed: {decision}.\n\n"
        f"{_modification_changes(modification)}\n"
    )
    if modification.decision_reason:
        body += f"\nReason: {modification.decision_reason}\n"
    if modification.effective_month is not None:
        body += f"\nThe change takes effect on {modification.effective_month:%A %-d %B %Y}.\n"
    if modification.state == "scoping_required":
        body += "\nYour CSDM will scope the change with you; a second request then carries it.\n"
    contact = modification.contact
    notification_enqueue(
        event=f"ood.modification.{modification.state}",
        organisation=modification.organisation,
        recipients=[contact.email] if contact.email else [],
        subject=f"[{modification.reference}] Operations on Demand modification {decision}",
        body=body,
        payload={
            "modification": modification.pk,
            "reference": modification.reference,
            "engagement": engagement.pk,
            "organisation": modification.organisation_id,
            "state": modification.state,
            "effective_month": modification.effective_month.isoformat()
            if modification.effective_month
            else None,
        },
        dedup_key=f"ood-modification:{modification.pk}:decided",
    )


def start_recipients(engagement) -> list[str]:
    """Who hears that an engagement's start is at risk or late: the organisation's CSDM, the
    engineer assigned (if any) and the service desk (its active staff)."""
    people = [engagement.organisation.csdm, engagement.engineer]
    emails = [p.email for p in people if p is not None and p.is_active and p.email]
    desk = User.objects.filter(role=Role.SERVICE_DESK, is_active=True).order_by("pk")
    emails += list(desk.values_list("email", flat=True))
    return list(dict.fromkeys(e for e in emails if e))


def notify_start_deadline(engagement, *, due_at: dt.datetime, breached: bool) -> None:
    """Issue 10 (B6): an engagement not started as its start deadline nears (warning) or passes
    (breach); told once per engagement and kind (the dedup key)."""
    kind = "breach" if breached else "warning"
    name = f"{engagement.offering} · {engagement.account.account_id}"
    what = f"{engagement.offering} for account {engagement.account.account_id} ({engagement.organisation})"
    due = humanize.when(due_at, humanize.provider_zone())
    if breached:
        subject = f"[Operations on Demand] Start overdue: {name}"
        body = (
            f"{what} was due to be started (engineer assigned, first contact made) by {due} and has not "
            "been started.\nRecord the kick-off on the engagement's page once it is done.\n"
        )
    else:
        subject = f"[Operations on Demand] Start due {due}: {name}"
        body = (
            f"{what} starts on {engagement.start_date:%A %-d %B %Y} and must be started (engineer "
            f"assigned, first contact made) by {due}; it has not been started yet.\n"
        )
    notification_enqueue(
        event=f"ood.engagement.start_{kind}",
        organisation=engagement.organisation,
        recipients=start_recipients(engagement),
        subject=subject,
        body=body,
        payload={
            "engagement": engagement.pk,
            "organisation": engagement.organisation_id,
            "start_date": engagement.start_date.isoformat(),
            "start_due_at": due_at.isoformat(),
            "kind": kind,
        },
        dedup_key=f"ood-start:{engagement.pk}:{kind}",
    )
