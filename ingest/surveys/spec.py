"""The survey spec: its keys, codes, indicators and thresholds, read and checked whole."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ingest.catalog import GROUPS
from ingest.codes import (
    LOW_PRECISION_BELOW,
    MIN_RESPONDENTS,
    MIN_RESPONSE_RATE,
    SEXES,
)

SOURCE_PREFIX = "survey:"
SPEC_SUFFIXES = (".yml", ".yaml")
ROLES_REQUIRED = ("region", "period", "sex", "question", "value", "n")
ROLES_OPTIONAL = ("age", "n_asked", "ci_low", "ci_high")
UNITS = {"percent": (0.0, 100.0), "mean": (None, None)}
ENCODINGS = {"utf-8": "utf-8-sig", "utf8": "utf-8-sig", "windows-1252": "cp1252", "cp1252": "cp1252"}
RESPONDENT_ID = re.compile(
    r"^(id|resp(ondent)?[ _-]?(id|nr)?|elev[ _-]?(id|nr)|person(nummer|nr)?|pnr|l(ö|o)pn(umme)?r|svarsid)$"
)
CELL_KEY = ("indicator_id", "region_code", "period_start", "period_end", "sex", "age_group")
NUMBER_TEXT = re.compile(r"[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][+-]?\d+)?", re.ASCII)
# every key a spec may hold, per level; any other key is an error (a misspelt one is never ignored)
SPEC_KEYS = (
    "survey", "title", "file", "sheet", "encoding", "separator", "decimal",
    "columns", "codes", "indicators", "suppression", "cadence_years",
)  # fmt: skip
CODES_KEYS = ("sex", "age")
INDICATOR_KEYS = ("id", "question", "title", "protective_factor", "unit", "higher_is_better")
SUPPRESSION_KEYS = ("min_respondents", "min_response_rate", "low_precision_below")
# the mart's age groups: ages (14, 13-15) or school years (ak1 … ak9, gy1 … gy4), as the source means them
AGE_GROUP = re.compile(r"^(?:\d{1,3}(?:-\d{1,3})?|ak[1-9]|gy[1-4])$")
AGE_SPELLING = re.compile(
    r"^(?:(?P<ak>åk|ak|årskurs)\s*\.?\s*(?P<year>[1-9])"
    r"|(?P<gy>gy|gymnasiet år)\s*\.?\s*(?P<gyear>[1-4])(?:\s*gy)?"
    r"|(?P<age>\d{1,3}(?:\s*[-–]\s*\d{1,3})?)\s*(?:år)?)$",
    re.IGNORECASE,
)
AGE_RULE = "an age (14, 13-15) or a school year (ak1 … ak9, gy1 … gy4)"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a survey file or spec."""

    file: str
    row: int | None
    column: str | None
    reason: str

    def __str__(self) -> str:
        where = self.file + (f":{self.row}" if self.row is not None else "")
        return f"{where}: {self.column + ': ' if self.column else ''}{self.reason}"


