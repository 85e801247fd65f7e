"""Runs that heal themselves: one refresh at a time, SIGINT and SIGTERM stop a run within 10 s,
the raw landing's retention (a run killed with SIGKILL: ``tests/test_crash_and_readers.py``).

Real processes (``python -m orchestration.run``, ``make dev``) killed with real signals, a real
Dagster instance configured as ``dagster_home/dagster.yaml`` (one slot per pool, one run at a
time), real DuckDB files, the local sources of ``localsources``.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import duckdb
import pytest

from ingest.settings import Settings
from localsources import LocalSources, build, serve
from localsources.kolada_server import SMALL_REGIONS
from tests.conftest import POPULATION_YEARS, YEARS, Published
from warehouse import housekeeping, runlock, state

ROOT = Path(__file__).resolve().parents[1]
PROJECT_INSTANCE = ROOT / "dagster_home" / "dagster.yaml"
BASE_PYTHON = getattr(sys, "_base_executable", None) or sys.executable
CONFIG = {
    "resources": {"kolada_api": {"config": {"years": 3, "last_year": 2026}}},
    "ops": {"county_reports": {"config": {"pdf": False}}},  # no Chromium needed
}
STOP_SECONDS = 10


def wait_for(condition: Callable[[], object], seconds: float, what: str, proc=None) -> object:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        if proc is not None and proc.poll() is not None:
            pytest.fail(f"the process ended (status {proc.returncode}) before {what}")
        time.sleep(0.2)
    pytest.fail(f"no {what} within {seconds:g} s")


class Runner:
    """``make run``'s command against the local sources, with its own Dagster home and warehouse."""

    def __init__(self, tmp_path: Path, sources: LocalSources) -> None:
        self.tmp = tmp_path
        self.home = tmp_path / "home"
        self.home.mkdir()
        shutil.copy(PROJECT_INSTANCE, self.home / "dagster.yaml")
        self.warehouse = tmp_path / "warehouse"
        self.config = tmp_path / "run.json"
        self.config.write_text(json.dumps(CONFIG))
        self.env = {
            **os.environ,
            **sources.env,
            "DAGSTER_HOME": str(self.home),
            "BARNHALSA_WAREHOUSE_DIR": str(self.warehouse),
        }
        self.count = 0

    def start(self, **env: str) -> tuple[subprocess.Popen, Path]:
        self.count += 1
        log = self.tmp / f"run-{self.count}.log"
        proc = subprocess.Popen(
            [sys.executable, "-m", "orchestration.run", "refresh_mart", "-c", str(self.config)],
            cwd=ROOT,
            env={**self.env, **env},
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
            text=True,
        )
        return proc, log

    def run(self, timeout: float = 900, **env: str) -> tuple[int, str, float]:
        """Exit status, output and seconds of a run to its end."""
        started = time.monotonic()
        proc, log = self.start(**env)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            pytest.fail(f"the run did not end within {timeout:.0f} s:\n{log.read_text()[-3000:]}")
        return proc.returncode, log.read_text(), time.monotonic() - started

    @property
    def lock(self) -> Path:
        return self.warehouse / runlock.LOCK_FILE

    def holder(self) -> dict:
        return runlock.read_holder(self.lock) if self.lock.exists() else {}

    def instance(self) -> AbstractContextManager:
        return dagster_instance(self.home)

    def leftovers(self) -> list[str]:
        """Temporary files and unfinished batches in the warehouse."""
        patterns = ["raw/**/*.partial", "mart.duckdb.tmp-*", "export/.staging-*", "reports/*/*.tmp-*"]
        return sorted(
            p.relative_to(self.warehouse).as_posix() for pat in patterns for p in self.warehouse.glob(pat)
        )


@contextmanager
def dagster_instance(home: Path) -> Iterator:
    """The Dagster instance of the Dagster home ``home``, as the runs there see it."""
    from dagster import DagsterInstance

    old = os.environ.get("DAGSTER_HOME")
    os.environ["DAGSTER_HOME"] = str(home)
    try:
        with DagsterInstance.get() as instance:
            yield instance
    finally:
        if old is None:
            del os.environ["DAGSTER_HOME"]
        else:
            os.environ["DAGSTER_HOME"] = old


def claimed_slots(instance, run_id: str) -> list[str]:
    storage = instance.event_log_storage
    held = []
    for key in storage.get_concurrency_keys():
        info = storage.get_concurrency_info(key)
        held += [f"{key}:{s.step_key}" for s in info.claimed_slots if s.run_id == run_id]
        held += [f"{key}:{s.step_key} (waiting)" for s in info.pending_steps if s.run_id == run_id]
    return held


