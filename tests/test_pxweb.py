"""The PxWeb client: splitting, pacing, parsing and markers, against real bodies and a local server."""

from __future__ import annotations

import itertools
import json
import math
import random
import time
from pathlib import Path

import pytest

from ingest.catalog import load_pxweb_tables
from ingest.http import HttpSettings, JsonHttpClient, SourceError
from ingest.pxweb import (
    V1,
    V2,
    HostLimiter,
    PxWebClient,
    naive_calls,
    parse_body,
    plan_split,
    split_selection,
    time_period,
)
from ingest.pxweb_rows import indicator_rows, population_rows
from ingest.pxweb_tables import fetch_table, landing_for
from localsources.pxweb_fixtures import HLV_WINDOWS, hlv_cell, population, pxweb_states
from localsources.pxweb_server import Dim, PxServerState, Table, serve
from tests.conftest import recording


def client(url: str, dialect: str, source: str = "scb", retries: int = 3) -> PxWebClient:
    http = JsonHttpClient(source, None, HttpSettings(retries=retries, backoff_factor=0.01))
    return PxWebClient(source, http, url, dialect)


# --------------------------------------------------------------------------- splitting


def brute_force_calls(sizes: list[int], max_cells: int) -> int:
    best = math.inf
    for pieces in itertools.product(*[range(1, n + 1) for n in sizes]):
        if math.prod(math.ceil(n / m) for n, m in zip(sizes, pieces, strict=True)) <= max_cells:
            best = min(best, math.prod(pieces))
    return int(best)


def test_plan_split_is_optimal_on_random_shapes() -> None:
    rng = random.Random(7)
    for _ in range(150):
        sizes = [rng.randint(1, 12) for _ in range(rng.randint(1, 4))]
        max_cells = rng.randint(1, math.prod(sizes))
        pieces = plan_split(sizes, max_cells)
        assert math.prod(pieces) == brute_force_calls(sizes, max_cells), (sizes, max_cells)
        assert naive_calls(sizes, max_cells) >= math.prod(pieces)


def test_split_selection_covers_every_cell_once_under_the_limit() -> None:
    selection = {
        "Region": [f"r{i}" for i in range(312)],
        "Alder": [str(a) for a in range(25)],
        "Kon": ["1", "2"],
        "Tid": [str(y) for y in range(1968, 2025)],
    }
    parts = split_selection(selection, 10_000)
    cells = [c for p in parts for c in itertools.product(*p.values())]
    assert all(math.prod(len(v) for v in p.values()) <= 10_000 for p in parts)
    assert len(cells) == len(set(cells)) == 312 * 25 * 2 * 57
    lower_bound = math.ceil(312 * 25 * 2 * 57 / 10_000)  # 89: no grid reaches it, one cut does
    assert len(parts) == lower_bound
    assert math.prod(plan_split([312, 25, 2, 57], 10_000)) == lower_bound + 1


# --------------------------------------------------------------------------- parsing real bodies


def load(*parts: str) -> dict:
    return json.loads(recording(*parts).read_text(encoding="utf-8"))


def test_parse_scb_v2_jsonstat2_recordings() -> None:
    (cell,) = parse_body(load("scb", "scb_v2_TAB638_riket_ogifta_0ar_man_2024_jsonstat2.json"), "t")
    assert cell.coords == {
        "Region": "00", "Civilstand": "OG", "Alder": "0", "Kon": "1",
        "ContentsCode": "BE0101N1", "Tid": "2024",
    }  # fmt: skip
    assert (cell.value, cell.marker) == (50937.0, None)
    cells = parse_body(load("scb", "scb_v2_TAB638_region_0180_1480_2023-2024_trimmed-fixture.json"), "t")
    got = {(c.coords["Region"], c.coords["Tid"]): c.value for c in cells}
    assert got[("0180", "2023")] == 984748 and got[("0180", "2024")] == 988943
    assert got[("1480", "2023")] == 600151 and got[("1480", "2024")] == 604616