class SurveyError(ValueError):
    """A survey file or spec was rejected; nothing of it is loaded."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        files = sorted({p.file for p in self.problems})
        lines = [str(p) for p in self.problems[:50]]
        more = len(self.problems) - len(lines)
        super().__init__(
            f"survey: {len(self.problems)} problem(s) in {', '.join(files)}; nothing was loaded\n  "
            + "\n  ".join(lines)
            + (f"\n  ... and {more} more (see the .errors.csv report beside the spec)" if more > 0 else "")
        )


@dataclass(frozen=True)
class SurveyIndicator:
    indicator_id: str
    question: str
    title: str
    protective_factor: str
    unit: str
    higher_is_better: bool | None


@dataclass(frozen=True)
class SurveySpec:
    path: Path
    name: str
    title: str
    file: Path
    columns: dict[str, str]
    sex_codes: dict[str, str]
    age_codes: dict[str, str]
    indicators: dict[str, SurveyIndicator]  # question text in the file -> indicator
    encoding: str = "utf-8"
    separator: str | None = None
    decimal: str = "."
    sheet: str | None = None
    min_respondents: int = MIN_RESPONDENTS
    min_response_rate: float = MIN_RESPONSE_RATE
    low_precision_below: int = LOW_PRECISION_BELOW
    cadence_years: int | None = None  # a new wave every so many years (freshness: cadence + 1 years)

    @property
    def source(self) -> str:
        return SOURCE_PREFIX + self.name


# --------------------------------------------------------------------------- specs


def find_specs(drop_dir: Path) -> list[Path]:
    """Every spec in the drop folder, in name order."""
    if not drop_dir.is_dir():
        return []
    return sorted(p for p in drop_dir.iterdir() if p.is_file() and p.suffix in SPEC_SUFFIXES)


def load_spec(path: Path, catalogue_ids: Iterable[str] = ()) -> SurveySpec:
    """Read and check a spec; every problem is reported at once."""
    where = path.name
    problems: list[Problem] = []

    def problem(column: str | None, reason: str) -> None:
        problems.append(Problem(where, None, column, reason))

    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_SpecLoader)  # noqa: S506 - a SafeLoader
    except _DuplicateKey as exc:
        raise SurveyError([Problem(where, exc.line, None, str(exc))]) from exc
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise SurveyError([Problem(where, None, None, f"not a readable YAML spec: {exc}")]) from exc
    if not isinstance(raw, dict):
        raise SurveyError([Problem(where, None, None, "a spec is a YAML mapping (see README)")])
    _unknown_keys(raw, SPEC_KEYS, None, "", problem)
    name = str(raw.get("survey") or "")
    if not re.fullmatch(r"[a-z0-9_]+", name):
        problem("survey", f"survey name {name!r} must be lowercase letters, digits and _")
    file = path.parent / str(raw.get("file") or "")
    if not raw.get("file") or not file.is_file():
        problem("file", f"result file {raw.get('file')!r} is not beside the spec")
    elif file.suffix.lower() not in (".csv", ".txt", ".xlsx"):
        problem("file", f"{file.name}: only .csv (or .txt) and .xlsx files are read")
    columns = _mapping(raw, "columns", problem)
    for role in ROLES_REQUIRED:
        if not columns.get(role):
            problem("columns", f"columns.{role} is required (the header of the file's {role} column)")
    _unknown_keys(columns, ROLES_REQUIRED + ROLES_OPTIONAL, "columns", "", problem, noun="role")
    codes = _mapping(raw, "codes", problem)
    _unknown_keys(codes, CODES_KEYS, "codes", "", problem)
    sex_codes = {str(k): str(v) for k, v in _mapping(codes, "sex", problem, "codes").items()}
    if not sex_codes:
        problem("codes", "codes.sex maps the file's sex codes to total, female, male")
    for code, sex in sex_codes.items():
        if sex not in SEXES:
            problem("codes", f"codes.sex: {code!r} -> {sex!r}; the mart's sexes are total, female, male")
    age_codes = {str(k): str(v) for k, v in _mapping(codes, "age", problem, "codes").items()}
    for code, age in age_codes.items():
        if not AGE_GROUP.match(age):
            problem("codes", f"codes.age: {code!r} -> {age!r}; the mart's age group is {AGE_RULE}")
    encoding = str(raw.get("encoding") or "utf-8").lower()
    if encoding not in ENCODINGS:
        problem("encoding", f"encoding {encoding!r}: use utf-8 or windows-1252")
    decimal = str(raw.get("decimal") or ".")
    if decimal not in (".", ","):
        problem("decimal", f"decimal {decimal!r}: use '.' or ','")
    separator = raw.get("separator")
    if separator is not None and str(separator) not in (";", ",", "\t"):
        problem("separator", f"separator {separator!r}: use ';', ',' or a tab")
    indicators = _indicators(raw.get("indicators"), set(catalogue_ids), problem)
    thresholds = _thresholds(_mapping(raw, "suppression", problem), problem)
    cadence = raw.get("cadence_years")
    if cadence is not None and (
        isinstance(cadence, bool) or not isinstance(cadence, int) or not 1 <= cadence <= 10
    ):
        problem("cadence_years", f"cadence_years = {cadence!r}: a whole number of years from 1 to 10")
    if problems:
        raise SurveyError(problems)
    return SurveySpec(
        path=path,
        name=name,
        title=str(raw.get("title") or name),
        file=file,
        columns={k: str(v) for k, v in columns.items()},
        sex_codes=sex_codes,
        age_codes=age_codes,
        indicators=indicators,
        encoding=encoding,
        separator=str(separator) if separator is not None else None,
        decimal=decimal,
        sheet=str(raw["sheet"]) if raw.get("sheet") else None,
        cadence_years=cadence,
        **thresholds,
    )


class _SpecLoader(yaml.SafeLoader):
    """YAML's safe loader that refuses a key given twice in one mapping (the later would win)."""


