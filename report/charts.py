"""Charts as inline SVG: no script, no font or network request, the same on screen and on paper.

Two kinds: a trend chart (county against Sweden over the periods, one panel per sex) and a
municipality chart (the county's municipalities in the latest period, with the county's and
Sweden's values as reference lines). A missing or suppressed value is never drawn as 0: the
line breaks there and an open marker on the axis says why (``<title>`` gives the words).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

COUNTY_COLOUR = "#1d5c96"
SWEDEN_COLOUR = "#7a7a7a"
MUNICIPALITY_COLOUR = "#6f9fcb"
BAND_COLOUR = "#1d5c96"
FONT = "font-family=\"'DejaVu Sans', Arial, sans-serif\""


@dataclass(frozen=True)
class Point:
    label: str  # the period as the x-axis shows it
    value: float | None
    ci_low: float | None = None
    ci_high: float | None = None
    why: str = ""  # for a missing value: what the reader is told ("för få svar", …)


@dataclass(frozen=True)
class Line:
    name: str
    points: Sequence[Point]
    colour: str
    dashed: bool = False


@dataclass(frozen=True)
class Bar:
    name: str
    value: float | None
    why: str = ""
    flag: str = ""  # e.g. "*" for a low-precision value
    code: str = ""  # the region code, for readers of the SVG


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values covering [low, high]."""
    if not math.isfinite(low) or not math.isfinite(high):
        return [0.0, 1.0]
    if high - low < 1e-9:
        pad = abs(high) * 0.1 or 1.0
        low, high = low - pad, high + pad
    raw = (high - low) / max(count - 1, 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    start = math.floor(low / step) * step
    ticks = []
    value = start
    while value < high + step * 0.999:
        ticks.append(round(value, 10))
        value += step
    return ticks


def trend_chart(
    panels: Sequence[tuple[str, Sequence[Line]]],
    periods: Sequence[str],
    fmt: Callable[[float], str],
    *,
    chart_id: str,
    zero_based: bool = False,
) -> str:
    """Panels side by side sharing one y scale; each panel's lines over ``periods``."""
    values = [
        v
        for _, lines in panels
        for line in lines
        for p in line.points
        for v in (p.value, p.ci_low, p.ci_high)
        if v is not None
    ]
    low, high = (min(values), max(values)) if values else (0.0, 1.0)
    if zero_based:
        low = min(low, 0.0)
    ticks = nice_ticks(low, high)
    y_min, y_max = ticks[0], ticks[-1]
    panel_w, height, left, top, bottom, gap, pad = 230, 190, 46, 22, 40, 20, 28
    width = left + len(panels) * panel_w + (len(panels) - 1) * gap + 8
    plot_h = height - top - bottom

    def y(value: float) -> float:
        return top + plot_h - (value - y_min) / (y_max - y_min) * plot_h

    parts = [
        f'<svg class="chart trend-chart" data-chart="trend" data-indicator="{escape(chart_id)}"'
        f' xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}"'
        f' height="{height}" role="img" {FONT} font-size="10">'
    ]
    for tick in ticks:
        parts.append(
            f'<text x="{left - 5}" y="{y(tick) + 3:.1f}" text-anchor="end" fill="#444">'
            f"{escape(fmt(tick))}</text>"
        )
    n = len(periods)
    for index, (title, lines) in enumerate(panels):
        x0 = left + index * (panel_w + gap)
        inner = panel_w - 2 * pad

        def x(i: int, x0: float = x0, inner: float = inner) -> float:
            return x0 + pad + (inner * i / (n - 1) if n > 1 else inner / 2)

        parts.append(f'<g class="panel" data-panel="{escape(title)}">')
        parts.append(
            f'<text x="{x0 + panel_w / 2:.1f}" y="12" text-anchor="middle" font-weight="bold">'
            f"{escape(title)}</text>"
        )
        for tick in ticks:
            parts.append(
                f'<line x1="{x0}" x2="{x0 + panel_w}" y1="{y(tick):.1f}" y2="{y(tick):.1f}"'
                ' stroke="#e3e3e3"/>'
            )
        step = max(1, math.ceil(n / 6))
        for i, label in enumerate(periods):
            if i == n - 1 or (i % step == 0 and n - 1 - i >= step):  # the last one never crowded
                parts.append(
                    f'<text x="{x(i):.1f}" y="{height - bottom + 14}" text-anchor="middle" fill="#444">'
                    f"{escape(label)}</text>"
                )
        for line in lines:
            by_label = {p.label: p for p in line.points}
            band = [(i, by_label[label]) for i, label in enumerate(periods) if label in by_label]
            lows = [(i, p) for i, p in band if p.ci_low is not None and p.ci_high is not None]
            if lows and not line.dashed:
                for run in _runs(lows):
                    upper = " ".join(f"{x(i):.1f},{y(p.ci_high):.1f}" for i, p in run)
                    lower = " ".join(f"{x(i):.1f},{y(p.ci_low):.1f}" for i, p in reversed(run))
                    parts.append(
                        f'<polygon points="{upper} {lower}" fill="{BAND_COLOUR}" fill-opacity="0.12"'
                        ' stroke="none"/>'
                    )
            present = [(i, p) for i, p in band if p.value is not None]
            dash = ' stroke-dasharray="5 3"' if line.dashed else ""
            for run in _runs(present):
                if len(run) > 1:
                    points = " ".join(f"{x(i):.1f},{y(p.value):.1f}" for i, p in run)
                    parts.append(
                        f'<polyline points="{points}" fill="none" stroke="{line.colour}"'
                        f' stroke-width="2"{dash}/>'
                    )
            for i, p in present:
                parts.append(
                    f'<circle class="point" cx="{x(i):.1f}" cy="{y(p.value):.1f}" r="2.6"'
                    f' fill="{line.colour}" data-series="{escape(line.name)}"'
                    f' data-period="{escape(p.label)}" data-value="{p.value!r}">'
                    f"<title>{escape(line.name)} {escape(p.label)}: {escape(fmt(p.value))}</title></circle>"
                )
            for i, p in band:
                if p.value is None and p.why:
                    cy = top + plot_h
                    parts.append(
                        f'<path class="gap" d="M{x(i) - 4:.1f},{cy + 6:.1f} l4,-7 l4,7 z" fill="white"'
                        f' stroke="{line.colour}" data-series="{escape(line.name)}"'
                        f' data-period="{escape(p.label)}">'
                        f"<title>{escape(line.name)} {escape(p.label)}: {escape(p.why)}</title></path>"
                    )
        parts.append(
            f'<line x1="{x0}" x2="{x0 + panel_w}" y1="{top + plot_h}" y2="{top + plot_h}" stroke="#999"/>'
        )
        parts.append("</g>")
    legend_y = height - 8
    legend_x = left
    for line in panels[0][1] if panels else []:
        dash = ' stroke-dasharray="5 3"' if line.dashed else ""
        parts.append(
            f'<line x1="{legend_x}" x2="{legend_x + 18}" y1="{legend_y - 3}" y2="{legend_y - 3}"'
            f' stroke="{line.colour}" stroke-width="2"{dash}/>'
            f'<text x="{legend_x + 22}" y="{legend_y}">{escape(line.name)}</text>'
        )
        legend_x += 30 + 6.2 * len(line.name)
    parts.append(f'<text x="{legend_x + 4}" y="{legend_y}" fill="#555">△ värde saknas (se tabellen)</text>')
    parts.append("</svg>")
    return "".join(parts)


def _runs(points: list[tuple[int, Point]]) -> list[list[tuple[int, Point]]]:
    """Split into runs of consecutive period indexes (a missing period breaks the line)."""
    runs: list[list[tuple[int, Point]]] = []
    for i, p in points:
        if runs and runs[-1][-1][0] == i - 1:
            runs[-1].append((i, p))
        else:
            runs.append([(i, p)])
    return runs


def bar_chart(
    bars: Sequence[Bar],
    references: Sequence[tuple[str, float | None, str]],
    fmt: Callable[[float], str],
    *,
    chart_id: str,
) -> str:
    """Horizontal bars, one per municipality, with reference lines (name, value, colour)."""
    values = [b.value for b in bars if b.value is not None] + [v for _, v, _ in references if v is not None]
    low = min([0.0, *values])
    high = max([0.0, *values]) or 1.0
    ticks = nice_ticks(low, high)
    x_min, x_max = ticks[0], ticks[-1]
    label_w, plot_w, row_h, top = 150, 380, 18, 26
    height = top + row_h * len(bars) + 34
    width = label_w + plot_w + 90

    def x(value: float) -> float:
        return label_w + (value - x_min) / (x_max - x_min) * plot_w

    parts = [
        f'<svg class="chart bar-chart" data-chart="municipalities" data-indicator="{escape(chart_id)}"'
        f' xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}"'
        f' height="{height}" role="img" {FONT} font-size="10">'
    ]
    bottom = top + row_h * len(bars)
    for tick in ticks:
        parts.append(
            f'<line x1="{x(tick):.1f}" x2="{x(tick):.1f}" y1="{top - 4}" y2="{bottom}" stroke="#e3e3e3"/>'
            f'<text x="{x(tick):.1f}" y="{bottom + 12}" text-anchor="middle" fill="#444">'
            f"{escape(fmt(tick))}</text>"
        )
    for row, bar in enumerate(bars):
        y0 = top + row * row_h
        parts.append(f'<text x="{label_w - 6}" y="{y0 + 12}" text-anchor="end">{escape(bar.name)}</text>')
        if bar.value is None:
            parts.append(
                f'<text class="no-value" x="{label_w + 4}" y="{y0 + 12}" fill="#8a4b00" font-style="italic"'
                f' data-region="{escape(bar.code)}">{escape(bar.why or "uppgift saknas")}</text>'
            )
            continue
        start, end = sorted((x(0.0 if x_min <= 0 <= x_max else x_min), x(bar.value)))
        parts.append(
            f'<rect class="bar" x="{start:.1f}" y="{y0 + 3}" width="{max(end - start, 0.5):.1f}"'
            f' height="{row_h - 6}" fill="{MUNICIPALITY_COLOUR}" data-region="{escape(bar.code)}"'
            f' data-value="{bar.value!r}"><title>{escape(bar.name)}: {escape(fmt(bar.value))}</title></rect>'
            f'<text x="{end + 4:.1f}" y="{y0 + 12}" fill="#222">'
            f"{escape(fmt(bar.value))}{escape(bar.flag)}</text>"
        )
    legend_x = label_w
    for name, value, colour in references:
        if value is None:
            continue
        parts.append(
            f'<line class="reference" x1="{x(value):.1f}" x2="{x(value):.1f}" y1="{top - 6}" y2="{bottom}"'
            f' stroke="{colour}" stroke-width="2" stroke-dasharray="4 2" data-value="{value!r}">'
            f"<title>{escape(name)}: {escape(fmt(value))}</title></line>"
            f'<line x1="{legend_x}" x2="{legend_x + 14}" y1="{height - 10}" y2="{height - 10}"'
            f' stroke="{colour}" stroke-width="2" stroke-dasharray="4 2"/>'
            f'<text x="{legend_x + 18}" y="{height - 7}">{escape(name)} {escape(fmt(value))}</text>'
        )
        legend_x += 60 + 6.2 * (len(name) + len(fmt(value)))
    parts.append("</svg>")
    return "".join(parts)
