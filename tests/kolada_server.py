"""A local Kolada-v3-shaped HTTP server for tests and benchmarks.

It serves ``/v3/municipality``, ``/v3/municipality_groups``, ``/v3/kpi/{ids}`` and
``/v3/data/kpi/{ids}[/municipality/{ids}]/year/{ids}`` with ``per_page``/``page`` paging and
``next_url`` (``from_date`` keeps only objects changed on or after it), refuses segments of more
than 25 ids with 400 (as v3 does), and can be told to answer matching requests with faults: 429
with ``Retry-After``, 500, a truncated body, or a slow answer.
"""

from __future__ import annotations

import csv
import json
import math
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

MAX_IDS = 25
MAX_PER_PAGE = 5000
RECORDED_KPIS = (
    Path(__file__).resolve().parents[2] / "shared" / "recordings" / "kolada" / "rkolada_v3_kpi_catalogue.csv"
)


@cache
def recorded_kpis() -> dict[str, dict[str, Any]]:
    """Kolada's real KPI catalogue (id, title, municipality_type, is_divided_by_gender, …) when
    ``../shared/recordings`` is present, else empty: the server then serves made-up metadata."""
    if not RECORDED_KPIS.exists():
        return {}
    with RECORDED_KPIS.open(encoding="utf-8") as handle:
        return {row["id"]: row for row in csv.DictReader(handle)}


SMALL_REGIONS = [
    {"id": "0000", "title": "Riket", "type": "L"},
    {"id": "0009", "title": "Region Gotland", "type": "L"},
    {"id": "0013", "title": "Region Halland", "type": "L"},
    {"id": "0017", "title": "Region Värmland", "type": "L"},
    {"id": "0980", "title": "Gotland", "type": "K"},
    {"id": "1380", "title": "Halmstad", "type": "K"},
    {"id": "1715", "title": "Kil", "type": "K"},
    {"id": "1780", "title": "Karlstad", "type": "K"},
]


# SKR's kommungrupper (2023 names) as group titles; the assignment below is SYNTHETIC
# (deterministic per municipality code), except for the named test municipalities.
SKR_GROUPS = [
    "Storstäder",
    "Pendlingskommun nära storstad",
    "Större stad",
    "Pendlingskommun nära större stad",
    "Lågpendlingskommun nära större stad",
    "Mindre stad/tätort",
    "Pendlingskommun nära mindre stad/tätort",
    "Landsbygdskommun",
    "Landsbygdskommun med besöksnäring",
]
KNOWN_GROUPS = {
    "1780": "Större stad",  # Karlstad
    "1380": "Större stad",  # Halmstad
    "1715": "Pendlingskommun nära större stad",  # Kil
    "0980": "Landsbygdskommun med besöksnäring",  # Gotland
}


def synthetic_groups(regions: list[dict[str, Any]], year: int = 2023) -> list[dict[str, Any]]:
    """Kolada-shaped municipality groups for ``regions``: one SKR kommungrupp per municipality
    (titled with the classification year), an older classification that differs for Kil, a
    county group and a "Liknande kommuner" group, which are not kommungrupper."""
    municipalities = [r for r in regions if r.get("type") == "K"]
    members: dict[str, list[dict[str, str]]] = {name: [] for name in SKR_GROUPS}
    for r in municipalities:
        name = KNOWN_GROUPS.get(r["id"]) or SKR_GROUPS[sum(map(ord, r["id"])) % len(SKR_GROUPS)]
        members[name].append({"member_id": r["id"], "member_title": r["title"]})
    groups = [
        {"id": f"G{900 + i}", "title": f"{name}, SKR:s kommungruppsindelning {year}", "members": m}
        for i, (name, m) in enumerate(members.items())
        if m
    ]
    kil = [r for r in municipalities if r["id"] == "1715"]
    if kil:
        older = [{"member_id": "1715", "member_title": kil[0]["title"]}]
        title = f"Landsbygdskommun, SKR:s kommungruppsindelning {year - 6}"
        groups.append({"id": "G800", "title": title, "members": older})
    varmland = [
        {"member_id": r["id"], "member_title": r["title"]} for r in municipalities if r["id"][:2] == "17"
    ]
    if varmland:
        groups.append({"id": "G17", "title": "Värmlands läns kommuner, ovägt medel", "members": varmland})
        groups.append(
            {"id": "G35999", "title": "Liknande kommuner grundskola, Karlstad, 2024", "members": varmland}
        )
    return groups


@dataclass
class Fault:
    """Answer the next ``times`` requests whose path contains ``match`` with a fault."""

    kind: str  # "429", "500", "truncate", "slow", "garbage"
    match: str = ""
    times: int = 1
    retry_after: str | None = "0"
    delay: float = 0.0


