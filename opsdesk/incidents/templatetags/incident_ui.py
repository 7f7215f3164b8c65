"""An incident's badges and its queue countdown, written in Python: the queue shows them on every
row, and a template include per badge per row was most of the cost of rendering a page."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone
from django.utils.dates import MONTHS_3, WEEKDAYS_ABBR
from django.utils.html import format_html

register = template.Library()


@register.simple_tag
def priority_badge(incident: Any) -> str:
    return format_html(
        '<span class="badge badge-{}" title="{}">{}</span>',
        incident.priority.lower(),
        incident.get_priority_display(),
        incident.priority,
    )


@register.simple_tag
def state_badge(incident: Any) -> str:
    return format_html(
        '<span class="badge badge-state-{}">{}</span>', incident.state, incident.get_state_display()
    )


@register.simple_tag
def countdown(incident: Any) -> str:
    """The next target as a <time> that countdown.js turns into "in 3 h 12 min" (data-deadline, and
    data-warning for the amber), with the due time written out beneath; "paused" while the SLA clock
    waits on the customer (B4). Needs selectors.annotate_next_target (next_label, next_warning_at)."""
    due = incident.next_target_at
    if due is None:
        return format_html('<span class="muted">{}</span>', "—")
    if incident.paused_at:
        return format_html(
            '<span class="countdown countdown-paused" title="{}">paused</span>',
            "SLA clock paused while awaiting the customer",
        )
    due = timezone.localtime(due)
    warning = getattr(incident, "next_warning_at", None)
    label = getattr(incident, "next_label", "") or ""
    # Django's "D j M H:i" and "D j M Y H:i T", without a DateFormat per value (25 rows, 3 each).
    day_month = f"{WEEKDAYS_ABBR[due.weekday()]} {due.day} {MONTHS_3[due.month].title()}"
    short = f"{day_month} {due:%H:%M}"
    return format_html(
        '<time class="countdown" datetime="{}" data-deadline="{}"{} title="{} due {}">{}</time>\n'
        '<small class="muted due-at">{} · {}</small>',
        due.isoformat(),
        due.isoformat(),
        format_html(' data-warning="{}"', timezone.localtime(warning).isoformat()) if warning else "",
        label,
        f"{day_month} {due.year} {due:%H:%M} {due.tzname()}",
        short,
        label,
        short,
    )
