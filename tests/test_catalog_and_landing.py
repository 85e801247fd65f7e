"""The indicator catalogue and the raw landing."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from ingest.catalog import COLUMNS, PROTECTIVE_FACTORS, CatalogError, load_catalog
from ingest.landing import Landing, LandingError

ROOT = Path(__file__).resolve().parents[1]


def test_catalogue_has_60_indicators_over_the_five_protective_factors_and_both_outcomes() -> None:
    indicators = load_catalog()
    assert len(indicators) >= 60
    for factor in PROTECTIVE_FACTORS:
        members = [i for i in indicators if i.protective_factor == factor]
        local = [i for i in members if i.municipality_type in ("K", "A")]  # published per municipality
        assert len(members) >= 6 and len(local) >= 3, factor
        assert any(i.by_sex for i in local), factor  # and by sex where the source splits
    for outcome in ("psykisk_halsa", "fysisk_halsa"):
        assert len([i for i in indicators if i.protective_factor == outcome]) >= 4, outcome
    # adult health measures are context about parents and adults, never a child outcome; their
    # sexes read Kvinnor/Män (catalog/adult_indicators.csv)
    adult_ids = set((ROOT / "catalog" / "adult_indicators.csv").read_text(encoding="utf-8").split())
    adult_ids = {line.split(",")[0] for line in adult_ids}
    adults = [i for i in indicators if i.ages and i.ages[0] >= 16 and i.ages[1] > 24]
    assert adults and all(i.protective_factor == "vuxna" and i.indicator_id in adult_ids for i in adults)
    assert all(i.short_title and i.age_label for i in indicators)


def test_catalogue_errors_name_the_line(tmp_path: Path) -> None:
    path = tmp_path / "indicators.csv"
    header = "indicator_id,title,protective_factor,source,source_ref,unit,higher_is_better\n"
    path.write_text(header + "a,A,framtidstro,kolada,N1,percent,true\nb,B,lycka,kolada,N2,percent,\n")
    with pytest.raises(CatalogError, match=r"indicators.csv:3: unknown protective_factor 'lycka'"):
        load_catalog(path)
    path.write_text(header + "a,A,framtidstro,kolada,N1,percent,maybe\n")
    with pytest.raises(CatalogError, match="higher_is_better must be true, false or empty"):
        load_catalog(path)
    path.write_text(header + "a,A,framtidstro,kolada,N1,percent,\na,A,kontext,kolada,N2,count,\n")
    with pytest.raises(CatalogError, match="duplicate indicator_id 'a'"):
        load_catalog(path)


def test_denominator_ages_name_the_population_of_a_share_and_only_shares_have_them(tmp_path: Path) -> None:
    indicators = {i.indicator_id: i for i in load_catalog()}
    assert indicators["kolada_n15428"].denominator_ages == (15, 15)  # pupils in åk 9, hemkommun
    assert indicators["kolada_n66077"].denominator_ages == (0, 19)
    assert indicators["kolada_n15419"].denominator_ages is None  # municipal schools only: no honest n
    for i in indicators.values():
        assert i.denominator_ages is None or i.unit == "percent"
        assert i.rate_ages is None or i.unit == "count"
        assert i.rate_ages is None or i.denominator_ages is None
    path = tmp_path / "indicators.csv"
    header = ",".join(COLUMNS) + "\n"
    path.write_text(header + "a,A,framtidstro,kolada,N1,percent,true,,16 to 24\n")
    with pytest.raises(CatalogError, match="indicators.csv:2: denominator_ages must look like 0-20"):
        load_catalog(path)
    path.write_text(header + "a,A,framtidstro,kolada,N1,percent,true,,16-24\n")
    assert load_catalog(path)[0].denominator_ages == (16, 24)


def test_every_kolada_line_matches_the_recorded_kpi_catalogue() -> None:
    """Id, Kolada's own title (verbatim), the levels it is published for, the sex split, and a
    publication period of 2024 or later (the KPI is still published)."""
    import csv

    from tests.conftest import recording

    with recording("kolada", "rkolada_v3_kpi_catalogue.csv").open(encoding="utf-8") as handle:
        known = {row["id"]: row for row in csv.DictReader(handle)}
    kolada = [i for i in load_catalog() if i.source == "kolada"]
    assert len(kolada) >= 40
    for indicator in kolada:
        real = known.get(indicator.source_ref)
        assert real is not None, f"{indicator.source_ref} is not a Kolada v3 KPI"
        assert indicator.title == real["title"], indicator.source_ref
        assert indicator.municipality_type == real["municipality_type"], indicator.source_ref
        assert indicator.by_sex == (real["is_divided_by_gender"] == "True"), indicator.source_ref
        assert real["publ_period"] >= "2024", f"{indicator.source_ref} is no longer published"


def write_body(landing: Landing, body: bytes = b'{"values": []}'):
    batch = landing.start_batch()
    batch.write(
        kind="data",
        method="GET",
        url="http://example.invalid/v3/x",
        request_body=None,
        status=200,
        body=body,
        fetched_at=datetime.now(UTC),
    )
    return batch


def test_only_complete_batches_are_read(tmp_path: Path) -> None:
    landing = Landing(tmp_path, "kolada")
    with pytest.raises(LandingError, match="no complete landing batch for source 'kolada'"):
        landing.latest()
    first = write_body(landing, b'{"values": [1]}')
    first.commit()
    unfinished = write_body(landing, b'{"values": [2]}')  # a fetch still running or crashed
    latest = landing.latest()
    assert latest.path == first.final_dir
    (record,) = list(latest.records())
    assert latest.read_json(record) == {"values": [1]}
    assert record.url == "http://example.invalid/v3/x" and len(record.sha256) == 64
    unfinished.abort()
    assert not unfinished.dir.exists()


def test_a_changed_body_is_detected(tmp_path: Path) -> None:
    landing = Landing(tmp_path, "kolada")
    write_body(landing).commit()
    latest = landing.latest()
    (record,) = list(latest.records())
    (latest.path / record.file).write_bytes(b'{"values": [0]}')
    with pytest.raises(LandingError, match="does not match its sha256"):
        latest.read(record)
