"""The survey spec: its keys, codes, indicators and thresholds, a typed model read and checked whole."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticKnownError

from ingest.catalog import GROUPS
from ingest.codes import LOW_PRECISION_BELOW, MIN_RESPONDENTS, MIN_RESPONSE_RATE, PRIVACY_FLOORS, SEXES
from ingest.surveys.spec_problems import (
    Problem,  # noqa: F401 - the survey modules import it from here
    SurveyError,
    fail,
    problems_of,
    read_mapping,
)

SOURCE_PREFIX = "survey:"
SPEC_SUFFIXES = (".yml", ".yaml")
UNITS = {"percent": (0.0, 100.0), "mean": (None, None)}
ENCODINGS = {"utf-8": "utf-8-sig", "utf8": "utf-8-sig", "windows-1252": "cp1252", "cp1252": "cp1252"}
RESPONDENT_ID = re.compile(
    r"^(id|resp(ondent)?[ _-]?(id|nr)?|elev[ _-]?(id|nr)|person(nummer|nr)?|pnr|l(ö|o)pn(umme)?r|svarsid)$"
)
CELL_KEY = ("indicator_id", "region_code", "period_start", "period_end", "sex", "age_group")
NUMBER_TEXT = re.compile(r"[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][+-]?\d+)?", re.ASCII)
# the mart's age groups: ages (14, 13-15) or school years (ak1 … ak9, gy1 … gy4), as the source means them
AGE_GROUP = re.compile(r"^(?:\d{1,3}(?:-\d{1,3})?|ak[1-9]|gy[1-4])$")
AGE_SPELLING = re.compile(
    r"^(?:(?P<ak>åk|ak|årskurs)\s*\.?\s*(?P<year>[1-9])"
    r"|(?P<gy>gy|gymnasiet år)\s*\.?\s*(?P<gyear>[1-4])(?:\s*gy)?"
    r"|(?P<age>\d{1,3}(?:\s*[-–]\s*\d{1,3})?)\s*(?:år)?)$",
    re.IGNORECASE,
)
AGE_RULE = "an age (14, 13-15) or a school year (ak1 … ak9, gy1 … gy4)"


# --------------------------------------------------------------------------- the spec's model
# Each value is checked where it is declared: a check that fails calls ``fail(reason)`` and the
# spec's problem reads that reason (spec_problems words pydantic's own errors: unknown keys, types).


def _given(value: Any) -> str:
    """Text that must be given: an empty value counts as left out."""
    if not value:
        raise PydanticKnownError("missing")
    return str(value)


def _section(value: Any) -> Any:
    """A section with nothing under it (``codes:``) is an empty mapping."""
    return {} if value is None else value


def _codes(value: Any) -> Any:
    """A code mapping as text to text (YAML reads ``1: female`` with an integer key)."""
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else _section(value)


def _sex(sex: str) -> str:
    if sex not in SEXES:
        fail(f"{sex!r}; the mart's sexes are total, female, male")
    return sex


def _age(age: str) -> str:
    if not AGE_GROUP.match(age):
        fail(f"{age!r}; the mart's age group is {AGE_RULE}")
    return age


def _group(value: Any) -> str:
    if _given(value) not in GROUPS:
        fail(f"unknown protective_factor {value!r}; use one of {', '.join(GROUPS)}")
    return value


def _unit(value: Any) -> str:
    if _given(value) not in UNITS:
        fail(f"unit {value!r}; use {' or '.join(UNITS)}")
    return value


def _flag(value: Any) -> Any:
    if value not in (True, False, None):
        fail("higher_is_better must be true, false or left out")
    return value


def _survey_name(value: Any) -> str:
    name = str(value or "")
    if not re.fullmatch(r"[a-z0-9_]+", name):
        fail(f"survey name {name!r} must be lowercase letters, digits and _")
    return name


def _beside_the_spec(value: Any, info: ValidationInfo) -> Path:
    file = (info.context or {}).get("folder", Path()) / str(value or "")
    if not value or not file.is_file():
        fail(f"result file {value!r} is not beside the spec")
    if file.suffix.lower() not in (".csv", ".txt", ".xlsx"):
        fail(f"{file.name}: only .csv (or .txt) and .xlsx files are read")
    return file


def _encoding(value: Any) -> str:
    encoding = str(value or "utf-8").lower()
    if encoding not in ENCODINGS:
        fail(f"encoding {encoding!r}: use utf-8 or windows-1252")
    return encoding


def _separator(value: Any) -> str | None:
    if value is not None and str(value) not in (";", ",", "\t"):
        fail(f"separator {value!r}: use ';', ',' or a tab")
    return None if value is None else str(value)


def _decimal(value: Any) -> str:
    decimal = str(value or ".")
    if decimal not in (".", ","):
        fail(f"decimal {decimal!r}: use '.' or ','")
    return decimal


def _entries(value: Any) -> Any:
    if not isinstance(value, list) or not value:
        fail("indicators: a list of {id, question, title, protective_factor, unit, ...}")
    return value


def _cadence(value: Any) -> Any:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 10):
        fail(f"cadence_years = {value!r}: a whole number of years from 1 to 10")
    return value


Text = Annotated[str | None, BeforeValidator(lambda value: str(value) if value else None)]  # empty: None
Given = Annotated[str, BeforeValidator(_given)]
Header = Annotated[str | None, BeforeValidator(str)]  # an optional role, when given: looked for as written
Section = BeforeValidator(_section)


class _Strict(BaseModel):
    """A level of the spec: any key not declared is an error (a misspelt one is never ignored)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Columns(_Strict):
    """Role -> the file's header: the required roles, then the optional ones."""

    region: Given
    period: Given
    sex: Given
    question: Given
    value: Given
    n: Given
    age: Header = None
    n_asked: Header = None
    ci_low: Header = None
    ci_high: Header = None