class _DuplicateKey(yaml.YAMLError):
    def __init__(self, key: Any, first: int, line: int) -> None:
        super().__init__(f"key {key!r} is given twice (first on line {first}); the first would be ignored")
        self.line = line


def _construct_mapping(loader: _SpecLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        if isinstance(key, str | int | float | bool):
            if key in seen:
                raise _DuplicateKey(key, seen[key], line)
            seen[key] = line
    return loader.construct_mapping(node, deep=True)


_SpecLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _unknown_keys(
    mapping: dict[Any, Any], known: Sequence[str], column: str | None, label: str, problem, noun: str = "key"
) -> None:
    """A problem for every key of ``mapping`` not in ``known``, naming the nearest known key."""
    for key in mapping:
        if key in known:
            continue
        close = difflib.get_close_matches(str(key), known, n=1, cutoff=0.6)
        if close:
            hint = f"did you mean {close[0]!r}?"
        else:
            nearest = max(known, key=lambda k: difflib.SequenceMatcher(None, str(key), k).ratio())
            hint = f"the nearest known {noun} is {nearest!r} (known: {', '.join(known)})"
        problem(column, f"{label}unknown {noun} {str(key)!r}; {hint}")


def _mapping(parent: dict[str, Any], key: str, problem, column: str | None = None) -> dict[Any, Any]:
    """``parent[key]`` when it is a mapping (or left out: empty); otherwise a problem and empty."""
    value = parent.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        name = f"{column}.{key}" if column else key
        problem(column or key, f"{name} must be a mapping (key: value lines), not {type(value).__name__}")
        return {}
    return value


def _indicators(entries: Any, catalogue_ids: set[str], problem) -> dict[str, SurveyIndicator]:
    if not isinstance(entries, list) or not entries:
        problem("indicators", "indicators: a list of {id, question, title, protective_factor, unit, ...}")
        return {}
    out: dict[str, SurveyIndicator] = {}
    ids: set[str] = set()
    for i, entry in enumerate(entries, start=1):
        label = f"indicators[{i}]"
        if not isinstance(entry, dict):
            problem("indicators", f"{label} is not a mapping")
            continue
        _unknown_keys(entry, INDICATOR_KEYS, "indicators", f"{label}: ", problem)
        missing = [k for k in ("id", "question", "title", "protective_factor", "unit") if not entry.get(k)]
        if missing:
            problem("indicators", f"{label} lacks {', '.join(missing)}")
            continue
        indicator_id = str(entry["id"])
        if indicator_id in ids or indicator_id in catalogue_ids:
            problem("indicators", f"{label}: indicator id {indicator_id!r} is already used")
        if entry["protective_factor"] not in GROUPS:
            problem(
                "indicators",
                f"{label}: unknown protective_factor {entry['protective_factor']!r};"
                f" use one of {', '.join(GROUPS)}",
            )
        if entry["unit"] not in UNITS:
            problem("indicators", f"{label}: unit {entry['unit']!r}; use {' or '.join(UNITS)}")
        better = entry.get("higher_is_better")
        if better not in (True, False, None):
            problem("indicators", f"{label}: higher_is_better must be true, false or left out")
        ids.add(indicator_id)
        out[str(entry["question"])] = SurveyIndicator(
            indicator_id,
            str(entry["question"]),
            str(entry["title"]),
            str(entry["protective_factor"]),
            str(entry["unit"]),
            better,
        )
    return out


def _thresholds(raw: dict[str, Any], problem) -> dict[str, Any]:
    """Per-survey thresholds: stricter than the defaults is fine, looser is not."""
    _unknown_keys(raw, SUPPRESSION_KEYS, "suppression", "", problem)
    values = {
        "min_respondents": raw.get("min_respondents", MIN_RESPONDENTS),
        "min_response_rate": raw.get("min_response_rate", MIN_RESPONSE_RATE),
        "low_precision_below": raw.get("low_precision_below", LOW_PRECISION_BELOW),
    }
    floors = {
        "min_respondents": MIN_RESPONDENTS,
        "min_response_rate": MIN_RESPONSE_RATE,
        "low_precision_below": LOW_PRECISION_BELOW,
    }
    for key, value in values.items():
        if not isinstance(value, int | float) or isinstance(value, bool) or value < floors[key]:
            problem("suppression", f"suppression.{key} = {value!r}: it may not be below {floors[key]:g}")
    return values
