"""The cost-trend chart of an organisation (issue 12 item 6, F4) as server-rendered SVG: weekly
totals of the last 12 complete weeks, one bar each. No JavaScript, no inline style (the CSP allows
none); the figures are also in the `<desc>` and the table under the chart."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

WIDTH, HEIGHT = 640, 220
LEFT, BOTTOM, TOP = 60, 30, 10
BLUE = "#2f6db3"


def trend_svg(weeks: list[tuple[dt.date, Decimal]], *, title: str) -> SafeString:
    highest = max((total for _, total in weeks), default=Decimal(0)) or Decimal(1)
    plot_h = HEIGHT - BOTTOM - TOP
    step = (WIDTH - LEFT - 10) / max(len(weeks), 1)
    bars = []
    for i, (week, total) in enumerate(weeks):
        h = float(max(total, Decimal(0)) / highest) * plot_h
        x = LEFT + i * step + 2
        bars.append(
            (f"{x:.1f}", f"{TOP + plot_h - h:.1f}", f"{step - 4:.1f}", f"{h:.1f}", f"{week:%d %b}", total)
        )
    desc = "; ".join(f"week of {w:%d %b %Y}: {t:.2f}" for w, t in weeks)
    rects = format_html_join(
        "",
        '<rect x="{}" y="{}" width="{}" height="{}" fill="' + BLUE + '"><title>{}: {}</title></rect>',
        ((x, y, w, h, label, f"{total:.2f}") for x, y, w, h, label, total in bars),
    )
    labels = format_html_join(
        "",
        '<text x="{}" y="{}" font-size="10" fill="currentColor">{}</text>',
        ((x, HEIGHT - 12, label) for x, _, _, _, label, _ in bars),
    )
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {} {}" width="100%" '
        'aria-labelledby="trend-title trend-desc"><title id="trend-title">{}</title>'
        '<desc id="trend-desc">{}</desc>'
        '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="currentColor"/>'
        '<text x="4" y="{}" font-size="10" fill="currentColor">{}</text>{}{}</svg>',
        WIDTH,
        HEIGHT,
        title,
        desc,
        LEFT,
        TOP + plot_h,
        WIDTH - 10,
        TOP + plot_h,
        TOP + 10,
        f"{highest:.2f}",
        rects,
        labels,
    )
