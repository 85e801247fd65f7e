"""``python -m ingest.verify`` (``make verify``) against the local sources: every catalogued KPI
and table gets its line and verdict, a broken mapping makes the exit status 1, ``--record``
keeps the metadata bodies, an unreachable host gives 2."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from ingest import verify
from ingest.catalog import load_pxweb_tables, source_refs
from ingest.landing import Landing
from ingest.pxweb import meta_from_jsonstat2, meta_from_v1
from localsources import LocalSources, build, serve
from localsources.kolada_server import SMALL_REGIONS
from localsources.pxweb_fixtures import HALSOBESVAR, HLV, MOBBNING

YEARS = [2024, 2025, 2026]


@pytest.fixture
def sources(monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalSources]:
    """``make serve``'s servers for the tests' small region set, the base URLs pointing at them."""
    local = build(list(SMALL_REGIONS), YEARS, [str(y) for y in YEARS])
    with serve(local):
        for name, url in local.env.items():
            monkeypatch.setenv(name, url)
        yield local


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, str], str]:
    """Exit status, the verdict of each line by its name, and the whole output.

    A KPI's line is named by the KPI id, a table's by its key, a table indicator's (indented)
    by "indicator " and its id.
    """
    status = verify.main(list(argv))
    out, err = capsys.readouterr()
    verdicts = {}
    for line in out.splitlines():
        if line[:8].strip() not in ("kolada", "scb", "fohm"):
            continue
        rest = line[8:]
        name, verdict = re.split(r"\s{2,}", rest.strip(), maxsplit=1)
        name = name.split(" ")[0]
        verdicts[f"indicator {name}" if rest.startswith("  ") else name] = verdict
    return status, verdicts, out + err


def test_every_kpi_and_table_has_a_line_and_the_local_sources_pass(
    sources: LocalSources, capsys: pytest.CaptureFixture[str]
) -> None:
    status, verdicts, out = run(capsys)
    specs = load_pxweb_tables()
    assert status == 0, out
    for kpi in source_refs("kolada"):
        meta = sources.kolada.data.kpis[kpi]  # Kolada's recorded metadata where on record
        expected = f"ok; publ_period {meta['publ_period'] or '-'}, levels {meta['municipality_type']} ("
        assert verdicts[kpi].startswith(expected), out
    for spec in specs:
        if spec.verified:
            assert verdicts[spec.key].startswith("ok; newest "), out
            for indicator_id in spec.indicators:
                assert verdicts[f"indicator {indicator_id}"].startswith("ok; newest "), out
        else:  # not served, as the real server answers a path it does not know
            assert verdicts[spec.key].startswith("unverified: table not found: "), out
            assert "HTTP 400" in verdicts[spec.key]
    assert verdicts["scb_population"].startswith("ok; newest 2026, updated 2025-02-21T07:00:00Z")
    assert "levels riket, 3 län, 4 kommuner" in verdicts["scb_population"]
    assert verdicts["fohm_hlv_psykisk_halsa"].startswith("ok; newest 2021-2024")
    assert "levels riket, 3 län" in verdicts["fohm_hlv_psykisk_halsa"]
    verified = sum(s.verified for s in specs)
    assert f"{verified} tables ok, 0 failing, {len(specs) - verified} unverified failing (tolerated);" in out
    assert f"{len(source_refs('kolada'))} KPIs ok, 0 missing" in out
    # metadata only: no data call to any source
    assert not [m for m, *_ in sources.scb.state.log + sources.fohm.state.log if m == "POST"]
    assert sources.kolada.requests_to("/data/") == 0


def test_a_renamed_variable_a_missing_code_a_missing_table_and_kpi_fail(
    sources: LocalSources, capsys: pytest.CaptureFixture[str]
) -> None:
    tables = sources.fohm.state.tables
    tables[HALSOBESVAR].dims[0].code = "Län"  # Region renamed
    hur_ofta = next(d for d in tables[MOBBNING].dims if d.code == "Hur ofta")
    hur_ofta.values.remove("Minst 1 gång/vecka")
    del tables[HLV]
    kpi = source_refs("kolada")[0]
    del sources.kolada.data.kpis[kpi]

    status, verdicts, out = run(capsys)

    assert status == 1, out
    assert verdicts["fohm_hbsc_halsobesvar"].startswith("FAILS: no variable 'Region' (it has 'Län', 'Besvär'")
    assert verdicts["indicator fohm_hbsc_nere_varje_vecka"] == "FAILS: its table fails"
    # the table itself still works; both its indicators name the missing code
    assert verdicts["fohm_hbsc_mobbning"].startswith(
        "FAILS: indicator(s) fohm_hbsc_mobbad_2_3_ggr_manad, fohm_hbsc_mobbad_minst_1_gang_vecka;"
    )
    for indicator_id in ("fohm_hbsc_mobbad_2_3_ggr_manad", "fohm_hbsc_mobbad_minst_1_gang_vecka"):
        assert (
            verdicts[f"indicator {indicator_id}"]
            == "FAILS: variable 'Hur ofta' has no value code(s) 'Minst 1 gång/vecka'"
        )
    assert verdicts["fohm_hlv_psykisk_halsa"].startswith("FAILS: table not found: fohm: GET ")
    assert "hlv1psyxreg.px answered HTTP 400" in verdicts["fohm_hlv_psykisk_halsa"]
    assert verdicts["indicator fohm_hlv_mycket_stressad"] == "FAILS: its table fails"
    assert verdicts[kpi] == f"FAILS: Kolada has no metadata for KPI {kpi} (retired or renamed?)"
    # what still fits stays ok
    assert verdicts["fohm_tobak_tidig_graviditet"].startswith("ok; newest 2024")
    assert verdicts["scb_population"].startswith("ok; ")
    specs = load_pxweb_tables()
    unverified = sum(not s.verified for s in specs)
    assert f"{len(specs) - unverified - 3} tables ok, 3 failing, {unverified} unverified failing" in out
    assert f"{len(source_refs('kolada')) - 1} KPIs ok, 1 missing" in out
    assert "make verify: 4 mapping(s) cannot work" in out


def test_record_keeps_every_metadata_body(
    sources: LocalSources, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    status, _, out = run(capsys, "--record", str(tmp_path / "rec"))
    assert status == 0, out
    batches = {s: Landing(tmp_path / "rec", s).latest() for s in ("kolada", "scb", "fohm")}
    for batch in batches.values():
        assert f"metadata bodies recorded in {batch.path}" in out
        assert batch.info()["verify"] is True
    kinds = {s: [r.kind for r in b.records()] for s, b in batches.items()}
    kpis = len(source_refs("kolada"))
    assert kinds["kolada"] == ["kpi"] * -(-kpis // 25)  # one /kpi request per 25 ids, as v3 allows
    assert kinds["scb"] == ["config", "metadata"]
    served = [s for s in load_pxweb_tables() if s.source == "fohm" and s.table in sources.fohm.state.tables]
    assert kinds["fohm"] == ["config"] + ["metadata", "listing"] * len(served)
    # the bodies are the sources' own, and read back as the pipeline reads them
    bodies = [batches["kolada"].read_json(r) for r in batches["kolada"].records()]
    assert {k["id"] for body in bodies for k in body["values"]} == set(source_refs("kolada"))
    scb_meta = [r for r in batches["scb"].records() if r.kind == "metadata"][0]
    assert (
        meta_from_jsonstat2("TAB638", batches["scb"].read_json(scb_meta)).variable("Tid").values[-1] == "2026"
    )
    fohm_meta = [r for r in batches["fohm"].records() if r.kind == "metadata"]
    for spec, record in zip(served, fohm_meta, strict=True):
        assert record.url.endswith(quote(spec.table))
        meta = meta_from_v1(spec.table, batches["fohm"].read_json(record), None)
        assert [v.code for v in meta.variables] == [
            d.code for d in sources.fohm.state.tables[spec.table].dims
        ]


def test_an_unreachable_host_gives_exit_status_2(
    sources: LocalSources, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KOLADA_BASE_URL", "http://127.0.0.1:1/v3/")
    status, _, out = run(capsys)
    assert status == 2
    assert "make verify: 1 source host cannot be reached; nothing was checked." in out
    assert "127.0.0.1:1: connection refused (KOLADA_BASE_URL: http://127.0.0.1:1/v3/)" in out
    assert sources.kolada.log == [] and sources.fohm.state.log == []