def test_parse_fohm_v1_jsonstat2_recording_with_pooled_period() -> None:
    cells = parse_body(load("fohm", "fohm_v1_HBSC_MobbningReg_data_jsonstat2_trimmed-fixture.json"), "t")
    got = {c.coords["Region"]: c.value for c in cells}
    assert got == {"00": 4.0, "21": 5.0}
    assert {c.coords["År"] for c in cells} == {"2021-2022"}
    assert time_period("2021-2022", "t") == (2021, 2022)
    assert all(c.coords["Hur ofta"] == "2-3 ggr/månad" and c.coords["Kön"] == "1" for c in cells)


def test_parse_scb_v1_json_and_jsonstat_recordings() -> None:
    cells = parse_body(load("scb", "scb_v1_BefolkningNy_civilstand_2015-2017_format-json.json"), "t")
    got = {(c.coords["Civilstand"], c.coords["Tid"]): c.value for c in cells}
    assert got[("OG", "2017")] == 5_347_489 and got[("G", "2017")] == 3_358_397
    (cell,) = parse_body(load("scb", "scb_v1_BefolkningNy_kon1_2017_format-jsonstat.json"), "t")
    assert cell.value == 5_082_662 and cell.coords["Kon"] == "1"


def test_fohm_metadata_recording_drives_the_selection() -> None:
    from ingest.pxweb import meta_from_v1
    from ingest.pxweb_tables import build_selection

    meta = meta_from_v1(
        "MobbningReg.px", load("fohm", "fohm_v1_HBSC_MobbningReg_metadata_trimmed-fixture.json"), None
    )
    spec = next(t for t in load_pxweb_tables() if t.key == "fohm_hbsc_mobbning")
    selection = build_selection(spec, meta)
    assert selection["Kön"] == ["1", "2"] and selection["År"] == ["2017-2018", "2021-2022"]
    assert selection["Region"] == ["00", "01", "21"]


# --------------------------------------------------------------------------- markers


def test_markers_are_null_plus_flag_and_dash_is_zero() -> None:
    body = {
        "version": "2.0", "class": "dataset", "id": ["Region", "Tid"], "size": [1, 5],
        "dimension": {
            "Region": {"category": {"index": {"17": 0}}},
            "Tid": {"category": {"index": ["2020", "2021", "2022", "2023", "2024"]}},
        },
        "value": [12.5, None, 0, None, None],
        "status": {"1": "..", "2": "-", "3": "...", "4": "."},
    }  # fmt: skip
    cells = parse_body(body, "t")
    assert [(c.value, c.marker) for c in cells] == [
        (12.5, None), (None, ".."), (0.0, "-"), (None, "..."), (None, "."),
    ]  # fmt: skip
    v1 = {
        "columns": [
            {"code": "Region", "type": "d"},
            {"code": "Tid", "type": "t"},
            {"code": "X", "type": "c"},
        ],
        "data": [
            {"key": ["17", "2020"], "values": [".."]},
            {"key": ["17", "2021"], "values": ["-"]},
            {"key": ["17", "2022"], "values": ["3,5"]},
        ],
    }  # fmt: skip
    assert [(c.value, c.marker) for c in parse_body(v1, "t")] == [(None, ".."), (0.0, "-"), (3.5, None)]
    with pytest.raises(SourceError, match="neither a number nor a PX marker"):
        parse_body({**v1, "data": [{"key": ["17", "2020"], "values": ["n/a"]}]}, "fohm: table X")


def test_truncated_dataset_is_an_error() -> None:
    body = {
        "class": "dataset",
        "id": ["Tid"],
        "size": [3],
        "dimension": {"Tid": {"category": {"index": ["a", "b", "c"]}}},
        "value": [1, 2],
    }
    with pytest.raises(SourceError, match="2 values for 3 cells"):
        parse_body(body, "scb: table TAB1")


# --------------------------------------------------------------------------- client against a local server


def small_table(n_regions: int = 40, n_years: int = 10) -> Table:
    return Table(
        "TAB1",
        "Test",
        [
            Dim("Region", [f"{i:04d}" for i in range(n_regions)]),
            Dim("Kon", ["1", "2"]),
            Dim("Tid", [str(2000 + y) for y in range(n_years)], time=True),
        ],
        population,
    )


