"""The analyst mart: Kolada municipality groups, publishing with Parquet exports, dbt docs."""

from __future__ import annotations

import json
import os
from pathlib import Path

import duckdb
import pytest

from ingest.http import SourceError
from ingest.kolada import parse_batch
from localsources.kolada_server import KoladaData, serve, synthetic_groups
from tests.conftest import Published, dbt_in
from tests.test_kolada_client import make_client
from warehouse import publish
from warehouse.publish import publish_mart

VIEWS = ["v_indicator_comparison", "v_indicator_trend", "v_county_profile", "v_coverage"]


def test_municipality_groups_are_fetched_landed_and_parsed_in_both_member_shapes(tmp_path: Path) -> None:
    data = KoladaData()
    data.groups = [
        {
            "id": "G1",
            "title": "Större stad, 2023",
            "members": [{"member_id": "1780", "member_title": "Karlstad"}],
        },
        {"id": "G2", "title": "Landsbygdskommun", "members": [{"id": "1715", "title": "Kil"}]},
    ]
    with serve(data) as server:
        client, batch = make_client(server, tmp_path)
        rows = client.municipality_groups()
        assert server.requests_to("/v3/municipality_groups") == 1
    assert rows == [
        {
            "group_id": "G1",
            "group_title": "Större stad, 2023",
            "member_id": "1780",
            "member_title": "Karlstad",
        },
        {"group_id": "G2", "group_title": "Landsbygdskommun", "member_id": "1715", "member_title": "Kil"},
    ]
    landed = parse_batch(batch_complete(batch))
    assert landed["municipality_groups"] == rows  # the body is in the landing, re-parsed offline


def batch_complete(batch):
    from ingest.landing import CompleteBatch

    return CompleteBatch(batch.commit())


def test_empty_or_malformed_municipality_groups_fail_naming_source_and_request(tmp_path: Path) -> None:
    data = KoladaData()
    data.groups = []
    with serve(data) as server:
        client, _ = make_client(server, tmp_path)
        with pytest.raises(SourceError, match=r"kolada: GET http://127\.0\.0\.1:\d+/v3/municipality_groups"):
            client.municipality_groups()
    data.groups = [{"id": "G1", "title": "Trasig"}]
    with serve(data) as server:
        client, _ = make_client(server, tmp_path / "b")
        with pytest.raises(SourceError, match="municipality_groups.*without id or members"):
            client.municipality_groups()


def test_synthetic_groups_give_every_municipality_one_current_kommungrupp() -> None:
    regions = [{"id": "1780", "title": "Karlstad", "type": "K"}, {"id": "0017", "title": "V", "type": "L"}]
    groups = synthetic_groups(regions)
    members = [m["member_id"] for g in groups if "2023" in g["title"] for m in g["members"]]
    assert members == ["1780"]


def test_each_dbt_table_materialisation_carries_its_row_count(published: Published) -> None:
    """dagster/row_count on every table and seed the dbt build materialised (the asset catalogue
    shows it), equal to the rows published; views carry none."""
    counts = published.row_counts
    with duckdb.connect(str(published.mart), read_only=True) as con:
        for table in ("fct_indicator_value", "fct_population", "dim_region", "dim_indicator"):
            (rows,) = con.execute(f"select count(*) from {table}").fetchone()
            assert counts[f"mart/{table}"] == rows > 0, table
    assert counts["indicators"] > 0  # a seed (the catalogue)
    assert counts["mart/v_indicator_comparison"] > 0  # built as a table for the published file
    assert not [key for key in counts if key.split("/")[-1].startswith(("stg_", "int_"))]  # views


def make_build_db(path: Path, rows: int) -> None:
    with duckdb.connect(str(path)) as con:
        con.execute("create schema mart")
        con.execute(
            f"create table mart.dim_region as select range::varchar as region_code from range({rows})"
        )
        con.execute("create table mart.v_coverage as select 'x' as region_code, 'complete' as coverage")


