"""Small server-side SVG charts: bars, a funnel and a rating line, each with its numbers.

Each chart is a scalable ``<svg>`` with a ``viewBox`` (it fills its container's width, so
it reads on a phone), a ``<title>`` for screen readers, its values written on it and an
axis with ticks, and text escaped here. :func:`table` gives the same numbers as a table
(in a ``<details>`` under the chart), for screen readers and for anyone who wants to copy
them.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from markupsafe import Markup


def _svg(width: int, height: int, title: str, body: list[str], css: str) -> Markup:
    return Markup(
        f'<svg class="chart {css}" viewBox="0 0 {width} {height}" role="img" '
        f'preserveAspectRatio="xMidYMid meet" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{escape(title)}</title>{''.join(body)}</svg>"
    )


def bars(
    values: Sequence[float | None],
    labels: Sequence[str],
    *,
    title: str,
    value_labels: Sequence[str] | None = None,
) -> Markup:
    """Vertical bars of fractions 0–1 (response rates), a gap where a value is None."""
    width, height, top, bottom, left = 320, 160, 14, 24, 36
    plot = height - top - bottom
    step = (width - left) / max(len(values), 1)
    body = [
        f'<line class="axis" x1="{left}" y1="{top + plot * (1 - y)}" x2="{width}" '
        f'y2="{top + plot * (1 - y)}"/>'
        f'<text class="tick" x="{left - 4}" y="{top + plot * (1 - y) + 3}" '
        f'text-anchor="end">{int(y * 100)}%</text>'
        for y in (0, 0.5, 1)
    ]
    for index, (value, label) in enumerate(zip(values, labels, strict=True)):
        wide = min(step * 0.7, 48)
        middle = left + (index + 0.5) * step
        if value is not None:
            bar = plot * max(0.0, min(1.0, value))
            shown = value_labels[index] if value_labels else f"{round(value * 100)}%"
            body.append(
                f'<rect class="bar" x="{middle - wide / 2:.1f}" y="{top + plot - bar:.1f}" '
                f'width="{wide:.1f}" height="{bar:.1f}" rx="2">'
                f"<title>{escape(label)}: {escape(shown)}</title></rect>"
                f'<text class="value" x="{middle:.1f}" y="{top + plot - bar - 3:.1f}" '
                f'text-anchor="middle">{escape(shown)}</text>'
            )
        body.append(
            f'<text class="label" x="{middle:.1f}" y="{height - 8}" '
            f'text-anchor="middle">{escape(label)}</text>'
        )
    return _svg(width, height, title, body, "bars")


def funnel(stages: Sequence[tuple[str, int]], *, title: str) -> Markup:
    """Horizontal bars, one per stage, scaled to the largest."""
    width, row = 320, 26
    height = row * max(len(stages), 1) + 4
    most = max((count for _label, count in stages), default=0) or 1
    body = []
    for index, (label, count) in enumerate(stages):
        y = 2 + index * row
        length = (width - 130) * count / most
        body.append(
            f'<text class="label" x="0" y="{y + 16}">{escape(label)}</text>'
            f'<rect class="bar stage-{index}" x="96" y="{y + 3}" width="{length:.1f}" '
            f'height="{row - 8}" rx="3"/>'
            f'<text class="value" x="{100 + length:.1f}" y="{y + 16}">{count}</text>'
        )
    return _svg(width, height, title, body, "funnel")


def line(
    values: Sequence[float | None],
    labels: Sequence[str],
    *,
    title: str,
    value_labels: Sequence[str] | None = None,
    low: int = 1,
    high: int = 5,
) -> Markup:
    """A line through the values on a fixed scale (ratings 1–5) with its ticks, each point
    labelled with its value and each week with its label; weeks without a value stay gaps."""
    width, height, top, bottom, left = 320, 96, 12, 18, 18
    plot = height - top - bottom
    step = (width - left) / max(len(values), 1)

    def y(value: float) -> float:
        return top + plot * (1 - (value - low) / (high - low))

    body = [
        f'<line class="axis" x1="{left}" y1="{y(tick):.1f}" x2="{width}" y2="{y(tick):.1f}"/>'
        f'<text class="tick" x="{left - 4}" y="{y(tick) + 3:.1f}" text-anchor="end">{tick}</text>'
        for tick in range(low, high + 1)
    ]
    segment: list[str] = []
    segments: list[list[str]] = []
    for index, (value, label) in enumerate(zip(values, labels, strict=True)):
        x = left + (index + 0.5) * step
        body.append(
            f'<text class="label" x="{x:.1f}" y="{height - 4}" '
            f'text-anchor="middle">{escape(label)}</text>'
        )
        if value is None:
            if segment:
                segments.append(segment)
            segment = []
            continue
        shown = value_labels[index] if value_labels else f"{value:g}"
        segment.append(f"{x:.1f},{y(value):.1f}")
        body.append(
            f'<circle class="dot" cx="{x:.1f}" cy="{y(value):.1f}" r="2.5">'
            f"<title>{escape(label)}: {escape(shown)}</title></circle>"
            f'<text class="value" x="{x:.1f}" y="{y(value) - 5:.1f}" '
            f'text-anchor="middle">{escape(shown)}</text>'
        )
    if segment:
        segments.append(segment)
    body += [
        f'<polyline class="line" fill="none" points="{" ".join(points)}"/>'
        for points in segments
        if len(points) > 1
    ]
    return _svg(width, height, title, body, "ratings")


def table(summary: str, headers: Sequence[str], rows: Sequence[Sequence[str]]) -> Markup:
    """A chart's numbers as a table, folded under ``summary`` (a ``<details>``)."""
    head = "".join(f'<th scope="col">{escape(h)}</th>' for h in headers)
    body = "".join(
        "<tr>"
        + "".join(
            f'<th scope="row">{escape(cell)}</th>' if index == 0 else f"<td>{escape(cell)}</td>"
            for index, cell in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return Markup(
        f'<details class="chart-data"><summary>{escape(summary)}</summary>'
        f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></details>"
    )
