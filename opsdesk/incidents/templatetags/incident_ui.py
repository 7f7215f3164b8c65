"""An incident's badges, its queue countdown and the queue's rows, written in Python: the queue
shows them on every row, and a template include per badge per row was most of the cost of rendering
a page; later the template's own work per row (a URL reversed, ~15 variables looked up, filters and
tags called through the engine) was about half of the page's rendering, so the rows are written
here too, escaping with html.escape (what django.utils.html.escape does, without its lazy-string
checks on every value) and reading the choice labels from dicts."""

from __future__ import annotations

from html import escape
from typing import Any

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from opsdesk.core import humanize
from opsdesk.incidents.choices import IncidentState, Priority

register = template.Library()

_PRIORITY_LABELS = {value: str(label) for value, label in Priority.choices}
_STATE_LABELS = {value: str(label) for value, label in IncidentState.choices}
_PAUSED_TITLE = "SLA clock paused while awaiting the customer: the time left runs again when they answer"


def _priority_badge(incident: Any) -> str:
    priority = incident.priority
    return (
        f'<span class="badge badge-{escape(priority.lower())}" '
        f'title="{escape(_PRIORITY_LABELS.get(priority, priority))}">{escape(priority)}</span>'
    )


def _state_badge(incident: Any) -> str:
    state = incident.state
    return f'<span class="badge badge-state-{escape(state)}">{escape(_STATE_LABELS.get(state, state))}</span>'


def _countdown(incident: Any) -> str:
    remaining = getattr(incident, "remaining_seconds", None)
    if incident.paused_at and remaining is not None:
        return (
            f'<span class="countdown countdown-paused" title="{escape(_PAUSED_TITLE)}">paused</span>\n'
            f'<small class="muted due-at">{escape(humanize.duration(remaining, up=True))} left</small>'
        )
    due = incident.next_target_at
    if due is None:
        return '<span class="muted">—</span>'
    warning = getattr(incident, "next_warning_at", None)
    label = escape(getattr(incident, "next_label", "") or "")
    zone = humanize.provider_zone()
    at = escape(due.isoformat())
    left = escape(humanize.relative((due - timezone.now()).total_seconds()))
    warning_attribute = f' data-warning="{escape(warning.isoformat())}"' if warning else ""
    return (
        f'<time class="countdown" datetime="{at}" data-deadline="{at}"{warning_attribute} '
        f'title="{label} due {escape(humanize.when(due, zone))}">{left}</time>\n'
        f'<small class="muted due-at">{label} · {escape(humanize.when(due, zone, year=False))}</small>'
    )


@register.simple_tag
def priority_badge(incident: Any) -> SafeString:
    return mark_safe(_priority_badge(incident))  # noqa: S308 - every value escaped


@register.simple_tag
def state_badge(incident: Any) -> SafeString:
    return mark_safe(_state_badge(incident))  # noqa: S308 - every value escaped


@register.simple_tag
def countdown(incident: Any) -> SafeString:
    """The next target as a <time> that countdown.js turns into "in 3 h 12 min" (data-deadline, and
    data-warning for the amber), with the due time written out beneath; "paused" while the SLA clock
    waits on the customer (B4). Needs selectors.annotate_next_target (next_label, next_warning_at)."""
    return mark_safe(_countdown(incident))  # noqa: S308 - every value escaped


#: A pk no incident has, reversed once a page to make each row's URL by substitution.
_PK_MARK = 987654321987


@register.simple_tag
def queue_rows(incidents: Any, staff: bool) -> SafeString:
    """The queue's <tr>s (incidents/_table.html): staff see the organisation and the assignee, a
    customer the service and when it was logged. The rows come annotated by the view
    (selectors.annotate_queue; escalated_level)."""
    head, _, tail = reverse("incidents:detail", args=[_PK_MARK]).partition(str(_PK_MARK))
    rows = "".join(_queue_row(i, escape(f"{head}{int(i.pk)}{tail}"), staff) for i in incidents)
    return mark_safe(rows)  # noqa: S308 - every value escaped in _queue_row


def _queue_row(incident: Any, url: str, staff: bool) -> str:
    reference = escape(incident.reference)
    badges = ""
    if incident.telephone_follow_up_required:
        badges += ' <span class="badge badge-phone" title="Telephone follow-up required">☎ call</span>'
    if level := getattr(incident, "escalated_level", None):
        level = escape(str(level))
        badges += (
            ' <span class="badge badge-escalation" data-testid="escalated" '
            f'title="Escalated: level {level} in force">escalated L{level}</span>'
        )
    if incident.escalation_offered:
        badges += (
            ' <span class="badge badge-breach" title="A target was breached: escalation is offered">'
            "breached</span>"
        )
    if staff:
        assignee = incident.assignee
        organisation = f"    <td>{escape(incident.organisation.name)}</td>\n"
        service = ""
        last = f"<td>{escape(assignee.full_name or assignee.email) if assignee else '—'}</td>"
    else:
        organisation = ""
        service_reference = incident.service.reference if incident.service_id else ""
        service = f'    <td class="mono">{escape(service_reference or "—")}</td>\n'
        last = f'<td class="nowrap">{escape(humanize.when(incident.logged_at))}</td>'
    status = f"sla-{escape(incident.sla_status)}" if incident.sla_status else ""
    return (
        f'  <tr data-sla-row class="{status}" data-reference="{reference}">\n'
        f'    <td><a href="{url}" class="mono">{reference}</a></td>\n'
        f"    <td>{_priority_badge(incident)}</td>\n"
        f"{organisation}"
        f'    <td class="title-cell"><a href="{url}">{escape(incident.title)}</a>{badges}</td>\n'
        f"{service}"
        f"    <td>{_state_badge(incident)}</td>\n"
        f"    {last}\n"
        f'    <td class="next-target">{_countdown(incident)}</td>\n'
        "  </tr>\n"
    )