def kolada_data_requested(sources: LocalSources, since: int) -> Callable[[], bool]:
    return lambda: any("/data/" in path for path in sources.kolada.arrived[since:])


def local_sources() -> LocalSources:
    """What the shared published warehouse was fetched from (tests/conftest.py), on other ports."""
    return build(list(SMALL_REGIONS), YEARS, POPULATION_YEARS)


def test_one_run_at_a_time_and_sigterm_or_sigint_stop_a_run_within_10_s(
    tmp_path: Path, published: Published
) -> None:
    from dagster import DagsterRunStatus

    sources = local_sources()
    with serve(sources):
        runner = Runner(tmp_path, sources)
        published.copy_to(runner.warehouse)
        mart = runner.warehouse / "mart.duckdb"
        before = mart.read_bytes()
        export = {p.name: p.read_bytes() for p in (runner.warehouse / "export").glob("*.parquet")}

        sources.kolada.fault("slow", match="/data/", times=1, delay=600)
        first, _ = runner.start(BARNHALSA_FORCE="1")
        wait_for(
            kolada_data_requested(sources, len(sources.kolada.arrived)), 600, "Kolada data request", first
        )
        holder = runner.holder()
        with runner.instance() as instance:
            runs_before = len(instance.get_run_records())
        # a second run exits at once, naming the first one's process and run
        status, output, _ = runner.run(timeout=60)
        assert status == 4, output
        assert (
            f"refresh_mart: another refresh is running on {runner.warehouse}: process {first.pid}"
            " (python -m orchestration.run refresh_mart -c "
        ) in output
        assert f"), job refresh_mart, run {holder['run_id']}, since " in output
        assert "nothing started" in output
        with runner.instance() as instance:
            assert len(instance.get_run_records()) == runs_before

        # SIGTERM during the Kolada fetch
        began = time.monotonic()
        first.send_signal(signal.SIGTERM)
        first.wait(timeout=60)
        sigterm = time.monotonic() - began
        assert sigterm < STOP_SECONDS
        assert first.returncode == 128 + signal.SIGTERM

        # SIGINT during the dbt build
        second, log = runner.start(BARNHALSA_FORCE="1")
        children = wait_for(lambda: runner.holder().get("children"), 600, "dbt build", second)
        time.sleep(1)
        began = time.monotonic()
        second.send_signal(signal.SIGINT)
        second.wait(timeout=60)
        stopped = time.monotonic() - began
        sigint_output = log.read_text()
    print(f"SIGTERM during the Kolada fetch: stopped in {sigterm:.1f} s; SIGINT during dbt: {stopped:.1f} s")
    assert stopped < STOP_SECONDS, sigint_output[-3000:]
    assert second.returncode == 128 + signal.SIGINT
    assert "refresh_mart: SIGINT received: stopping" in sigint_output
    assert "the published mart is as it was" in sigint_output
    dbt = children[0]
    wait_for(lambda: not runlock.process_alive(dbt["pid"], started=dbt["started"]), 5, "end of dbt")
    assert mart.read_bytes() == before
    assert {p.name: p.read_bytes() for p in (runner.warehouse / "export").glob("*.parquet")} == export
    assert runner.leftovers() == []
    assert runner.holder() == {}  # released as a run that ended, not left as one that died
    with runner.instance() as instance:
        runs = {r.dagster_run.run_id: r.dagster_run.status for r in instance.get_run_records()}
        assert runs[holder["run_id"]] == DagsterRunStatus.FAILURE
        assert sorted(s.value for s in runs.values()) == ["FAILURE", "FAILURE"]  # the two stopped
        assert all(claimed_slots(instance, run_id) == [] for run_id in runs)


