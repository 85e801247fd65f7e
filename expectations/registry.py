"""Which suite validates which frame: the one entry point the orchestration calls."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from expectations import gates, mart, raw
from expectations.core import Outcome, Suite, validate
from expectations.frames import query, read_table
from ingest.catalog import Indicator


@dataclass(frozen=True)
class Paths:
    build_db: Path  # the build database (raw and mart schemas)
    published_db: Path  # the last published mart (may not exist)


def indicators(build_db: Path) -> list[Indicator]:
    """dim_indicator's rows: the catalogue and the indicators the survey specs declare."""
    rows = query(
        build_db,
        "select indicator_id, title, protective_factor, source, source_ref, unit, higher_is_better"
        " from mart.dim_indicator",
    )
    return [
        Indicator(
            r.indicator_id,
            r.title,
            r.protective_factor,
            r.source,
            r.source_ref,
            r.unit,
            None if pd.isna(r.higher_is_better) else bool(r.higher_is_better),
        )
        for r in rows.itertuples(index=False)
    ]


def survey_indicators(build_db: Path) -> list[Indicator]:
    """The indicators the survey specs declare (raw.survey_indicators)."""
    rows = query(
        build_db,
        "select indicator_id, title, protective_factor, source, source_ref, unit from raw.survey_indicators",
    )
    return [Indicator(*r, higher_is_better=None) for r in rows.itertuples(index=False)]


def kolada_region_ids(build_db: Path) -> list[str]:
    return query(build_db, "select municipality_id from raw.kolada_municipality")["municipality_id"].tolist()


SUITES: dict[str, Callable[[Paths], Suite]] = {
    "raw.kolada_values": lambda p: raw.kolada_values(region_ids=kolada_region_ids(p.build_db)),
    "raw.kolada_municipality": lambda p: raw.kolada_municipality(),
    "raw.kolada_kpi": lambda p: raw.kolada_kpi(),
    "raw.pxweb_values": lambda p: raw.pxweb_values(),
    "raw.scb_population": lambda p: raw.scb_population(),
    "raw.survey_values": lambda p: raw.survey_values(survey_indicators(p.build_db)),
    "mart.fct_indicator_value": lambda p: mart.fct_indicator_value(indicators(p.build_db)),
    "mart.dim_region": lambda p: mart.dim_region(),
    "mart.dim_indicator": lambda p: mart.dim_indicator(),
    "mart.fct_population": lambda p: mart.fct_population(),
    "gate.raw_to_mart_rows": lambda p: gates.reconciliation(),
    "gate.volume_vs_published": lambda p: gates.volume(),
    "gate.coverage": lambda p: gates.coverage(),
    "gate.freshness": lambda p: gates.freshness(),
}

# Gates validate a computed frame; every other suite its table in the build database.
FRAMES: dict[str, Callable[[Paths], pd.DataFrame]] = {
    "gate.raw_to_mart_rows": lambda p: gates.reconciliation_frame(p.build_db),
    "gate.volume_vs_published": lambda p: gates.volume_frame(p.build_db, p.published_db),
    "gate.coverage": lambda p: gates.coverage_frame(p.build_db),
    "gate.freshness": lambda p: gates.freshness_frame(p.build_db),
}


def frame(name: str, paths: Paths) -> pd.DataFrame:
    reader = FRAMES.get(name)
    return reader(paths) if reader else read_table(paths.build_db, name)


def run(
    name: str,
    build_db: Path,
    published_db: Path,
    quality_dir: Path | None = None,
    run_name: str | None = None,
) -> Outcome:
    """Validate suite ``name`` on its frame; with ``quality_dir``, update the Data Docs there."""
    paths = Paths(build_db, published_db)
    return validate(SUITES[name](paths), frame(name, paths), quality_dir, run_name=run_name)
