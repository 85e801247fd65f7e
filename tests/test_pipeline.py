"""End to end: real Dagster materialisation, real dbt build, real DuckDB files."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from scipy.stats import chi2
from statsmodels.stats.proportion import proportion_confint

from localsources.kolada_server import KoladaData, KoladaServer
from tests.conftest import Published
from tests.pipeline import run_pipeline


def mart_rows(mart: Path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(mart), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def test_pipeline_publishes_exactly_what_the_server_served(published: Published) -> None:
    """The shared run's mart holds exactly what the local Kolada served (a run through 429s:
    tests/test_definitions.py)."""
    kolada_data, mart = published.kolada, published.mart
    served = {
        (kpi, muni, year, entry["gender"]): entry["value"]
        for (kpi, muni, year), obj in kolada_data.objects.items()
        for entry in obj["values"]
    }
    rows = mart_rows(
        mart,
        "select i.source_ref, f.region_code, f.period_start, f.sex, f.value, f.status"
        " from fct_indicator_value f join dim_indicator i using (indicator_id)"
        " where f.source = 'kolada' and f.status <> 'derived'",
    )
    assert len(rows) == len(served)
    derived = mart_rows(  # the mart's own county values of municipality-only KPIs: never served
        mart,
        "select i.source_ref, f.region_code, f.period_start, f.sex from fct_indicator_value f"
        " join dim_indicator i using (indicator_id) where f.status = 'derived'",
    )
    sex_of = {"total": "T", "female": "K", "male": "M"}
    assert derived and not [d for d in derived if (d[0], "00" + d[1], d[2], sex_of[d[3]]) in served]
    sex_code = {"total": "T", "female": "K", "male": "M"}
    for kpi, region, year, sex, value, status in rows:
        kolada_id = "00" + region if len(region) == 2 else region
        assert served[(kpi, kolada_id, year, sex_code[sex])] == value
        assert (status == "missing") == (value is None)
    assert_views_for_karlstad(published.warehouse, served)


VIEWS = ["v_indicator_comparison", "v_indicator_trend", "v_county_profile", "v_coverage"]


def verdict(value, low, high, benchmark, higher_is_better: bool, same: str) -> str | None:
    """The mart's rule: better / worse only when the benchmark lies outside the interval."""
    if value is None or benchmark is None:
        return None
    if low is None or high is None:
        return "not_compared"
    if low <= benchmark <= high:
        return same
    return "better" if (benchmark < low) == higher_is_better else "worse"


