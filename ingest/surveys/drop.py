"""A whole survey and the drop folder: parse, check across waves, report problems."""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ingest.surveys.reading import read_rows
from ingest.surveys.regions import RegionIndex
from ingest.surveys.rows import validate
from ingest.surveys.spec import CELL_KEY, Problem, SurveyError, SurveyIndicator, SurveySpec, load_spec

# --------------------------------------------------------------------------- a whole survey


@dataclass(frozen=True)
class ParsedSurvey:
    spec: SurveySpec
    rows: list[dict[str, Any]]
    file_sha256: str
    spec_sha256: str


def parse_survey(spec_path: Path, regions: RegionIndex, catalogue_ids: Iterable[str] = ()) -> ParsedSurvey:
    """Read, check and tidy one survey (spec and file); SurveyError lists every problem."""
    spec = load_spec(spec_path, catalogue_ids)
    header, rows, data = read_rows(spec)
    tidy = validate(spec, header, rows, regions)
    return ParsedSurvey(
        spec,
        tidy,
        hashlib.sha256(data).hexdigest(),
        hashlib.sha256(spec_path.read_bytes()).hexdigest(),
    )


def parse_drop_folder(
    spec_paths: Sequence[Path], regions: RegionIndex, catalogue_ids: Iterable[str] = ()
) -> list[ParsedSurvey]:
    """Every survey, or SurveyError with the problems of all of them (nothing half-loaded).

    Several files (waves) of one survey may lie side by side: their specs may declare the same
    indicator, identically, but no two files may hold the same cell.
    """
    parsed, problems = [], []
    declared: dict[str, tuple[str, SurveyIndicator, str]] = {}  # id -> survey, definition, spec
    cells: dict[tuple, tuple[str, int]] = {}
    for path in spec_paths:
        try:
            survey = parse_survey(path, regions, catalogue_ids)
        except SurveyError as exc:
            problems.extend(exc.problems)
            continue
        spec = survey.spec
        for indicator in spec.indicators.values():
            first = declared.setdefault(indicator.indicator_id, (spec.name, indicator, path.name))
            if first[:2] != (spec.name, indicator):
                problems.append(
                    Problem(
                        path.name,
                        None,
                        "indicators",
                        f"indicator {indicator.indicator_id!r} is declared differently in {first[2]}"
                        " (a later wave of a survey repeats its indicators unchanged)",
                    )
                )
        for row in survey.rows:
            key = tuple(row[k] for k in CELL_KEY)
            other = cells.setdefault(key, (spec.file.name, row["file_row"]))
            if other != (spec.file.name, row["file_row"]):
                problems.append(
                    Problem(spec.file.name, row["file_row"], None, f"same cell as {other[0]}:{other[1]}")
                )
        parsed.append(survey)
    if problems:
        raise SurveyError(problems)
    return parsed


def write_report(problems: Sequence[Problem], path: Path) -> None:
    """A CSV of every problem (file, row, column, reason), for the analyst who dropped the file."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["file", "row", "column", "reason"])
        for p in problems:
            writer.writerow([p.file, p.row if p.row is not None else "", p.column or "", p.reason])
