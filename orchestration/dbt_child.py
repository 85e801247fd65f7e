"""Start dbt so that it dies with the process that started it.

dagster-dbt runs ``dbt build`` as a child process. When the run's process is killed (SIGKILL
included), an ordinary child keeps running, holding ``build.duckdb``, until it finishes. This
program, started by ``orchestration/bin/dbt`` in dbt's place, asks Linux to send it SIGKILL when
its parent dies (``prctl(PR_SET_PDEATHSIG)``, kept across exec), then becomes dbt
(``BARNHALSA_DBT``) with the same arguments, in the warehouse's folder (``BARNHALSA_DBT_CWD``).
The dbt installed beside this interpreter runs in this process, as its script would, with the
collector set by ``orchestration/gc_tuning.py`` (about 0.7 s of a build's 8.5 s of CPU); a dbt
of another installation is executed in its place. Where there is no ``prctl`` (not Linux) it
just becomes dbt; the next run then stops a dbt left running (its pid is in the warehouse's lock
file, ``warehouse.runlock``).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys
from pathlib import Path

PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    if not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        return
    parent = os.environ.get("BARNHALSA_DBT_PARENT")
    if parent and os.getppid() != int(parent):  # the parent died before prctl: no signal comes
        sys.exit(f"dbt not started: its parent process {parent} is gone")


def main() -> None:
    dbt = os.environ.get("BARNHALSA_DBT") or "dbt"
    die_with_parent()
    folder = os.environ.get("BARNHALSA_DBT_CWD")  # the warehouse (orchestration.dbt.in_warehouse)
    if folder:
        os.chdir(folder)
    if Path(dbt).parent != Path(sys.executable).parent:  # another installation's dbt: become it
        os.execvp(dbt, [dbt, *sys.argv[1:]])
    # the dbt installed beside this interpreter: what its script does, with fewer collections.
    # Run as a script, this file's folder is first on sys.path, and its dbt.py would hide dbt-core.
    here = Path(__file__).resolve().parent
    sys.path[:] = [p for p in sys.path if Path(p or os.curdir).resolve() != here]
    sys.path.append(str(here.parent))  # for orchestration.gc_tuning, after every installed package
    from orchestration import gc_tuning

    gc_tuning.tune()
    from dbt.cli.main import cli

    gc_tuning.tune()
    sys.argv[0] = dbt
    sys.exit(cli())


if __name__ == "__main__":
    main()