def assert_views_for_karlstad(warehouse_dir: Path, served: dict) -> None:
    """The published views hold, for Karlstad, exactly what the served values imply."""
    mart = warehouse_dir / "mart.duckdb"
    tables = dict(mart_rows(mart, "select table_name, estimated_size from duckdb_tables()"))
    assert set(VIEWS) <= set(tables)
    # dim_region: hierarchy, kommungrupp from /municipality_groups, Gotland linked once
    assert mart_rows(
        mart,
        "select parent_code, county_name, kommungrupp_code, kommungrupp, kommungrupp_year"
        " from dim_region where region_code = '1780'",
    ) == [("17", "Region Värmland", "B3", "Större stad", 2023)]
    assert mart_rows(mart, "select parent_code from dim_region where region_code = '17'") == [("00",)]
    assert mart_rows(mart, "select kommungrupp_code from dim_region where region_code = '1715'") == [("B4",)]
    gotland = mart_rows(
        mart, "select region_code, same_area_as from dim_region where same_area_as is not null"
    )
    assert sorted(gotland) == [("09", "0980"), ("0980", "09")]
    assert mart_rows(mart, "select count(*) from dim_protective_factor") == [(9,)]  # with vuxna

    # v_indicator_comparison: Karlstad beside Värmland and Sweden (higher is better); the
    # share of pupils in åk 9 gets the Wilson interval on SCB's population aged 15
    v, c, s = (served[("N15428", kid, 2026, "T")] for kid in ("1780", "0017", "0000"))
    row = mart_rows(
        mart,
        "select value, ci_low, ci_high, ci_method, denominator, county_value, diff_county, vs_county,"
        " sweden_value, diff_sweden, vs_sweden"
        " from v_indicator_comparison where indicator_id = 'kolada_n15428' and region_code = '1780'"
        " and period_start = 2026 and sex = 'total'",
    )
    ((pupils,),) = mart_rows(
        mart,
        "select population from fct_population where region_code = '1780' and year = 2026"
        " and age = 15 and sex = 'total'",
    )

    def diff(a, b):
        return None if a is None or b is None else round(a - b, 6)

    if v is None:
        low = high = None
        assert row[0][3:5] == (None, None)
    else:
        low, high = (
            100 * b for b in proportion_confint(v / 100 * pupils, pupils, alpha=0.05, method="wilson")
        )
        assert row[0][1] == pytest.approx(low, abs=1e-3) and row[0][2] == pytest.approx(high, abs=1e-3)
        assert row[0][3:5] == ("wilson", pupils)
        low, high = row[0][1:3]
    assert row[0][5:] == (
        c,
        diff(v, c),
        verdict(v, low, high, c, True, "similar"),
        s,
        diff(v, s),
        verdict(v, low, high, s, True, "similar"),
    )
    # v_indicator_trend: lower is better (N17625), girls in Karlstad, latest 2026 vs 2025: a
    # share without a denominator has no interval, so the change is not compared nor tested
    latest, previous = (served[("N17625", "1780", y, "K")] for y in (2026, 2025))
    assert mart_rows(
        mart,
        "select latest_period_label, latest_value, base_period_1, change_1, direction_1, change_3, trend"
        " from v_indicator_trend where indicator_id = 'kolada_n17625' and region_code = '1780'"
        " and sex = 'female'",
    ) == [
        (
            "2026",
            latest,
            "2025",
            diff(latest, previous),
            verdict(latest, None, None, previous, False, "unchanged"),
            None,
            "not_tested",
        )
    ]
    # v_county_profile: rank 1 = highest among the served counties, ties share a rank
    values = {kid[2:]: served[("N15428", kid, 2026, "T")] for kid in ("0009", "0013", "0017")}
    ranked = sorted(v for v in values.values() if v is not None)[::-1]
    expected = {code: (v, None if v is None else ranked.index(v) + 1) for code, v in values.items()}
    got = {
        code: (value, rank)
        for code, value, rank in mart_rows(
            mart,
            "select county_code, value, rank from v_county_profile"
            " where indicator_id = 'kolada_n15428' and period_label = '2026'",
        )
    }
    assert got == expected
    # v_coverage: the years in which Karlstad has any value for N15428
    years = [
        y for y in (2024, 2025, 2026) if any(served[("N15428", "1780", y, g)] is not None for g in "TKM")
    ]
    assert mart_rows(
        mart,
        "select periods_with_value, coverage from v_coverage"
        " where region_code = '1780' and indicator_id = 'kolada_n15428'",
    ) == [(", ".join(map(str, years)), "complete" if len(years) == 3 else "partial")]
    # Parquet exports: one file per table and view, same rows as the published file
    for name in [*VIEWS, "dim_region", "fct_indicator_value", "meta_publication"]:
        path = warehouse_dir / "export" / f"{name}.parquet"
        with duckdb.connect() as con:
            (exported,) = con.execute(f"select count(*) from '{path}'").fetchone()
        assert [(exported,)] == mart_rows(mart, f"select count(*) from {name}")


def build_folders(run_id: str) -> list[Path]:
    """The dbt target folders the builds of run ``run_id`` left (``orchestration.dbt``)."""
    from orchestration.dbt import DBT_PROJECT_DIR

    return list((DBT_PROJECT_DIR / "target").glob(f"barnhalsa_dbt-{run_id[:7]}-*"))


def test_rebuild_from_landing_makes_no_request_and_the_same_mart(
    republished: Path, kolada_server: KoladaServer, warehouse_dir: Path
) -> None:
    mart = warehouse_dir / "mart.duckdb"
    sql = "select * from fct_indicator_value order by all"
    before = mart_rows(mart, sql)
    requests_before = len(kolada_server.log)
    (warehouse_dir / "build.duckdb").unlink()

    result = run_pipeline(from_landing=True)  # every source URL is dead
    assert result.success
    assert not build_folders(result.run_id)  # a build that succeeded leaves no dbt target folder
    assert len(kolada_server.log) == requests_before
    assert mart_rows(mart, sql) == before


