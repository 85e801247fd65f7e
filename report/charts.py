"""Charts as inline SVG: no script, no font or network request, the same on screen and on paper.

Two kinds: a trend chart (the area against Sweden, and for a municipality its county and
kommungrupp, over the periods, one panel per sex) and a municipality chart (the county's
municipalities in the latest period, with the area's, the county's and Sweden's values as
reference lines). A missing or suppressed value is never drawn as 0: the line breaks there and
an open marker on the axis says why (``<title>`` gives the words). A single period is a labelled
point, not a line. Axes of values that cannot be negative start at 0. Intervals are a band (trend)
or whiskers (bars). Legends are HTML beside the chart (``legend``), so they are never cut.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

COUNTY_COLOUR = "#1d5c96"  # the area the report is about
SWEDEN_COLOUR = "#6b6b6b"
PARENT_COLOUR = "#a6540a"  # a municipality's county
GROUP_COLOUR = "#3f7a1f"  # a municipality's kommungrupp
MUNICIPALITY_COLOUR = "#8fb3d9"
HIGHLIGHT_COLOUR = "#1d5c96"  # the municipality a report is about, among its county's
BAND_COLOUR = "#1d5c96"
DASHES = {"solid": "", "dashed": "5 3", "dotted": "1.5 2.5"}
MARK_ALL_BELOW = 9  # periods: a longer series is a line with its newest point marked (cheaper to print)
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
    dashed: bool = False  # a reference line (no band); ``style`` says how it is drawn
    style: str = ""  # solid / dashed / dotted; default: dashed for a reference line

    @property
    def dash(self) -> str:
        return DASHES[self.style or ("dashed" if self.dashed else "solid")]


@dataclass(frozen=True)
class Bar:
    name: str
    value: float | None
    why: str = ""
    flag: str = ""  # e.g. "*" for a low-precision value
    code: str = ""  # the region code, for readers of the SVG
    ci_low: float | None = None
    ci_high: float | None = None
    highlight: bool = False  # the area the report is about


def legend(entries: Sequence[tuple[str, str, str]]) -> str:
    """An HTML legend: (name, colour, style) where style is solid, dashed, dotted, band or bar."""
    items = []
    for name, colour, style in entries:
        if style == "band":
            mark = (
                '<svg width="18" height="10" aria-hidden="true">'
                f'<rect width="18" height="10" fill="{colour}" fill-opacity="0.18"/></svg>'
            )
        elif style == "bar":
            mark = (
                '<svg width="14" height="10" aria-hidden="true">'
                f'<rect width="14" height="10" fill="{colour}"/></svg>'
            )
        elif style == "gap":
            mark = (
                '<svg width="10" height="10" aria-hidden="true">'
                '<path d="M1,9 l4,-7 l4,7 z" fill="white" stroke="#555"/></svg>'
            )
        else:
            dash = f' stroke-dasharray="{DASHES[style]}"' if DASHES.get(style) else ""
            mark = (
                f'<svg width="20" height="10" aria-hidden="true"><line x1="0" x2="20" y1="5" y2="5"'
                f' stroke="{colour}" stroke-width="2"{dash}/></svg>'
            )
        items.append(f'<span class="legend-item">{mark} {escape(name)}</span>')
    return '<p class="legend">' + " ".join(items) + "</p>"


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
    label: str = "",
    width: int = 330,
) -> str:
    """Panels stacked (one per sex) sharing one y scale and the x axis; lines over ``periods``.

    The axis starts at 0 when ``zero_based`` or no value is negative. With one period each value
    is a point with its figure beside it (no line is drawn through one point).
    """
    values = [
        v
        for _, lines in panels
        for line in lines
        for p in line.points
        for v in (p.value, p.ci_low, p.ci_high)
        if v is not None
    ]
    low, high = (min(values), max(values)) if values else (0.0, 1.0)
    if zero_based or low >= 0:
        low = min(low, 0.0)
    ticks = nice_ticks(low, high, 3 if len(panels) > 1 else 4)
    y_min, y_max = ticks[0], ticks[-1]
    left, title_h, bottom, gap, pad = 40, 12, 16, 6, 16
    plot_h = {1: 100, 2: 52}.get(len(panels), 38)
    panel_h = title_h + plot_h
    height = len(panels) * panel_h + (len(panels) - 1) * gap + bottom
    inner = width - left - 2 * pad - 6
    n = len(periods)
    single = n == 1

    def x(i: int) -> float:
        return left + pad + (inner * i / (n - 1) if n > 1 else inner / 3)

    parts = [
        f'<svg class="chart trend-chart" data-chart="trend" data-indicator="{escape(chart_id)}"'
        f' xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}"'
        f' height="{height}" role="img" aria-label="{escape(label or "Diagram över tid")}"'
        f' {FONT} font-size="9">'
    ]
    for index, (title, lines) in enumerate(panels):
        y0 = index * (panel_h + gap)
        base = y0 + panel_h

        def y(value: float, y0: float = y0) -> float:
            return y0 + title_h + plot_h - (value - y_min) / (y_max - y_min) * plot_h

        parts.append(f'<g class="panel" data-panel="{escape(title)}">')
        parts.append(f'<text x="{left}" y="{y0 + 9}" font-weight="bold">{escape(title)}</text>')
        for tick in ticks:
            parts.append(
                f'<line x1="{left}" x2="{width - 4}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" stroke="#e3e3e3"/>'
                f'<text x="{left - 4}" y="{y(tick) + 3:.1f}" text-anchor="end" fill="#444">'
                f"{escape(fmt(tick))}</text>"
            )
        for line in lines:
            by_label = {p.label: p for p in line.points}
            band = [(i, by_label[period]) for i, period in enumerate(periods) if period in by_label]
            lows = [(i, p) for i, p in band if p.ci_low is not None and p.ci_high is not None]
            if lows and not line.dashed:
                for run in _runs(lows):
                    if len(run) == 1:  # one period: a whisker, not a band
                        i, p = run[0]
                        parts.append(
                            f'<line class="whisker" x1="{x(i):.1f}" x2="{x(i):.1f}" y1="{y(p.ci_low):.1f}"'
                            f' y2="{y(p.ci_high):.1f}" stroke="{line.colour}" stroke-width="1.2"/>'
                        )
                        continue
                    upper = " ".join(f"{x(i):.1f},{y(p.ci_high):.1f}" for i, p in run)
                    lower = " ".join(f"{x(i):.1f},{y(p.ci_low):.1f}" for i, p in reversed(run))
                    parts.append(
                        f'<polygon class="band" points="{upper} {lower}" fill="{BAND_COLOUR}"'
                        ' fill-opacity="0.14" stroke="none"/>'
                    )
            present = [(i, p) for i, p in band if p.value is not None]
            dash = f' stroke-dasharray="{line.dash}"' if line.dash else ""
            for run in _runs(present):
                if len(run) > 1:
                    points = " ".join(f"{x(i):.1f},{y(p.value):.1f}" for i, p in run)
                    parts.append(
                        f'<polyline points="{points}" fill="none" stroke="{line.colour}"'
                        f' stroke-width="1.8"{dash}/>'
                    )
            # Points are marked where a line alone cannot show them: a lone point, the newest
            # value, and every point of a short series; a reference line marks its newest only.
            runs = _runs(present)
            alone = {i for run in runs if len(run) == 1 for i, _ in run}
            if line.dashed and not single:
                marked = present[-1:]
            elif n <= MARK_ALL_BELOW:
                marked = present
            else:
                marked = [(i, p) for i, p in present if i in alone or (i, p) == present[-1]]
            for i, p in marked:
                parts.append(
                    f'<circle class="point" cx="{x(i):.1f}" cy="{y(p.value):.1f}"'
                    f' r="{3.0 if single else 2.1}" fill="{line.colour}" data-series="{escape(line.name)}"'
                    f' data-period="{escape(p.label)}" data-value="{p.value!r}">'
                    f"<title>{escape(line.name)} {escape(p.label)}: {escape(fmt(p.value))}</title></circle>"
                )
                if single:  # a lone point carries its figure
                    parts.append(
                        f'<text class="point-label" x="{x(i) + 6:.1f}" y="{y(p.value) + 3:.1f}"'
                        f' fill="{line.colour}">{escape(fmt(p.value))}</text>'
                    )
            for i, p in band:
                if p.value is None and p.why:
                    parts.append(
                        f'<path class="gap" d="M{x(i) - 4:.1f},{base + 1:.1f} l4,-7 l4,7 z" fill="white"'
                        f' stroke="{line.colour}" data-series="{escape(line.name)}"'
                        f' data-period="{escape(p.label)}">'
                        f"<title>{escape(line.name)} {escape(p.label)}: {escape(p.why)}</title></path>"
                    )
        parts.append(f'<line x1="{left}" x2="{width - 4}" y1="{base}" y2="{base}" stroke="#999"/>')
        parts.append("</g>")
    step = max(1, math.ceil(n / 5))
    for i, period in enumerate(periods):
        if i == n - 1 or (i % step == 0 and n - 1 - i >= step):  # the last one never crowded
            parts.append(
                f'<text x="{x(i):.1f}" y="{height - 4}" text-anchor="middle" fill="#444">'
                f"{escape(period)}</text>"
            )
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
    label: str = "",
) -> str:
    """Horizontal bars, one per municipality, from 0, with whiskers for intervals and reference
    lines (name, value, colour); the legend is HTML beside it (``legend``)."""
    values = [b.value for b in bars if b.value is not None] + [v for _, v, _ in references if v is not None]
    values += [b.ci_high for b in bars if b.ci_high is not None and b.value is not None]
    low = min([0.0, *values])
    high = max([0.0, *values]) or 1.0
    ticks = nice_ticks(low, high, 5)
    x_min, x_max = ticks[0], ticks[-1]
    label_w, plot_w, row_h, top = 92, 200, 9, 6
    height = top + row_h * len(bars) + 18
    width = label_w + plot_w + 48

    def x(value: float) -> float:
        return label_w + (value - x_min) / (x_max - x_min) * plot_w

    parts = [
        f'<svg class="chart bar-chart" data-chart="municipalities" data-indicator="{escape(chart_id)}"'
        f' xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}"'
        f' height="{height}" role="img" aria-label="{escape(label or "Stapeldiagram per kommun")}"'
        f' {FONT} font-size="8.5">'
    ]
    bottom = top + row_h * len(bars)
    for tick in ticks:
        parts.append(
            f'<line x1="{x(tick):.1f}" x2="{x(tick):.1f}" y1="{top - 4}" y2="{bottom}" stroke="#e3e3e3"/>'
            f'<text x="{x(tick):.1f}" y="{bottom + 11}" text-anchor="middle" fill="#444">'
            f"{escape(fmt(tick))}</text>"
        )
    for row, bar in enumerate(bars):
        y0 = top + row * row_h
        weight = ' font-weight="bold"' if bar.highlight else ""
        parts.append(
            f'<text x="{label_w - 5}" y="{y0 + 7.5}" text-anchor="end"{weight}>{escape(bar.name)}</text>'
        )
        if bar.value is None:
            parts.append(
                f'<text class="no-value" x="{label_w + 4}" y="{y0 + 8}" fill="#8a4b00" font-style="italic"'
                f' data-region="{escape(bar.code)}">{escape(bar.why or "uppgift saknas")}</text>'
            )
            continue
        start, end = sorted((x(0.0 if x_min <= 0 <= x_max else x_min), x(bar.value)))
        colour = HIGHLIGHT_COLOUR if bar.highlight else MUNICIPALITY_COLOUR
        parts.append(
            f'<rect class="bar" x="{start:.1f}" y="{y0 + 2}" width="{max(end - start, 0.5):.1f}"'
            f' height="{row_h - 4}" fill="{colour}" data-region="{escape(bar.code)}"'
            f' data-value="{bar.value!r}"><title>{escape(bar.name)}: {escape(fmt(bar.value))}</title></rect>'
        )
        label_x = end
        if bar.ci_low is not None and bar.ci_high is not None:
            cy = y0 + row_h / 2
            parts.append(
                f'<path class="whisker" d="M{x(bar.ci_low):.1f},{cy:.1f} H{x(bar.ci_high):.1f}'
                f' M{x(bar.ci_low):.1f},{cy - 2.5:.1f} v5 M{x(bar.ci_high):.1f},{cy - 2.5:.1f} v5"'
                ' stroke="#333" stroke-width="0.8" fill="none"/>'
            )
            label_x = max(end, x(bar.ci_high))
        parts.append(
            f'<text x="{label_x + 3:.1f}" y="{y0 + 8}" fill="#222">'
            f"{escape(fmt(bar.value))}{escape(bar.flag)}</text>"
        )
    for name, value, colour in references:
        if value is None:
            continue
        parts.append(
            f'<line class="reference" x1="{x(value):.1f}" x2="{x(value):.1f}" y1="{top - 6}" y2="{bottom}"'
            f' stroke="{colour}" stroke-width="1.6" stroke-dasharray="4 2" data-value="{value!r}">'
            f"<title>{escape(name)}: {escape(fmt(value))}</title></line>"
        )
    parts.append("</svg>")
    return "".join(parts)
