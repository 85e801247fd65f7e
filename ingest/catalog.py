"""The indicator catalogue: one CSV line per indicator, read by Python and by dbt (as a seed)."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ingest.codes import SEXES

CATALOG_PATH = Path(__file__).resolve().parents[1] / "catalog" / "indicators.csv"

PROTECTIVE_FACTORS = (
    "framtidstro",
    "fullfolja_studier",
    "trygga_relationer",
    "goda_levnadsvanor",
    "framjande_miljoer",
)
# outcomes (children's health), then context: about children, and about parents and adults
GROUPS = PROTECTIVE_FACTORS + ("psykisk_halsa", "fysisk_halsa", "kontext", "vuxna")
COLUMNS = (
    "indicator_id",
    "title",
    "protective_factor",
    "source",
    "source_ref",
    "unit",
    "higher_is_better",
    "rate_ages",
    "denominator_ages",
    "short_title",
    "ages",
    "age_label",
    "municipality_type",
    "by_sex",
)
REQUIRED = COLUMNS[:6]
RATE_AGES = re.compile(r"^(\d{1,2})-(\d{1,2})$")
MUNICIPALITY_TYPES = ("K", "L", "A")  # Kolada's: municipalities only, counties only, both


class CatalogError(ValueError):
    """The catalogue file is malformed."""


@dataclass(frozen=True)
class Indicator:
    indicator_id: str
    title: str
    protective_factor: str
    source: str
    source_ref: str
    unit: str
    higher_is_better: bool | None
    rate_ages: tuple[int, int] | None = None
    denominator_ages: tuple[int, int] | None = None
    short_title: str = ""  # for reports and charts; ``title`` is the source's own
    ages: tuple[int, int] | None = None  # the population the indicator is about (SCB ages)
    age_label: str = ""  # Swedish: "Åk 9", "0–20 år", "16–84 år"
    municipality_type: str = "A"  # the levels published: K municipalities, L counties, A both
    by_sex: bool = False  # the source splits by sex


def _parse_bool(text: str, where: str, column: str = "higher_is_better") -> bool | None:
    value = text.strip().lower()
    if value == "":
        return None
    if value in ("true", "false"):
        return value == "true"
    raise CatalogError(f"{where}: {column} must be true, false or empty, not {text!r}")


def _parse_ages(text: str, where: str, column: str = "rate_ages") -> tuple[int, int] | None:
    """'0-20' (both ends included). ``rate_ages``: the value is a count; the mart adds a rate per
    1,000 inhabitants of these ages. ``denominator_ages`` '15-15': the value is a share of the
    inhabitants of these ages; the mart computes its Wilson interval on SCB's population of them.
    ``ages``: the population the indicator is about (the weights of derived values)."""
    if not text.strip():
        return None
    match = RATE_AGES.match(text.strip())
    if not match or int(match.group(1)) > int(match.group(2)):
        raise CatalogError(f"{where}: {column} must look like 0-20, not {text!r}")
    return int(match.group(1)), int(match.group(2))


def _parse_type(text: str, where: str) -> str:
    value = text.strip() or "A"
    if value not in MUNICIPALITY_TYPES:
        raise CatalogError(f"{where}: municipality_type must be K, L or A (Kolada's), not {text!r}")
    return value


def load_catalog(path: Path = CATALOG_PATH) -> list[Indicator]:
    """Read and validate the catalogue."""
    with Path(path).open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        header = tuple(reader.fieldnames or ())
        if header != COLUMNS[: len(header)] or len(header) < len(REQUIRED) + 1:
            raise CatalogError(
                f"{path}: header must be {','.join(COLUMNS)} (trailing columns from rate_ages on may be"
                " left out)"
            )
        indicators: list[Indicator] = []
        seen: set[str] = set()
        for line_no, row in enumerate(reader, start=2):
            where = f"{path}:{line_no}"
            if any(not (row[c] or "").strip() for c in REQUIRED):
                raise CatalogError(f"{where}: columns {', '.join(REQUIRED)} are required")
            if row["protective_factor"] not in GROUPS:
                raise CatalogError(
                    f"{where}: unknown protective_factor {row['protective_factor']!r};"
                    f" use one of {', '.join(GROUPS)}"
                )
            if row["indicator_id"] in seen:
                raise CatalogError(f"{where}: duplicate indicator_id {row['indicator_id']!r}")
            seen.add(row["indicator_id"])
            indicators.append(
                Indicator(
                    indicator_id=row["indicator_id"],
                    title=row["title"],
                    protective_factor=row["protective_factor"],
                    source=row["source"],
                    source_ref=row["source_ref"],
                    unit=row["unit"],
                    higher_is_better=_parse_bool(row["higher_is_better"] or "", where),
                    rate_ages=_parse_ages(row.get("rate_ages") or "", where),
                    denominator_ages=_parse_ages(
                        row.get("denominator_ages") or "", where, "denominator_ages"
                    ),
                    short_title=(row.get("short_title") or "").strip() or row["title"],
                    ages=_parse_ages(row.get("ages") or "", where, "ages"),
                    age_label=(row.get("age_label") or "").strip(),
                    municipality_type=_parse_type(row.get("municipality_type") or "", where),
                    by_sex=bool(_parse_bool(row.get("by_sex") or "", where, "by_sex")),
                )
            )
    return indicators


def source_refs(source: str, path: Path = CATALOG_PATH) -> list[str]:
    """The source ids (KPI ids, table ids) the catalogue expects from one source."""
    return [i.source_ref for i in load_catalog(path) if i.source == source]


# --------------------------------------------------------------------------- PxWeb tables

PXWEB_TABLES_PATH = CATALOG_PATH.with_name("pxweb_tables.yml")
MEASURE_ROLES = ("value", "ci_low", "ci_high", "n")


@dataclass(frozen=True)
class PxTable:
    """One PxWeb table and how its codes map onto the mart."""

    key: str
    source: str
    table: str
    kind: str  # "indicator" or "population"
    select: dict[str, Any]
    region: str
    time: str
    age: str | None = None
    sex_variable: str | None = None
    sex_codes: dict[str, str] = field(default_factory=dict)
    measure_variable: str | None = None
    measure_codes: dict[str, str] = field(default_factory=dict)
    # indicator id -> variable -> one code, or several whose shares are summed (an empty match:
    # the table's only value)
    indicators: dict[str, dict[str, tuple[str, ...]]] = field(default_factory=dict)
    verified: bool = False


def _codes(value: Any) -> tuple[str, ...]:
    """An indicator's code(s) for one variable: 'a' -> ('a',); ['a', 'b'] -> ('a', 'b') (summed)."""
    return tuple(str(v) for v in value) if isinstance(value, list) else (str(value),)


