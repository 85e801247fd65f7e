"""The report as one self-contained Swedish HTML page (inline CSS and SVG, no script, no links out)."""

from __future__ import annotations

import functools
import re
from datetime import UTC, datetime

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from ingest.codes import LOW_PRECISION_BELOW, MIN_RESPONDENTS, MIN_RESPONSE_RATE
from report import charts
from report.data import STATUS_WORDS, Cell, Indicator, Period, Region, ReportData, Verdict, source_base
from report.messages import CHAPTER_MESSAGES, key_messages, summary_sexes
from report.text import AnalystText

UNIT_LABELS = {
    "percent": "andel (%)",
    "count": "antal",
    "points": "poäng",
    "per_1000": "per 1 000 invånare",
    "per_10000": "per 10 000 invånare",
    "per_inhabitant": "per invånare",
    "mean": "medelvärde",
}
VERDICT_WORDS = {
    "better": "bättre",
    "worse": "sämre",
    "similar": "ingen säker skillnad",
    "unchanged": "ingen säker förändring",
    "not_compared": "ej jämförd",
    "improving": "förbättras",
    "worsening": "försämras",
    "no_significant_change": "ingen säker trend",
    "not_tested": "ej testad",
}
CHANGE_UNITS = {
    "percent": " procentenheter",
    "per_1000": " per 1\u00a0000 invånare",
    "per_10000": " per 10\u00a0000 invånare",
    "per_inhabitant": " per invånare",
    "points": " poäng",
}
TREND_METHODS = {"chi_square_trend": "chi-två-test för trend", "wls": "viktad regression"}
SOURCE_NAMES = {"kolada": "Kolada (RKA)", "scb": "SCB", "fohm": "Folkhälsomyndigheten, Folkhälsodata"}
LOW_PRECISION = "low_precision"


def number(value: float | None) -> str:
    """Swedish notation: decimal comma, a non-breaking space between thousands; at most 2 decimals,
    or 3 significant digits below 1 (a small rate never reads as 0)."""
    if value is None:
        return ""
    if 0 < abs(value) < 1:
        text = f"{value:.3g}"
    else:
        text = f"{round(value, 2):,.2f}".rstrip("0").rstrip(".")
    text = text.replace(",", "\u00a0").replace(".", ",")
    return "0" if text in ("-0", "") else text


def why(cell: Cell | None) -> str:
    """The words for a missing value (never a number)."""
    if cell is None:
        return "uppgift saknas"
    return STATUS_WORDS.get(cell.status or "", "uppgift saknas")


def shown(cell: Cell | None) -> str:
    """A cell as the report prints it: the value (with * when imprecise) or why it is missing."""
    if cell is None or cell.value is None:
        return why(cell)
    return number(cell.value) + ("*" if cell.status == LOW_PRECISION else "")


def age_label(indicator: Indicator) -> str:
    """The ages of one series, as the source means them (empty when the title says it)."""
    return indicator.age_label if indicator.age_group != "total" else ""


def source_name(source: str, title: str | None = None) -> str:
    """The source as a reader knows it; a survey by its title (its spec's), never by its file."""
    if source.startswith("survey:"):
        return title or "Regional enkät"
    return SOURCE_NAMES.get(source, source)


def change_text(verdict: Verdict, indicator: Indicator) -> str:
    """The change since the previous period with its sign and unit: "+2,1 procentenheter"."""
    if verdict.change_1 is None:
        return ""
    change = round(verdict.change_1, 2)  # a change reads to two decimals at most, never 0,000412
    sign = "+" if change > 0 else ("−" if change < 0 else "±")
    figure = number(abs(change))
    if verdict.compared_on == "rate_per_1000":
        unit = " per 1\u00a0000 invånare"
    else:
        unit = CHANGE_UNITS.get(indicator.unit, "")
    return f"{sign}{figure}{unit}"


def lines_for(data: ReportData, indicator: Indicator, sex: str) -> list[charts.Line]:
    """The trend chart's series: the area (with its interval band), then for a municipality its
    county and kommungrupp, then Sweden; a count is not set against larger areas."""
    series = [(data.area, charts.COUNTY_COLOUR, "solid", False)]
    if indicator.comparable_with_sweden:
        if data.is_municipality:
            series.append((data.county, charts.PARENT_COLOUR, "solid", True))
            if data.kommungrupp is not None:
                series.append((data.kommungrupp, charts.GROUP_COLOUR, "dotted", True))
        series.append((data.sweden, charts.SWEDEN_COLOUR, "dashed", True))
    lines = []
    for region, colour, style, reference in series:
        cells = indicator.values.get(sex, {}).get(region.code, {})
        points = [
            charts.Point(p.label, c.value, c.ci_low, c.ci_high, "" if c.value is not None else why(c))
            for p in indicator.periods
            if (c := cells.get(p)) is not None
        ]
        if points:
            lines.append(charts.Line(region_label(region), points, colour, reference, style))
    return lines


