"""The charts alone: text alternatives, no colour-only meaning, labels escaped, gaps for months
without responses due."""

from __future__ import annotations

import re

from opsdesk.incidents.reports import charts


def test_compliance_line_writes_each_value_and_leaves_gaps():
    chart = charts.compliance_line(
        "c", [("Jan 2026", 50.0, 1, 1), ("Feb 2026", None, 0, 0), ("Mar 2026", 100.0, 2, 0)]
    )
    svg = str(chart.svg)
    assert '<title id="c-title">' in svg and '<desc id="c-desc">' in svg
    assert 'aria-labelledby="c-title c-desc"' in svg
    assert "100 % in Mar 2026, lowest 50 % in Jan 2026" in svg
    assert svg.count("<polyline") == 2  # the month without responses due breaks the line
    assert re.search(r'data-month="Feb 2026">–<', svg)
    assert chart.rows[1] == ["Feb 2026", "no responses due", "0", "0"]


def test_bars_tell_series_apart_by_pattern_and_escape_labels():
    volume = charts.volume_bars("v", [("P1", 3), ("P2", 0), ("P3", 5), ("P4", 1)])
    fills = re.findall(
        r'<rect x="[^"]*" y="[^"]*" width="[^"]*" height="[^"]*" fill="([^"]+)"', str(volume.svg)
    )
    assert len(set(fills)) == 4  # each priority its own fill: solid, hatching, dots, cross-hatching
    assert [row[2] for row in volume.rows] == ["solid", "diagonal hatching", "dots", "cross-hatching"]

    breaches = charts.breach_bars("b", [("<Evil & Co>", 2, 1), ("Calm Ltd", 0, 0)])
    svg = str(breaches.svg)
    assert "<Evil" not in svg and "&lt;Evil &amp; Co&gt;" in svg
    assert (
        "1 of 2 organisations had breaches; the most: &lt;Evil &amp; Co&gt; with 3 (2 initial, 1 considered)"
        in svg
    )
    assert "Initial response breaches" in svg and "Considered response breaches" in svg
    assert breaches.rows[0] == ["<Evil & Co>", "2", "1", "3"]
