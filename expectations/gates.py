"""Cross-table gates: rows kept from raw to mart, volume against the last published mart,
coverage of counties and municipalities, and freshness of each source's newest period.

Each gate is a small frame computed in DuckDB and a suite validated on it, so its result shows
in the Data Docs beside the table suites.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from expectations.core import WARNING, Suite, expect
from expectations.frames import query
from ingest.catalog import CATALOG_PATH

MAX_VOLUME_LOSS = 0.10  # a source losing more than 10 % of its rows fails
MIN_COVERAGE = 0.9  # share of counties / municipalities with a value, per indicator and period
CADENCE_PATH = CATALOG_PATH.with_name("freshness.yml")

RECONCILIATION_SQL = """
with catalogue as (select indicator_id, source, source_ref from mart.dim_indicator),
raw_rows as (
    select coalesce(c.indicator_id, 'kolada:' || v.kpi_id) as indicator_id, count(*) as n
    from raw.kolada_values v
    left join catalogue c on c.source = 'kolada' and c.source_ref = v.kpi_id
    group by 1
    union all
    select indicator_id, count(*) from raw.pxweb_values group by 1
    union all
    select indicator_id, count(*) from raw.survey_values group by 1
),
-- derived values (status 'derived') come from no raw row of their own
mart_rows as (
    select indicator_id, count(*) as n from mart.fct_indicator_value where status <> 'derived' group by 1
)
select 'fct_indicator_value' as mart_table, indicator_id,
    coalesce(r.n, 0) as raw_rows, coalesce(m.n, 0) as mart_rows
from raw_rows r full join mart_rows m using (indicator_id)
union all
select 'fct_population', 'population (female, male)',
    (select count(*) from raw.scb_population),
    (select count(*) from mart.fct_population where sex <> 'total')
order by 1, 2
"""

VOLUME_SQL = {
    # surveys come and go with the drop folder: an analyst's choice, not a source losing rows
    "fct_indicator_value": (
        "select source, count(*) as n from {schema}.fct_indicator_value"
        " where source not like 'survey:%' group by 1"
    ),
    "fct_population": "select 'scb population' as source, count(*) as n from {schema}.fct_population",
}

COVERAGE_SQL = """
with levels as (
    select region_level, count(*) as expected from mart.dim_region
    where region_level in ('county', 'municipality') group by 1
),
present as (
    select f.indicator_id, f.period_start, f.period_end, r.region_level,
        count(distinct f.region_code) filter (where f.value is not null) as present
    from mart.fct_indicator_value f
    join mart.dim_region r using (region_code)
    where r.region_level in ('county', 'municipality')
    group by all
),
published as (  -- only the levels an indicator is published for at all
    select indicator_id, region_level from present group by all having sum(present) > 0
)
select p.indicator_id, p.period_start, p.period_end, p.region_level, p.present, l.expected,
    round(p.present / l.expected, 4) as share
