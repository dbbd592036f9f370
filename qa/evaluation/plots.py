"""Small inline SVG plots for the HTML report, so the page needs no plotting library or network."""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

from qa.evaluation.metrics import percentile

WIDTH, HEIGHT = 520, 300
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 28, 44
COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf", "#7f7f7f"]


def _frame(title: str, xlabel: str, ylabel: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}" '
        'font-family="sans-serif" font-size="11">',
        f'<text x="{WIDTH / 2}" y="16" text-anchor="middle" font-size="13">{escape(title)}</text>',
        f'<text x="{WIDTH / 2}" y="{HEIGHT - 6}" text-anchor="middle">{escape(xlabel)}</text>',
        f'<text x="12" y="{HEIGHT / 2}" text-anchor="middle" '
        f'transform="rotate(-90 12 {HEIGHT / 2})">{escape(ylabel)}</text>',
        f'<rect x="{LEFT}" y="{TOP}" width="{WIDTH - LEFT - RIGHT}" height="{HEIGHT - TOP - BOTTOM}" '
        'fill="none" stroke="#999"/>',
    ]


def _nice_max(value: float) -> float:
    """A round axis maximum at or above ``value``."""
    if value <= 0:
        return 1.0
    exponent = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if step * exponent >= value:
            return step * exponent
    return 10 * exponent


def _y_axis(parts: list[str], ymax: float, as_int: bool = False) -> None:
    plot_h = HEIGHT - TOP - BOTTOM
    for i in range(5):
        value = ymax * i / 4
        y = TOP + plot_h * (1 - i / 4)
        label = f"{value:.0f}" if as_int or ymax >= 10 else f"{value:.2f}"
        parts.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" stroke="#eee"/>')
        parts.append(f'<text x="{LEFT - 4}" y="{y + 4:.1f}" text-anchor="end">{label}</text>')


def line_chart(
    series: Sequence[tuple[str, Sequence[float | None]]],
    xs: Sequence[int],
    title: str,
    xlabel: str,
    ylabel: str,
    ymax: float = 1.0,
) -> str:
    """Lines over shared integer x values (e.g. recall@k for k = 1..10), one per labelled series."""
    parts = _frame(title, xlabel, ylabel)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    _y_axis(parts, ymax)
    span = max(len(xs) - 1, 1)

    def px(i: int) -> float:
        return LEFT + plot_w * i / span

    for i, x in enumerate(xs):
        parts.append(f'<text x="{px(i):.1f}" y="{TOP + plot_h + 14}" text-anchor="middle">{x}</text>')
    for n, (label, values) in enumerate(series):
        colour = COLOURS[n % len(COLOURS)]
        points = [
            (px(i), TOP + plot_h * (1 - min(v, ymax) / ymax)) for i, v in enumerate(values) if v is not None
        ]
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        parts.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for x, y in points:
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="{colour}"/>')
        ly = TOP + plot_h - 10 - 14 * (len(series) - 1 - n)
        parts.append(f'<rect x="{WIDTH - RIGHT - 150}" y="{ly - 8}" width="10" height="10" fill="{colour}"/>')
        parts.append(f'<text x="{WIDTH - RIGHT - 136}" y="{ly + 1}">{escape(label)}</text>')
    parts.append("</svg>")
    return "\n".join(parts)


def histogram(values: Sequence[float], title: str, xlabel: str, bins: int = 20) -> str:
    """A histogram of ``values`` (e.g. latencies in ms), with the p50 and p95 marked."""
    parts = _frame(title, xlabel, "questions")
    if not values:
        parts.append(f'<text x="{WIDTH / 2}" y="{HEIGHT / 2}" text-anchor="middle">no data</text></svg>')
        return "\n".join(parts)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    xmax = _nice_max(max(values))
    counts = [0] * bins
    for v in values:
        counts[min(int(v / xmax * bins), bins - 1)] += 1
    ymax = max(_nice_max(max(counts)), 4)
    _y_axis(parts, ymax, as_int=True)
    bar_w = plot_w / bins
    for i, count in enumerate(counts):
        h = plot_h * count / ymax
        parts.append(
            f'<rect x="{LEFT + i * bar_w + 1:.1f}" y="{TOP + plot_h - h:.1f}" width="{bar_w - 2:.1f}" '
            f'height="{h:.1f}" fill="#1f77b4"><title>{count}</title></rect>'
        )
    for i in range(5):
        x = LEFT + plot_w * i / 4
        parts.append(
            f'<text x="{x:.1f}" y="{TOP + plot_h + 14}" text-anchor="middle">{xmax * i / 4:g}</text>'
        )
    for q, colour in ((50, "#2ca02c"), (95, "#d62728")):
        v = percentile(values, q) or 0.0
        x = LEFT + plot_w * min(v / xmax, 1.0)
        parts.append(
            f'<line x1="{x:.1f}" y1="{TOP}" x2="{x:.1f}" y2="{TOP + plot_h}" stroke="{colour}" '
            'stroke-dasharray="4 3"/>'
        )
        parts.append(
            f'<text x="{x + 3:.1f}" y="{TOP + 12 + (q == 95) * 12}" fill="{colour}">p{q} {v:.0f}</text>'
        )
    parts.append("</svg>")
    return "\n".join(parts)