def test_limits_come_from_config_and_queries_are_split_to_fit() -> None:
    state = PxServerState(max_cells=150, max_calls=1000)
    state.add(small_table())
    with serve(state) as server:
        c = client(server.v2_url, V2)
        meta, _, _ = c.metadata("TAB1")
        selection = {v.code: v.values for v in meta.variables}  # 800 cells
        bodies = list(c.data("TAB1", selection))
    assert c.limits().max_cells == 150
    assert len(bodies) == c.stats.data_calls == math.ceil(800 / 150)  # the lower bound
    assert all(cells <= 150 for m, _, s, cells in state.log if m == "POST")
    values = {(cell.coords["Region"], cell.coords["Kon"], cell.coords["Tid"]): cell.value
              for body, _, _ in bodies for cell in parse_body(body, "t")}  # fmt: skip
    assert len(values) == 800
    assert values[("0003", "2", "2005")] == population({"Region": "0003", "Kon": "2", "Tid": "2005"})
    assert c.stats.as_metadata()["calls_saved_by_splitting"] == naive_calls([40, 2, 10], 150) - 6
    assert naive_calls([312, 25, 2, 57], 10_000) > len(
        split_selection({"a": ["x"] * 312, "b": ["y"] * 25, "c": ["z"] * 2, "d": ["w"] * 57}, 10_000)
    )


def test_pacing_keeps_under_the_window_without_429() -> None:
    state = PxServerState(max_cells=20, max_calls=5, window=1.0)
    state.add(small_table(n_regions=10, n_years=5))  # 100 cells -> 5 data calls
    with serve(state) as server:
        c = client(server.v2_url, V2)
        started = time.monotonic()
        meta, _, _ = c.metadata("TAB1")
        list(c.data("TAB1", {v.code: v.values for v in meta.variables}))
        list(c.data("TAB1", {v.code: v.values for v in meta.variables}))
        elapsed = time.monotonic() - started
    assert state.throttled == 0
    assert len(state.log) == 12  # config + metadata + 2 × 5 data calls
    assert elapsed >= 2.0  # 12 calls at 5 per second need two full windows


def test_parallel_clients_on_one_host_share_its_window() -> None:
    """Two tables fetched at once (as parallel assets do) still stay within the host's limit."""
    import threading

    state = PxServerState(max_cells=20, max_calls=6, window=1.0)
    state.add(small_table(n_regions=10, n_years=5))  # 100 cells -> 5 data calls per fetch
    with serve(state) as server:
        clients = [client(server.v2_url, V2) for _ in range(2)]

        def fetch(c: PxWebClient) -> None:
            meta, _, _ = c.metadata("TAB1")
            list(c.data("TAB1", {v.code: v.values for v in meta.variables}))

        threads = [threading.Thread(target=fetch, args=(c,)) for c in clients]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
    assert state.throttled == 0
    assert state.data_calls == 10
    assert elapsed >= 2.0  # 14 calls at 6 per second need two full windows


def test_429_is_honoured_and_retried(tmp_path: Path) -> None:
    state = PxServerState(max_cells=1000, max_calls=1000)
    state.add(small_table(n_regions=3, n_years=2))
    with serve(state) as server:
        c = client(server.v2_url, V2)
        meta, _, _ = c.metadata("TAB1")
        state.fail_next = [429, 503]
        ((body, _, _),) = list(c.data("TAB1", {v.code: v.values for v in meta.variables}))
    assert len(parse_body(body, "t")) == 12
    assert c.http.stats.retried_statuses == {429: 1, 503: 1}