# the roles a spec's columns name, as the model declares them
ROLES_REQUIRED = tuple(name for name, field in Columns.model_fields.items() if field.is_required())
ROLES_OPTIONAL = tuple(name for name in Columns.model_fields if name not in ROLES_REQUIRED)


class Codes(_Strict):
    """The file's codes -> the mart's sexes and age groups."""

    sex: Annotated[dict[str, Annotated[str, AfterValidator(_sex)]], BeforeValidator(_codes)] = Field(
        {}, validate_default=True
    )
    age: Annotated[dict[str, Annotated[str, AfterValidator(_age)]], BeforeValidator(_codes)] = {}

    @field_validator("sex")
    @classmethod
    def _some_sex(cls, value: dict[str, str]) -> dict[str, str]:
        return value or fail("codes.sex maps the file's sex codes to total, female, male")


class Suppression(_Strict):
    """Per-survey thresholds: stricter than the defaults is fine, looser is not."""

    min_respondents: int = MIN_RESPONDENTS
    min_response_rate: float = MIN_RESPONSE_RATE
    low_precision_below: int = LOW_PRECISION_BELOW

    @field_validator("*", mode="before")
    @classmethod
    def _not_looser(cls, value: Any, info: ValidationInfo) -> Any:
        key, floor = info.field_name, PRIVACY_FLOORS[info.field_name]
        if not isinstance(value, int | float) or isinstance(value, bool) or value < floor:
            fail(f"suppression.{key} = {value!r}: it may not be below {floor:g}")
        if isinstance(floor, int) and isinstance(value, float) and not value.is_integer():
            fail(f"suppression.{key} = {value!r}: a whole number of respondents")
        return value


class SurveyIndicator(_Strict):
    """One question of the file as an indicator of the mart (``id`` in the spec)."""

    indicator_id: Given = Field(alias="id")
    question: Given
    title: Given
    protective_factor: Annotated[str, BeforeValidator(_group)]
    unit: Annotated[str, BeforeValidator(_unit)]
    higher_is_better: Annotated[bool | None, BeforeValidator(_flag)] = None

    @field_validator("indicator_id")
    @classmethod
    def _unused(cls, value: str, info: ValidationInfo) -> str:
        """Not a catalogued id (context ``catalogue``), nor one an earlier entry declares (``ids``)."""
        context = info.context or {}
        if value in context.get("catalogue", ()) or value in context.get("ids", ()):
            fail(f"indicator id {value!r} is already used")
        context.get("ids", set()).add(value)
        return value


class SpecModel(_Strict):
    """A spec file as written; its fields are the keys a spec may hold (see README)."""

    survey: Annotated[str, BeforeValidator(_survey_name)] = Field("", validate_default=True)
    title: Text = None
    file: Annotated[Path, BeforeValidator(_beside_the_spec)] = Field(None, validate_default=True)
    sheet: Text = None
    encoding: Annotated[str, BeforeValidator(_encoding)] = "utf-8"
    separator: Annotated[str | None, BeforeValidator(_separator)] = None
    decimal: Annotated[str, BeforeValidator(_decimal)] = "."
    columns: Annotated[Columns, Section] = Field({}, validate_default=True)
    codes: Annotated[Codes, Section] = Field({}, validate_default=True)
    indicators: Annotated[list[SurveyIndicator], BeforeValidator(_entries)] = Field([], validate_default=True)
    suppression: Annotated[Suppression, Section] = Suppression()
    cadence_years: Annotated[int | None, BeforeValidator(_cadence)] = None


# each level's model by its place in a spec (list positions left out), for an unknown key's hint
_LEVELS: dict[tuple[str, ...], type[BaseModel]] = {
    (): SpecModel, ("columns",): Columns, ("codes",): Codes,
    ("indicators",): SurveyIndicator, ("suppression",): Suppression,
}  # fmt: skip


@dataclass(frozen=True)
class SurveySpec:
    """A checked spec, as the file reader and the loader use it."""

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


def find_specs(drop_dir: Path) -> list[Path]:
    """Every spec in the drop folder, in name order."""
    if not drop_dir.is_dir():
        return []
    return sorted(p for p in drop_dir.iterdir() if p.is_file() and p.suffix in SPEC_SUFFIXES)


def load_spec(path: Path, catalogue_ids: Iterable[str] = ()) -> SurveySpec:
    """Read and check a spec; every problem is reported at once."""
    context = {"folder": path.parent, "catalogue": set(catalogue_ids), "ids": set()}
    try:
        spec = SpecModel.model_validate(read_mapping(path), context=context)
    except ValidationError as exc:
        raise SurveyError(problems_of(path.name, exc, _LEVELS)) from None
    return SurveySpec(
        path=path,
        name=spec.survey,
        title=spec.title or spec.survey,
        file=spec.file,
        columns=spec.columns.model_dump(exclude_none=True),
        sex_codes=spec.codes.sex,
        age_codes=spec.codes.age,
        indicators={i.question: i for i in spec.indicators},
        encoding=spec.encoding,
        separator=spec.separator,
        decimal=spec.decimal,
        sheet=spec.sheet,
        cadence_years=spec.cadence_years,
        **spec.suppression.model_dump(),
    )