def test_failing_dbt_test_blocks_publication(
    republished: Path, urls: dict[str, str], kolada_data: KoladaData, warehouse_dir: Path
) -> None:
    mart = warehouse_dir / "mart.duckdb"
    published = mart.read_bytes()
    # Kolada lists a region that dim_region cannot place (a five-digit code): dbt's
    # accepted/relationship tests must stop the run before the publish step.
    kolada_data.regions.append({"id": "99999", "title": "Okänd", "type": "K"})
    kolada_data.add("N15428", "99999", 2025, [{"gender": "T", "value": 1.0, "status": ""}])
    result = run_pipeline(**urls)
    assert not result.success
    assert mart.read_bytes() == published
    published_keys = {
        e.asset_key.to_user_string()
        for e in result.get_asset_materialization_events()
        if e.asset_key is not None
    }
    assert "published_mart" not in published_keys


def test_unknown_region_code_fails_naming_source_and_code(
    urls: dict[str, str], kolada_server: KoladaServer, kolada_data: KoladaData, warehouse_dir: Path
) -> None:
    kolada_data.add("N15428", "2999", 2025, [{"gender": "T", "value": 1.0, "status": ""}])
    result = run_pipeline(**urls)
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    message = str(failure.event_specific_data.error)
    assert "kolada" in message and "2999" in message and "/data/kpi/" in message
    assert not (warehouse_dir / "mart.duckdb").exists()