def test_v1_dialect_reads_config_listing_and_posts_queries(tmp_path: Path) -> None:
    spec = next(t for t in load_pxweb_tables() if t.key == "fohm_hlv_psykisk_halsa")
    _, fohm = pxweb_states(["00", "17"], [], [], max_cells=10, max_calls=1000)
    with serve(fohm) as server:
        c = client(server.v1_url, V1, source="fohm")
        outcome = fetch_table(c, spec, landing_for(tmp_path, spec))
    assert c.limits().max_cells == 10
    assert outcome.fetched and outcome.updated == "2025-06-17T06:00:00Z"
    rows = indicator_rows(spec, landing_for(tmp_path, spec).latest())
    # regions × sexes × windows × indicators: the measure is pivoted into columns
    assert len(rows) == 2 * 3 * len(HLV_WINDOWS) * 2
    row = next(
        r
        for r in rows
        if r["region_code"] == "17"
        and r["sex"] == "female"
        and r["period_label"] == "2021-2024"
        and r["indicator_id"] == "fohm_hlv_mycket_stressad"
    )
    coords = {"Region": "17", "Psykisk hälsa": "46", "Kön": "01", "År": "2021-2024"}
    expected = [hlv_cell({**coords, "Andel och konfidensintervall": m}) for m in ("01", "02", "03", "04")]
    if isinstance(expected[0], float):
        assert [row["value"], row["ci_low"], row["ci_high"], row["n"]] == expected
    assert (row["period_start"], row["period_end"]) == (2021, 2024)
    assert all(" " not in r["request_url"] for r in rows)  # the .px path is URL-encoded


def test_unchanged_table_makes_no_data_call(tmp_path: Path) -> None:
    spec = next(t for t in load_pxweb_tables() if t.source == "scb")
    scb, _ = pxweb_states([], ["00", "17"], ["2024", "2025"], max_calls=1000)
    with serve(scb) as server:
        first = fetch_table(client(server.v2_url, V2), spec, landing_for(tmp_path, spec))
        data_calls = scb.data_calls
        second = fetch_table(client(server.v2_url, V2), spec, landing_for(tmp_path, spec))
        assert scb.data_calls == data_calls  # no data call at all
        scb.tables["TAB638"].updated = "2026-02-21T07:00:00Z"
        third = fetch_table(client(server.v2_url, V2), spec, landing_for(tmp_path, spec))
        assert scb.data_calls == data_calls + 1
    assert first.fetched and not second.fetched and third.fetched
    assert second.batch == first.batch
    rows = population_rows(spec, landing_for(tmp_path, spec).latest())
    assert len(rows) == 2 * 25 * 2 * 2
    assert {r["sex"] for r in rows} == {"female", "male"}


def test_forced_fetch_refetches_an_unchanged_table(tmp_path: Path) -> None:
    spec = next(t for t in load_pxweb_tables() if t.source == "scb")
    scb, _ = pxweb_states([], ["00", "17"], ["2024", "2025"], max_calls=1000)
    with serve(scb) as server:
        first = fetch_table(client(server.v2_url, V2), spec, landing_for(tmp_path, spec))
        data_calls = scb.data_calls
        second = fetch_table(client(server.v2_url, V2), spec, landing_for(tmp_path, spec))
        assert scb.data_calls == data_calls  # unchanged: no data call
        forced = fetch_table(client(server.v2_url, V2), spec, landing_for(tmp_path, spec), force=True)
        assert scb.data_calls > data_calls  # the same stamp, fetched anyway
    assert first.fetched and not second.fetched and forced.fetched
    assert forced.data_calls == scb.data_calls - data_calls
    assert forced.batch != first.batch
    assert landing_for(tmp_path, spec).latest().path == forced.batch
    assert len(population_rows(spec, landing_for(tmp_path, spec).latest())) == 2 * 25 * 2 * 2


def test_renamed_variable_fails_naming_table_and_variable(tmp_path: Path) -> None:
    spec = next(t for t in load_pxweb_tables() if t.key == "fohm_hbsc_mobbning")
    _, fohm = pxweb_states(["00"], [], [], max_calls=1000)
    table = fohm.tables[spec.table]
    table.dims[0].code = "Län"  # the source renamed Region
    with serve(fohm) as server, pytest.raises(SourceError) as err:
        fetch_table(client(server.v1_url, V1, source="fohm"), spec, landing_for(tmp_path, spec))
    assert "MobbningReg.px: no variable 'Region' (it has 'Län'" in str(err.value)
    assert landing_for(tmp_path, spec).latest_or_none() is None  # nothing half-landed


def test_host_limiter_is_a_sliding_window() -> None:
    limiter = HostLimiter(3, 0.5, margin=0.0)
    started = time.monotonic()
    for _ in range(7):
        limiter.acquire()
    assert time.monotonic() - started >= 1.0  # calls 4-6 wait one window, call 7 a second
