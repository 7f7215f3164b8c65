"""The SLA report's small formatters and the staff desk's compliance panel."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html_join

register = template.Library()


@register.filter
def duration(seconds: int | None) -> str:
    """Seconds as people read them: "3 min", "18 h 57 min", "—" when there is none."""
    if seconds is None:
        return "—"
    seconds = int(seconds)
    if seconds < 60:
        return "under 1 min" if seconds else "0 min"
    hours, rest = divmod(seconds, 3600)
    minutes = rest // 60
    if not hours:
        return f"{minutes} min"
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


@register.filter
def percent(value: float | None) -> str:
    return "—" if value is None else f"{value:g} %"


@register.simple_tag
def escalation_counts(row: Any, levels: list[tuple[int, str]]) -> str:
    if not levels:
        return "—"
    return format_html_join(
        " / ", '<span title="{}">{}</span>', ((name, row.escalations.get(level, 0)) for level, name in levels)
    )


@register.inclusion_tag("reports/_desk_compliance.html")
def desk_compliance() -> dict[str, Any]:
    """The staff desk's small compliance chart: a panel htmx fills from reports:desk_compliance
    once the desk has loaded (with a link to the report meanwhile)."""
    return {}
