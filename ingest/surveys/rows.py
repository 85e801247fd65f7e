"""Checking every row of a result file and shaping it into the mart's cells."""

from __future__ import annotations

import math
import re
from typing import Any

from ingest.codes import (
    parse_period,
)
from ingest.surveys.reading import MisalignedRow
from ingest.surveys.regions import RegionIndex
from ingest.surveys.spec import (
    AGE_RULE,
    AGE_SPELLING,
    NUMBER_TEXT,
    RESPONDENT_ID,
    ROLES_OPTIONAL,
    ROLES_REQUIRED,
    UNITS,
    Problem,
    SurveyError,
    SurveySpec,
)

# --------------------------------------------------------------------------- validation


def age_group_of(text: str) -> str | None:
    """A file's age or school year as the mart's age group: "Åk 8" -> "ak8", "Gy 2" ->
    "gy2", "14 år" -> "14", "13–15" -> "13-15"; None for anything else."""
    match = AGE_SPELLING.match(text.strip())
    if match is None:
        return None
    if match["year"]:
        return f"ak{match['year']}"
    if match["gyear"]:
        return f"gy{match['gyear']}"
    return re.sub(r"\s*[-–]\s*", "-", match["age"])


def _number(text: str, decimal: str, *, is_xlsx: bool) -> float | None:
    """A number as the file writes it; None for an empty cell; ValueError for anything else.

    With decimal comma a point is refused (it could be a thousands separator); an XLSX number
    cell always reads with a point.
    """
    value = text.strip().replace("\u00a0", "").replace(" ", "")
    if value == "":
        return None
    if not NUMBER_TEXT.fullmatch(value):  # float() would also take '1_000' and other scripts' digits
        raise ValueError(text)
    if "," in value:
        if decimal != "," or "." in value:
            raise ValueError(text)
        value = value.replace(",", ".")
    elif "." in value and decimal == "," and not is_xlsx:
        raise ValueError(text)
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(text)
    return number


class _Row:
    """One row being checked: its cells by role, and the problems found in it."""

    def __init__(self, spec: SurveySpec, row_no: int, cells: dict[str, str], problems: list[Problem]) -> None:
        self.spec, self.row_no, self.cells, self.problems = spec, row_no, cells, problems
        self.is_xlsx = spec.file.suffix.lower() == ".xlsx"

    def text(self, role: str) -> str:
        return self.cells.get(self.spec.columns[role], "").strip() if role in self.spec.columns else ""

    def bad(self, role: str, reason: str) -> None:
        self.problems.append(Problem(self.spec.file.name, self.row_no, self.spec.columns[role], reason))

    def number(self, role: str) -> float | None:
        try:
            return _number(self.text(role), self.spec.decimal, is_xlsx=self.is_xlsx)
        except ValueError:
            sep = "decimal comma" if self.spec.decimal == "," else "decimal point"
            self.bad(role, f"bad number {self.text(role)!r} (the spec says {sep})")
            return None