@dataclass
class KoladaData:
    """What the server knows: regions, KPI metadata and data objects."""

    regions: list[dict[str, Any]] = field(default_factory=lambda: list(SMALL_REGIONS))
    groups: list[dict[str, Any]] | None = None  # None: synthetic_groups(regions) when asked
    kpis: dict[str, dict[str, Any]] = field(default_factory=dict)
    # (kpi, municipality, year) -> data object as served
    objects: dict[tuple[str, str, int], dict[str, Any]] = field(default_factory=dict)
    # (kpi, municipality, year) -> ISO date the object last changed (what from_date filters on)
    updated: dict[tuple[str, str, int], str] = field(default_factory=dict)

    def add_kpi(self, kpi_id: str, title: str = "") -> None:
        """A KPI's metadata: Kolada's recorded entry when there is one, else made up."""
        real = recorded_kpis().get(kpi_id)
        if real is not None:
            self.kpis[kpi_id] = {
                "id": kpi_id,
                "title": title or real["title"],
                "description": real["description"],
                "is_divided_by_gender": real["is_divided_by_gender"] == "True",
                "municipality_type": real["municipality_type"],
                "operating_area": real["operating_area"],
                "publ_period": real["publ_period"],
            }
            return
        self.kpis[kpi_id] = {
            "id": kpi_id,
            "title": title or f"KPI {kpi_id}",
            "description": "",
            "is_divided_by_gender": True,
            "municipality_type": "A",
            "operating_area": "Test",
            "publ_period": "2025",
        }

    def publishes(self, kpi_id: str, region: dict[str, Any]) -> bool:
        """Whether Kolada has values of the KPI for the region: a KPI of municipality_type K has
        none for counties (L), one of type L none for municipalities. Whether a type-K KPI has a
        value for Riket ('0000') is not on record; it is served."""
        kind = self.kpis[kpi_id]["municipality_type"]
        return kind == "A" or region["id"] == "0000" or region["type"] == kind

    def add(
        self,
        kpi: str,
        municipality: str,
        year: int,
        values: list[dict[str, Any]],
        updated: str | None = None,
        **extra: Any,
    ) -> None:
        """Add or replace a data object; it counts as changed ``updated`` (default: today)."""
        if kpi not in self.kpis:
            self.add_kpi(kpi)
        self.updated[(kpi, municipality, year)] = updated or date.today().isoformat()
        self.objects[(kpi, municipality, year)] = {
            "kpi": kpi,
            "municipality": municipality,
            "period": year,
            "values": values,
            **extra,
        }


SYNTHETIC_UPDATED = "2020-01-01"  # synthetic data "changed" long ago; later add()s change today


def synthetic_value(kpi: str, municipality: str, year: int, gender: str) -> float:
    """A deterministic value that differs per key (so tests can assert exact figures)."""
    seed = sum(ord(c) * (i + 1) for i, c in enumerate(f"{kpi}{municipality}{year}{gender}"))
    return round(10 + (seed % 9000) / 100, 2)


def synthetic_data(
    kpi_ids: list[str], years: list[int], regions: list[dict[str, Any]] | None = None
) -> KoladaData:
    """Every KPI × region it is published for × year, with T/K/M values where Kolada divides it by
    gender (T only otherwise); every 50th value NULL, as Kolada does."""
    data = KoladaData(regions=list(regions or SMALL_REGIONS))
    n = 0
    for kpi in kpi_ids:
        data.add_kpi(kpi)
        genders = ("T", "K", "M") if data.kpis[kpi]["is_divided_by_gender"] else ("T",)
        for region in data.regions:
            if not data.publishes(kpi, region):
                continue
            for year in years:
                entries = []
                for gender in genders:
                    n += 1
                    missing = n % 50 == 0
                    entries.append(
                        {
                            "count": 1,
                            "gender": gender,
                            "status": "Missing" if missing else "",
                            "value": None if missing else synthetic_value(kpi, region["id"], year, gender),
                        }
                    )
                data.add(kpi, region["id"], year, entries, updated=SYNTHETIC_UPDATED)
    return data


class KoladaServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, data: KoladaData, port: int = 0) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.data = data
        self.faults: list[Fault] = []
        self.log: list[tuple[str, int]] = []  # (path, status) as each answer is sent
        self.arrived: list[str] = []  # each request's path as it arrives (before a slow answer)
        self.lock = threading.Lock()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v3/"

    def fault(self, kind: str, match: str = "", times: int = 1, **kwargs: Any) -> None:
        self.faults.append(Fault(kind, match, times, **kwargs))

    def take_fault(self, path: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.times > 0 and fault.match in path:
                    fault.times -= 1
                    return fault
        return None

    def record(self, path: str, status: int) -> None:
        with self.lock:
            self.log.append((path, status))

    def requests_to(self, fragment: str) -> int:
        return sum(1 for path, _ in self.log if fragment in path)


class _Handler(BaseHTTPRequestHandler):
    server: KoladaServer
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:  # keep test output quiet
        pass

    def do_GET(self) -> None:  # noqa: N802
        with self.server.lock:
            self.server.arrived.append(self.path)
        split = urlsplit(self.path)
        fault = self.server.take_fault(self.path)
        if fault is not None and self._fault(fault):
            return
        query = parse_qs(split.query)
        self._query = query
        parts = [p for p in split.path.split("/") if p]
        if not parts or parts[0] != "v3":
            return self._send(404, {"error": "not found"})
        parts = parts[1:]
        try:
            items = self._route(parts)
        except _BadRequest as exc:
            return self._send(400, {"error": str(exc)})
        if items is None:
            return self._send(404, {"error": "no route"})
        per_page = min(int(query.get("per_page", [str(MAX_PER_PAGE)])[0]), MAX_PER_PAGE)
        page = int(query.get("page", ["1"])[0])
        pages = max(1, math.ceil(len(items) / per_page))
        chunk = items[(page - 1) * per_page : page * per_page]
        host = f"http://{self.headers.get('Host')}"
        base = f"{host}{split.path}?per_page={per_page}"
        if "from_date" in query:
            base += f"&from_date={query['from_date'][0]}"
        body = {
            "count": len(chunk),
            "values": chunk,
            "next_url": f"{base}&page={page + 1}" if page < pages else None,
            "previous_url": f"{base}&page={page - 1}" if page > 1 else None,
        }
        self._send(200, body)

    def _route(self, parts: list[str]) -> list[dict[str, Any]] | None:
        data = self.server.data
        if parts == ["municipality"]:
            return data.regions
        if parts == ["municipality_groups"]:
            return data.groups if data.groups is not None else synthetic_groups(data.regions)
        if len(parts) == 2 and parts[0] == "kpi":
            ids = self._ids(parts[1])
            return [data.kpis[i] for i in ids if i in data.kpis]
        if len(parts) >= 3 and parts[0] == "data" and parts[1] == "kpi":
            since = self._query.get("from_date", [""])[0]  # only objects changed on or after it
            segments = dict(zip(parts[1::2], parts[2::2], strict=False))
            kpis = self._ids(segments["kpi"])
            munis = set(self._ids(segments["municipality"])) if "municipality" in segments else None
            years = {int(y) for y in self._ids(segments["year"])} if "year" in segments else None
            if munis is None and years is None:
                raise _BadRequest("give at least two of kpi, municipality and year")
            return [
                obj
                for (kpi, muni, year), obj in sorted(data.objects.items())
                if kpi in kpis
                and (munis is None or muni in munis)
                and (years is None or year in years)
                and data.updated.get((kpi, muni, year), "") >= since
            ]
        return None

    @staticmethod
    def _ids(segment: str) -> list[str]:
        ids = segment.split(",")
        if len(ids) > MAX_IDS:
            raise _BadRequest(f"too many ids in one segment ({len(ids)} > {MAX_IDS})")
        return ids

    def _fault(self, fault: Fault) -> bool:
        if fault.kind == "slow":
            import time

            time.sleep(fault.delay)
            return False
        if fault.kind == "429":
            headers = {"Retry-After": fault.retry_after} if fault.retry_after is not None else {}
            self._send(429, {"error": "too many requests"}, headers)
        elif fault.kind == "500":
            self._send(500, {"error": "internal server error"})
        elif fault.kind == "truncate":
            payload = b'{"count": 1, "values": [{"kpi": "N1'
            self.server.record(self.path, 200)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload) + 500))
            self.end_headers()
            self.wfile.write(payload)
            self.wfile.flush()
            self.close_connection = True
        elif fault.kind == "garbage":
            self._send_raw(200, b"<html>maintenance</html>")
        return True

    def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        self._send_raw(status, json.dumps(body, ensure_ascii=False).encode(), headers)

    def _send_raw(self, status: int, payload: bytes, headers: dict[str, str] | None = None) -> None:
        self.server.record(self.path, status)  # logged before the client can see the answer
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)


class _BadRequest(Exception):
    pass


@contextmanager
def serve(data: KoladaData) -> Iterator[KoladaServer]:
    """Run a server in a background thread for the duration of the block."""
    server = KoladaServer(data)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def main(argv: list[str] | None = None) -> None:
    """Serve the catalogue's KPIs for every region, e.g. to run ``make run`` offline."""
    import argparse
    import csv
    from pathlib import Path

    from ingest.catalog import source_refs

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--first-year", type=int, default=2011)
    parser.add_argument("--last-year", type=int, default=2026)
    parser.add_argument(
        "--regions",
        type=Path,
        help="CSV with id,title,type (e.g. the recorded Kolada municipality list);"
        " default: a small built-in set",
    )
    parser.add_argument(
        "--throttle", type=int, default=0, help="answer this many data requests with 429 first"
    )
    args = parser.parse_args(argv)
    regions = None
    if args.regions:
        with args.regions.open(encoding="utf-8") as handle:
            regions = [
                {"id": r["id"], "title": r["title"], "type": r["type"]} for r in csv.DictReader(handle)
            ]
    data = synthetic_data(source_refs("kolada"), list(range(args.first_year, args.last_year + 1)), regions)
    server = KoladaServer(data, args.port)
    if args.throttle:
        server.fault("429", match="/data/", times=args.throttle, retry_after="1")
    print(
        f"Kolada-shaped server ({len(data.objects)} objects): KOLADA_BASE_URL={server.base_url}",
        flush=True,
    )
    server.serve_forever()


if __name__ == "__main__":
    main()