from present p
join published using (indicator_id, region_level)
join levels l using (region_level)
order by all
"""

NEWEST_SQL = """
select source, indicator_id, max(period_end) as newest_period
from mart.fct_indicator_value where value is not null group by all
union all
select 'scb', 'fct_population', max(year) from mart.fct_population where population is not null
order by all
"""


# --------------------------------------------------------------------------- row reconciliation


def reconciliation_frame(build_db: Path) -> pd.DataFrame:
    return query(build_db, RECONCILIATION_SQL)


def reconciliation() -> Suite:
    """Every raw row reaches the mart, and no row appears from nowhere."""
    exps = [
        expect(
            "no_row_lost",
            "ExpectColumnPairValuesToBeEqual",
            column_A="raw_rows",
            column_B="mart_rows",
        )
    ]
    return Suite("gate.raw_to_mart_rows", exps)


# --------------------------------------------------------------------------- volume


def volume_frame(build_db: Path, published_db: Path) -> pd.DataFrame:
    """Rows per source now and in the last published mart (empty when nothing was published)."""
    current = _volume(build_db, "mart")
    previous = _volume(published_db, "main") if published_db.exists() else current.iloc[0:0]
    df = previous.merge(current, on="source", how="outer", suffixes=("_previous", "_current"))
    df = df.rename(columns={"n_previous": "previous_rows", "n_current": "current_rows"}).fillna(0)
    df = df[df["previous_rows"] > 0].reset_index(drop=True)
    df["kept_share"] = (df["current_rows"] / df["previous_rows"]).astype("float64").round(4)
    return df


def _volume(db: Path, schema: str) -> pd.DataFrame:
    """Rows per source in the tables ``db`` has (an older mart may lack one)."""
    listed = query(
        db,
        "select table_name from duckdb_tables() where database_name = current_database() and schema_name = ?",
        [schema],
    )
    tables = set(listed["table_name"])
    parts = [sql.format(schema=schema) for table, sql in VOLUME_SQL.items() if table in tables]
    if not parts:
        return pd.DataFrame({"source": pd.Series([], dtype="str"), "n": pd.Series([], dtype="Int64")})
    return query(db, f"select * from ({' union all '.join(parts)}) order by source")  # a stable order


def volume(max_loss: float = MAX_VOLUME_LOSS) -> Suite:
    exps = [
        expect("volume_kept", "ExpectColumnValuesToBeBetween", column="kept_share", min_value=1 - max_loss)
    ]
    return Suite("gate.volume_vs_published", exps)


# --------------------------------------------------------------------------- coverage


def coverage_frame(build_db: Path) -> pd.DataFrame:
    return query(build_db, COVERAGE_SQL)


def coverage(min_share: float = MIN_COVERAGE) -> Suite:
    """Counties and municipalities with a value per indicator and period; gaps are natural: WARN."""
    exps = [
        expect(
            "coverage",
            "ExpectColumnValuesToBeBetween",
            column="share",
            min_value=min_share,
            severity=WARNING,
        )
    ]
    return Suite("gate.coverage", exps)


# --------------------------------------------------------------------------- freshness


def load_cadence(path: Path = CADENCE_PATH) -> dict[str, Any]:
    """The catalogue's expected cadence: ``by_source`` and optional ``by_indicator`` overrides."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {"sources": raw.get("by_source") or {}, "indicators": raw.get("by_indicator") or {}}


def freshness_frame(
    build_db: Path, today: date | None = None, cadence: dict[str, Any] | None = None
) -> pd.DataFrame:
    """Newest period per indicator, its age in years and the age the cadence allows."""
    cadence = cadence or load_cadence()
    cadence = {**cadence, "sources": {**survey_cadence(build_db), **cadence["sources"]}}
    year = (today or date.today()).year
    df = query(build_db, NEWEST_SQL)
    return freshness_table(df, year, cadence)


def survey_cadence(build_db: Path) -> dict[str, dict[str, int]]:
    """Each survey whose spec sets ``cadence_years``: its newest wave may be that many years old,
    plus one for its results to arrive (``{'survey:<name>': {'max_lag_years': n + 1}}``)."""
    columns = query(
        build_db,
        "select column_name from duckdb_columns() where database_name = current_database()"
        " and schema_name = 'raw'"
        " and table_name = 'survey_indicators'",
    )
    if "cadence_years" not in set(columns["column_name"]):
        return {}
    rows = query(
        build_db,
        "select source, max(cadence_years) as cadence_years from raw.survey_indicators"
        " where cadence_years is not null group by source",
    )
    return {r.source: {"max_lag_years": int(r.cadence_years) + 1} for r in rows.itertuples()}


def freshness_table(newest: pd.DataFrame, year: int, cadence: dict[str, Any]) -> pd.DataFrame:
    def allowed(row: pd.Series) -> int:
        override = cadence["indicators"].get(row["indicator_id"]) or {}
        source = cadence["sources"].get(row["source"]) or {}
        return int(override.get("max_lag_years", source.get("max_lag_years", 1)))

    df = newest.copy()
    df["age_years"] = (year - df["newest_period"].astype("float64")).astype("float64")
    df["max_age_years"] = (
        df.apply(allowed, axis=1).astype("float64") if len(df) else pd.Series(dtype="float64")
    )
    return df


def freshness() -> Suite:
    exps = [
        expect(
            "newest_period_fresh",
            "ExpectColumnPairValuesAToBeGreaterThanB",
            column_A="max_age_years",
            column_B="age_years",
            or_equal=True,
            severity=WARNING,
        )
    ]
    return Suite("gate.freshness", exps)
