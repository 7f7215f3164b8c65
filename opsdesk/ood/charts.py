"""The engagement page's burn-down chart as server-rendered SVG (no JavaScript, nothing loaded from
elsewhere): the month's hours used day by day (a solid line with a mark on each day with time), the
allocation (a dashed line) and the projection of the month end from the pace so far (a dotted line).

Readable without colour: each series has its own dash and is named in the legend; every figure the
chart shows is also said in its `<desc>` and in the summary and table under it. `role="img"` with
a `<title>` and a `<desc>`. Only presentation attributes, never `style` (the Content-Security-Policy
allows no inline style); text and axes use `currentColor`, so they follow the page's colour scheme.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

INK = "currentColor"
BLUE = "#2f6db3"
ORANGE = "#c2571a"
WIDTH, HEIGHT = 640, 270
LEFT, RIGHT, TOP, BOTTOM = 52, 150, 14, 40
NOT_BILLED = "overrun hours are flagged for review and not billed."


def _hours(value: Decimal) -> str:
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return f"{text} h"


def summary(burn: Any) -> str:
    """The chart in one sentence (its `<desc>`, and the text under it)."""
    month = f"{burn.month:%B %Y}"
    used = f"{_hours(burn.used)} of the {_hours(burn.allocated_hours)} allocated used"
    if not burn.allocated_hours:
        used = f"{_hours(burn.used)} used with no allocation in {month}"
    if burn.complete:
        text = f"{used} in {month} (all {burn.days_in_month} days)."
        over = burn.used - burn.allocated_hours
        if over > 0:
            text += f" {_hours(over)} over the allocation: {NOT_BILLED}"
        return text
    text = (
        f"{used} by day {burn.elapsed_days} of {burn.days_in_month} of {month}; at this pace the month "
        f"ends at {_hours(burn.projected)}"
    )
    if burn.projected_overrun > 0:
        return f"{text}, {_hours(burn.projected_overrun)} over the allocation: {NOT_BILLED}"
    return f"{text}, within the allocation."


def _scale_top(burn: Any) -> Decimal:
    """The top of the hours axis: four equal round steps (1, 2 or 5 × a power of ten) above the
    highest figure shown."""
    need = max(burn.allocated_hours, burn.projected, burn.used, Decimal(10)) * Decimal("1.05") / 4
    power = Decimal(1)
    while True:
        for unit in (1, 2, 5):
            if unit * power >= need:
                return 4 * unit * power
        power *= 10


def burn_down_svg(burn: Any) -> SafeString:
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    top = _scale_top(burn)
    days = burn.days_in_month

    def x(day: float) -> float:
        return round(LEFT + plot_w * day / days, 1)

    def y(hours: Decimal) -> float:
        return round(TOP + plot_h - plot_h * float(hours / top), 1)

    parts = []
    for i in range(5):
        value = top * i / 4
        parts.append(
            f'<line x1="{LEFT}" x2="{LEFT + plot_w}" y1="{y(value)}" y2="{y(value)}" stroke="{INK}" '
            f'stroke-opacity="0.15"/><text x="{LEFT - 6}" y="{y(value) + 4}" text-anchor="end" '
            f'fill="{INK}">{value:.0f}</text>'
        )
    for day in sorted({1, 5, 10, 15, 20, 25, days}):
        parts.append(
            f'<text x="{x(day)}" y="{TOP + plot_h + 16}" text-anchor="middle" fill="{INK}">{day}</text>'
        )
    parts.append(
        f'<text x="{LEFT + plot_w / 2}" y="{HEIGHT - 6}" text-anchor="middle" fill="{INK}">'
        f"Day of {burn.month:%B %Y}</text>"
        f'<text x="14" y="{TOP + plot_h / 2}" text-anchor="middle" fill="{INK}" '
        f'transform="rotate(-90 14 {TOP + plot_h / 2})">Hours</text>'
        f'<path d="M{LEFT},{TOP} V{TOP + plot_h} H{LEFT + plot_w}" fill="none" stroke="{INK}"/>'
    )
    # The allocation.
    if burn.allocated_hours:
        parts.append(
            f'<line x1="{LEFT}" x2="{LEFT + plot_w}" y1="{y(burn.allocated_hours)}" '
            f'y2="{y(burn.allocated_hours)}" stroke="{INK}" stroke-width="1.5" stroke-dasharray="8 5"/>'
        )
    # Hours used by the end of each elapsed day.
    points = [f"{x(0)},{y(Decimal(0))}"] + [f"{x(day)},{y(cumulative)}" for day, _, cumulative in burn.days]
    parts.append(
        f'<polyline points="{" ".join(points)}" fill="none" stroke="{BLUE}" stroke-width="2.5" '
        'stroke-linejoin="round"/>'
    )
    for day, hours, cumulative in burn.days:
        if hours:
            parts.append(f'<circle cx="{x(day)}" cy="{y(cumulative)}" r="3" fill="{BLUE}"/>')
    # The projection from today to the month end.
    if burn.elapsed_days and not burn.complete:
        parts.append(
            f'<line x1="{x(burn.elapsed_days)}" y1="{y(burn.used)}" x2="{x(days)}" y2="{y(burn.projected)}" '
            f'stroke="{ORANGE}" stroke-width="2" stroke-dasharray="2 4" stroke-linecap="round"/>'
            f'<circle cx="{x(days)}" cy="{y(burn.projected)}" r="4" fill="none" stroke="{ORANGE}" '
            'stroke-width="2"/>'
        )
    # The legend, with the figures.
    lx = LEFT + plot_w + 14
    legend = [
        (f'<line x1="{lx}" x2="{lx + 24}" stroke="{BLUE}" stroke-width="2.5"/>', f"Used {_hours(burn.used)}"),
        (
            f'<line x1="{lx}" x2="{lx + 24}" stroke="{INK}" stroke-width="1.5" stroke-dasharray="8 5"/>',
            f"Allocation {_hours(burn.allocated_hours)}",
        ),
    ]
    if burn.elapsed_days and not burn.complete:
        legend.append(
            (
                f'<line x1="{lx}" x2="{lx + 24}" stroke="{ORANGE}" stroke-width="2" stroke-dasharray="2 4"/>',
                f"Projected {_hours(burn.projected)}",
            )
        )
    for i, (mark, label) in enumerate(legend):
        row = TOP + 8 + i * 22
        text = f'<text x="{lx + 30}" y="4" fill="{INK}">{label}</text>'
        parts.append(f'<g transform="translate(0 {row})">{mark}{text}</g>')
    title = f"Hours used in {burn.month:%B %Y} against the allocation"
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" class="report-chart" role="img" viewBox="0 0 {w} {h}" '
        'width="100%" preserveAspectRatio="xMinYMin meet" aria-labelledby="burn-down-title burn-down-desc" '
        'data-testid="burn-down-chart" font-family="system-ui, sans-serif" font-size="12">'
        '<title id="burn-down-title">{title}</title><desc id="burn-down-desc">{desc}</desc>{body}</svg>',
        w=WIDTH,
        h=HEIGHT,
        title=title,
        desc=summary(burn),
        body=mark_safe("".join(parts)),  # numbers and the month's name only
    )
