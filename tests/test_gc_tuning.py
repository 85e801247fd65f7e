"""The collector settings of the long processes (``orchestration/gc_tuning.py``) and the dbt they
start (``orchestration/dbt_child.py``), each in a new process as a run's is."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

TUNED = """
import gc, duckdb
con = duckdb.connect()
types = [con.execute("select 1::integer, 'a'").description, duckdb.sqltype("varchar")]
before = gc.get_threshold()[0]
from orchestration import gc_tuning
gc_tuning.tune()
gc_tuning.tune()  # again after more imports: the same settings, more frozen
print(before, gc.get_threshold()[0], gc.get_freeze_count() > 10_000)
"""


def test_tune_freezes_what_is_loaded_and_gives_it_back_before_exit() -> None:
    done = subprocess.run(
        [sys.executable, "-c", TUNED], cwd=ROOT, capture_output=True, text=True, check=True, timeout=120
    )
    assert done.stdout.split() == ["700", "50000", "True"]
    # frozen objects never freed: nanobind (DuckDB's bindings) would list them as leaked at exit
    assert "leaked" not in done.stderr, done.stderr


def test_the_dbt_child_runs_the_dbt_beside_the_interpreter_from_any_folder(tmp_path: Path) -> None:
    """Run as a script, ``dbt_child.py``'s folder holds ``orchestration/dbt.py``: dbt-core must
    still be the one imported; another installation's dbt is executed instead."""
    python = Path(sys.executable)
    env = {**os.environ, "BARNHALSA_PYTHON": str(python), "BARNHALSA_DBT": str(python.with_name("dbt"))}
    child = ROOT / "orchestration" / "bin" / "dbt"
    done = subprocess.run(
        [str(child), "--version"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Core:" in done.stdout and "duckdb" in done.stdout
    fake = tmp_path / "elsewhere" / "dbt"  # another installation's dbt: it runs, not ours
    fake.parent.mkdir()
    fake.write_text('#!/bin/sh\necho other dbt "$@"\n')
    fake.chmod(0o755)
    other = subprocess.run(
        [str(child), "--version"],
        cwd=tmp_path,
        env={**env, "BARNHALSA_DBT": str(fake)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert other.stdout == "other dbt --version\n", other.stderr
