"""Where the test suite's time goes: CPU seconds per test, the test process's own and that of
the processes it started and waited for (dbt builds, ``make run``'s command, readers), beside its
wall time; prints figures, asserts nothing.

On 2 cores the suite is bound by CPU, not by waiting: ``make test`` takes at least its CPU
seconds over 2. A pytest plugin; each worker writes its rows to ``bench/out/suite_cpu/`` and the
session prints the slowest tests and modules at the end:

    PYTHONPATH=bench .venv/bin/pytest -p suite_cpu -n 3              # the whole suite
    PYTHONPATH=bench .venv/bin/pytest -p suite_cpu tests/test_runs.py

A session fixture's cost (the shared published warehouse, a crash scenario) is counted on the
first test that uses it. Processes that are not waited for (servers' threads are the test
process's own) are not counted.
"""

from __future__ import annotations

import os
import resource
import time
from collections import defaultdict
from pathlib import Path

import pytest

OUT = Path(__file__).resolve().parent / "out" / "suite_cpu"
SHOWN = 25


def _cpu() -> tuple[float, float]:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def pytest_configure(config: pytest.Config) -> None:
    if not os.environ.get("PYTEST_XDIST_WORKER"):  # the controller, or a run without workers
        OUT.mkdir(parents=True, exist_ok=True)
        for old in OUT.glob("*.tsv"):
            old.unlink()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None):
    own, children = _cpu()
    started = time.monotonic()
    yield
    own_after, children_after = _cpu()
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    with (OUT / f"{worker}.tsv").open("a", encoding="utf-8") as out:
        row = (own_after - own, children_after - children, time.monotonic() - started)
        out.write("\t".join(f"{x:.1f}" for x in row) + f"\t{item.nodeid}\n")


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    if os.environ.get("PYTEST_XDIST_WORKER"):
        return
    rows = []
    for path in OUT.glob("*.tsv"):
        for line in path.read_text(encoding="utf-8").splitlines():
            own, children, wall, nodeid = line.split("\t", 3)
            rows.append((float(own), float(children), float(wall), nodeid))
    if not rows:
        return
    write = terminalreporter.write_line
    total_own, total_children = sum(r[0] for r in rows), sum(r[1] for r in rows)
    write(
        f"\nCPU: {total_own + total_children:.0f} s ({total_own:.0f} s in the test processes,"
        f" {total_children:.0f} s in the processes they started) over {len(rows)} tests"
    )
    write(f"{'cpu s':>7} {'own':>6} {'started':>7} {'wall s':>7}  test")
    for own, children, wall, nodeid in sorted(rows, key=lambda r: -(r[0] + r[1]))[:SHOWN]:
        write(f"{own + children:7.1f} {own:6.1f} {children:7.1f} {wall:7.1f}  {nodeid}")
    modules: dict[str, float] = defaultdict(float)
    for own, children, _, nodeid in rows:
        modules[nodeid.split("::", 1)[0]] += own + children
    write(f"\n{'cpu s':>7}  module")
    for module, cpu in sorted(modules.items(), key=lambda m: -m[1])[:SHOWN]:
        write(f"{cpu:7.1f}  {module}")
