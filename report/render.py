"""The report as one self-contained Swedish HTML page (inline CSS and SVG, no script, no links out)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from ingest.surveys import LOW_PRECISION_BELOW, MIN_RESPONSE_RATE
from report import charts
from report.data import STATUS_WORDS, Cell, CountyData, Indicator, Period, Verdict
from warehouse.privacy import MIN_RESPONDENTS

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


def source_name(source: str) -> str:
    if source.startswith("survey:"):
        return f"Regional enkät ({source.removeprefix('survey:')})"
    return SOURCE_NAMES.get(source, source)


@dataclass
class Finding:
    indicator: Indicator
    sex: str
    verdict: Verdict

    @property
    def label(self) -> str:
        parts = [self.indicator.title]
        if age := age_label(self.indicator):
            parts.append(age)
        if self.sex != "total":
            parts.append(self.indicator.sex_labels[self.sex].lower())
        return ", ".join(parts[:1]) + (f" ({', '.join(parts[1:])})" if len(parts) > 1 else "")


def summary_sexes(indicator: Indicator) -> list[str]:
    """Total where the source has it; otherwise each sex on its own (HBSC has no total)."""
    return ["total"] if "total" in indicator.values else indicator.sexes


def findings(data: CountyData) -> dict[str, list[Finding]]:
    """The summary: improved, worsened (latest vs previous period, significant only), the
    significant trends over the latest five periods, and the largest significant gaps to Sweden.
    A verdict the mart did not test (not_compared, not_tested, NULL) is never a summary line."""
    improved, worsened, gaps, rising, falling = [], [], [], [], []
    for indicator in data.indicators:
        for sex in summary_sexes(indicator):
            verdict = indicator.verdicts.get(sex)
            if verdict is None:
                continue
            if verdict.direction_1 == "better":
                improved.append(Finding(indicator, sex, verdict))
            elif verdict.direction_1 == "worse":
                worsened.append(Finding(indicator, sex, verdict))
            if verdict.trend == "improving":
                rising.append(Finding(indicator, sex, verdict))
            elif verdict.trend == "worsening":
                falling.append(Finding(indicator, sex, verdict))
            if (
                indicator.comparable_with_sweden
                and verdict.vs_sweden in ("better", "worse")
                and verdict.sweden_value
            ):
                gaps.append(Finding(indicator, sex, verdict))
    gaps.sort(key=lambda f: -abs((f.verdict.diff_sweden or 0) / f.verdict.sweden_value))
    return {
        "improved": improved,
        "worsened": worsened,
        "trend_improving": rising,
        "trend_worsening": falling,
        "gaps_worse": [f for f in gaps if f.verdict.vs_sweden == "worse"][:8],
        "gaps_better": [f for f in gaps if f.verdict.vs_sweden == "better"][:8],
    }


def trend_svg(data: CountyData, indicator: Indicator) -> str:
    periods = indicator.periods
    panels = []
    for sex in indicator.sexes:
        lines = []
        regions = [(data.county, charts.COUNTY_COLOUR, False), (data.sweden, charts.SWEDEN_COLOUR, True)]
        for region, colour, dashed in regions if indicator.comparable_with_sweden else regions[:1]:
            cells = indicator.values[sex].get(region.code, {})
            points = [
                charts.Point(p.label, c.value, c.ci_low, c.ci_high, "" if c.value is not None else why(c))
                for p in periods
                if (c := cells.get(p)) is not None
            ]
            lines.append(charts.Line(region.name, points, colour, dashed))
        panels.append((indicator.sex_labels[sex], lines))
    return charts.trend_chart(
        panels,
        [p.label for p in periods],
        number,
        chart_id=indicator.key,
        zero_based=indicator.unit in ("count", "percent"),
    )


def municipality_period(data: CountyData, indicator: Indicator) -> Period | None:
    """The newest period in which a municipality of the county has a value (else a row), main sex."""
    return indicator.latest_period([m.code for m in data.municipalities], [indicator.main_sex])


def table_period(data: CountyData, indicator: Indicator) -> Period:
    """The table's period: the county's newest value, else the municipalities', else the newest row."""
    return (
        indicator.latest_period([data.county.code])
        or municipality_period(data, indicator)
        or indicator.periods[-1]
    )


def municipality_svg(data: CountyData, indicator: Indicator, period: Period) -> str:
    sex = indicator.main_sex
    bars = []
    for region in data.municipalities:
        cell = indicator.cell(sex, region.code, period)
        value = cell.value if cell is not None else None
        flag = "*" if cell is not None and cell.status == LOW_PRECISION else ""
        bars.append(charts.Bar(region.name, value, "" if value is not None else why(cell), flag, region.code))
    bars.sort(key=lambda b: (b.value is None, -(b.value or 0)))
    references = [  # a count of the county or Sweden dwarfs its municipalities': no line then
        (region.name, cell.value if (cell := indicator.cell(sex, region.code, period)) else None, colour)
        for region, colour in ((data.county, charts.COUNTY_COLOUR), (data.sweden, charts.SWEDEN_COLOUR))
        if indicator.comparable_with_sweden
    ]
    return charts.bar_chart(bars, references, number, chart_id=indicator.key)


def table_rows(data: CountyData, indicator: Indicator, period: Period) -> list[dict]:
    """The latest period's figures: the county, Sweden, then each municipality."""
    rows = []
    for region in [data.county, data.sweden, *data.municipalities]:
        cells = {sex: indicator.cell(sex, region.code, period) for sex in indicator.sexes}
        if region.level == "municipality" and all(c is None for c in cells.values()):
            continue
        rows.append({"region": region, "cells": cells})
    return rows


def _environment() -> Environment:
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
        municipality_svg=municipality_svg,
        municipality_period=municipality_period,
        table_period=table_period,
        table_rows=table_rows,
        summary_sexes=summary_sexes,
    )
    return env


def render_html(data: CountyData, generated_at: datetime | None = None) -> str:
    """The whole report for one county."""
    generated_at = generated_at or datetime.now(UTC)
    return (
        _environment()
        .get_template("report.html.j2")
        .render(
            data=data,
            findings=findings(data),
            generated_at=generated_at.isoformat(timespec="seconds"),
            generated_date=generated_at.date().isoformat(),
            rule={
                "min_respondents": MIN_RESPONDENTS,
                "min_response_rate": number(MIN_RESPONSE_RATE),
                "low_precision_below": LOW_PRECISION_BELOW,
            },
            chart_count=chart_count(data),
        )
    )


def chart_count(data: CountyData) -> int:
    """Charts drawn: a trend chart per series, a municipality chart where municipalities have rows."""
    return sum(1 + (municipality_period(data, i) is not None) for i in data.indicators)
