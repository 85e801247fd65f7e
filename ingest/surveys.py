"""Regional youth-survey result files: a declarative spec beside each file, validated whole.

An analyst drops a result file (CSV or XLSX) and a spec (``<name>.yml``) into the drop folder.
The spec says which column holds what and how the file's codes map to the mart's. Every row
is checked before anything is loaded; one bad row rejects the whole file, and every problem is
reported with file, row, column and reason. Only aggregated results are accepted: a file that
looks like microdata (one row per respondent) is rejected.

Suppression of small groups is a rule of the mart (dbt, ``int_survey_values``); this module
only checks that a spec's thresholds are not below the defaults and passes them on.
"""

from __future__ import annotations

import csv
import difflib
import hashlib
import io
import math
import re
import tempfile
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import yaml

from ingest.catalog import GROUPS
from ingest.codes import (
    LOW_PRECISION_BELOW,
    MIN_RESPONDENTS,
    MIN_RESPONSE_RATE,
    SEXES,
    parse_period,
    region_code,
)
from ingest.landing import CompleteBatch, LandedBody, Landing

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


# --------------------------------------------------------------------------- regions

COUNTIES_PATH = Path(__file__).resolve().parents[1] / "catalog" / "counties.yml"
COUNTRY_NAMES = ("riket", "sverige", "hela landet", "hela riket")
# a region's own "whole area" row: which county or municipality it means depends on the file
NO_REGION_NAMES = ("hela länet", "länet", "hela regionen", "regionen", "hela kommunen", "kommunen")
# a name several regions answer to goes to the first rank: official names (Kolada's titles,
# SCB's county names) before municipality forms ('Kalmar kommun') before county forms ('Kalmar')
OFFICIAL, MUNICIPALITY_FORM, COUNTY_FORM = range(3)


@dataclass(frozen=True)
class County:
    code: str  # '17'
    name: str  # SCB's name: 'Värmlands län'
    short: str  # without 'län': 'Värmland'


