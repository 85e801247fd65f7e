"""Crash and reader tests: ``make run``'s command killed with SIGKILL (``kill -9`` of its
process) during the Kolada fetch, during the dbt build and during publish, while a separate
reader process queries the published mart: every 50 ms while a new mart file is being written
(``mart.duckdb.tmp-*``) and for 2 s after, once a second between publications.

One scenario (a fixture, run once) drives the runs, in this order, on a copy of the shared published
warehouse (``tests/conftest.py``; the reader starts on it), all in one Dagster instance configured
as ``dagster_home/dagster.yaml`` (one slot per pool, one run at a time):

1. a forced run is killed mid-fetch (Kolada answers data requests slowly): it leaves a run
   STARTED in the instance, holding its slot in the ``kolada_api`` pool, and an unfinished batch;
2. the next forced run cleans that up, gets past the fetch (not held up by the dead run's slot)
   and is killed in the dbt build: its dbt process dies with it;
3. the next one gets past the build and checks and is killed at the start of ``published_mart``;
4. the next one publishes new Kolada values, keeping one landing batch per folder
   (``BARNHALSA_KEEP_BATCHES=1``).

After each kill the published mart and every Parquet export are byte-identical to the ones
before it; the run after it is not held up by it (it gets to the next stage, and the last one
publishes: exit 0, or 3, the three catalogued Folkhälsodata tables absent on the local servers)
and the killed run's temporary files are gone (the fetch's once the next run is in its dbt build,
the others once the last run is done). The killed runs end FAILURE, holding no slot. The reader
sees both publications, never an error, a count of 0 or two tables of different publications in
one connection.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import POPULATION_YEARS, YEARS, Published
from tests.test_runs import PROJECT_INSTANCE, claimed_slots, dagster_instance
from warehouse import housekeeping, runlock, state

ROOT = Path(__file__).resolve().parents[1]
RUN_CONFIG = {
    "resources": {"kolada_api": {"config": {"years": 3, "last_year": 2026, "backoff_factor": 0.01}}},
    "ops": {"county_reports": {"config": {"counties": ["17"], "pdf": False}}},
}
SUCCESS = (0, 3)  # 3: published, some source tables not fresh
RUN_TIMEOUT = 480.0
LEFTOVER_PATTERNS = ("*.tmp-*", ".staging-*", "*.partial")

READER = r"""
import json, sys, time
from pathlib import Path
import duckdb

mart, stop, out = sys.argv[1:4]
folder, name = Path(mart).parent, Path(mart).name
queries = errors = zeros = inconsistent = during_publish = 0
counts = {}  # published_at -> (fact rows, dimension rows)
messages = []
hot_until = queried = 0.0
while not Path(stop).exists():
    time.sleep(0.05)
    now = time.monotonic()
    publishing = any(folder.glob(name + ".tmp-*"))  # a new mart file is being written
    if publishing:
        hot_until = now + 2.0
    if now >= hot_until and now - queried < 1.0:  # between publications: a query a second
        continue
    queried = now
    during_publish += publishing
    try:
        con = duckdb.connect(mart, read_only=True)
        try:
            (first,) = con.execute("select cast(published_at as varchar) from meta_publication").fetchone()
            (facts,) = con.execute("select count(*) from fct_indicator_value").fetchone()
            (dims,) = con.execute("select count(*) from dim_indicator").fetchone()
            (last,) = con.execute("select cast(published_at as varchar) from meta_publication").fetchone()
            queries += 4
        finally:
            con.close()
        if facts == 0 or dims == 0:
            zeros += 1
        if first != last or counts.setdefault(first, (facts, dims)) != (facts, dims):
            inconsistent += 1
    except Exception as exc:
        errors += 1
        messages.append(repr(exc)[:300])
