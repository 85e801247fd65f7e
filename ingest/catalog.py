"""The indicator catalogue: one CSV line per indicator, read by Python and by dbt (as a seed)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

CATALOG_PATH = Path(__file__).resolve().parents[1] / "catalog" / "indicators.csv"

PROTECTIVE_FACTORS = (
    "framtidstro",
    "fullfolja_studier",
    "trygga_relationer",
    "goda_levnadsvanor",
    "framjande_miljoer",
)
GROUPS = PROTECTIVE_FACTORS + ("psykisk_halsa", "fysisk_halsa", "kontext")
COLUMNS = (
    "indicator_id",
    "title",
    "protective_factor",
    "source",
    "source_ref",
    "unit",
    "higher_is_better",
)


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


def _parse_bool(text: str, where: str) -> bool | None:
    value = text.strip().lower()
    if value == "":
        return None
    if value in ("true", "false"):
        return value == "true"
    raise CatalogError(f"{where}: higher_is_better must be true, false or empty, not {text!r}")


def load_catalog(path: Path = CATALOG_PATH) -> list[Indicator]:
    """Read and validate the catalogue."""
    with Path(path).open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        if tuple(reader.fieldnames or ()) != COLUMNS:
            raise CatalogError(f"{path}: header must be {','.join(COLUMNS)}")
        indicators: list[Indicator] = []
        seen: set[str] = set()
        for line_no, row in enumerate(reader, start=2):
            where = f"{path}:{line_no}"
            if any(not (row[c] or "").strip() for c in COLUMNS[:-1]):
                raise CatalogError(f"{where}: every column but higher_is_better is required")
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
                )
            )
    return indicators


def source_refs(source: str, path: Path = CATALOG_PATH) -> list[str]:
    """The source ids (KPI ids, table ids) the catalogue expects from one source."""
    return [i.source_ref for i in load_catalog(path) if i.source == source]
