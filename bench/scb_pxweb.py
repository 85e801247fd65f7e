"""SCB population ingest against a local PxWebApi 2.0 server enforcing 30 calls / 10 s and a
cell limit; this project's client side by side with pxwebpy (PyPI). Prints figures only.

    python bench/scb_pxweb.py [--years 57] [--max-cells 10000] [--skip-pxwebpy]

For each query (all regions × ages 0-24, and all regions × every age, × both sexes × every
year): calls made vs the minimum possible, wall time vs the rate-limit floor, 429s received.
"""

from __future__ import annotations

import argparse
import math
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ingest.http import HttpSettings, JsonHttpClient  # noqa: E402
from ingest.pxweb import V2, PxWebClient, plan_split, split_selection  # noqa: E402
from localsources.pxweb_server import Dim, PxServerState, PxWebServer, Table  # noqa: E402

COUNTIES = ["01", "03", "04", "05", "06", "07", "08", "09", "10", "12", "13", "14", "17", "18",
            "19", "20", "21", "22", "23", "24", "25"]  # fmt: skip


def regions() -> list[str]:
    """Sweden, 21 counties and 290 municipality codes (312 region codes, as in TAB638)."""
    municipalities = [f"{COUNTIES[i % 21]}{80 + i // 21:02d}" for i in range(290)]
    return ["00", *COUNTIES, *municipalities]


def table(years: list[str]) -> Table:
    ages = [str(a) for a in range(100)] + ["100+"]
    return Table(
        "TAB638",
        "Folkmängd efter region, ålder, kön och år",
        [
            Dim("Region", regions(), elimination=True),
            Dim("Alder", ages, elimination=True),
            Dim("Kon", ["1", "2"], elimination=True),
            Dim("ContentsCode", ["BE0101N1"]),
            Dim("Tid", years, time=True),
        ],
        lambda c: 1000,
    )


def floor_seconds(calls: int, max_calls: int, window: float) -> float:
    """Least wall time for ``calls`` calls at ``max_calls`` per ``window``: full windows waited."""
    return ((calls - 1) // max_calls) * window


def run(name: str, fetch, state: PxServerState) -> dict:
    state.log.clear()
    state.calls.clear()
    started = time.perf_counter()
    cells = fetch()
    wall = time.perf_counter() - started
    calls = len(state.log)
    return {
        "name": name,
        "wall": wall,
        "calls": calls,
        "data_calls": state.data_calls,
        "throttled": state.throttled,
        "cells": cells,
    }


def ours(url: str, selection: dict[str, list[str]]) -> int:
    http = JsonHttpClient("scb", None, HttpSettings(backoff_factor=0.5))
    client = PxWebClient("scb", http, url, V2)
    client.metadata("TAB638")
    return sum(len(b["value"]) for b, _, _ in client.data("TAB638", selection))


def theirs(url: str, selection: dict[str, list[str]]) -> int:
    from pxweb import PxApi

    api = PxApi(url.rstrip("/"), language="sv", disable_cache=True)
    api.get_table_variables("TAB638")  # the metadata call, as ours makes
    return len(api.get_table_data("TAB638", value_codes=selection))


def planned_calls(sizes: list[int], max_cells: int) -> int:
    """How many calls ``split_selection`` makes for a selection of these sizes."""
    return len(split_selection({str(i): [str(j) for j in range(n)] for i, n in enumerate(sizes)}, max_cells))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", type=int, default=57, help="years 1968.. (TAB638 has 57)")
    parser.add_argument("--max-cells", type=int, default=10_000)
    parser.add_argument("--skip-pxwebpy", action="store_true")
    args = parser.parse_args()

    years = [str(1968 + i) for i in range(args.years)]
    state = PxServerState(max_cells=args.max_cells, max_calls=30, window=10.0)
    state.add(table(years))
    server = PxWebServer(state)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = server.v2_url

    queries = {
        "ages 0-24": [str(a) for a in range(25)],
        "all ages": [str(a) for a in range(100)] + ["100+"],
    }
    print(
        f"Local PxWebApi 2.0 server: TAB638 shape, {len(regions())} regions, {len(years)} years,"
        f" limit {args.max_cells:,} cells per call, 30 calls per 10 s (429 beyond)."
    )
    for label, ages in queries.items():
        selection = {
            "Region": regions(),
            "Alder": ages,
            "Kon": ["1", "2"],
            "ContentsCode": ["BE0101N1"],
            "Tid": years,
        }
        cells = math.prod(len(v) for v in selection.values())
        minimum = math.ceil(cells / args.max_cells)
        sizes = [len(v) for v in selection.values()]
        grid = math.prod(plan_split(sizes, args.max_cells))
        planned = planned_calls(sizes, args.max_cells)
        print(
            f"\n{label}: {cells:,} cells; minimum data calls ceil(cells / limit) = {minimum}"
            f" (best single grid {grid}; planned with one cut {planned})"
        )
        print(
            f"  {'client':<10} {'data calls':>10} {'× min':>6} {'all calls':>9} {'429s':>5}"
            f" {'wall s':>8} {'floor s':>8} {'wall/floor':>10}"
        )
        clients = [("barnhalsa", ours)] + ([] if args.skip_pxwebpy else [("pxwebpy", theirs)])
        for name, fetch in clients:
            time.sleep(10.5)  # start each client with an empty window
            r = run(name, lambda fetch=fetch, selection=selection: fetch(url, selection), state)
            # pxwebpy retries 429s itself: count only the calls that got data
            floor = floor_seconds(r["calls"] - r["throttled"], 30, 10.0)
            ratio = r["wall"] / floor if floor else float("nan")
            print(
                f"  {name:<10} {r['data_calls']:>10} {r['data_calls'] / minimum:>6.3f} {r['calls']:>9}"
                f" {r['throttled']:>5} {r['wall']:>8.1f} {floor:>8.1f} {ratio:>10.3f}"
            )
            assert r["cells"] == cells, f"{name} returned {r['cells']} cells, expected {cells}"
    server.shutdown()


if __name__ == "__main__":
    main()