def load_pxweb_tables(path: Path = PXWEB_TABLES_PATH, catalog_path: Path = CATALOG_PATH) -> list[PxTable]:
    """Read and validate the PxWeb table specs against the indicator catalogue."""
    raw = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    known = {i.indicator_id: i for i in load_catalog(catalog_path)}
    tables: list[PxTable] = []
    for n, spec in enumerate(raw.get("tables") or [], start=1):
        where = f"{path}: table {spec.get('key', n)!r}"
        for required in ("key", "source", "table", "kind", "select", "region", "time"):
            if required not in spec:
                raise CatalogError(f"{where}: '{required}' is required")
        if spec["kind"] not in ("indicator", "population"):
            raise CatalogError(f"{where}: kind must be indicator or population")
        sex = spec.get("sex") or {}
        if any(v not in SEXES for v in (sex.get("codes") or {}).values()):
            raise CatalogError(f"{where}: sex codes must map to {', '.join(SEXES)}")
        measure = spec.get("measure") or {}
        if measure and set(measure.get("codes") or {}) - set(MEASURE_ROLES):
            raise CatalogError(f"{where}: measure roles must be among {', '.join(MEASURE_ROLES)}")
        indicators = {
            k: {str(a): _codes(b) for a, b in (v or {}).items()}
            for k, v in (spec.get("indicators") or {}).items()
        }
        for indicator_id in indicators:
            entry = known.get(indicator_id)
            if entry is None:
                raise CatalogError(f"{where}: indicator {indicator_id!r} has no line in {catalog_path}")
            if entry.source != spec["source"] or entry.source_ref != spec["table"]:
                raise CatalogError(
                    f"{where}: indicator {indicator_id!r} is listed with source"
                    f" {entry.source}/{entry.source_ref}, not {spec['source']}/{spec['table']}"
                )
        if measure and any(len(codes) > 1 for m in indicators.values() for codes in m.values()):
            raise CatalogError(
                f"{where}: summed codes cannot be combined with a measure variable (CIs do not add up)"
            )
        if spec["kind"] == "indicator" and not indicators:
            raise CatalogError(f"{where}: an indicator table needs 'indicators'")
        tables.append(
            PxTable(
                key=spec["key"],
                source=spec["source"],
                table=spec["table"],
                kind=spec["kind"],
                select={str(k): v for k, v in spec["select"].items()},
                region=spec["region"],
                time=spec["time"],
                age=spec.get("age"),
                sex_variable=sex.get("variable"),
                sex_codes={str(k): v for k, v in (sex.get("codes") or {}).items()},
                measure_variable=measure.get("variable"),
                measure_codes={role: str(code) for role, code in (measure.get("codes") or {}).items()},
                indicators=indicators,
                verified=bool(spec.get("verified", False)),
            )
        )
    keys = [t.key for t in tables]
    if len(keys) != len(set(keys)):
        raise CatalogError(f"{path}: table keys must be unique")
    return tables
