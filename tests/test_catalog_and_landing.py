"""The indicator catalogue and the raw landing."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from ingest.catalog import COLUMNS, PROTECTIVE_FACTORS, CatalogError, load_catalog
from ingest.landing import Landing, LandingError


def test_catalogue_has_at_least_15_kolada_kpis_over_every_protective_factor() -> None:
    indicators = load_catalog()
    kolada = [i for i in indicators if i.source == "kolada"]
    assert len(kolada) >= 15
    assert {i.protective_factor for i in indicators} >= set(PROTECTIVE_FACTORS)
    assert all(i.source_ref.startswith(("N", "U")) for i in kolada)


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


def test_catalogue_matches_recorded_kolada_kpi_list() -> None:
    import csv

    from tests.conftest import recording

    with recording("kolada", "rkolada_v3_kpi_catalogue.csv").open(encoding="utf-8") as handle:
        known = {row["id"]: row for row in csv.DictReader(handle)}
    for indicator in load_catalog():
        if indicator.source == "kolada":
            assert indicator.source_ref in known, f"{indicator.source_ref} is not a Kolada v3 KPI"


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
