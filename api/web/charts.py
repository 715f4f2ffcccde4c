"""Small server-side SVG charts: bars, a funnel and sparklines.

Each chart is a scalable ``<svg>`` with a ``viewBox`` (it fills its container's width, so
it reads on a phone), a ``<title>`` for screen readers, and text escaped here.
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


def sparkline(
    values: Sequence[float | None], *, title: str, low: float = 1, high: float = 5
) -> Markup:
    """A small line through the values on a fixed scale (ratings 1–5); gaps stay gaps."""
    width, height, pad = 120, 32, 4
    step = (width - 2 * pad) / max(len(values) - 1, 1)

    def y(value: float) -> float:
        return pad + (height - 2 * pad) * (1 - (value - low) / (high - low))

    body = [f'<line class="axis" x1="0" y1="{y(3):.1f}" x2="{width}" y2="{y(3):.1f}"/>']
    segment: list[str] = []
    segments: list[list[str]] = []
    for index, value in enumerate(values):
        if value is None:
            if segment:
                segments.append(segment)
            segment = []
            continue
        point = f"{pad + index * step:.1f},{y(value):.1f}"
        segment.append(point)
        body.append(f'<circle class="dot" cx="{point.split(",")[0]}" cy="{y(value):.1f}" r="2"/>')
    if segment:
        segments.append(segment)
    body += [
        f'<polyline class="line" fill="none" points="{" ".join(points)}"/>'
        for points in segments
        if len(points) > 1
    ]
    return _svg(width, height, title, body, "sparkline")