def test_publish_succeeds_while_readers_hold_and_open_the_mart_read_only(
    republished: Path,
    urls: dict[str, str],
    kolada_server: KoladaServer,
    kolada_data: KoladaData,
    px_states,
    warehouse_dir: Path,
    tmp_path: Path,
) -> None:
    mart = warehouse_dir / "mart.duckdb"
    # Kolada revises a value: the next run fetches, builds and publishes again
    kolada_data.add("N15428", "1780", 2026, [{"count": 1, "gender": "T", "status": "", "value": 99.5}])
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(mart)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    # a second reader opens the file read-only again and again while the pipeline runs
    poller = subprocess.Popen(
        [sys.executable, "-c", POLLER, str(mart)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "open"
        assert poller.stdout.readline().strip() == "polling"
        assert run_pipeline(**urls).success
        holder.stdin.write("count\n")
        holder.stdin.flush()
        # the holder still sees a whole mart (the one it opened), views included
        assert int(holder.stdout.readline()) > 0
    finally:
        holder.stdin.close()
        poller.stdin.close()
        holder.wait(timeout=30)
        poller.wait(timeout=30)
    assert holder.returncode == 0
    opens, during_publish, errors = poller.stdout.read().split("|", 2)
    assert errors.strip() == ""
    assert int(opens) > 1
    assert int(during_publish) > 0  # it opened the mart while the new one was being written
    (published_at,) = mart_rows(mart, "select count(*) from meta_publication")[0]
    assert published_at == 1
    assert mart_rows(
        mart,
        "select value from v_indicator_comparison where indicator_id = 'kolada_n15428'"
        " and region_code = '1780' and period_start = 2026 and sex = 'total'",
    ) == [(99.5,)]

    # nothing changed at any source: no data fetched, no load, no dbt build, no publish. (from_date
    # has day granularity and the check asks from the day before the last fetch, so the revision
    # above must look a few days old, as it would on the next monthly run.)
    kolada_data.updated[("N15428", "1780", 2026)] = "2020-01-02"
    published = mart.read_bytes()
    batches = sorted((warehouse_dir / "raw" / "kolada").iterdir())
    log_before = len(kolada_server.log)
    result = run_pipeline(**urls)
    assert result.success
    asked = [path for path, _ in kolada_server.log[log_before:]]
    data_asked = [path for path in asked if "/data/" in path]
    assert data_asked and all("from_date=" in path for path in data_asked)
    assert sorted((warehouse_dir / "raw" / "kolada").iterdir()) == batches
    assert mart.read_bytes() == published
    materialized = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    assert "published_mart" not in materialized
    assert not any(key.startswith("mart/") for key in materialized)
    # make run's check before starting a run says the same, landing nothing; a revision flips it
    from orchestration.run import nothing_changed

    config = {
        "resources": {
            "kolada_api": {"config": {"base_url": urls["kolada_url"], "years": 3, "last_year": 2026}},
            "pxweb": {"config": {"scb_base_url": urls["scb_url"], "fohm_base_url": urls["fohm_url"]}},
        }
    }
    same, reason = nothing_changed(config)
    assert same, reason
    drop = warehouse_dir / "surveys"  # a survey taken out of the drop folder is a change too
    shutil.move(drop, tmp_path / "surveys")
    same, reason = nothing_changed(config)
    assert not same and reason == f"the survey drop folder {drop} changed"
    shutil.move(tmp_path / "surveys", drop)
    assert nothing_changed(config)[0]
    _, fohm = px_states
    table = next(iter(fohm.tables.values()))
    stamp, table.updated = table.updated, "2030-01-01T00:00:00Z"
    same, reason = nothing_changed(config)
    assert not same and reason.startswith(f"fohm: table {table.id}")
    table.updated = stamp
    kolada_data.add("N15428", "1780", 2026, [{"count": 1, "gender": "T", "status": "", "value": 98.0}])
    same, reason = nothing_changed(config)
    assert not same and reason.startswith("Kolada: 1 data object(s) changed")
    assert sorted((warehouse_dir / "raw" / "kolada").iterdir()) == batches
    # dbt docs generate works against the build the pipeline made (README documents it)
    dbt = Path(sys.executable).with_name("dbt")
    proc = subprocess.run(
        [str(dbt), "docs", "generate", "--target-path", str(tmp_path / "docs"), "--log-path", str(tmp_path)],
        cwd=Path(__file__).resolve().parents[1] / "dbt_project",
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-2000:]
    catalog = json.loads((tmp_path / "docs" / "catalog.json").read_text())
    assert "model.barnhalsa.v_indicator_comparison" in catalog["nodes"]


HOLDER = """
import sys, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
print("open", flush=True)
for line in sys.stdin:
    print(con.execute(
        "select (select count(*) from fct_indicator_value) + (select count(*) from v_indicator_comparison)"
        " + (select count(*) from v_indicator_trend) + (select count(*) from v_county_profile)"
        " + (select count(*) from v_coverage)"
    ).fetchone()[0], flush=True)
con.close()
"""

# Every 50 ms while a new mart file is being written (mart.duckdb.tmp-*) and for 2 s after; once
# a second between publications.
POLLER = """
import select, sys, time
from pathlib import Path
import duckdb
print("polling", flush=True)
folder, name = Path(sys.argv[1]).parent, Path(sys.argv[1]).name
opens, during_publish, errors = 0, 0, []
hot_until = last = 0.0
while not select.select([sys.stdin], [], [], 0.05)[0]:
    now = time.monotonic()
    publishing = any(folder.glob(name + ".tmp-*"))
    if publishing:
        hot_until = now + 2.0
    if now >= hot_until and now - last < 1.0:
        continue
    last = now
    during_publish += publishing
    try:
        with duckdb.connect(sys.argv[1], read_only=True) as con:
            for view in ("v_indicator_comparison", "v_indicator_trend", "v_county_profile", "v_coverage"):
                assert con.execute(f"select count(*) from {view} where region_code = '1780'"
                                   if view != "v_county_profile" else
                                   f"select count(*) from {view} where county_code = '17'").fetchone()[0] > 0
        opens += 1
    except Exception as exc:
        errors.append(repr(exc))
print(f"{opens}|{during_publish}|{'; '.join(errors)}", end="", flush=True)
"""


def test_pxweb_values_population_and_rates_equal_what_the_servers_served(published: Published) -> None:
    from localsources.pxweb_fixtures import PERIODS, answer_share, hlv_cell, population
    from tests.conftest import FOHM_REGIONS, SCB_REGIONS

    mart, urls = published.mart, published.urls
    rows = mart_rows(
        mart,
        "select region_code, period_start, period_end, sex, age_group, value, status"
        " from fct_indicator_value where indicator_id = 'fohm_hbsc_mobbad_minst_1_gang_vecka'",
    )
    assert len(rows) == len(FOHM_REGIONS) * len(PERIODS) * 2 * 3
    sex_code = {"male": "1", "female": "2"}
    for region, start, end, sex, age, value, status in rows:
        coords = {
            "Region": region, "Kategori": "Mobbad i skolan senaste månaderna",
            "Hur ofta": "Minst 1 gång/vecka", "Ålder": age, "Kön": sex_code[sex], "År": f"{start}-{end}",
        }  # fmt: skip
        expected = answer_share(coords)
        if expected == "..":
            assert (value, status) == (None, "not_available")
        elif expected == "-":
            assert (value, status) == (0.0, "magnitude_zero")
        else:
            assert (value, status) == (expected, "ok")
    # CIs and n from the HLV measure dimension (numeric codes), pooled period kept
    hlv = mart_rows(
        mart,
        "select value, ci_low, ci_high, n, period_start, period_end from fct_indicator_value"
        " where indicator_id = 'fohm_hlv_svar_angslan_oro_angest' and region_code = '17'"
        " and sex = 'total' and period_start = 2021",
    )
    coords = {"Region": "17", "Psykisk hälsa": "58", "Kön": "00", "År": "2021-2024"}
    measures = ("01", "02", "03", "04")
    expected = tuple(hlv_cell({**coords, "Andel och konfidensintervall": m}) for m in measures)
    assert hlv == [(*expected[:3], float(expected[3]), 2021, 2024)]
    # population: one row per region × year × age 0-24 × sex (+ total)
    pop = dict(
        ((r, y, a, s), p)
        for r, y, a, s, p in mart_rows(
            mart, "select region_code, year, age, sex, population from fct_population"
        )
    )
    assert len(pop) == len(SCB_REGIONS) * 3 * 25 * 3
    coords = {"Region": "1780", "Alder": "7", "Kon": "2", "ContentsCode": "BE0101N1", "Tid": "2025"}
    assert pop[("1780", 2025, 7, "female")] == population(coords)
    assert pop[("1780", 2025, 7, "total")] == population(coords) + population({**coords, "Kon": "1"})
    lineage = mart_rows(
        mart,
        "select sex, status, source, source_ref, request_url, length(body_sha256) from fct_population"
        " where region_code = '1780' and year = 2025 and age = 7 order by sex",
    )
    assert [row[:4] for row in lineage] == [(s, "ok", "scb", "TAB638") for s in ("female", "male", "total")]
    assert all(url.startswith(urls["scb_url"] + "tables/TAB638/data") for *_, url, _ in lineage)
    assert {digest for *_, digest in lineage} == {64}  # one call carried both sexes
    # rate per 1,000 children 0-20 for a count indicator
    ((value, denominator, rate),) = mart_rows(
        mart,
        "select value, rate_population, rate_per_1000 from fct_indicator_value"
        " where indicator_id = 'kolada_n33812' and region_code = '1780'"
        " and period_end = 2025 and sex = 'female'",
    )
    assert denominator == sum(pop[("1780", 2025, a, "female")] for a in range(21))
    assert rate == round(1000 * value / denominator, 3)
    # Byar's interval on the count and on its rate, near the exact Poisson interval
    ((low, high, rate_low, rate_high, method, base),) = mart_rows(
        mart,
        "select ci_low, ci_high, rate_ci_low, rate_ci_high, ci_method, denominator from fct_indicator_value"
        " where indicator_id = 'kolada_n33812' and region_code = '1780'"
        " and period_end = 2025 and sex = 'female'",
    )
    exact_low = 0.0 if value == 0 else chi2.ppf(0.025, 2 * value) / 2
    exact_high = chi2.ppf(0.975, 2 * (value + 1)) / 2
    assert (method, base) == ("byar", denominator)
    assert low == pytest.approx(exact_low, abs=0.025, rel=0.002)
    assert high == pytest.approx(exact_high, abs=0.025, rel=0.002)
    assert rate_low == pytest.approx(1000 * low / denominator) and rate_high == pytest.approx(
        1000 * high / denominator
    )
    indicator = mart_rows(
        mart,
        "select source, source_ref from dim_indicator"
        " where indicator_id = 'fohm_hbsc_mobbad_minst_1_gang_vecka'",
    )
    assert indicator == [("fohm", "A_Folkhalsodata/C_HBSC/Regionalt/Skolan/Mobbning/MobbningReg.px")]


def test_unknown_pxweb_region_fails_before_publishing_naming_source_table_and_code(
    republished: Path, urls: dict[str, str], px_states, warehouse_dir: Path
) -> None:
    _, fohm = px_states
    mart = warehouse_dir / "mart.duckdb"
    published = mart.read_bytes()
    spec_table = "A_Folkhalsodata/C_HBSC/Regionalt/Skolan/Mobbning/MobbningReg.px"
    region = fohm.tables[spec_table].dims[0]
    region.values.append("99")  # the table now has a region dim_region cannot place
    region.labels.append("99 Okänt län")
    fohm.tables[spec_table].updated = "2030-01-01T00:00:00Z"
    result = run_pipeline(**urls)
    assert not result.success
    (evaluation,) = [e for e in result.get_asset_check_evaluations() if e.check_name == "region_codes_known"]
    assert not evaluation.passed
    assert f"fohm: table {spec_table} has region code '99'" in evaluation.description
    materialized = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    assert "mart/fct_indicator_value" in materialized and "published_mart" not in materialized
    assert mart.read_bytes() == published
