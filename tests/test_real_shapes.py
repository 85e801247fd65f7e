"""The catalogue against the real tables: every mapping must fit the local doubles, which are
shaped after the recorded or documented answers (localsources/pxweb_fixtures.py), and the doubles must
equal the recordings where one exists."""

from __future__ import annotations

import csv
import dataclasses
import json

import pytest

from ingest.catalog import load_catalog, load_pxweb_tables
from ingest.http import HttpSettings, JsonHttpClient
from ingest.pxweb import DIALECTS, PxWebClient
from ingest.pxweb_tables import check_mapping
from localsources.pxweb_fixtures import COUNTIES, MOBBNING, _tab638_dims, pxweb_states
from localsources.pxweb_server import serve
from tests.conftest import recording

REGIONS = ["00", *COUNTIES]


def served_metadata(source: str):
    """Each served table's metadata as the pipeline's client reads it, by table id."""
    scb, fohm = pxweb_states(REGIONS, ["00", "17", "1780"], ["2024"], max_calls=1000)
    state = scb if source == "scb" else fohm
    with serve(state) as server:
        url = server.v2_url if source == "scb" else server.v1_url
        client = PxWebClient(
            source, JsonHttpClient(source, None, HttpSettings(retries=0)), url, DIALECTS[source]
        )
        return {table: client.metadata(table)[0] for table in state.tables}


def test_every_verified_mapping_fits_its_real_table() -> None:
    metas = {**served_metadata("scb"), **served_metadata("fohm")}
    for spec in load_pxweb_tables():
        if not spec.verified:
            # no shape on record: not served, as the real server answers an unknown path
            assert spec.table not in metas, f"{spec.table} is unverified but has a double"
            continue
        check = check_mapping(spec, metas[spec.table])
        assert check.ok, f"{spec.key}: {check.table_problems} {check.indicator_problems}"


def test_a_mapping_that_does_not_fit_is_named() -> None:
    """The check above can fail: label instead of code, a renamed variable, a missing code."""
    meta = served_metadata("fohm")
    spec = next(t for t in load_pxweb_tables() if t.key == "fohm_hlv_psykisk_halsa")
    by_label = dataclasses.replace(
        spec,
        indicators={
            "fohm_hlv_svar_angslan_oro_angest": {"Psykisk hälsa": ("Svår ängslan, oro eller ångest",)}
        },
    )
    assert (
        "has no value code(s) 'Svår ängslan"
        in check_mapping(by_label, meta[spec.table]).indicator_problems["fohm_hlv_svar_angslan_oro_angest"]
    )
    halsobesvar = next(t for t in load_pxweb_tables() if t.key == "fohm_hbsc_halsobesvar")
    renamed = dataclasses.replace(halsobesvar, select={**halsobesvar.select, "Hur ofta": "all"})
    problems = check_mapping(renamed, meta[halsobesvar.table]).table_problems
    assert any("no variable 'Hur ofta'" in p for p in problems)


def test_hlv_categories_are_still_published() -> None:
    """Category 35 stopped after 2015-2018: the catalogue must not pick a category whose
    newest window is older than the table's."""
    spec = next(t for t in load_pxweb_tables() if t.key == "fohm_hlv_psykisk_halsa")
    codes = {c for match in spec.indicators.values() for c in match["Psykisk hälsa"]}
    assert "35" not in codes
    titles = {i.indicator_id: i.title for i in load_catalog()}
    assert all("16-84 år" in titles[i] for i in spec.indicators)


def test_mobbning_double_equals_the_recorded_metadata() -> None:
    recorded = json.loads(
        recording("fohm", "fohm_v1_HBSC_MobbningReg_metadata_trimmed-fixture.json").read_text(
            encoding="utf-8"
        )
    )
    served = served_metadata("fohm")[MOBBNING]
    assert [v.code for v in served.variables] == [v["code"] for v in recorded["variables"]]
    for real, double in zip(recorded["variables"], served.variables, strict=True):
        if real["code"] == "Region":  # the recording is trimmed to three regions
            assert set(real["values"]) <= set(double.values)
            assert set(real["valueTexts"]) <= set(double.value_labels)
        else:
            assert (double.values, double.value_labels) == (real["values"], real["valueTexts"])
        assert double.elimination == bool(real.get("elimination"))


def test_tab638_fallback_equals_the_recorded_metadata(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without ../shared the SCB double is written out by hand; it must equal the recording."""
    import localsources.pxweb_fixtures as fixtures

    path = recording("scb", "scb_v2_TAB638_metadata.json")
    real = fixtures._tab638_dims()
    monkeypatch.setattr(fixtures, "TAB638_METADATA", path.with_name("absent.json"))
    written = _tab638_dims()
    assert [d.code for d in written] == [d.code for d in real]
    for hand, rec in zip(written, real, strict=True):
        if hand.code == "Region":
            assert set(hand.values) <= set(rec.values)
        else:
            assert hand.values == rec.values, hand.code
        assert (hand.elimination, hand.time) == (rec.elimination, rec.time), hand.code


def test_every_kolada_kpi_is_in_the_recorded_catalogue() -> None:
    path = recording("kolada", "rkolada_v3_kpi_catalogue.csv")
    with path.open(encoding="utf-8") as handle:
        real = {row["id"]: row for row in csv.DictReader(handle)}
    kpis = [i for i in load_catalog() if i.source == "kolada"]
    missing = [i.source_ref for i in kpis if i.source_ref not in real]
    assert not missing, f"KPIs not in Kolada's catalogue: {missing}"
    for indicator in kpis:
        assert real[indicator.source_ref]["municipality_type"] in ("K", "L", "A")