Path(out).write_text(json.dumps({
    "queries": queries, "errors": errors, "zeros": zeros, "inconsistent": inconsistent,
    "during_publish": during_publish,
    "publications": sorted(counts), "messages": messages[:20],
}))
"""


@dataclass
class Scenario:
    root: Path
    env: dict[str, str]
    log: list[str] = field(default_factory=list)
    # stage -> exit status of the killed run, mart and exports unchanged, what changed
    kills: dict[str, dict[str, Any]] = field(default_factory=dict)
    leftovers: dict[str, list[str]] = field(default_factory=dict)
    last_status: int | None = None
    last_output: str = ""
    published_new: bool = False
    reader: dict[str, Any] = field(default_factory=dict)
    runtime: float = 0.0
    # stage -> the killed run's lock holder (pid, run_id, children), and what the instance said
    # of it right after the kill
    killed: dict[str, dict[str, Any]] = field(default_factory=dict)
    after_kill: dict[str, dict[str, Any]] = field(default_factory=dict)
    outputs: dict[str, str] = field(default_factory=dict)  # run name -> its log (stderr)
    final: dict[str, dict[str, Any]] = field(default_factory=dict)  # stage -> the killed run at the end
    batches: dict[str, list[str]] = field(default_factory=dict)  # landing folder -> its batches at the end
    published_batches: set[str] = field(default_factory=set)

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse"

    @property
    def home(self) -> Path:
        return self.root / "home"

    def holder(self) -> dict[str, Any]:
        lock = self.warehouse / runlock.LOCK_FILE
        return runlock.read_holder(lock) if lock.exists() else {}

    def start(self, name: str, force: bool, **extra: str) -> tuple[subprocess.Popen, Path]:
        stderr = self.root / f"{name}.log"
        stdout = self.root / f"{name}.out"
        env = {
            **self.env,
            "DAGSTER_HOME": str(self.home),
            "BARNHALSA_WAREHOUSE_DIR": str(self.warehouse),
            **extra,
        }
        env.pop("BARNHALSA_FORCE", None)
        if force:
            env["BARNHALSA_FORCE"] = "1"
        proc = subprocess.Popen(
            [sys.executable, "-m", "orchestration.run", "refresh_mart", "-c", str(self.root / "run.json")],
            cwd=ROOT,
            env=env,
            stdout=stdout.open("w"),  # dbt's own output
            stderr=stderr.open("w"),
            start_new_session=True,  # its own process group: the kill takes dbt with it
        )
        self.log.append(f"{name}: pid {proc.pid}")
        return proc, stderr

    def run(self, name: str, force: bool = True, **extra: str) -> int:
        proc, stderr = self.start(name, force, **extra)
        try:
            status = proc.wait(RUN_TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            pytest.fail(f"{name} did not finish in {RUN_TIMEOUT:.0f} s:\n{stderr.read_text()[-3000:]}")
        if status not in SUCCESS:
            pytest.fail(f"{name} exited {status}:\n{stderr.read_text()[-3000:]}")
        self.outputs[name] = stderr.read_text()
        return status

    def kill_at(self, name: str, reached: Callable[[str], bool]) -> int:
        """Start a forced run and SIGKILL its process once ``reached(its output so far)``; its
        children (dbt) are left to die with it. Its lock holder is kept in ``killed``."""
        proc, stderr = self.start(name, force=True)
        deadline = time.monotonic() + RUN_TIMEOUT
        stdout = stderr.with_suffix(".out")
        while not reached(stderr.read_text(errors="replace") + stdout.read_text(errors="replace")):
            if proc.poll() is not None:
                pytest.fail(
                    f"{name} ended ({proc.returncode}) before its kill point:\n{stderr.read_text()[-3000:]}"
                )
            if time.monotonic() > deadline:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                pytest.fail(f"{name} never reached its kill point:\n{stderr.read_text()[-3000:]}")
            time.sleep(0.02)
        holder = self.holder()
        proc.kill()
        status = proc.wait()
        self.killed[name.removeprefix("kill-")] = {**holder, "pid_killed": proc.pid}
        self.outputs[name] = stderr.read_text(errors="replace")
        for child in holder.get("children") or []:  # dbt dies with the run (PR_SET_PDEATHSIG)
            deadline = time.monotonic() + 5
            while runlock.process_alive(child["pid"], started=child["started"]):
                if time.monotonic() > deadline:
                    self.log.append(f"{name}: {child['command']} (pid {child['pid']}) outlived its run")
                    break
                time.sleep(0.05)
        try:  # nothing of the killed run's process group may linger into the next run
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        return status

    def snapshot(self) -> dict[str, bytes]:
        files = [self.warehouse / "mart.duckdb", *sorted((self.warehouse / "export").glob("*.parquet"))]
        return {p.relative_to(self.warehouse).as_posix(): p.read_bytes() for p in files}

    def find_leftovers(self) -> list[str]:
        return sorted(
            p.relative_to(self.warehouse).as_posix()
            for pattern in LEFTOVER_PATTERNS
            for p in self.warehouse.rglob(pattern)
        )


def vary_kolada(data: Any, round_: int) -> None:
    """Change one Kolada object's values (changed today; still a share in 0-100, which the raw gate
    checks), so the next publication differs."""
    key = sorted(data.objects)[round_]
    kpi, municipality, year = key
    values = [
        dict(v, value=None if v["value"] is None else 50.5 + round_) for v in data.objects[key]["values"]
    ]
    data.add(kpi, municipality, year, values)


# Session, not module, scope: a worker that runs other modules' tests between this module's does
# not run the scenario again.
@pytest.fixture(scope="session")
def scenario(tmp_path_factory: pytest.TempPathFactory, published: Published) -> Iterator[Scenario]:
    from localsources import build, serve
    from localsources.kolada_server import SMALL_REGIONS

    started = time.monotonic()
    root = tmp_path_factory.mktemp("crash")
    (root / "run.json").write_text(json.dumps(RUN_CONFIG))
    (root / "home").mkdir()
    (root / "home" / "dagster.yaml").write_text(PROJECT_INSTANCE.read_text())
    # what the shared published warehouse was fetched from (a much smaller mart would fail the
    # volume gate), on other ports
    sources = build(list(SMALL_REGIONS), YEARS, POPULATION_YEARS)
    published.copy_to(root / "warehouse")
    with serve(sources):
        s = Scenario(root, {**os.environ, **sources.env})
        stop, out = root / "reader.stop", root / "reader.json"
        reader = subprocess.Popen(
            [sys.executable, "-c", READER, str(s.warehouse / "mart.duckdb"), str(stop), str(out)],
            cwd=ROOT,
            stderr=(root / "reader.log").open("w"),
        )
        try:
            kolada = sources.kolada
            answered = 0  # Kolada requests answered before the run to kill started

            def mid_fetch(text: str) -> bool:
                # the Kolada step has started and Kolada has answered one of its requests; its
                # data requests take 30 s, so the process is surely waiting on one
                return " - landing__kolada - STEP_START - " in text and len(kolada.log) > answered

            def in_dbt(text: str) -> bool:
                if " START sql table model " not in text:  # dbt's own log: a model is being built
                    return False
                if not s.holder().get("children"):  # the lock names dbt once it has started
                    return False
                s.leftovers["fetch"] = s.find_leftovers()  # the fetch's partial batch: cleaned up
                return True

            publish_seen: list[float] = []

            def in_publish(text: str) -> bool:
                # the new mart file is being written; or the step has run 0.2 s (a fast machine)
                if list(s.warehouse.glob("mart.duckdb.tmp-*")):
                    s.log.append("publish: killed with mart.duckdb.tmp-* present")
                    return True
                if " - published_mart - STEP_START - " not in text:
                    return False
                publish_seen.append(time.monotonic())
                return publish_seen[-1] - publish_seen[0] > 0.2

            stages: list[tuple[str, Callable[[str], bool]]] = [
                ("fetch", mid_fetch),
                ("dbt", in_dbt),
                ("publish", in_publish),
            ]
            first = s.snapshot()
            for stage, reached in stages:
                before = s.snapshot()
                if stage == "fetch":
                    kolada.fault("slow", match="/data/", times=1000, delay=30.0)
                    answered = len(kolada.log)
                status = s.kill_at(f"kill-{stage}", reached)
                if stage == "fetch":
                    kolada.faults.clear()
                run_id = s.killed[stage].get("run_id")
                with dagster_instance(s.home) as instance:  # what the crash leaves in the instance
                    run = instance.get_run_by_id(run_id) if run_id else None
                    s.after_kill[stage] = {
                        "status": run.status.value if run else None,
                        "slots": claimed_slots(instance, run_id) if run else [],
                        "leftovers": s.find_leftovers(),
                    }
                after = s.snapshot()
                s.kills[stage] = {
                    "killed_status": status,
                    "mart_unchanged": after.get("mart.duckdb") == before["mart.duckdb"],
                    "exports_unchanged": after == before,
                    "changed": sorted(
                        k for k in before.keys() | after.keys() if before.get(k) != after.get(k)
                    ),
                }
            vary_kolada(kolada.data, 0)
            s.last_status = s.run("after-kills", BARNHALSA_KEEP_BATCHES="1")
            s.published_new = s.snapshot()["mart.duckdb"] != first["mart.duckdb"]
            with dagster_instance(s.home) as instance:
                for stage, holder in s.killed.items():
                    run = instance.get_run_by_id(holder["run_id"])
                    s.final[stage] = {
                        "status": run.status.value,
                        "message": instance.all_logs(run.run_id)[-1].dagster_event.message,
                        "slots": claimed_slots(instance, run.run_id),
                    }
            recorded = state.read_state(s.warehouse / "build.duckdb")
            s.published_batches = set(recorded[state.PUBLISHED_BATCHES].split(","))
            raw = s.warehouse / "raw"
            s.batches = {
                f.relative_to(raw).as_posix(): sorted(p.name for p in f.iterdir() if p.is_dir())
                for f in housekeeping.landing_folders(raw)
            }
            s.leftovers["dbt"] = s.leftovers["publish"] = s.find_leftovers()
        finally:
            stop.touch()
            try:
                reader.wait(60)
            except subprocess.TimeoutExpired:
                reader.kill()
                reader.wait()
        s.reader = (
            json.loads(out.read_text()) if out.exists() else {"missing": (root / "reader.log").read_text()}
        )
    s.runtime = time.monotonic() - started
    print(f"\ncrash scenario: {s.runtime:.0f} s; {s.log}")
    print(f"kills {s.kills}\nleftovers {s.leftovers}\nreader {s.reader}")
    yield s


@pytest.mark.parametrize("stage", ["fetch", "dbt", "publish"])
def test_a_kill_leaves_the_published_mart_and_export_as_they_were(scenario: Scenario, stage: str) -> None:
    kill = scenario.kills[stage]
    assert kill["killed_status"] == -signal.SIGKILL
    assert kill["mart_unchanged"] and kill["exports_unchanged"], kill["changed"]


def test_the_run_after_each_kill_goes_on_and_the_last_publishes(scenario: Scenario) -> None:
    # the runs after the kills in the fetch and the build reached the build and publish (their
    # kill points); the last one published a new mart
    assert list(scenario.kills) == ["fetch", "dbt", "publish"]
    assert scenario.last_status in SUCCESS
    assert scenario.published_new


@pytest.mark.parametrize("stage", ["fetch", "dbt", "publish"])
def test_the_run_after_a_kill_leaves_no_temporary_files(scenario: Scenario, stage: str) -> None:
    assert scenario.leftovers[stage] == []


def test_a_reader_sees_only_whole_publications(scenario: Scenario) -> None:
    reader = scenario.reader
    assert reader.get("queries", 0) > 0, reader
    assert reader["during_publish"] > 0, reader  # it read while a new mart file was being written
    assert reader["errors"] == 0, reader["messages"]
    assert reader["zeros"] == 0
    assert reader["inconsistent"] == 0
    assert len(reader["publications"]) == 2, reader["publications"]  # the copied one and the last


def test_a_run_killed_during_the_fetch_is_cleaned_up_by_the_next_and_never_blocks_it(
    scenario: Scenario,
) -> None:
    killed, after = scenario.killed["fetch"], scenario.after_kill["fetch"]
    assert killed["pid"] == killed["pid_killed"]
    # what the crash leaves: a run STARTED holding its slot, and an unfinished landing batch
    assert after["status"] == "STARTED"
    assert after["slots"] == [
        "kolada_api:landing__kolada",
        "kolada_api:landing__kolada (waiting)",  # Dagster's pending-step row, assigned the slot
    ]
    (partial,) = after["leftovers"]
    assert partial.startswith("raw/kolada/") and partial.endswith(".partial")
    # the next run says what it cleaned up, and was not held up by the dead run's slot
    output = scenario.outputs["kill-dbt"]
    assert (
        f"refresh_mart: cleanup: run {killed['run_id']} (refresh_mart, process {killed['pid']}) died:"
        " marked failed, freed its slot in pool kolada_api (landing__kolada)\n"
    ) in output
    assert f"refresh_mart: cleanup: removed unfinished landing batch {partial} (" in output
    assert not [name for name, text in scenario.outputs.items() if "blocked by limit for pool" in text]


def test_every_killed_run_ends_failed_holding_no_slot(scenario: Scenario) -> None:
    assert list(scenario.final) == ["fetch", "dbt", "publish"]
    for stage, run in scenario.final.items():
        assert run["status"] == "FAILURE", stage
        assert f"The process of this run ({scenario.killed[stage]['pid']}) is gone" in run["message"], stage
        assert run["slots"] == [], stage


def test_dbt_dies_with_a_run_killed_during_the_build(scenario: Scenario) -> None:
    (dbt,) = scenario.killed["dbt"]["children"]
    assert dbt["command"] == "dbt build", dbt
    assert not [line for line in scenario.log if "outlived its run" in line], scenario.log
    assert not runlock.process_alive(dbt["pid"], started=dbt["started"])
    # its folder stays for a person to read, dbt.log in plain text up to the model it was building
    run_id = scenario.killed["dbt"]["run_id"]
    (folder,) = (ROOT / "dbt_project" / "target").glob(f"barnhalsa_dbt-{run_id[:7]}-*")
    log = (folder / "dbt.log").read_text(encoding="utf-8")
    assert not log.lstrip().startswith("{") and "Running with dbt=" in log and " START sql " in log


def test_the_publishing_run_keeps_the_batches_the_mart_was_built_from(scenario: Scenario) -> None:
    # BARNHALSA_KEEP_BATCHES=1: each landing folder keeps one batch, the one the mart was built from
    assert {"kolada", "scb/scb_population"} <= set(scenario.batches)
    for folder, batches in scenario.batches.items():
        assert len(batches) == 1 and batches[0] in scenario.published_batches, (folder, batches)
    assert " - published_mart - retention: kolada: removed " in scenario.outputs["after-kills"]
