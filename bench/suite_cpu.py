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
process's own) are not counted. The summary also says how busy the machine's cores were over the
session (``/proc/stat``) and for how many seconds how many tests ran at once: a suite that waits
(sleeps, a server's delay) or ends on one long test leaves cores idle. Without workers (one test
at a time, ``-n 0``) it also gives each test's "machine s", the core seconds the whole machine was
busy during it: processes a test does not wait for (a dev server's children) count there too.
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
PROC_STAT = Path("/proc/stat")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100  # /proc/stat's unit
_session: dict[str, object] = {}


def _cores_busy_idle() -> tuple[float, float] | None:
    """The machine's busy and idle jiffies since boot, or None where there is no /proc/stat."""
    try:
        fields = [float(x) for x in PROC_STAT.read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0.0)  # idle and iowait
    return sum(fields[:8]) - idle, idle


def _cpu() -> tuple[float, float]:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def pytest_configure(config: pytest.Config) -> None:
    if not os.environ.get("PYTEST_XDIST_WORKER"):  # the controller, or a run without workers
        OUT.mkdir(parents=True, exist_ok=True)
        for old in OUT.glob("*.tsv"):
            old.unlink()
        _session.update(started=time.time(), cores=_cores_busy_idle())


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None):
    own, children = _cpu()
    started, wall_started, cores = time.monotonic(), time.time(), _cores_busy_idle()
    yield
    own_after, children_after, cores_after = *_cpu(), _cores_busy_idle()
    machine = (cores_after[0] - cores[0]) / CLOCK_TICKS if cores and cores_after else 0.0
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    with (OUT / f"{worker}.tsv").open("a", encoding="utf-8") as out:
        row = (own_after - own, children_after - children, time.monotonic() - started)
        out.write(
            "\t".join(f"{x:.1f}" for x in row) + f"\t{wall_started:.1f}\t{machine:.1f}\t{item.nodeid}\n"
        )


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    if os.environ.get("PYTEST_XDIST_WORKER"):
        return
    rows, spans, machine = [], [], {}
    for path in OUT.glob("*.tsv"):
        for line in path.read_text(encoding="utf-8").splitlines():
            own, children, wall, start, busy, nodeid = line.split("\t", 5)
            rows.append((float(own), float(children), float(wall), nodeid))
            spans.append((float(start), float(start) + float(wall)))
            machine[nodeid] = float(busy)
    serial = [p.name for p in OUT.glob("*.tsv")] == ["main.tsv"]  # no workers: one test at a time
    if not rows:
        return
    write = terminalreporter.write_line
    total_own, total_children = sum(r[0] for r in rows), sum(r[1] for r in rows)
    write(
        f"\nCPU: {total_own + total_children:.0f} s ({total_own:.0f} s in the test processes,"
        f" {total_children:.0f} s in the processes they started) over {len(rows)} tests"
    )
    if serial:
        write(
            f"the machine's cores were busy {sum(machine.values()):.0f} s over the tests"
            " (machine s: also processes not waited for, such as a server's children)"
        )
    header = f"{'cpu s':>7} {'own':>6} {'started':>7} {'wall s':>7}"
    write(header + (f" {'machine s':>9}" if serial else "") + "  test")
    key = (lambda r: -machine[r[3]]) if serial else (lambda r: -(r[0] + r[1]))
    for own, children, wall, nodeid in sorted(rows, key=key)[:SHOWN]:
        busy = f" {machine[nodeid]:9.1f}" if serial else ""
        write(f"{own + children:7.1f} {own:6.1f} {children:7.1f} {wall:7.1f}{busy}  {nodeid}")
    modules: dict[str, float] = defaultdict(float)
    for own, children, _, nodeid in rows:
        modules[nodeid.split("::", 1)[0]] += own + children
    write(f"\n{'cpu s':>7}  module")
    for module, cpu in sorted(modules.items(), key=lambda m: -m[1])[:SHOWN]:
        write(f"{cpu:7.1f}  {module}")
    _concurrency(write, spans)


def _concurrency(write, spans: list[tuple[float, float]]) -> None:
    """How busy the cores were over the session, and seconds with n tests running at once."""
    started, before, after = _session.get("started"), _session.get("cores"), _cores_busy_idle()
    if not isinstance(started, float):
        return
    wall = time.time() - started
    line = f"\nsession: {wall:.0f} s"
    if before and after:
        busy, idle = after[0] - before[0], after[1] - before[1]
        line += f"; the cores were busy {100 * busy / max(busy + idle, 1.0):.0f} % of it"
    write(line)
    events = sorted([(a, 1) for a, _ in spans] + [(b, -1) for _, b in spans], key=lambda e: (e[0], -e[1]))
    seconds: dict[int, float] = defaultdict(float)
    running, last = 0, started
    for at, step in events:
        seconds[running] += max(at - last, 0.0)
        running, last = running + step, at
    seconds[0] += max(time.time() - last, 0.0)  # after the last test: teardown, the summary
    write(
        "tests running at once: "
        + ", ".join(f"{n}: {s:.0f} s" for n, s in sorted(seconds.items()) if s >= 0.5)
    )
