"""The Kolada v3 client against a real local HTTP server."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from ingest.http import HttpSettings, JsonHttpClient, SourceError
from ingest.kolada import KoladaClient, batches, check_expected_kpis, minimum_requests, parse_batch
from ingest.landing import Landing
from localsources.kolada_server import KoladaData, KoladaServer, serve


def make_client(server: KoladaServer, tmp_path: Path, per_page: int = 5000, retries: int = 3):
    batch = Landing(tmp_path, "kolada").start_batch()
    http = JsonHttpClient("kolada", batch, HttpSettings(retries=retries, backoff_factor=0.01))
    return KoladaClient(http, server.base_url, per_page=per_page), batch


def entry(gender: str, value: float | None, status: str = "") -> dict:
    return {"count": 1, "gender": gender, "status": status, "value": value}


@pytest.fixture
def data() -> KoladaData:
    d = KoladaData()
    d.add("N15428", "1780", 2023, [entry("T", 74.1), entry("K", 77.0), entry("M", 71.3)])
    d.add("N15428", "0017", 2023, [entry("T", None, "Missing"), entry("K", None), entry("M", 0.0)])
    d.add("N15428", "1715", 2023, [entry("T", 55.5)], isdeleted=True)
    d.add("N15428", "0000", 2023, [entry("T", 80.2), {**entry("K", 99.0), "isdeleted": True}])
    return d


def test_values_keep_null_status_and_zero_and_drop_deleted(data: KoladaData, tmp_path: Path) -> None:
    with serve(data) as server:
        client, _ = make_client(server, tmp_path)
        rows = client.values(["N15428"], [2023])
    got = {(r["municipality_id"], r["gender"]): (r["value"], r["status"]) for r in rows}
    assert got == {
        ("1780", "T"): (74.1, None),
        ("1780", "K"): (77.0, None),
        ("1780", "M"): (71.3, None),
        ("0017", "T"): (None, "Missing"),
        ("0017", "K"): (None, None),
        ("0017", "M"): (0.0, None),  # a real zero stays a zero
        ("0000", "T"): (80.2, None),  # the deleted K entry and the deleted 1715 object are gone
    }


def test_pages_are_followed_until_next_url_is_missing(tmp_path: Path) -> None:
    d = KoladaData()
    for year in range(2000, 2025):
        d.add("N1", "1780", year, [entry("T", float(year))])
    with serve(d) as server:
        client, _ = make_client(server, tmp_path, per_page=10)
        rows = client.values(["N1"], list(range(2000, 2025)))
        assert server.requests_to("/data/") == 3  # 25 objects, 10 per page
    assert sorted(r["period"] for r in rows) == list(range(2000, 2025))
    assert client.summary.pages == 3


def test_id_lists_are_split_into_segments_of_25(tmp_path: Path) -> None:
    d = KoladaData()
    kpis = [f"N{i:05d}" for i in range(30)]
    years = list(range(1990, 2020))  # 30 years
    for kpi in kpis:
        d.add(kpi, "1780", 2000, [entry("T", 1.0)])
    with serve(d) as server:
        client, _ = make_client(server, tmp_path)
        rows = client.values(kpis, years)
        data_paths = [p for p, _ in server.log if "/data/" in p]
    assert len(rows) == 30
    assert len(data_paths) == 4  # 2 KPI segments × 2 year segments
    for path in data_paths:
        segments = path.split("?")[0].split("/")
        assert all(len(s.split(",")) <= 25 for s in segments)
    assert client.summary.data_queries == 4
    assert batches(range(51)) == [
        [str(i) for i in range(25)],
        [str(i) for i in range(25, 50)],
        ["50"],
    ]
    assert minimum_requests(30, 30, 12_000) == 4
    assert minimum_requests(20, 16, 99_840) == 20


def test_429_honours_retry_after(data: KoladaData, tmp_path: Path) -> None:
    with serve(data) as server:
        server.fault("429", match="/data/", times=1, retry_after="1")
        client, _ = make_client(server, tmp_path)
        started = time.monotonic()
        rows = client.values(["N15428"], [2023])
        elapsed = time.monotonic() - started
        assert server.requests_to("/data/") == 2
    assert rows
    assert elapsed >= 1.0  # waited as the server asked
    assert client.http.stats.as_metadata()["retries_429"] == 1


def test_500_and_truncated_body_are_retried(data: KoladaData, tmp_path: Path) -> None:
    with serve(data) as server:
        server.fault("500", match="/data/", times=2)
        server.fault("truncate", match="/data/", times=1)
        client, batch = make_client(server, tmp_path)
        rows = client.values(["N15428"], [2023])
        assert server.requests_to("/data/") == 4
    assert len(rows) == 7
    stats = client.http.stats.as_metadata()
    assert stats["retries_5xx"] == 2 and stats["retries_bad_body"] == 1
    batch.commit()
    # only the good body was landed
    records = list(Landing(tmp_path, "kolada").latest().records())
    assert len(records) == 1


def test_gives_up_with_an_error_naming_the_url(data: KoladaData, tmp_path: Path) -> None:
    with serve(data) as server:
        server.fault("500", match="/data/", times=10)
        client, _ = make_client(server, tmp_path, retries=2)
        with pytest.raises(SourceError) as err:
            client.values(["N15428"], [2023])
    message = str(err.value)
    assert "kolada" in message and "HTTP 500" in message and "3 tries" in message
    assert f"{server.base_url}data/kpi/N15428/year/2023" in message


def test_a_body_that_stays_truncated_fails_with_the_url(data: KoladaData, tmp_path: Path) -> None:
    with serve(data) as server:
        server.fault("truncate", match="/municipality", times=10)
        client, _ = make_client(server, tmp_path, retries=1)
        with pytest.raises(SourceError, match=r"municipality\?per_page=5000 failed after 2 tries: truncated"):
            client.municipalities()


def test_timeouts_are_retried_then_reported(data: KoladaData, tmp_path: Path) -> None:
    with serve(data) as server:
        server.fault("slow", match="/municipality", times=5, delay=1.0)
        batch = Landing(tmp_path, "kolada").start_batch()
        settings = HttpSettings(retries=1, backoff_factor=0.01, read_timeout=0.2)
        client = KoladaClient(JsonHttpClient("kolada", batch, settings), server.base_url)
        with pytest.raises(SourceError, match=r"kolada: GET .*/municipality\?per_page=5000 failed"):
            client.municipalities()


def test_an_unknown_kpi_is_named_and_does_not_stop_the_others(data: KoladaData, tmp_path: Path) -> None:
    with serve(data) as server:
        client, _ = make_client(server, tmp_path)
        kpis = client.kpis(["N15428", "N99999"])
        rows = client.values(["N15428", "N99999"], [2023])
    assert [k["kpi_id"] for k in kpis] == ["N15428"]
    assert client.summary.kpis_without_metadata == ["N99999"]
    assert rows and {r["kpi_id"] for r in rows} == {"N15428"}
    assert client.summary.rows_per_kpi.get("N99999") is None
    # the strict rule the load step applies under BARNHALSA_STRICT=1
    with pytest.raises(SourceError, match="no values for KPI\\(s\\) N99999 in 2023"):
        check_expected_kpis(rows, ["N15428", "N99999"], [2023], "test")


def test_non_json_body_is_not_landed_and_fails_clearly(data: KoladaData, tmp_path: Path) -> None:
    with serve(data) as server:
        server.fault("garbage", match="/kpi/", times=5)
        client, _ = make_client(server, tmp_path, retries=1)
        with pytest.raises(SourceError, match="not valid JSON"):
            client.kpis(["N15428"])


def test_landing_replays_to_the_same_rows(data: KoladaData, tmp_path: Path) -> None:
    with serve(data) as server:
        client, batch = make_client(server, tmp_path, per_page=2)
        municipalities = client.municipalities()
        kpis = client.kpis(["N15428"])
        rows = client.values(["N15428"], [2023])
        batch.commit()
    tables = parse_batch(Landing(tmp_path, "kolada").latest())
    assert tables["values"] == rows
    assert tables["municipality"] == municipalities
    assert tables["kpi"] == kpis
    assert all(r["request_url"].startswith(server.base_url) for r in rows)
    assert all(len(r["body_sha256"]) == 64 for r in rows)
