"""What Operations on Demand tells people (G3), through the outbox (L2), inside the caller's
transaction and with a dedup key, so a retried decision sends nothing twice."""

from __future__ import annotations

import datetime as dt

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
