"""An incident's badges and its queue countdown, written in Python: the queue shows them on every
row, and a template include per badge per row was most of the cost of rendering a page."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone
from django.utils.html import format_html

from opsdesk.core import humanize

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
    remaining = getattr(incident, "remaining_seconds", None)
    if incident.paused_at and remaining is not None:
        return format_html(
            '<span class="countdown countdown-paused" title="{}">paused</span>\n'
            '<small class="muted due-at">{} left</small>',
            "SLA clock paused while awaiting the customer: the time left runs again when they answer",
            humanize.duration(remaining, up=True),
        )
    due = incident.next_target_at
    if due is None:
        return format_html('<span class="muted">{}</span>', "—")
    warning = getattr(incident, "next_warning_at", None)
    label = getattr(incident, "next_label", "") or ""
    left = humanize.relative((due - timezone.now()).total_seconds())
    return format_html(
        '<time class="countdown" datetime="{}" data-deadline="{}"{} title="{} due {}">{}</time>\n'
        '<small class="muted due-at">{} · {}</small>',
        due.isoformat(),
        due.isoformat(),
        format_html(' data-warning="{}"', warning.isoformat()) if warning else "",
        label,
        humanize.when(due),
        left,
        label,
        humanize.when(due, year=False),
    )
