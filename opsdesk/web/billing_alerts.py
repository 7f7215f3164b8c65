"""The shell's wiring of billing thresholds into the alert pipeline (issue 12 item 6, F4: "a billing
alert when the change passes the customer's threshold, routed like any other alert"). Billing and
alerts are sibling domains: billing sends billing.signals.threshold_reviewed / threshold_removed,
and this module turns them into alarms on alerts' pipeline (identity, occurrences, state, priority
rules, the linked incident), connected at start-up (web/apps.py).

One alert per threshold: identity (organisation, account, "billing:<threshold id>").
- a review that raises a billing alert (over the threshold, first time for that week) is an ALARM:
  it opens the alert (and its incident, as any alarm) or counts as a repeat on the open one;
- re-running the same review raises no new billing alert, so it adds nothing;
- a review back under the threshold is an OK: it resolves the open alert (none open: nothing);
- a review of an older week than the latest billing alert says nothing about now: ignored;
- a removed threshold resolves its open alert.
Maintenance windows (E3) do not suppress it: a week's bill is not a resource in a window.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from opsdesk.alerts import selectors as alert_selectors
from opsdesk.alerts import services as alerts
from opsdesk.alerts.choices import AlarmState, AlertSource
from opsdesk.billing.signals import ThresholdReviewed, threshold_removed, threshold_reviewed
from opsdesk.web.intake_alerts import raise_incident


def _name(threshold_id: int) -> str:
    return f"billing:{threshold_id}"


def _where(organisation: Any, account: Any) -> str:
    if account is None:
        return f"{organisation.name}, all accounts"
    named = f" ({account.name})" if account.name else ""
    return f"{organisation.name}, account {account.account_id}{named}"


def _alarm(review: ThresholdReviewed, state: str) -> alerts.Alarm:
    pct = f" ({review.change_percent:+}%)" if review.change_percent is not None else ""
    figures = (
        f"week of {review.week_start}: {review.current:.2f} against {review.previous:.2f} the week "
        f"before, a change of {review.change:+.2f}{pct}"
    )
    if state == AlarmState.ALARM:
        reason = f"AWS costs crossed the {review.crossed} threshold: {figures}."
    else:
        reason = f"AWS costs back under the threshold: {figures}."
    account = review.account
    return alerts.Alarm(
        source=AlertSource.BILLING,
        name=_name(review.threshold_id),
        state=state,
        at=timezone.now(),
        account_id=account.account_id if account is not None else "",
        reason=reason,
        namespace="AWS/Billing",
        metric="WeekOnWeekChange",
        resource=account.account_id if account is not None else "all accounts",
        summary=f"AWS costs of {_where(review.organisation, account)} changed by {review.change:+.2f}{pct}"[
            :500
        ],
        organisation_id=review.organisation.pk,
    )


def threshold_alarm(review: ThresholdReviewed) -> alerts.Received | None:
    """One threshold's review into its alert (the rules in the module's docstring)."""
    if review.superseded:
        return None
    if review.raised is not None:
        alarm = _alarm(review, AlarmState.ALARM)
    elif not review.crossed:
        alarm = _alarm(review, AlarmState.OK)
        if alert_selectors.alert_open_for_identity(alarm.identity_key) is None:
            return None
    else:
        return None  # the same week reviewed again: already counted
    received = alerts.alarm_receive(alarm=alarm, organisation=review.organisation, service=None)
    if received.raise_incident:
        raise_incident(
            received,
            title=f"Billing: {alarm.summary}",
            description="\n".join(
                [
                    alarm.reason,
                    f"Billing review: /billing/?organisation={review.organisation.pk}",
                    f"Priority: {received.alert.priority_reason}",
                    f"Alert: /alerts/{received.alert.pk}/",
                ]
            ),
        )
    return received


def _reviewed(*, review: ThresholdReviewed, **_: Any) -> None:
    threshold_alarm(review)


def _removed(*, threshold_id: int, organisation: Any, account: Any, **_: Any) -> None:
    alarm = alerts.Alarm(
        source=AlertSource.BILLING,
        name=_name(threshold_id),
        state=AlarmState.OK,
        at=timezone.now(),
        account_id=account.account_id if account is not None else "",
        reason="The billing threshold was removed.",
        organisation_id=organisation.pk,
    )
    if alert_selectors.alert_open_for_identity(alarm.identity_key) is not None:
        alerts.alarm_receive(alarm=alarm, organisation=organisation, service=None)


def register() -> None:
    threshold_reviewed.connect(_reviewed, weak=False, dispatch_uid="opsdesk.web.billing_alerts.reviewed")
    threshold_removed.connect(_removed, weak=False, dispatch_uid="opsdesk.web.billing_alerts.removed")
