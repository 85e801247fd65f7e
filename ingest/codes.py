"""Codes and floors every layer shares, each defined here once: the sexes, region codes,
periods and the survey privacy floors (read by the survey parser, the privacy gate on the mart,
the Great Expectations suites and the report)."""

from __future__ import annotations

import re

SEXES = ("total", "female", "male")  # the mart's sex codes; every source maps to these

# The survey privacy floors: a spec may be stricter, never looser.
MIN_RESPONDENTS = 10  # a cell resting on fewer respondents is suppressed
MIN_RESPONSE_RATE = 50.0  # percent of those asked; below it the cell is suppressed
LOW_PRECISION_BELOW = 30  # respondents; below it the cell is flagged low_precision
PRIVACY_FLOORS = {
    "min_respondents": MIN_RESPONDENTS,
    "min_response_rate": MIN_RESPONSE_RATE,
    "low_precision_below": LOW_PRECISION_BELOW,
}


def region_code(kolada_id: str) -> str:
    """The SCB region code of a Kolada id: '0000' -> '00' (Sweden), '0017' -> '17' (a county);
    a municipality's four digits ('1780') are the same in both. dbt's macro ``kolada_region_code``
    is the same rule in SQL."""
    value = str(kolada_id).strip()
    return value[2:] if len(value) == 4 and value.startswith("00") else value


# '2024'; '2023-2024' (a pooled period, as Folkhälsodata labels it); '2023/24' and 'ht 2023' (as a
# survey file may write a school year)
PERIOD = re.compile(r"^(?:(?:ht|vt)\s*)?(\d{4})(?:\s*[-/–]\s*(\d{2}|\d{4}))?$", re.IGNORECASE)


def parse_period(text: str) -> tuple[int, int]:
    """The first and last year of a period label; ``ValueError`` naming the label otherwise.

    '2024' -> (2024, 2024); '2021-2022', '2021/22', 'ht 2021' -> the start and end year.
    """
    match = PERIOD.match(str(text).strip())
    if not match:
        raise ValueError(f"{text!r} is not a year or a period such as 2024, 2023-2024 or 2023/24")
    start = int(match.group(1))
    end = match.group(2)
    if end is None:
        return start, start
    end_year = int(end) if len(end) == 4 else (start // 100) * 100 + int(end)
    if end_year < start:
        raise ValueError(f"period {text!r} ends before it starts")
    return start, end_year