def accepts_connections(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def processes_naming(text: str) -> list[str]:
    """Live processes whose command line contains ``text``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if text in command and stat.rsplit(")", 1)[1].split()[0] != "Z":
            found.append(f"{entry.name}: {command[:150]}")
    return found


SIGNALS = (("TERM", signal.SIGTERM), ("INT", signal.SIGINT))


def process_tree(root: int) -> list[str]:
    """``root`` and its live descendants, each with its state and whether SIGTERM and SIGINT are
    pending, blocked, ignored or caught there (``/proc/<pid>/status``): where a signal stopped."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        try:
            parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (ValueError, OSError):
            continue
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo += [child for child, parent in parents.items() if parent == pid]
    lines = []
    for pid in tree:
        try:
            lines_of = Path(f"/proc/{pid}/status").read_text().splitlines()
            status = dict(line.split(":\t", 1) for line in lines_of if ":\t" in line)
            command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        keys = {"pending": "SigPnd", "blocked": "SigBlk", "ignored": "SigIgn", "caught": "SigCgt"}
        masks = {
            what: [name for name, signum in SIGNALS if int(status[key], 16) >> (signum - 1) & 1]
            for what, key in keys.items()
        }
        shown = " ".join(f"{what}={'+'.join(names)}" for what, names in masks.items() if names)
        lines.append(f"{pid} [{status['State'].split()[0]}] {shown}: {command[:120]}")
    return lines


# make starts with SIGINT and SIGTERM as a terminal gives them. A signal ignored when make starts
# stays ignored (GNU make), and this process may ignore both: a suite started from a background
# shell ignores SIGINT, and Dagster maps SIGTERM to SIGINT's handler (dagster._utils.interrupts)
# once a run has been set up here, so make never passed the test's SIGTERM on.
AS_FROM_A_TERMINAL = [
    sys.executable,
    "-c",
    "import os, signal, sys; [signal.signal(s, signal.SIG_DFL) for s in (signal.SIGINT, signal.SIGTERM)];"
    " os.execvp(sys.argv[1], sys.argv[1:])",
]


@contextmanager
def make_dev(tmp_path: Path, env: dict[str, str]) -> Iterator[tuple[subprocess.Popen, Path, int]]:
    """``make dev`` on a free port, in a process group of its own (as a terminal runs it)."""
    home = tmp_path / "home"
    log = tmp_path / "dev.log"
    port = free_port()
    proc = subprocess.Popen(
        # PYTHON: the interpreter the venv was made from (it has uv); under `uv run` (make test)
        # the venv's own python3 comes first on PATH and has neither uv nor pip
        [
            *AS_FROM_A_TERMINAL,
            "make",
            "dev",
            f"DAGSTER_HOME={home}",
            f"DEV_ARGS=-p {port}",
            f"PYTHON={BASE_PYTHON}",
        ],
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        process_group=0,
    )
    try:
        wait_for(lambda: "Serving dagster-webserver" in log.read_text(), 600, "Dagster UI", proc)
        # the webserver says so just before it listens: a request at once was refused
        wait_for(lambda: accepts_connections(port), 60, f"Dagster UI listening on port {port}", proc)
        yield proc, log, port
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        for line in processes_naming(str(home)):
            os.kill(int(line.split(":")[0]), signal.SIGKILL)


@pytest.mark.skipif(not Path("/proc/self").exists(), reason="counts processes through /proc")
def test_make_dev_stops_within_10_s_on_sigterm_with_a_run_in_progress(tmp_path: Path) -> None:
    from dagster import DagsterRunStatus

    sources = local_sources()
    sources.kolada.fault("slow", match="/data/", times=1, delay=600)
    with serve(sources):
        runner = Runner(tmp_path, sources)
        runner.warehouse.mkdir()
        mart = runner.warehouse / "mart.duckdb"
        with duckdb.connect(str(mart)) as con:  # a published mart the killed run must not touch
            con.execute("create table meta_publication as select 'before' as run_id")
        published = mart.read_bytes()
        env = {**runner.env, "BARNHALSA_FORCE": "1"}
        with make_dev(tmp_path, env) as (dev, log, port):
            from dagster_graphql import DagsterGraphQLClient

            # launched as the UI's Launchpad does: a GraphQL request to the webserver
            client = DagsterGraphQLClient("127.0.0.1", port_number=port)
            assert client.submit_job_execution("refresh_mart", run_config=CONFIG)
            wait_for(kolada_data_requested(sources, 0), 600, "Kolada data request of the launched run", dev)
            began = time.monotonic()
            os.kill(dev.pid, signal.SIGTERM)  # `kill <make's pid>`: make passes it on
            try:
                dev.wait(timeout=60)
            except subprocess.TimeoutExpired:  # say what was still running, and what make dev said
                pytest.fail(
                    f"make dev still up 60 s after SIGTERM; processes: {process_tree(dev.pid)};"
                    f" log: {log.read_text()[-3000:]}"
                )
            stopped = time.monotonic() - began
            output = log.read_text()
            left = processes_naming(str(runner.home))
    print(f"make dev with a run in progress stopped {stopped:.1f} s after SIGTERM")
    assert stopped < STOP_SECONDS, output[-3000:]
    assert left == []
    assert "make dev: SIGTERM received: stopping dagster dev" in output
    assert mart.read_bytes() == published
    assert runner.leftovers() == []
    with runner.instance() as instance:
        (record,) = instance.get_run_records()
        assert record.dagster_run.status == DagsterRunStatus.FAILURE
        assert claimed_slots(instance, record.dagster_run.run_id) == []


@pytest.mark.skipif(not Path("/proc/self").exists(), reason="counts processes through /proc")
def test_make_dev_stops_within_10_s_on_ctrl_c(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(PROJECT_INSTANCE, home / "dagster.yaml")
    env = {**os.environ, "BARNHALSA_WAREHOUSE_DIR": str(tmp_path / "warehouse")}
    with make_dev(tmp_path, env) as (dev, log, _):
        began = time.monotonic()
        os.killpg(dev.pid, signal.SIGINT)  # Ctrl-C: the terminal signals make, uv and the rest of the group
        try:
            dev.wait(timeout=60)
        except subprocess.TimeoutExpired:
            pytest.fail(f"make dev still up 60 s after Ctrl-C; processes: {process_tree(dev.pid)}")
        stopped = time.monotonic() - began
        left = processes_naming(str(home))
    print(f"make dev stopped {stopped:.1f} s after Ctrl-C")
    assert stopped < STOP_SECONDS, log.read_text()[-3000:]
    assert left == []
    assert "make dev: stopped" in log.read_text()


# -- the lock, leftovers and retention, each against real processes and files --------------------

HOLD_LOCK = """
import sys, time
from pathlib import Path
from warehouse import runlock
runlock.acquire(Path(sys.argv[1]), job="refresh_mart", run_id="run-of-the-holder")
print("held", flush=True)
time.sleep(600)
"""


def test_the_lock_names_its_holder_and_dies_with_it(tmp_path: Path) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(tmp_path)], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        began = time.monotonic()
        with pytest.raises(runlock.WarehouseBusy) as busy:
            runlock.acquire(tmp_path, job="refresh_mart")
        assert time.monotonic() - began < 1
        assert f"process {holder.pid} (python -c " in str(busy.value)
        assert "run run-of-the-holder" in str(busy.value)
    finally:
        holder.kill()
        holder.wait()
    held = runlock.acquire(tmp_path, job="refresh_mart")  # the OS dropped the dead holder's lock
    try:
        assert held.previous["pid"] == holder.pid and held.previous["run_id"] == "run-of-the-holder"
        assert runlock.acquire(tmp_path).fresh is False  # re-entrant inside one process
        runlock.release(tmp_path)
    finally:
        runlock.release(tmp_path)
    again = runlock.acquire(tmp_path)
    runlock.release(tmp_path)
    assert again.previous is None  # a holder that ended cleanly leaves nothing to clean up


DIE_MID_PUBLISH = """
import os, sys, time
from pathlib import Path
import duckdb
root = Path(sys.argv[1])
tmp = root / f"mart.duckdb.tmp-{os.getpid()}"
staging = root / "export" / f".staging-{os.getpid()}"
staging.mkdir(parents=True)
con = duckdb.connect(str(tmp))
con.execute("create table t as select range as n from range(100000)")
con.execute(f"copy t to '{staging / 't.parquet'}' (format parquet)")
batch = root / "raw" / "kolada" / "20261201T101010123456Z.partial" / "bodies"
batch.mkdir(parents=True)
(batch / "000001.json").write_text("{}")
print("ready", flush=True)
time.sleep(600)
"""


def test_leftovers_of_a_process_that_died_are_removed(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", DIE_MID_PUBLISH, str(tmp_path)], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout.readline().strip() == "ready"
    proc.kill()
    proc.wait()
    complete = tmp_path / "raw" / "kolada" / "20261130T101010123456Z"
    complete.mkdir()
    mine = tmp_path / f"mart.duckdb.tmp-{os.getpid()}"  # this process's own: not a leftover
    mine.write_bytes(b"")
    wal = tmp_path / f"mart.duckdb.tmp-{proc.pid}.wal"
    expected = [
        f"removed staged export export/.staging-{proc.pid}",
        "removed unfinished landing batch raw/kolada/20261201T101010123456Z.partial",
        f"removed unpublished mart mart.duckdb.tmp-{proc.pid}",
        *([f"removed unpublished mart {wal.name}"] if wal.exists() else []),
    ]
    lines = housekeeping.remove_leftovers(tmp_path)
    mine.unlink()
    assert sorted(line.split(" (")[0] for line in lines) == sorted(expected)
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")) == [
        "export",
        "raw",
        "raw/kolada",
        "raw/kolada/20261130T101010123456Z",
    ]


def make_batches(folder: Path, count: int, day: int = 1) -> list[str]:
    names = [f"202611{day:02d}T10{i:02d}00000000Z" for i in range(count)]
    for name in names:
        (folder / name / "bodies").mkdir(parents=True)
        (folder / name / "manifest.jsonl").write_text("{}\n")
    return names


def keep_batches() -> str:
    """``BARNHALSA_KEEP_BATCHES`` as the entry points read it (``Settings.keep_batches``)."""
    return Settings.from_environment().keep_batches


def test_retention_keeps_the_newest_batches_and_those_the_published_mart_was_built_from(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw = tmp_path / "raw"
    kolada = make_batches(raw / "kolada", 8, day=1)
    scb = make_batches(raw / "scb" / "scb_population", 3, day=2)
    survey = make_batches(raw / "survey", 7, day=3)
    (raw / "kolada" / "failure.json").write_text("{}")
    build_db, mart = tmp_path / "build.duckdb", tmp_path / "mart.duckdb"
    # the mart was published from old batches; the newest were loaded by a run whose build failed
    state.write_state(
        build_db, {"load:kolada_values": kolada[-1], "load:scb_population": f"scb_population/{scb[-1]}"}
    )
    state.write_state(build_db, {state.PUBLISHED_BATCHES: ",".join([kolada[1], survey[0], scb[0]])})
    mart.write_bytes(b"published")

    lines = housekeeping.apply_retention(tmp_path, keep_batches())  # default: the newest 5
    assert housekeeping.keep_batches(keep_batches()) == housekeeping.DEFAULT_KEEP_BATCHES == 5
    assert sorted(p.name for p in (raw / "kolada").iterdir()) == sorted(
        [kolada[1], *kolada[3:], "failure.json"]
    )
    assert sorted(p.name for p in (raw / "survey").iterdir()) == [survey[0], *survey[2:]]
    assert sorted(p.name for p in (raw / "scb" / "scb_population").iterdir()) == scb
    assert lines == [
        f"retention: kolada: removed 2 batch(es) ({kolada[0]} … {kolada[2]}, 6 B); kept the newest 5"
        " accepted and 1 older the published mart or the build was made from",
        f"retention: survey: removed 1 batch(es) ({survey[1]}, 3 B); kept the newest 5 accepted"
        " and 1 older the published mart or the build was made from",
    ]

    monkeypatch.setenv("BARNHALSA_KEEP_BATCHES", "1")
    housekeeping.apply_retention(tmp_path, keep_batches())
    assert sorted(p.name for p in (raw / "kolada").iterdir() if p.is_dir()) == [kolada[1], kolada[-1]]
    assert sorted(p.name for p in (raw / "scb" / "scb_population").iterdir()) == [scb[0], scb[-1]]
    assert sorted(p.name for p in (raw / "survey").iterdir()) == [survey[0], survey[-1]]

    # a rejected batch does not count as kept; it stays while it is newer than every accepted batch kept
    later = make_batches(raw / "kolada", 2, day=9)
    (raw / "kolada" / later[1] / "rejected.json").write_text('{"reason": "gate"}')
    housekeeping.apply_retention(tmp_path, keep_batches())
    assert sorted(p.name for p in (raw / "kolada").iterdir() if p.is_dir()) == [kolada[1], kolada[-1], *later]
    newer = make_batches(raw / "kolada", 1, day=10)
    housekeeping.apply_retention(tmp_path, keep_batches())
    assert sorted(p.name for p in (raw / "kolada").iterdir() if p.is_dir()) == [kolada[1], kolada[-1], *newer]

    monkeypatch.setenv("BARNHALSA_KEEP_BATCHES", "none")
    assert housekeeping.apply_retention(tmp_path, keep_batches()) == [
        "retention: skipped: BARNHALSA_KEEP_BATCHES must be a whole number, 1 or more, not 'none'"
    ]


def test_retention_prunes_nothing_while_the_published_batches_are_unknown(tmp_path: Path) -> None:
    raw = tmp_path / "raw" / "kolada"
    names = make_batches(raw, 7)
    (tmp_path / "mart.duckdb").write_bytes(b"published before the batches were recorded")
    state.write_state(
        tmp_path / "build.duckdb", {"load:kolada_values": names[-1], "published": "an old fingerprint"}
    )
    assert housekeeping.apply_retention(tmp_path, keep_batches()) == [
        "retention: skipped: the published mart's landing batches are not on record yet (the next publish"
        " records them)"
    ]
    assert sorted(p.name for p in raw.iterdir()) == names
