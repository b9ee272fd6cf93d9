"""Small charts as inline SVG drawn on the server (pure: numbers in, SVG text out; no script, no CDN).

Bars for counts per month, a line for a rate; a month without effort has no CPUE and leaves a gap in the
line (it is not drawn as zero).
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

WIDTH, HEIGHT = 640, 200
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 14, 30


def _scale(values: Sequence[float | None]) -> float:
    top = max([v for v in values if v is not None] or [0.0])
    if top <= 0:
        return 1.0
    for power in range(-2, 10):
        for step in (1, 2, 2.5, 5):
            nice = step * 10**power
            if nice >= top:
                return float(nice)
    return float(top)


def _axis(labels: Sequence[str], top: float, title: str) -> list[str]:
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    parts = [f'<text x="{LEFT}" y="10" font-size="11" fill="#333">{escape(title)}</text>']
    for fraction in (0.0, 0.5, 1.0):
        y = TOP + plot_h * (1 - fraction)
        value = top * fraction
        text = f"{value:g}" if value < 1000 else f"{value:,.0f}"
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>')
        parts.append(f'<text x="{LEFT - 4}" y="{y + 4:.1f}" font-size="10" text-anchor="end" fill="#555">{text}</text>')
    n = max(len(labels), 1)
    every = max(1, n // 12)
    for i, label in enumerate(labels):
        if i % every == 0:
            x = LEFT + plot_w * (i + 0.5) / n
            parts.append(f'<text x="{x:.1f}" y="{HEIGHT - 12}" font-size="10" text-anchor="middle" fill="#555">'
                         f"{escape(label)}</text>")  # fmt: skip
    return parts


def bar_chart(labels: Sequence[str], values: Sequence[float], *, title: str, color: str = "#0b5d7a") -> str:
    """Bars, one per label, with the value as each bar's tooltip."""
    top = _scale(values)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    n = max(len(labels), 1)
    parts = _axis(labels, top, title)
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        h = plot_h * (value or 0) / top
        x = LEFT + plot_w * i / n + plot_w / n * 0.15
        parts.append(f'<rect x="{x:.1f}" y="{TOP + plot_h - h:.1f}" width="{plot_w / n * 0.7:.1f}" height="{h:.1f}" '
                     f'fill="{color}"><title>{escape(label)}: {value:g}</title></rect>')  # fmt: skip
    return _svg(parts, title)


def line_chart(labels: Sequence[str], values: Sequence[float | None], *, title: str, gap_label: str,
               color: str = "#bd0026") -> str:  # fmt: skip
    """A line through the values; None (no effort) breaks the line and is marked with `gap_label`."""
    top = _scale(values)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    n = max(len(labels), 1)
    parts = _axis(labels, top, title)
    runs: list[list[tuple[float, float]]] = [[]]
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        x = LEFT + plot_w * (i + 0.5) / n
        if value is None:
            runs.append([])
            parts.append(f'<text x="{x:.1f}" y="{TOP + plot_h - 4}" font-size="9" text-anchor="middle" fill="#999">'
                         f"<title>{escape(label)}: {escape(gap_label)}</title>–</text>")  # fmt: skip
            continue
        y = TOP + plot_h * (1 - value / top)
        runs[-1].append((x, y))
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{color}"><title>{escape(label)}: {value:g}'
                     "</title></circle>")  # fmt: skip
    for run in runs:
        if len(run) > 1:
            points = " ".join(f"{x:.1f},{y:.1f}" for x, y in run)
            parts.append(f'<polyline points="{points}" fill="none" stroke="{color}" stroke-width="2"/>')
    return _svg(parts, title)


def _svg(parts: list[str], title: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
            f'aria-label="{escape(title)}" class="chart">' + "".join(parts) + "</svg>")  # fmt: skip
