"""The local Kolada, SCB and Folkhälsodata servers with demo data, for ``make run`` offline, the
benchmarks and manual testing.

    python -m localsources [--all-regions] [--throttle N] [--port 8765]

Prints the three base-URL variables to export, then serves until interrupted. Region codes
are consistent across the three: SCB and Folkhälsodata serve the regions Kolada lists
(Folkhälsodata: Sweden and the counties only, as its regional tables do).

The values are invented, not official statistics, but consistent with one another: every
municipality has a fixed population of the right order; a county is the sum of its served
municipalities (Kolada: their population-weighted mean); Kolada's totals are the weighted mean
of girls and boys (counts: their sum); each KPI and Folkhälsodata table has a level, a spread
and a trend of the kind the source publishes; the kommungrupper are SKR's
(``localsources/demo_data.py``, ``localsources/kolada_server.py``, ``localsources/pxweb_fixtures.py``).
"""

from __future__ import annotations

import argparse
import csv
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from localsources.demo_data import COUNTIES
from localsources.kolada_server import SMALL_REGIONS, KoladaServer, scb_code, synthetic_data
from localsources.pxweb_fixtures import pxweb_states
from localsources.pxweb_server import PxServerState, PxWebServer

ROOT = Path(__file__).resolve().parents[1]
RECORDED_REGIONS = ROOT.parent / "shared" / "recordings" / "kolada" / "rkolada_v3_municipality_list.csv"
# The tests' small set plus Västerbotten, so that `make serve` + `make run` reports on the three
# counties of the report's brief: Värmland (17), Västerbotten (24) and Halland (13).
DEFAULT_REGIONS = [
    *SMALL_REGIONS,
    {"id": "0024", "title": "Region Västerbotten", "type": "L"},
    {"id": "2480", "title": "Umeå", "type": "K"},
    {"id": "2482", "title": "Skellefteå", "type": "K"},
]


def all_regions() -> tuple[list[dict[str, Any]], str]:
    """Sweden, 21 counties and 290 municipalities in Kolada's form ('0000', '0017', '1780').

    The recorded Kolada municipality list when ``../shared/recordings`` is present, otherwise
    312 generated ids of the same shape.
    """
    if RECORDED_REGIONS.exists():
        with RECORDED_REGIONS.open(encoding="utf-8") as handle:
            rows = [{"id": r["id"], "title": r["title"], "type": r["type"]} for r in csv.DictReader(handle)]
        return rows, "recorded Kolada municipality list"
    rows = [{"id": "0000", "title": "Riket", "type": "L"}]
    rows += [{"id": f"00{c}", "title": f"Region {c}", "type": "L"} for c in COUNTIES]
    rows += [
        {"id": f"{COUNTIES[i % 21]}{80 + i // 21:02d}", "title": f"Kommun {i}", "type": "K"}
        for i in range(290)
    ]
    return rows, "generated ids (recordings absent)"


@dataclass
class LocalSources:
    kolada: KoladaServer
    scb: PxWebServer
    fohm: PxWebServer

    @property
    def env(self) -> dict[str, str]:
        """The base-URL variables that point the pipeline at these servers."""
        return {
            "KOLADA_BASE_URL": self.kolada.base_url,
            "SCB_BASE_URL": self.scb.v2_url,
            "FOHM_BASE_URL": self.fohm.v1_url,
        }


def build(
    regions: list[dict[str, Any]],
    kolada_years: list[int],
    population_years: list[str],
    port: int = 0,
    **limits: int,
) -> LocalSources:
    """Three servers (not yet serving) on ``port``, ``port + 1``, ``port + 2`` (0: any free port)."""
    from ingest.catalog import source_refs

    codes = [scb_code(r["id"]) for r in regions]
    counties = [c for c in codes if len(c) == 2]
    scb_state, fohm_state = pxweb_states(counties, codes, population_years, **limits)
    kolada = KoladaServer(synthetic_data(source_refs("kolada"), kolada_years, regions), port)
    return LocalSources(
        kolada,
        PxWebServer(scb_state, port + 1 if port else 0),
        PxWebServer(fohm_state, port + 2 if port else 0),
    )


@contextmanager
def serve(sources: LocalSources) -> Iterator[LocalSources]:
    """Serve all three in background threads for the duration of the block."""
    servers = (sources.kolada, sources.scb, sources.fohm)
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield sources
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m localsources", description=__doc__)
    parser.add_argument("--port", type=int, default=8765, help="Kolada; SCB on +1, Folkhälsodata on +2")
    parser.add_argument(
        "--all-regions",
        action="store_true",
        help=f"Sweden, 21 counties, 290 municipalities (default: a set of {len(DEFAULT_REGIONS)} regions)",
    )
    parser.add_argument("--first-year", type=int, default=2011, help="first Kolada and SCB year")
    parser.add_argument("--last-year", type=int, default=2026, help="last Kolada and SCB year")
    parser.add_argument(
        "--throttle",
        type=int,
        default=0,
        help="answer this many Kolada data requests with 429 (Retry-After: 1) first",
    )
    args = parser.parse_args(argv)
    regions, origin = all_regions() if args.all_regions else (list(DEFAULT_REGIONS), "small built-in set")
    years = list(range(args.first_year, args.last_year + 1))
    sources = build(regions, years, [str(y) for y in years], args.port)
    if args.throttle:
        sources.kolada.fault("429", match="/data/", times=args.throttle, retry_after="1")
    state: PxServerState = sources.scb.state
    print(
        f"Local sources: {len(regions)} regions ({origin}), years {years[0]}-{years[-1]};"
        f" SCB and Folkhälsodata enforce {state.max_calls} calls per {state.window:g} s"
        f" and {state.max_cells:,} cells per call. Point the pipeline at them with:",
        flush=True,
    )
    for name, url in sources.env.items():
        print(f"export {name}={url}", flush=True)
    with serve(sources):
        threading.Event().wait()
