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


def test_bars_write_each_value_above_its_bar() -> None:
    svg = charts.bars(
        [0.5, None, 1.0], ["W1", "W2", "W3"], title="Rate", value_labels=["50 %", "–", "100 %"]
    )
    assert '<text class="value"' in svg
    assert ">50 %</text>" in svg and ">100 %</text>" in svg
    assert ">–</text>" not in svg  # no value written where there is no bar
    for tick in ("0%", "50%", "100%"):
        assert f">{tick}</text>" in svg  # the axis


def test_rating_line_shows_its_scale_its_numbers_and_leaves_gaps() -> None:
    svg = charts.line(
        [3, 4, None, 2, 5],
        ["W1", "W2", "W3", "W4", "W5"],
        title="Ratings",
        value_labels=["3", "4", "–", "2", "4,5"],
    )
    assert svg.count("<polyline") == 2  # the gap in week 3 splits the line
    assert svg.count("<circle") == 4
    for tick in range(1, 6):
        assert f'text-anchor="end">{tick}</text>' in svg
    assert ">4,5</text>" in svg and ">W3</text>" in svg


def test_a_chart_table_gives_the_same_numbers_as_text() -> None:
    html = charts.table("The numbers", ["Week", "Rate"], [["<W1>", "50 %"], ["W2", "–"]])
    assert html.startswith("<details") and "<summary>The numbers</summary>" in html
    assert '<th scope="col">Week</th>' in html
    assert '<th scope="row">&lt;W1&gt;</th><td>50 %</td>' in html
