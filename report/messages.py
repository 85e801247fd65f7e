"""Key messages: the few tested verdicts a reader should see first, one sentence each.

A key message rests on a verdict the mart tested, never on an untested difference: the area's
latest value against Sweden's (``vs_sweden`` better or worse: Sweden's value outside the area's
95 % interval) or a significant trend over the latest periods (``trend`` improving or worsening).
The largest relative differences and changes come first; one message per series at most.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from report.data import Cell, Indicator, Period, ReportData

AREA_MESSAGES = 5  # at most, for the whole report
CHAPTER_MESSAGES = 3  # at most, per chapter
UNIT_SUFFIX = {
    "percent": "\u00a0%",
    "per_1000": " per 1\u00a0000 invånare",
    "per_10000": " per 10\u00a0000 invånare",
    "per_inhabitant": " per invånare",
    "points": " poäng",
    "count": "",
    "mean": "",
}
RATE_SUFFIX = " per 1\u00a0000 invånare"  # a count is compared as a rate


@dataclass(frozen=True)
class KeyMessage:
    indicator: Indicator
    sex: str
    kind: str  # "sweden" or "trend"
    verdict: str  # better / worse / improving / worsening
    size: float  # the relative difference or change, for the ranking
    text: str


def summary_sexes(indicator: Indicator) -> list[str]:
    """Total where the source has it; otherwise each sex on its own (HBSC has no total)."""
    return ["total"] if "total" in indicator.values else indicator.sexes


def series_label(indicator: Indicator, sex: str) -> str:
    """The series as a sentence names it: title, then the ages and the sex where they narrow it."""
    extra = []
    if indicator.age_group != "total" and indicator.age_label and indicator.age_label not in indicator.title:
        extra.append(
            indicator.age_label.lower() if indicator.age_label.startswith("Åk") else indicator.age_label
        )
    if sex != "total":
        extra.append(indicator.sex_labels[sex].lower())
    return indicator.title + (f" ({', '.join(extra)})" if extra else "")


def key_messages(
    data: ReportData,
    fmt: Callable[[float], str],
    indicators: Sequence[Indicator] | None = None,
    limit: int = AREA_MESSAGES,
) -> list[KeyMessage]:
    """The largest tested differences from Sweden and significant trends, at most ``limit``."""
    found: dict[tuple[str, str], KeyMessage] = {}
    for indicator in indicators if indicators is not None else data.indicators:
        for sex in summary_sexes(indicator):
            for message in (_versus_sweden(data, indicator, sex, fmt), _trend(data, indicator, sex, fmt)):
                if message is None:
                    continue
                key = (indicator.key, sex)
                if key not in found or message.size > found[key].size:
                    found[key] = message
    return sorted(found.values(), key=lambda m: -m.size)[:limit]


def _suffix(indicator: Indicator, rate: bool = False) -> str:
    return RATE_SUFFIX if rate else UNIT_SUFFIX.get(indicator.unit, "")


def _versus_sweden(data: ReportData, indicator: Indicator, sex: str, fmt) -> KeyMessage | None:
    verdict = indicator.verdicts.get(sex)
    if (
        verdict is None
        or verdict.vs_sweden not in ("better", "worse")
        or not indicator.comparable_with_sweden
        or verdict.value is None
        or verdict.sweden_value is None
        or verdict.period is None
    ):
        return None
    higher = verdict.value > verdict.sweden_value
    unit = _suffix(indicator)
    words = "bättre" if verdict.vs_sweden == "better" else "sämre"
    text = (
        f"{series_label(indicator, sex)}: {fmt(verdict.value)}{unit} i {data.area.name}"
        f" {verdict.period.label}, {'högre' if higher else 'lägre'} än rikets"
        f" {fmt(verdict.sweden_value)}{unit} ({words} än riket)."
    )
    size = abs(verdict.value - verdict.sweden_value) / max(abs(verdict.sweden_value), 1e-9)
    return KeyMessage(indicator, sex, "sweden", verdict.vs_sweden, size, text)


def _trend(data: ReportData, indicator: Indicator, sex: str, fmt) -> KeyMessage | None:
    verdict = indicator.verdicts.get(sex)
    if verdict is None or verdict.trend not in ("improving", "worsening"):
        return None
    cells = indicator.values.get(sex, {}).get(data.area.code, {})
    first = _at(cells, verdict.trend_first_period)
    last = _at(cells, verdict.trend_last_period)
    rate = verdict.compared_on == "rate_per_1000"
    measure = (lambda c: c.rate) if rate else (lambda c: c.value)
    if first is None or last is None or measure(first[1]) is None or measure(last[1]) is None:
        return None
    start, end = measure(first[1]), measure(last[1])
    unit = _suffix(indicator, rate)
    words = "förbättras" if verdict.trend == "improving" else "försämras"
    direction = "ökat" if end > start else "minskat"
    text = (
        f"{series_label(indicator, sex)} har {direction} i {data.area.name} från {fmt(start)}{unit}"
        f" {first[0].label} till {fmt(end)}{unit} {last[0].label}, en säker trend (utvecklingen {words})."
    )
    size = abs(end - start) / max(abs(start), 1e-9)
    return KeyMessage(indicator, sex, "trend", verdict.trend, size, text)


def _at(cells: dict[Period, Cell], label: str | None) -> tuple[Period, Cell] | None:
    return next(((p, c) for p, c in cells.items() if p.label == label), None)