def region_label(region: Region) -> str:
    return f"Kommungrupp {region.name.lower()}" if region.level == "kommungrupp" else region.name


def series_of(data: ReportData, indicator: Indicator) -> dict[str, list[charts.Line]]:
    """The trend chart's lines per sex, built once for the chart and its legend."""
    return {sex: lines_for(data, indicator, sex) for sex in indicator.sexes}


def trend_svg(
    data: ReportData, indicator: Indicator, series: dict[str, list[charts.Line]] | None = None
) -> str:
    series = series or series_of(data, indicator)
    panels = [(indicator.sex_labels[sex], series[sex]) for sex in indicator.sexes]
    periods = [p.label for p in indicator.periods]
    span = periods[0] if len(periods) == 1 else f"{periods[0]}–{periods[-1]}"
    return charts.trend_chart(
        panels,
        periods,
        number,
        chart_id=indicator.key,
        zero_based=indicator.unit in ("count", "percent"),
        label=f"{indicator.title}: {data.area.name} {span}"
        + (" jämfört med riket" if indicator.comparable_with_sweden else ""),
    )


def legend_for(
    data: ReportData, indicator: Indicator, period: Period | None, series: dict | None = None
) -> str:
    """One legend for the indicator's charts: the trend's series, then the municipality chart's."""
    entries = trend_entries(data, indicator, series or series_of(data, indicator))
    names = {name for name, _, _ in entries}
    if period is not None:
        entries += [e for e in municipality_entries(data, indicator, period) if e[0] not in names]
    return charts.legend(entries)


def trend_entries(data: ReportData, indicator: Indicator, series: dict) -> list[tuple[str, str, str]]:
    lines = {line.name: line for sex in indicator.sexes for line in series[sex]}
    entries = [
        (name, line.colour, line.style or ("dashed" if line.dashed else "solid"))
        for name, line in lines.items()
    ]
    if any(p.ci_low is not None for line in lines.values() if not line.dashed for p in line.points):
        entries.append(("95 % konfidensintervall", charts.BAND_COLOUR, "band"))
    if any(p.value is None for line in lines.values() for p in line.points):
        entries.append(("värde saknas (se tabellen)", "#555", "gap"))
    if len(indicator.periods) == 1:
        entries.append((f"en mätning ({indicator.periods[0].label}): ingen trend", "#555", "dotted"))
    return entries


def municipality_period(data: ReportData, indicator: Indicator) -> Period | None:
    """The newest period in which a municipality of the county has a value (else a row), main sex."""
    if not data.municipalities:
        return None
    return indicator.latest_period([m.code for m in data.municipalities], [indicator.main_sex])


def table_period(data: ReportData, indicator: Indicator) -> Period:
    """The table's period: the area's newest value, else the municipalities', else the newest row."""
    return (
        indicator.latest_period([data.area.code])
        or municipality_period(data, indicator)
        or indicator.periods[-1]
    )


def _references(
    data: ReportData, indicator: Indicator, period: Period
) -> list[tuple[str, float | None, str]]:
    if not indicator.comparable_with_sweden:  # a count of the county or Sweden dwarfs its municipalities'
        return []
    sex = indicator.main_sex
    return [
        (region.name, cell.value if (cell := indicator.cell(sex, region.code, period)) else None, colour)
        for region, colour in (
            (data.county, charts.PARENT_COLOUR if data.is_municipality else charts.COUNTY_COLOUR),
            (data.sweden, charts.SWEDEN_COLOUR),
        )  # fmt: skip
    ]


def municipality_svg(data: ReportData, indicator: Indicator, period: Period) -> str:
    sex = indicator.main_sex
    bars = []
    for region in data.municipalities:
        cell = indicator.cell(sex, region.code, period)
        if cell is None:  # no row at all: the coverage note names it
            continue
        value = cell.value
        flag = "*" if cell is not None and cell.status == LOW_PRECISION else ""
        bars.append(
            charts.Bar(
                region.name,
                value,
                "" if value is not None else why(cell),
                flag,
                region.code,
                cell.ci_low if cell is not None and value is not None else None,
                cell.ci_high if cell is not None and value is not None else None,
                region.code == data.area.code,
            )
        )
    bars.sort(key=lambda b: (b.value is None, -(b.value or 0)))
    return charts.bar_chart(
        bars,
        _references(data, indicator, period),
        number,
        chart_id=indicator.key,
        label=f"{indicator.title}: kommunerna i {data.county.name} {period.label}",
    )


Entry = tuple[str, str, str]  # a legend entry: name, colour, style


def municipality_entries(data: ReportData, indicator: Indicator, period: Period) -> list[Entry]:
    sex = indicator.main_sex
    if any((c := indicator.cell(sex, m.code, period)) and c.ci_low is not None for m in data.municipalities):
        return [("95 % konfidensintervall, kommun", "#333", "solid")]
    return []


