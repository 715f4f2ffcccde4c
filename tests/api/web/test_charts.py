"""The SVG charts scale with their container and escape every text they show."""

from __future__ import annotations

from api.web import charts


def test_bars_scale_and_escape_labels() -> None:
    svg = charts.bars([0.5, None, 1.0], ["<b>", "W2", "W3"], title="Rate & more")
    assert svg.startswith("<svg") and 'viewBox="0 0 ' in svg
    assert "<b>" not in svg and "&lt;b&gt;" in svg
    assert "Rate &amp; more" in svg
    assert svg.count('class="bar"') == 2  # no bar for a week without anyone expected


def test_funnel_has_one_bar_per_stage() -> None:
    svg = charts.funnel([("identify", 2), ("pilot", 8), ("done", 0)], title="Phases")
    assert svg.count("<rect") == 3


def test_sparkline_leaves_gaps_for_weeks_without_ratings() -> None:
    svg = charts.sparkline([3, 4, None, 2, 5], title="Ratings")
    assert svg.count("<polyline") == 2
    assert svg.count("<circle") == 4