def load_counties(path: Path = COUNTIES_PATH) -> list[County]:
    """SCB's 21 counties (catalog/counties.yml)."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [County(str(c["code"]), str(c["name"]), str(c["short"])) for c in raw["counties"]]


@dataclass
class RegionIndex:
    """Region codes and names the mart knows ('00', '17', '1780'; 'Karlstad', 'Region Värmland').

    A name resolves by rank: an official name (a Kolada title, SCB's county name, 'Riket') first,
    then municipality forms ('Karlstads kommun'), then county forms ('Värmland', 'Region
    Värmland', 'Värmlands län'). So 'Kalmar' is the municipality 0880 and 'Kalmar län' or 'Region
    Kalmar' the county 08. Two regions answering to one name at the same rank: ambiguous.
    """

    codes: set[str] = field(default_factory=set)
    names: dict[str, str | None] = field(default_factory=dict)  # normalised name -> code (None: ambiguous)

    @classmethod
    def from_kolada(
        cls, rows: Iterable[dict[str, Any]], counties: Iterable[County] | None = None
    ) -> RegionIndex:
        """From Kolada's region list (``municipality_id`` '0000' / '0017' / '1780', ``title``, ``type``)
        and SCB's county names (catalog/counties.yml unless ``counties`` is given)."""
        index = cls()
        ranked: dict[str, dict[int, set[str]]] = {}  # name -> rank -> codes

        def add(name: str, code: str, rank: int) -> None:
            ranked.setdefault(_fold(name), {}).setdefault(rank, set()).add(code)

        for row in rows:
            kolada_id = str(row["municipality_id"])
            code = region_code(kolada_id)
            index.codes.add(code)
            title = _fold(row["title"])
            add(title, code, OFFICIAL)
            if code == "00":
                for alias in COUNTRY_NAMES:
                    add(alias, code, OFFICIAL)
            elif len(code) == 2:
                if title.startswith("region ") and not title.endswith(" län"):  # not 'Region Örebro län'
                    for alias in _county_forms(title.removeprefix("region ")):
                        add(alias, code, COUNTY_FORM)
            else:
                for alias in _municipality_forms(title):
                    add(alias, code, MUNICIPALITY_FORM)
        for county in load_counties() if counties is None else counties:
            if county.code in index.codes:
                add(county.name, county.code, OFFICIAL)
                for alias in _county_forms(_fold(county.short)):
                    add(alias, county.code, COUNTY_FORM)
        for name, by_rank in ranked.items():
            codes = by_rank[min(by_rank)]
            index.names[name] = next(iter(codes)) if len(codes) == 1 else None
        return index

    def resolve(self, text: str) -> str | None:
        """The region code of a code ('1780', '0017', '17') or a name; None when unknown."""
        value = text.strip()
        if value.isdigit():
            value = region_code(value)
            if len(value) == 1:
                value = "0" + value
            return value if value in self.codes else None
        return self.names.get(_fold(value))

    def is_ambiguous(self, text: str) -> bool:
        folded = _fold(text)
        return folded in self.names and self.names[folded] is None

    def why_unresolved(self, text: str) -> str:
        """Why ``text`` names no region, for the problem report."""
        if self.is_ambiguous(text):
            return f"ambiguous region name {text!r}: more than one region has it (use the code, such as 1780)"
        if _fold(text) in NO_REGION_NAMES:
            return (
                f"unknown region {text!r}: it names no county or municipality by itself"
                " (write the region, such as Värmlands län or 17)"
            )
        return f"unknown region {text!r} (use a code such as 1780 or a name such as Karlstad)"


def _fold(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", str(text)).lower().split())


def _genitive(name: str) -> str:
    return name if name.endswith("s") else name + "s"


def _county_forms(base: str) -> list[str]:
    """'värmland' -> 'värmland', 'region värmland', 'värmlands län', 'värmland län'."""
    return [base, f"region {base}", f"{_genitive(base)} län", f"{base} län"]


def _municipality_forms(title: str) -> list[str]:
    """'karlstad' -> 'karlstads kommun', 'karlstad kommun', 'karlstads stad', 'karlstad stad'."""
    return [f"{_genitive(title)} kommun", f"{title} kommun", f"{_genitive(title)} stad", f"{title} stad"]


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


# --------------------------------------------------------------------------- reading files


def read_rows(spec: SurveySpec) -> tuple[list[str], list[tuple[int, dict[str, str]]], bytes]:
    """The file's header and its rows (row number as a spreadsheet shows it), and its bytes."""
    data = spec.file.read_bytes()
    if spec.file.suffix.lower() == ".xlsx":
        header, rows = _read_xlsx(spec, data)
    else:
        header, rows = _read_csv(spec, data)
    records = [
        (row_no, _record(spec, header, cells)) for row_no, cells in rows if any(c.strip() for c in cells)
    ]
    return header, records, data


class _Misaligned(dict):
    """The cells of a row that does not line up with the header; ``validate`` reports ``reason``."""

    def __init__(self, cells: dict[str, str], reason: str) -> None:
        super().__init__(cells)
        self.reason = reason


def _record(spec: SurveySpec, header: list[str], cells: list[str]) -> dict[str, str]:
    """A row's cells by header name. A CSV row must have as many cells as the header, and no row
    a filled cell beyond it: a separator too many or too few (a decimal comma in a
    comma-separated file, a cell cut in two) shifts every later cell of the row into the wrong
    column, which would load a wrong figure without a word."""
    record = {name: cell for name, cell in zip(header, cells, strict=False) if name}
    if spec.file.suffix.lower() != ".xlsx":
        if len(cells) != len(header):
            return _Misaligned(
                record,
                f"the row has {len(cells)} cells, the header {len(header)}: a separator or a quote"
                " out of place (a decimal comma in a comma-separated file?)",
            )
        return record
    named = max((i + 1 for i, name in enumerate(header) if name), default=0)  # a sheet's rows are padded
    if any(c.strip() for c in cells[named:]):
        return _Misaligned(record, "the row has filled cells right of the header's last column")
    return record


def _read_csv(spec: SurveySpec, data: bytes) -> tuple[list[str], list[tuple[int, list[str]]]]:
    where = spec.file.name
    try:
        text = data.decode(ENCODINGS[spec.encoding])
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise SurveyError(
            [
                Problem(
                    where,
                    line,
                    None,
                    f"wrong encoding: byte 0x{data[exc.start]:02x} is not {spec.encoding}"
                    " (a file saved by Excel on Windows is often windows-1252: set encoding: windows-1252)",
                )
            ]
        ) from exc
    if spec.encoding != "utf-8" and re.search("Ã[\u0080-\u00bf¤¥¶]", text):
        line = text[: re.search("Ã", text).start()].count("\n") + 1
        raise SurveyError(
            [
                Problem(
                    where,
                    line,
                    None,
                    "wrong encoding: the text is UTF-8 read as windows-1252; set encoding: utf-8",
                )
            ]
        )
    first = text.split("\n", 1)[0]
    separator = spec.separator or max((";", ",", "\t"), key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
    try:
        rows = list(reader)
    except csv.Error as exc:  # e.g. a quote left open: the rest of the file is one huge cell
        raise SurveyError([Problem(where, reader.line_num, None, f"not a readable CSV file: {exc}")]) from exc
    if not rows:
        raise SurveyError([Problem(where, None, None, "the file is empty")])
    return [h.strip() for h in rows[0]], [(i, r) for i, r in enumerate(rows[1:], start=2)]


def _read_xlsx(spec: SurveySpec, data: bytes) -> tuple[list[str], list[tuple[int, list[str]]]]:
    from openpyxl import load_workbook

    where = spec.file.name
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds for a damaged file
        raise SurveyError([Problem(where, None, None, f"not a readable XLSX file: {exc}")]) from exc
    if spec.sheet and spec.sheet not in book.sheetnames:
        raise SurveyError(
            [Problem(where, None, None, f"no sheet {spec.sheet!r}; sheets: {', '.join(book.sheetnames)}")]
        )
    if not spec.sheet and not book.worksheets:
        raise SurveyError([Problem(where, None, None, "the workbook has no worksheet")])
    try:  # read-only workbooks read a sheet as it is iterated: a damaged sheet fails here
        sheet = book[spec.sheet] if spec.sheet else book.worksheets[0]
        rows = [[_cell_text(c) for c in row] for row in sheet.iter_rows(values_only=True)]
    except Exception as exc:  # noqa: BLE001 - zipfile, XML and openpyxl errors alike
        raise SurveyError([Problem(where, None, None, f"not a readable XLSX sheet: {exc}")]) from exc
    finally:
        book.close()
    if not rows:
        raise SurveyError([Problem(where, None, None, "the sheet is empty")])
    return [h.strip() for h in rows[0]], [(i, r) for i, r in enumerate(rows[1:], start=2)]


def _cell_text(value: Any) -> str:
    """An XLSX cell as the text a CSV would hold (numbers with '.' as decimal point)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


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
        if isinstance(cells, _Misaligned):
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


# --------------------------------------------------------------------------- landing and replay

KIND_SPEC = "survey_spec"
KIND_FILE = "survey_file"


def drop_digest(parsed: Sequence[ParsedSurvey]) -> str:
    """One digest of every spec and file in the drop folder: equal digests, nothing changed."""
    parts = sorted(f"{p.spec.path.name}:{p.spec_sha256}:{p.spec.file.name}:{p.file_sha256}" for p in parsed)
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def folder_digest(drop_dir: Path) -> str | None:
    """``drop_digest`` of the drop folder as it is now, without checking a row; None when a spec
    cannot be read (a run will report it)."""
    parts = []
    for spec in find_specs(drop_dir):
        try:
            file_name = str((yaml.safe_load(spec.read_text(encoding="utf-8")) or {}).get("file") or "")
            data = (drop_dir / file_name).read_bytes()
        except (OSError, yaml.YAMLError, UnicodeDecodeError, AttributeError):
            return None
        spec_sha = hashlib.sha256(spec.read_bytes()).hexdigest()
        parts.append(f"{spec.name}:{spec_sha}:{Path(file_name).name}:{hashlib.sha256(data).hexdigest()}")
    return hashlib.sha256("\n".join(sorted(parts)).encode()).hexdigest()


def land(parsed: Sequence[ParsedSurvey], landing: Landing) -> Path | None:
    """Copy every spec and result file into a new landing batch, unless nothing changed.

    Returns the new batch's path, or None when the newest batch already holds these files.
    """
    digest = drop_digest(parsed)
    previous = landing.latest_or_none()
    if previous is not None and previous.info().get("digest") == digest:
        return None
    batch = landing.start_batch()
    try:
        for survey in parsed:
            now = datetime.now(UTC)
            for kind, path in ((KIND_SPEC, survey.spec.path), (KIND_FILE, survey.spec.file)):
                batch.write(
                    kind=kind,
                    method="FILE",
                    url=path.resolve().as_uri(),
                    request_body=None,
                    status=200,
                    body=path.read_bytes(),
                    fetched_at=now,
                    suffix=path.suffix.lower(),
                )
        info = {
            "digest": digest,
            "surveys": [
                {"survey": p.spec.name, "file": p.spec.file.name, "rows": len(p.rows)} for p in parsed
            ],
        }
        return batch.commit(info)
    except BaseException:
        batch.abort()
        raise


def replay(
    batch: CompleteBatch, regions: RegionIndex, catalogue_ids: Iterable[str] = ()
) -> tuple[list[ParsedSurvey], dict[str, LandedBody]]:
    """Parse a landing batch again (no drop folder needed): the surveys and each file's record."""
    records = {Path(unquote(urlsplit(r.url).path)).name: r for r in batch.records()}
    with tempfile.TemporaryDirectory(prefix="barnhalsa-surveys-") as tmp:
        for name, record in records.items():
            (Path(tmp) / name).write_bytes(batch.read(record))
        specs = [Path(tmp) / name for name, r in records.items() if r.kind == KIND_SPEC]
        parsed = parse_drop_folder(sorted(specs), regions, catalogue_ids)
    return parsed, records


def raw_rows(parsed: Sequence[ParsedSurvey], records: dict[str, LandedBody]) -> list[dict[str, Any]]:
    """Tidy rows with their survey, thresholds and lineage (file URL and row, landing time, sha256)."""
    rows = []
    for survey in parsed:
        spec, record = survey.spec, records[survey.spec.file.name]
        for row in survey.rows:
            rows.append(
                {
                    **row,
                    "survey": spec.name,
                    "source": spec.source,
                    "source_ref": spec.file.name,
                    "min_respondents": spec.min_respondents,
                    "min_response_rate": spec.min_response_rate,
                    "low_precision_below": spec.low_precision_below,
                    "request_url": f"{record.url}#row={row['file_row']}",
                    "fetched_at": record.fetched_at,
                    "body_sha256": record.sha256,
                }
            )
    return rows


def indicator_rows(parsed: Sequence[ParsedSurvey]) -> list[dict[str, Any]]:
    """The surveys' indicators as catalogue lines (dim_indicator takes them beside the catalogue)."""
    rows = {
        i.indicator_id: {
            "indicator_id": i.indicator_id,
            "title": i.title,
            "protective_factor": i.protective_factor,
            "source": p.spec.source,
            "source_ref": i.question,
            "unit": i.unit,
            "higher_is_better": i.higher_is_better,
            "cadence_years": p.spec.cadence_years,
            "source_title": p.spec.title,
        }
        for p in parsed
        for i in p.spec.indicators.values()
    }
    return list(rows.values())  # waves of one survey declare the same indicators