def validate(
    spec: SurveySpec, header: list[str], rows: list[tuple[int, dict[str, str]]], regions: RegionIndex
) -> list[dict[str, Any]]:
    """Tidy rows of a survey file, or SurveyError listing every problem in it."""
    where = spec.file.name
    problems: list[Problem] = []
    for name in header:
        if RESPONDENT_ID.match(name.strip().lower()):
            problems.append(
                Problem(
                    where,
                    1,
                    name,
                    "looks like microdata (a column identifying respondents); only aggregated"
                    " results (share and respondents per group) are accepted",
                )
            )
    missing = [spec.columns[r] for r in ROLES_REQUIRED + ROLES_OPTIONAL if r in spec.columns]
    missing = [c for c in missing if c not in header]
    for column in missing:
        problems.append(Problem(where, 1, column, f"missing column (the header has {', '.join(header)})"))
    if not rows:
        problems.append(
            Problem(
                where,
                None,
                None,
                "no data rows: the file has its header only (a result file holds at least one row"
                " of results)",
            )
        )
    if problems:
        raise SurveyError(problems)

    col = spec.columns
    out: list[dict[str, Any]] = []
    seen: dict[tuple, int] = {}
    for row_no, cells in rows:
        if isinstance(cells, MisalignedRow):
            problems.append(Problem(where, row_no, None, cells.reason))
            continue
        row = _Row(spec, row_no, cells, problems)
        errors_before = len(problems)
        region_text = row.text("region")
        region = regions.resolve(region_text)
        if region is None:
            row.bad("region", regions.why_unresolved(region_text))
        try:
            period = parse_period(row.text("period"))
        except ValueError:
            period = None
            row.bad("period", f"bad period {row.text('period')!r} (use 2024, 2023-2024 or 2023/24)")
        sex = spec.sex_codes.get(row.text("sex"))
        if sex is None:
            row.bad(
                "sex", f"unknown sex code {row.text('sex')!r}; codes.sex maps {', '.join(spec.sex_codes)}"
            )
        indicator = spec.indicators.get(row.text("question"))
        if indicator is None:
            row.bad("question", f"question {row.text('question')!r} is not in the spec's indicators")
        age_text = row.text("age")
        age_group = (spec.age_codes.get(age_text) or age_group_of(age_text)) if age_text else "total"
        if age_group is None:
            row.bad("age", f"age {age_text!r} is not in codes.age, and not {AGE_RULE}")
            age_group = "total"
        value, n, n_asked = row.number("value"), row.number("n"), row.number("n_asked")
        ci_low, ci_high = row.number("ci_low"), row.number("ci_high")
        if n is None and row.text("n") == "":
            row.bad("n", "respondents (n) is required for every row")
        elif n is not None and n < 0:
            row.bad("n", f"n is negative ({n:g})")
        elif n is not None and not n.is_integer():
            row.bad("n", f"n is not a whole number ({n:g})")
        if n_asked is not None and (n_asked < 0 or (n is not None and n_asked < n)):
            row.bad("n_asked", f"n asked ({n_asked:g}) is negative or below n respondents")
        out_of_range = False
        if indicator is not None and value is not None:
            low, high = UNITS[indicator.unit]
            if (low is not None and value < low) or (high is not None and value > high):
                row.bad("value", f"share {value:g} is outside 0–100")
                out_of_range = True
        if ci_low is not None and ci_high is not None and ci_low > ci_high:
            row.bad("ci_low", f"CI low {ci_low:g} is above CI high {ci_high:g}")
        elif (
            value is not None
            and not out_of_range
            and ((ci_low is not None and ci_low > value) or (ci_high is not None and ci_high < value))
        ):
            row.bad("value", f"value {value:g} lies outside its CI [{ci_low}, {ci_high}]")
        if len(problems) > errors_before:
            continue
        key = (indicator.indicator_id, region, period, sex, age_group)
        if key in seen:
            row.bad("question", f"duplicate of row {seen[key]} (same question, region, period, sex and age)")
            continue
        seen[key] = row_no
        out.append(
            {
                "indicator_id": indicator.indicator_id,
                "region_code": region,
                "period_label": row.text("period"),
                "period_start": period[0],
                "period_end": period[1],
                "sex": sex,
                "age_group": age_group,
                "value": value,
                "ci_low": ci_low,
                "ci_high": ci_high,
                "n": n,
                "n_asked": n_asked,
                "file_row": row_no,
            }
        )
    single = sum(1 for r in out if r["n"] is not None and r["n"] <= 1)
    if out and single * 2 >= len(out):
        problems.append(
            Problem(
                where,
                None,
                col["n"],
                f"looks like microdata: {single} of {len(out)} rows rest on at most one respondent;"
                " only aggregated results are accepted",
            )
        )
    if problems:
        raise SurveyError(problems)
    return out