def test_publish_exports_parquet_and_a_failed_publish_keeps_the_previous_export(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build, mart, export = tmp_path / "build.duckdb", tmp_path / "mart.duckdb", tmp_path / "export"
    make_build_db(build, 3)
    publication = publish_mart(build, mart, run_id="r1", export_dir=export)
    assert sorted(publication.exports) == [
        "barnhalsa.xlsx",
        "dim_region.csv",
        "dim_region.parquet",
        "meta_publication.csv",
        "meta_publication.parquet",
        "v_coverage.csv",
        "v_coverage.parquet",
    ]
    with duckdb.connect() as con:
        assert con.execute(f"select count(*) from '{export}/dim_region.parquet'").fetchone() == (3,)
        assert con.execute(f"select run_id from '{export}/meta_publication.parquet'").fetchone() == ("r1",)
    before = {p.name: p.read_bytes() for p in export.iterdir()}

    # the swap of the new mart fails after its Parquet files were staged: nothing changes
    real_replace = os.replace

    def failing_replace(src, dst, *args, **kwargs):
        if Path(dst) == mart:
            raise OSError("disk full")
        return real_replace(src, dst, *args, **kwargs)

    with duckdb.connect(str(build)) as con:
        con.execute("insert into mart.dim_region values ('new')")
    monkeypatch.setattr(publish.os, "replace", failing_replace)
    with pytest.raises(OSError, match="disk full"):
        publish_mart(build, mart, run_id="r2", export_dir=export)
    monkeypatch.undo()
    assert {p.name: p.read_bytes() for p in export.iterdir()} == before  # no staging left behind
    with duckdb.connect(str(mart), read_only=True) as con:
        assert con.execute("select run_id from meta_publication").fetchone() == ("r1",)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["build.duckdb", "export", "mart.duckdb"]

    # a table that disappears from the mart disappears from the export
    with duckdb.connect(str(build)) as con:
        con.execute("drop table mart.v_coverage")
    publication = publish_mart(build, mart, run_id="r3", export_dir=export)
    assert publication.tables == {"dim_region": 4}
    assert sorted(p.name for p in export.iterdir()) == [
        "dim_region.csv",
        "dim_region.parquet",
        "meta_publication.csv",
        "meta_publication.parquet",
    ]


def test_every_model_column_and_view_is_documented_and_exposed() -> None:
    from orchestration.dbt import dbt_project

    manifest = json.loads(Path(dbt_project.manifest_path).read_text())
    undocumented = []
    for node in manifest["nodes"].values():
        if node["resource_type"] not in {"model", "seed"}:
            continue
        if not node["description"].strip():
            undocumented.append(node["name"])
        undocumented += [
            f"{node['name']}.{c}" for c, col in node["columns"].items() if not col["description"].strip()
        ]
    assert undocumented == []
    views = {n["name"]: n for n in manifest["nodes"].values() if n["name"] in VIEWS}
    assert sorted(views) == sorted(VIEWS)
    for view in views.values():
        assert view["config"]["contract"]["enforced"]
    exposed = {
        dep.split(".")[-1]
        for exposure in manifest["exposures"].values()
        for dep in exposure["depends_on"]["nodes"]
    }
    assert set(VIEWS) <= exposed
    unit_tested = {
        t["model"] if "model" in t else t["depends_on"]["nodes"][0] for t in manifest["unit_tests"].values()
    }
    assert {f"model.barnhalsa.{v}" for v in VIEWS} <= {
        u if u.startswith("model.") else f"model.barnhalsa.{u}" for u in unit_tested
    }


MART_SUITES = {"fct_indicator_value", "dim_region", "dim_indicator", "fct_population"}
# GE expectation types that only restate what an enforced dbt contract or a dbt data test checks
DBT_OWNED_TYPES = {
    "expect_table_columns_to_match_set": "the contract's columns",
    "expect_column_values_to_be_of_type": "the contract's data types",
    "expect_column_values_to_not_be_null": "a not_null constraint or test",
    "expect_column_values_to_be_unique": "a unique test",
    "expect_compound_columns_to_be_unique": "a unique_combination test",
}


def test_each_mart_rule_has_one_owner_dbt_or_great_expectations() -> None:
    """dbt owns a mart model's contract, keys, accepted values and relationships (it checks them
    in the build); the GE suite of that table checks only what no dbt test does."""
    from expectations import mart
    from orchestration.dbt import dbt_project

    manifest = json.loads(Path(dbt_project.manifest_path).read_text())
    models = {n["name"]: n for n in manifest["nodes"].values() if n["resource_type"] == "model"}
    tested: dict[str, dict[str, set[str]]] = {name: {} for name in MART_SUITES}
    for node in manifest["nodes"].values():
        meta = node.get("test_metadata") or {}
        model = (node.get("attached_node") or "").split(".")[-1]
        if node["resource_type"] == "test" and model in tested:
            columns = meta.get("kwargs", {}).get("columns") or [node.get("column_name")]
            for column in columns:
                tested[model].setdefault(meta.get("name", ""), set()).add(column)
    for name in MART_SUITES:
        model = models[name]
        assert model["config"]["contract"]["enforced"], name
        constraints = {(c, k["type"]) for c, col in model["columns"].items() for k in col["constraints"]}
        keys = {c for c, kind in constraints if kind == "primary_key"}
        assert keys or "unique_combination" in tested[name], f"{name}: no primary key nor unique key test"
        # a constraint DuckDB enforces is not repeated by a dbt data test
        constrained = {c for c, kind in constraints if kind == "not_null"}
        assert not constrained & tested[name].get("not_null", set()), f"{name}: not_null twice"
        assert not keys & tested[name].get("unique", set()), f"{name}: the primary key tested again"
        dbt_columns = set().union(
            *(tested[name].get(t, set()) for t in ("accepted_values", "relationships", "not_null"))
        )
        suite = mart.fct_indicator_value(None) if name == "fct_indicator_value" else getattr(mart, name)()
        for expectation in suite.expectations:
            kind, label = expectation.expectation_type, f"{name}: {expectation.meta['name']}"
            assert kind not in DBT_OWNED_TYPES, f"{label} repeats {DBT_OWNED_TYPES[kind]}"
            if kind == "expect_column_values_to_be_in_set":
                assert getattr(expectation, "column", None) not in dbt_columns, f"{label} repeats a dbt test"


def test_no_staging_test_repeats_the_blocking_gate_of_its_raw_table() -> None:
    """A rename-only staging view of a raw table whose blocking GE gate runs before dbt could
    never fail a test the gate already passed: such a view carries no dbt test."""
    from orchestration.dbt import dbt_project
    from orchestration.quality import GATES

    manifest = json.loads(Path(dbt_project.manifest_path).read_text())
    gated = {
        g.suite_name.removeprefix("raw.") for g in GATES if g.blocking and g.suite_name.startswith("raw.")
    }
    reads = {
        n["unique_id"]: {
            manifest["sources"][d]["name"] for d in n["depends_on"]["nodes"] if d.startswith("source.")
        }
        for n in manifest["nodes"].values()
        if n["resource_type"] == "model" and n["name"].startswith("stg_")
    }
    assert {"kolada_values", "pxweb_values", "survey_values"} <= set().union(*reads.values())
    repeated = sorted(
        n["name"]
        for n in manifest["nodes"].values()
        if n["resource_type"] == "test" and reads.get(n.get("attached_node") or "", set()) & gated
    )
    assert repeated == []


def test_a_not_null_constraint_is_enforced_by_duckdb_in_the_built_table(
    published: Published, tmp_path: Path
) -> None:
    """Each mart column whose contract declares ``not_null`` is NOT NULL in the table dbt built,
    so DuckDB refuses a NULL there and the model's build fails: no dbt data test repeats it."""
    import shutil

    from orchestration.dbt import dbt_project

    manifest = json.loads(Path(dbt_project.manifest_path).read_text(encoding="utf-8"))
    declared = {
        (node["name"], column)
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["config"]["contract"]["enforced"]
        for column, spec in node["columns"].items()
        if any(c["type"] == "not_null" for c in spec["constraints"])
    }
    assert ("dim_indicator", "title") in declared and len(declared) >= 20
    build = tmp_path / "build.duckdb"
    shutil.copy(published.warehouse / "build.duckdb", build)
    with duckdb.connect(str(build)) as con:
        nullable = {
            (table, column)
            for table, column, is_nullable in con.execute(
                "select table_name, column_name, is_nullable from information_schema.columns"
                " where table_schema = 'mart'"
            ).fetchall()
            if is_nullable == "YES"
        }
        assert not declared & nullable
        with pytest.raises(duckdb.ConstraintException, match="NOT NULL"):
            con.execute("update mart.dim_indicator set title = null")


def test_every_yaml_unit_test_passes(published: Published, tmp_path: Path) -> None:
    """The models' YAML unit tests, run once here (refresh runs leave them out of ``dbt build``)
    on a copy of a built database, which gives them their inputs' columns."""
    import shutil

    from orchestration.dbt import dbt_project, ensure_manifest

    ensure_manifest()
    manifest = json.loads(Path(dbt_project.manifest_path).read_text(encoding="utf-8"))
    count = len(manifest["unit_tests"])
    assert count >= 15
    shutil.copy(published.warehouse / "build.duckdb", tmp_path / "build.duckdb")
    done = dbt_in(tmp_path, ["test", "--select", "test_type:unit"], tmp_path / "target")
    assert done.returncode == 0, done.stdout[-3000:]
    assert f"PASS={count} " in done.stdout and "ERROR=0" in done.stdout, done.stdout[-2000:]


def test_dbt_build_output_does_not_make_the_manifest_stale() -> None:
    """The manifest follows the project digest: other project files parse again, while the
    compiled .sql a dbt build writes under target/<run>/ must not force a re-parse (about 7 s)
    at the next process start, or an unchanged run pays for it."""
    from orchestration.dbt import (
        DBT_PROJECT_DIR,
        MANIFEST_DIGEST,
        dbt_project,
        ensure_manifest,
        manifest_is_stale,
    )

    ensure_manifest()
    assert not manifest_is_stale()
    stamp = Path(dbt_project.manifest_path).with_name(MANIFEST_DIGEST)
    parsed_from = stamp.read_text(encoding="utf-8")
    try:
        stamp.write_text("0" * 64)  # parsed from other project files than there are now
        assert manifest_is_stale()
    finally:
        stamp.write_text(parsed_from, encoding="utf-8")
    assert not manifest_is_stale()
    compiled = DBT_PROJECT_DIR / "target" / "barnhalsa_dbt-test" / "compiled" / "model.sql"
    compiled.parent.mkdir(parents=True, exist_ok=True)
    try:
        compiled.write_text("select 1")
        later = Path(dbt_project.manifest_path).stat().st_mtime + 10
        os.utime(compiled, (later, later))
        assert not manifest_is_stale()
    finally:
        compiled.unlink(missing_ok=True)
        for folder in (compiled.parent, compiled.parent.parent):
            folder.rmdir()


def test_build_fingerprint_follows_project_files_and_loads_but_not_dbt_output(tmp_path: Path) -> None:
    from warehouse import state

    root = tmp_path / "repo"
    (root / "dbt_project" / "models").mkdir(parents=True)
    (root / "dbt_project" / "target").mkdir()
    (root / "catalog").mkdir()
    (root / "dbt_project" / "models" / "m.sql").write_text("select 1")
    (root / "catalog" / "indicators.csv").write_text("a\n1\n")
    digest = state.dbt_project_digest(root)
    (root / "dbt_project" / "target" / "compiled.sql").write_text("select 2")  # dbt output
    assert state.dbt_project_digest(root) == digest
    (root / "catalog" / "indicators.csv").write_text("a\n2\n")  # the catalogue changed
    assert state.dbt_project_digest(root) != digest

    build = tmp_path / "build.duckdb"
    first = state.build_fingerprint(build, digest)
    state.record_loads(build, {"kolada_values": "20260101T000000Z"})
    second = state.build_fingerprint(build, digest)
    assert second != first
    loaded = {"kolada_values": "20260101T000000Z"}
    assert state.loads_unchanged(build, loaded, force=False) is False  # no such table
    with duckdb.connect(str(build)) as con:
        con.execute("create table raw.kolada_values as select 1 as x")
    assert state.loads_unchanged(build, loaded, force=False)
    assert not state.loads_unchanged(build, {"kolada_values": "20260201T000000Z"}, force=False)
    assert not state.loads_unchanged(build, loaded, force=True)  # BARNHALSA_FORCE=1


def test_dbt_docs_open_on_the_projects_overview() -> None:
    from orchestration.dbt import dbt_project, ensure_manifest

    ensure_manifest()
    manifest = json.loads(Path(dbt_project.manifest_path).read_text())
    overview = manifest["docs"]["doc.barnhalsa.__overview__"]["block_contents"]
    for name in ["mart.duckdb", "v_indicator_comparison", "v_coverage", "fct_indicator_value", "read_only"]:
        assert name in overview
    assert "select" in overview and "v1.5.6" in overview