def reference_caption(data: ReportData, indicator: Indicator, period: Period) -> str:
    """The municipality chart's reference lines in words: "streckat: länet 76,4, riket 75,4"."""
    words = {data.county.code: "länet", data.sweden.code: "riket"}
    shown = [
        f"{words[code]} {number(value)}"
        for name, value, _ in _references(data, indicator, period)
        if value is not None
        for code in [data.county.code if name == data.county.name else data.sweden.code]
    ]
    return f"streckat: {', '.join(shown)}" if shown else ""


def table_rows(data: ReportData, indicator: Indicator, period: Period) -> list[dict]:
    """The latest period's figures: the area, (its county and kommungrupp,) Sweden, then in a
    county's report each municipality (on screen; the chart shows them on paper)."""
    rows = []
    heads = [data.area]
    if data.is_municipality:
        heads += [data.county] + ([data.kommungrupp] if data.kommungrupp else [])
    heads.append(data.sweden)
    # a county's report lists its municipalities on screen; a municipality's has them in the chart
    others = [] if data.is_municipality else data.municipalities
    for region in [*heads, *others]:
        cells = {sex: indicator.cell(sex, region.code, period) for sex in indicator.sexes}
        if region.level in ("municipality", "kommungrupp") and all(c is None for c in cells.values()):
            continue
        rows.append({"region": region, "label": region_label(region), "cells": cells,
                     "detail": region in others})  # fmt: skip
    return rows


def source_of(data: ReportData, indicator: Indicator) -> str:
    title = next(
        (u.source_title for u in data.sources if u.source == indicator.source and u.source_title), None
    )
    return source_name(indicator.source, title)


def sources_by_kind(data: ReportData) -> list[dict]:
    """One table per source: its base URL once, then each table or KPI with its titles and fetch date."""
    groups: dict[str, list] = {}
    for use in data.sources:
        groups.setdefault(use.source, []).append(use)
    return [
        {
            "source": source,
            "name": source_name(source, uses[0].source_title),
            "base": source_base(uses[0], [u.request_url for u in uses])
            if not source.startswith("survey:")
            else "",
            "uses": uses,
        }
        for source, uses in groups.items()
    ]


@functools.cache
def _environment() -> Environment:
    """The template environment, built once per process (compiling the template is the slow part)."""
    env = Environment(
        loader=PackageLoader("report", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(number=number, shown=shown, why=why, source_name=source_name)
    env.globals.update(
        UNIT_LABELS=UNIT_LABELS,
        VERDICT_WORDS=VERDICT_WORDS,
        TREND_METHODS=TREND_METHODS,
        STATUS_WORDS=STATUS_WORDS,
        trend_svg=trend_svg,
        legend_for=legend_for,
        series_of=series_of,
        reference_caption=reference_caption,
        municipality_svg=municipality_svg,
        change_text=change_text,
        sources_by_kind=sources_by_kind,
        source_of=source_of,
        region_label=region_label,
        municipality_period=municipality_period,
        table_period=table_period,
        table_rows=table_rows,
        summary_sexes=summary_sexes,
    )
    return env


def render_html(
    data: ReportData,
    generated_at: datetime | None = None,
    text: AnalystText | None = None,
    printing: bool = False,
) -> str:
    """The whole report for one county or municipality; ``printing``: the page the PDF is
    printed from (without the rows, notes and hover titles of chart marks only the screen shows)."""
    generated_at = generated_at or datetime.now(UTC)
    text = text or AnalystText()
    page = (
        _environment()
        .get_template("report.html.j2")
        .render(
            data=data,
            messages=key_messages(data, number),
            chapter_messages={
                f.code: key_messages(data, number, f.indicators, CHAPTER_MESSAGES) for f in data.factors
            },
            text=text,
            generated_at=generated_at.isoformat(timespec="seconds"),
            generated_date=generated_at.date().isoformat(),
            published_date=data.published_at[:10],
            rule={
                "min_respondents": MIN_RESPONDENTS,
                "min_response_rate": number(MIN_RESPONSE_RATE),
                "low_precision_below": LOW_PRECISION_BELOW,
            },
            chart_count=chart_count(data),
            TESTDATA=TESTDATA,
            printing=printing,
        )
    )
    return MARK_TITLE.sub("", page) if printing else page


# A chart mark's hover title (``<circle …><title>…</title></circle>``): paper shows none, and
# printing them costs Chromium about a tenth of its time. Each chart's aria-label stays.
MARK_TITLE = re.compile(r"<title>[^<]*</title>(?=</(?:circle|path|rect|line)>)")

TESTDATA = "TESTDATA – inte officiell statistik"


def chart_count(data: ReportData) -> int:
    """Charts drawn: a trend chart per series, a municipality chart where municipalities have rows."""
    return sum(1 + (municipality_period(data, i) is not None) for i in data.indicators)
