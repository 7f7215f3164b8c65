"""The SLA report's charts as server-rendered SVG (no JavaScript, nothing from elsewhere): compliance
by month (a line), incidents by priority (bars) and breaches by organisation (stacked bars).

Readable without colour: every series has its own fill pattern or line dash and marker shape, every
value is written beside its mark and every series is named in a legend or on its axis. Each SVG is
`role="img"` with a `<title>` and a `<desc>` saying what it shows and its main figures, and each
chart carries its data as rows for a table (the text alternative, rendered under it). Only
presentation attributes, never `style` (the Content-Security-Policy allows no inline style);
text and axes use `currentColor`, so they follow the page's colour scheme.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

INK = "currentColor"
#: Two dark hues with enough contrast on white and on Pico's dark background; the patterns, dashes
#: and markers tell the series apart, the hues only help.
BLUE = "#2f6db3"
ORANGE = "#c2571a"


@dataclass(frozen=True)
class Pattern:
    """A fill a series is told apart by without colour."""

    key: str
    label: str
    colour: str
    #: The marks drawn on a 8×8 tile ("" = a solid fill).
    marks: str = ""


PATTERNS = (
    Pattern("solid", "solid", BLUE),
    Pattern("hatch", "diagonal hatching", ORANGE, '<path d="M-2,2 l4,-4 M0,8 l8,-8 M6,10 l4,-4"/>'),
    Pattern("dots", "dots", BLUE, '<circle cx="2" cy="2" r="1.6"/><circle cx="6" cy="6" r="1.6"/>'),
    Pattern("cross", "cross-hatching", ORANGE, '<path d="M0,4 h8 M4,0 v8"/>'),
)


@dataclass
class Chart:
    """An SVG and its text alternative: a table of `columns` and `rows`."""

    chart_id: str
    title: str
    svg: SafeString
    columns: list[str]
    rows: list[list[str]] = field(default_factory=list)


def _pattern_defs(chart_id: str, patterns: Sequence[Pattern]) -> str:
    defs = []
    for p in patterns:
        if not p.marks:
            continue
        defs.append(
            f'<pattern id="{chart_id}-{p.key}" width="8" height="8" patternUnits="userSpaceOnUse">'
            f'<rect width="8" height="8" fill="#ffffff"/>'
            f'<g stroke="{p.colour}" fill="{p.colour}" stroke-width="1.6">{p.marks}</g></pattern>'
        )
    return f"<defs>{''.join(defs)}</defs>" if defs else ""


def _fill(chart_id: str, p: Pattern) -> str:
    return f"url(#{chart_id}-{p.key})" if p.marks else p.colour


def _svg(chart_id: str, title: str, desc: str, width: int, height: int, body: str) -> SafeString:
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" class="report-chart" role="img" viewBox="0 0 {w} {h}" '
        'width="100%" preserveAspectRatio="xMinYMin meet" aria-labelledby="{id}-title {id}-desc" '
        'data-testid="{id}" font-family="system-ui, sans-serif" font-size="12">'
        '<title id="{id}-title">{title}</title><desc id="{id}-desc">{desc}</desc>{body}</svg>',
        w=width,
        h=height,
        id=chart_id,
        title=title,
        desc=desc,
        body=mark_safe(body),  # built below from numbers and escaped labels only
    )


def percent(value: float | None) -> str:
    return "no responses due" if value is None else f"{value:g} %"


def compliance_line(chart_id: str, points: Sequence[tuple[str, float | None, int, int]]) -> Chart:
    """Compliance by month: `points` are (month label, compliance %, met, breached)."""
    width, height, left, right, top, bottom = 640, 250, 44, 32, 24, 48
    plot_w, plot_h = width - left - right, height - top - bottom
    step = plot_w / max(len(points) - 1, 1)

    def x(i: int) -> float:
        return left + (i * step if len(points) > 1 else plot_w / 2)

    def y(v: float) -> float:
        return top + plot_h * (1 - v / 100)

    parts = []
    for tick in (0, 25, 50, 75, 100):
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" '
            f'stroke="{INK}" stroke-opacity="0.2"/>'
            f'<text x="{left - 6}" y="{y(tick) + 4:.1f}" text-anchor="end" fill="{INK}">{tick} %</text>'
        )
    segment: list[str] = []
    segments: list[list[str]] = []
    for i, (_, value, _, _) in enumerate(points):
        if value is None:
            if segment:
                segments.append(segment)
            segment = []
            continue
        segment.append(f"{x(i):.1f},{y(value):.1f}")
    if segment:
        segments.append(segment)
    for s in segments:
        parts.append(f'<polyline points="{" ".join(s)}" fill="none" stroke="{BLUE}" stroke-width="2.5"/>')
    for i, (label, value, _, _) in enumerate(points):
        # "Mar" under each point, the year under the first and every January: twelve full labels
        # would run into one another.
        month, _, year = label.partition(" ")
        shown_year = year if (i == 0 or month == "Jan") else ""
        parts.append(
            f'<text x="{x(i):.1f}" y="{height - bottom + 18}" text-anchor="middle" fill="{INK}">'
            f'{escape(month)}<tspan x="{x(i):.1f}" dy="14">{escape(shown_year)}</tspan></text>'
        )
        if value is None:
            parts.append(
                f'<text x="{x(i):.1f}" y="{y(0) - 6:.1f}" text-anchor="middle" fill="{INK}" '
                f'fill-opacity="0.7" data-month="{escape(label)}">–</text>'
            )
            continue
        parts.append(
            f'<circle cx="{x(i):.1f}" cy="{y(value):.1f}" r="4.5" fill="#ffffff" stroke="{BLUE}" '
            f'stroke-width="2.5"/>'
            f'<text x="{x(i):.1f}" y="{y(value) - 9:.1f}" text-anchor="middle" fill="{INK}" '
            f'font-weight="600" data-month="{escape(label)}">{value:g} %</text>'
        )
    known = [(label, v) for label, v, _, _ in points if v is not None]
    if known:
        low = min(known, key=lambda p: p[1])
        summary = (
            f"From {points[0][0]} to {points[-1][0]}: {known[-1][1]:g} % in {known[-1][0]}, "
            f"lowest {low[1]:g} % in {low[0]}. Months without responses due have no point."
        )
    else:
        summary = f"From {points[0][0]} to {points[-1][0]}: no responses were due."
    title = "SLA compliance by month: responses met on time as a share of those due"
    svg = _svg(chart_id, title, summary, width, height, "".join(parts))
    rows = [[label, percent(v), str(met), str(breached)] for label, v, met, breached in points]
    return Chart(chart_id, title, svg, ["Month", "Compliance", "Met", "Breached"], rows)


def volume_bars(chart_id: str, bars: Sequence[tuple[str, int]]) -> Chart:
    """Incidents logged by priority: one bar each, its own pattern, its count above it."""
    width, height, left, top, bottom = 640, 220, 16, 24, 36
    slot = (width - 2 * left) / max(len(bars), 1)
    peak = max([v for _, v in bars] + [1])
    plot_h = height - top - bottom
    patterns = PATTERNS[: len(bars)]
    parts = [_pattern_defs(chart_id, patterns)]
    parts.append(
        f'<line x1="{left}" x2="{width - left}" y1="{top + plot_h}" y2="{top + plot_h}" stroke="{INK}"/>'
    )
    for i, ((label, value), p) in enumerate(zip(bars, patterns, strict=True)):
        h = plot_h * value / peak
        bx = left + i * slot + slot * 0.2
        parts.append(
            f'<rect x="{bx:.1f}" y="{top + plot_h - h:.1f}" width="{slot * 0.6:.1f}" height="{h:.1f}" '
            f'fill="{_fill(chart_id, p)}" stroke="{p.colour}" stroke-width="1.5"/>'
            f'<text x="{bx + slot * 0.3:.1f}" y="{top + plot_h - h - 6:.1f}" text-anchor="middle" '
            f'fill="{INK}" font-weight="600">{value}</text>'
            f'<text x="{bx + slot * 0.3:.1f}" y="{height - bottom + 18}" text-anchor="middle" '
            f'fill="{INK}">{escape(label)}</text>'
        )
    total = sum(v for _, v in bars)
    summary = f"{total} incidents logged: " + ", ".join(f"{label} {value}" for label, value in bars) + "."
    title = "Incidents logged by priority"
    svg = _svg(chart_id, title, summary, width, height, "".join(parts))
    rows = [[label, str(value), p.label] for (label, value), p in zip(bars, patterns, strict=True)]
    return Chart(chart_id, title, svg, ["Priority", "Incidents logged", "Bar pattern"], rows)


def breach_bars(chart_id: str, rows: Sequence[tuple[str, int, int]], *, shown: int = 10) -> Chart:
    """Breaches by organisation, most first: (organisation, initial breaches, considered breaches),
    stacked: initial solid, considered hatched, the total written after the bar."""
    top_rows = list(rows[:shown])
    label_w, right, top, bar_h, gap = 190, 48, 30, 18, 8
    width = 640
    height = top + max(len(top_rows), 1) * (bar_h + gap) + 8
    peak = max([i + c for _, i, c in top_rows] + [1])
    plot_w = width - label_w - right
    initial, considered = PATTERNS[0], PATTERNS[1]
    parts = [_pattern_defs(chart_id, (initial, considered))]
    for n, (p, text) in enumerate(((initial, "Initial response"), (considered, "Considered response"))):
        lx = label_w + n * 170
        parts.append(
            f'<rect x="{lx}" y="6" width="14" height="14" fill="{_fill(chart_id, p)}" stroke="{p.colour}"/>'
            f'<text x="{lx + 20}" y="17" fill="{INK}">{text} breaches</text>'
        )
    for n, (label, first, second) in enumerate(top_rows):
        y0 = top + n * (bar_h + gap)
        w1, w2 = plot_w * first / peak, plot_w * second / peak
        name = label if len(label) <= 28 else label[:27] + "…"
        parts.append(
            f'<text x="{label_w - 8}" y="{y0 + 13}" text-anchor="end" fill="{INK}">{escape(name)}</text>'
            f'<rect x="{label_w}" y="{y0}" width="{w1:.1f}" height="{bar_h}" fill="{initial.colour}"/>'
            f'<rect x="{label_w + w1:.1f}" y="{y0}" width="{w2:.1f}" height="{bar_h}" '
            f'fill="{_fill(chart_id, considered)}" stroke="{considered.colour}"/>'
            f'<text x="{label_w + w1 + w2 + 6:.1f}" y="{y0 + 13}" fill="{INK}" font-weight="600">'
            f"{first + second}</text>"
        )
    if not top_rows:
        parts.append(
            f'<text x="{label_w}" y="{top + 13}" fill="{INK}">No organisation in this report.</text>'
        )
    breached = [r for r in rows if r[1] + r[2]]
    if breached:
        worst = breached[0]
        summary = (
            f"{len(breached)} of {len(rows)} organisations had breaches; the most: {worst[0]} with "
            f"{worst[1] + worst[2]} ({worst[1]} initial, {worst[2]} considered)."
        )
    else:
        summary = f"No breaches in {len(rows)} organisations."
    if len(rows) > shown:
        summary += f" The chart shows the {shown} with the most; the table lists all."
    title = "Response targets breached, by organisation"
    svg = _svg(chart_id, title, summary, width, height, "".join(parts))
    table = [[label, str(i), str(c), str(i + c)] for label, i, c in rows]
    return Chart(
        chart_id, title, svg, ["Organisation", "Initial breached", "Considered breached", "Total"], table
    )


def report_charts(report: Any, *, prefix: str = "sla") -> list[Chart]:
    """The report page's three charts; breaches by organisation only when the report covers more
    than one organisation."""
    charts = [
        compliance_line(
            f"{prefix}-compliance",
            [(t.label, t.compliance, t.met, t.breached) for t in report.by_month],
        ),
        volume_bars(f"{prefix}-volume", [(t.label, t.logged) for t in report.by_priority]),
    ]
    if report.filters.organisation is None:
        charts.append(
            breach_bars(
                f"{prefix}-breaches",
                [(t.label, t.initial_breached, t.considered_breached) for t in report.by_organisation],
            )
        )
    return charts
