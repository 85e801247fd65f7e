"""A local Kolada-v3-shaped HTTP server for tests and benchmarks.

It serves ``/v3/municipality``, ``/v3/municipality_groups``, ``/v3/kpi/{ids}`` and
``/v3/data/kpi/{ids}[/municipality/{ids}]/year/{ids}`` with ``per_page``/``page`` paging and
``next_url`` (``from_date`` keeps only objects changed on or after it), refuses segments of more
than 25 ids with 400 (as v3 does), and can be told to answer matching requests with faults: 429
with ``Retry-After``, 500, a truncated body, or a slow answer.

``synthetic_data`` fills it with demo data: invented, not official statistics, but internally
consistent (``DemoKolada``): each KPI has a level, spread, trend and sex gap of the kind Kolada
publishes (``KNOWN_KPIS``), a total is the population-weighted mean of girls and boys (counts:
their sum, scaled to the population of ``localsources/demo_data.py``), a county the weighted mean of
its served municipalities (counts: their sum), and about one municipality value in 50 is
Missing. ``synthetic_groups`` puts each municipality in SKR's kommungrupp: from Kolada's
recorded groups when ``../shared/recordings`` is present, else for the built-in municipalities.
"""

from __future__ import annotations

import csv
import json
import math
import threading
import zlib
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from localsources.demo_data import BASE_YEAR, COUNTIES, Population, is_municipality, own_size, sym, unit
from localsources.threads import serving

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


# SKR's kommungrupper (2023 names), served as "<name>, SKR:s kommungruppsindelning <year>".
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
RECORDED_GROUPS = RECORDED_KPIS.with_name("kolada_v2_municipality_groups_values.json")
# Kolada's ids of SKR's nine kommungrupper ("Större stad (ovägt medel)", …) in the recording
SKR_GROUP_IDS = {f"G{n}" for n in range(92786, 92795)}
# Kolada's titles where they differ from SKR's names
RECORDED_GROUP_NAMES = {
    "Pendlingskommun nära mindre tätort": "Pendlingskommun nära mindre stad/tätort",
    "Landsbygdskommun, ej nära större stad": "Landsbygdskommun",
}
# SKR's grouping of the built-in municipalities, as recorded (used when the recording is absent)
KNOWN_GROUPS = {
    "1780": "Större stad",  # Karlstad
    "1380": "Större stad",  # Halmstad
    "2480": "Större stad",  # Umeå
    "1715": "Pendlingskommun nära större stad",  # Kil
    "1381": "Pendlingskommun nära större stad",  # Laholm
    "0980": "Mindre stad/tätort",  # Gotland
    "2482": "Mindre stad/tätort",  # Skellefteå
}


@cache
def recorded_groups() -> dict[str, str]:
    """Municipality id -> SKR kommungrupp from Kolada's recorded municipality groups when
    ``../shared/recordings`` is present, else the built-in municipalities' (``KNOWN_GROUPS``)."""
    if not RECORDED_GROUPS.exists():
        return dict(KNOWN_GROUPS)
    groups = json.loads(RECORDED_GROUPS.read_text(encoding="utf-8"))
    if isinstance(groups, dict):
        groups = groups.get("values", [])
    members: dict[str, str] = {}
    for group in groups:
        if group["id"] not in SKR_GROUP_IDS:
            continue
        title = group["title"].removesuffix(" (ovägt medel)").strip()
        name = RECORDED_GROUP_NAMES.get(title, title)
        for member in group["members"]:
            members[member["member_id"]] = name
    return members or dict(KNOWN_GROUPS)


def kommungrupp(municipality: str) -> str:
    """SKR's kommungrupp of a municipality; an id SKR does not know (a generated one) gets a
    made-up group, the same every time."""
    known = recorded_groups().get(municipality)
    return known or SKR_GROUPS[zlib.crc32(municipality.encode()) % len(SKR_GROUPS)]


def synthetic_groups(regions: list[dict[str, Any]], year: int = 2023) -> list[dict[str, Any]]:
    """Kolada-shaped municipality groups for ``regions``: each municipality in its SKR
    kommungrupp (titled with the classification year), an older classification that differs
    for Kil, a county group and a "Liknande kommuner" group, which are not kommungrupper."""
    municipalities = [r for r in regions if r.get("type") == "K"]
    members: dict[str, list[dict[str, str]]] = {name: [] for name in SKR_GROUPS}
    for r in municipalities:
        members[kommungrupp(r["id"])].append({"member_id": r["id"], "member_title": r["title"]})
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


SYNTHETIC_UPDATED = "2020-01-01"  # demo data "changed" long ago; later add()s change today
CATALOGUE = Path(__file__).resolve().parents[1] / "catalog" / "indicators.csv"

# KPI -> (level in BASE_YEAR, spread between municipalities, change per year, girls minus boys),
# in the KPI's unit; for counts the level is a yearly rate per inhabitant of the KPI's ages and
# spread, change and gap are relative. Levels of the order Kolada publishes; invented all the same.
KNOWN_KPIS: dict[str, tuple[float, float, float, float]] = {
    "N02797": (6.5, 2.0, -0.10, -0.5),  # unga 16-24 som varken arbetar eller studerar
    "N18601": (80.0, 4.0, 0.20, 1.0),  # etablerade 2 år efter gymnasieexamen
    "N17940": (24.0, 6.0, -0.20, 5.0),  # direkt till högskolan
    "N03935": (8.0, 3.0, 0.00, -1.0),  # arbetslösa 18-24
    "N18741": (6.0, 2.5, 0.00, 0.0),  # kommunens aktivitetsansvar
    "U31804": (3.5, 1.8, -0.15, 0.0),  # unga vuxna med ekonomiskt bistånd
    "N15654": (65.0, 7.0, -0.30, -2.0),  # lärarna får dig att tro på dig själv, åk 8
    "N15428": (85.0, 5.0, -0.20, 2.0),  # behöriga till yrkesprogram
    "N17445": (68.0, 6.0, 0.30, 6.0),  # gymnasieexamen inom 3 år
    "N17625": (3.0, 1.5, 0.05, -0.8),  # indraget studiestöd
    "N15419": (73.0, 7.0, -0.30, 5.0),  # betygskriterierna i alla ämnen, åk 9
    "N15505": (225.0, 12.0, 0.50, 22.0),  # meritvärde åk 9 (points)
    "N11800": (86.0, 4.0, 0.30, 0.0),  # barn 1-5 år i förskola
    "N15543": (76.0, 6.0, -0.20, 4.0),  # betygskriterierna i alla ämnen, åk 6
    "N17528": (2.0, 1.0, 0.05, 0.0),  # ej i gymnasieskolan på hösten
    "N17473": (58.0, 7.0, 0.40, 10.0),  # behörighet till högskolan inom 3 år
    "N15613": (88.0, 4.0, -0.20, 0.0),  # trygg i skolan, åk 5
    "N15614": (78.0, 6.0, -0.30, 1.0),  # litar på de vuxna i skolan, åk 5
    "N15643": (83.0, 5.0, -0.20, -1.0),  # trygg i skolan, åk 8
    "N17673": (90.0, 4.0, 0.00, -1.0),  # trygg i skolan, gymnasiet år 2
    "N15639": (88.0, 4.0, -0.20, -3.0),  # aldrig rädd för andra elever, åk 8
    "N33812": (0.0075, 0.30, 0.010, -0.05),  # placerade i familjehem (count)
    "N33813": (0.0022, 0.35, 0.020, -0.30),  # placerade på HVB (count)
    "N33818": (9.0, 2.5, 0.00, -1.0),  # placerade på HVB eller familjehem, per 1 000
    "N52102": (120.0, 30.0, 1.00, 0.0),  # vårdnads-, boende- och umgängesutredningar, per 10 000
    "U09800": (25.0, 5.0, -0.30, -6.0),  # deltagartillfällen i idrottsföreningar 7-20
    "U09802": (32.0, 7.0, -0.30, -7.0),  # 13-16
    "U09803": (14.0, 3.5, -0.20, -5.0),  # 17-20
    "U79231": (35.0, 5.0, -0.80, 2.0),  # druckit alkohol, åk 9
    "U79232": (6.0, 1.5, 0.05, -0.5),  # använt narkotika, åk 9
    "U79234": (62.0, 5.0, -0.60, 2.0),  # druckit alkohol, gymnasiet år 2
    "N00591": (35.0, 8.0, 0.00, 0.0),  # bra utbud av ställen för unga att träffas på
    "N07531": (72.0, 10.0, 0.00, 0.0),  # grundskola inom 2 km
    "N09805": (250.0, 60.0, 2.00, 0.0),  # aktivitetstillfällen på bibliotek, per 1 000
    "N15603": (72.0, 7.0, -0.30, 2.0),  # arbetsro, åk 5
    "N15633": (60.0, 8.0, -0.30, 2.0),  # arbetsro, åk 8
    "N17663": (75.0, 6.0, 0.00, 1.0),  # arbetsro, gymnasiet år 2
    "N09888": (15.0, 6.0, -0.30, 6.0),  # musik- eller kulturskola
    "N00590": (60.0, 8.0, 0.00, 0.0),  # bra utbud av lekplatser
    "N33820": (12.0, 2.5, 0.30, 3.0),  # psykisk ohälsa bland barn och unga
    "U72552": (75.0, 10.0, -0.50, 0.0),  # BUP, första besök inom 90 dagar
    "U79119": (55.0, 11.0, -0.80, 0.0),  # BUP, utredning och behandling inom 30 dagar
    "N01481": (96.5, 1.5, 0.00, 0.0),  # MPR-vaccinerade 2-åringar
    "N01482": (95.0, 2.0, 0.00, 0.0),  # MPR-vaccinerade 9-åringar
    "N01483": (85.0, 5.0, 0.30, 0.0),  # HPV-vaccinerade flickor
    "N01484": (80.0, 6.0, 0.80, 0.0),  # HPV-vaccinerade pojkar
    "N80402": (72.0, 6.0, -0.40, 1.0),  # kariesfria 6-åringar
    "N80403": (68.0, 6.0, 0.20, 2.0),  # kariesfria 12-åringar
    "N80404": (55.0, 7.0, 0.30, 3.0),  # approximalt kariesfria 19-åringar
    "N66077": (18.0, 6.0, 0.20, 0.0),  # låg ekonomisk standard 0-19
    "N01718": (19.0, 3.0, 0.00, 0.0),  # ensamstående förälder
    "N01919": (1.0, 0.0, 0.00, 0.0),  # invånare 0-19 år, antal: the population itself
    "U31803": (5.0, 2.5, -0.20, 0.0),  # barn i familjer med ekonomiskt bistånd
    "N02902": (5.0, 2.0, -0.10, 0.0),  # minst en långtidsarbetslös förälder
    "N33821": (4.0, 2.5, 0.00, 0.0),  # barn och unga i socialt utsatta områden
    "N07907": (18.0, 6.0, 0.10, 0.0),  # trångboddhet
    "U01473": (73.0, 4.0, -0.30, -4.0),  # gott psykiskt välbefinnande 16-84
    "N01452": (6.0, 1.8, 0.15, 3.0),  # allvarlig psykisk påfrestning 16-84
}
POPULATION_KPIS = {"N01919"}  # counts of inhabitants: SCB's population, summed over the ages
RATE_UNITS = {"per_1000", "per_10000", "per_inhabitant", "points", "mean"}
MISSING_SHARE = 0.02  # about one municipality value in 50 is published as Missing


@cache
def catalogue_kpis() -> dict[str, dict[str, str]]:
    """The catalogue's rows of Kolada KPIs by KPI id (unit, ages, higher_is_better)."""
    if not CATALOGUE.exists():
        return {}
    with CATALOGUE.open(encoding="utf-8") as handle:
        return {r["source_ref"]: r for r in csv.DictReader(handle) if r["source"] == "kolada"}


@dataclass(frozen=True)
class KpiProfile:
    unit: str
    level: float
    spread: float
    trend: float
    gap: float
    ages: tuple[int, ...]
    direction: int  # +1 higher is better, -1 lower is better, 0 neither

    @property
    def is_count(self) -> bool:
        return self.unit == "count"

    @property
    def upper(self) -> float:
        return 100.0 if self.unit == "percent" else math.inf

    def clamp(self, value: float) -> float:
        return min(self.upper, max(0.0, value))


@cache
def kpi_profile(kpi: str) -> KpiProfile:
    """Level, spread, trend and sex gap of a KPI: by hand for the catalogued KPIs, otherwise
    chosen from the KPI id within a band that fits its unit."""
    row = catalogue_kpis().get(kpi, {})
    unit_ = row.get("unit") or "percent"
    low, _, high = (row.get("ages") or "0-19").partition("-")
    ages = tuple(range(int(low), int(high or low) + 1))
    direction = {"true": 1, "false": -1}.get(row.get("higher_is_better", ""), 0)
    if kpi in KNOWN_KPIS:
        level, spread, trend, gap = KNOWN_KPIS[kpi]
    elif unit_ == "count":
        level, spread = 0.002 + 0.02 * unit("level", kpi), 0.3
        trend, gap = 0.02 * sym("trend", kpi), 0.2 * sym("gap", kpi)
    elif unit_ in RATE_UNITS:
        base = {"per_1000": 50, "per_10000": 150, "per_inhabitant": 20, "points": 200}.get(unit_, 30)
        level = base * (0.5 + unit("level", kpi))
        spread, trend, gap = 0.15 * level, 0.01 * level * sym("trend", kpi), 0.05 * level * sym("gap", kpi)
    else:  # a share
        level = 5 + 90 * unit("level", kpi)
        spread = min(10.0, 1 + 0.15 * min(level, 100 - level))
        trend, gap = 0.4 * sym("trend", kpi), 4 * sym("gap", kpi)
    return KpiProfile(unit_, level, spread, trend, gap, ages, direction)


def scb_code(kolada_id: str) -> str:
    """Kolada's '0000' / '0017' / '1780' as SCB writes them: '00' / '17' / '1780'."""
    return kolada_id[2:] if kolada_id.startswith("00") else kolada_id


SEX = {"T": None, "K": "2", "M": "1"}  # Kolada's gender -> TAB638's Kon (None: both)


@cache
def _fixed(kpi: str, code: str) -> tuple[float, float, float]:
    """A region's fixed offset from the KPI's level (partly one it has on every KPI, in the
    better or worse direction), the scale of its yearly noise (larger where fewer live) and its
    gap between girls and boys."""
    p = kpi_profile(kpi)
    tilt = 0.6 * p.direction * sym("social", code) + 0.8 * sym("offset", kpi, code)
    if code == "00":
        offset, noise = 0.0, 0.02
    elif is_municipality(code):
        offset = 1.5 * p.spread * tilt
        noise = 0.1 * min(2.5, max(0.6, math.sqrt(20_000 / own_size(code, BASE_YEAR))))
    else:
        offset, noise = 0.5 * p.spread * tilt, 0.06
    return offset, noise, p.gap * (1 + 0.3 * sym("gap", kpi, code))


class DemoKolada:
    """Invented but internally consistent Kolada values for a set of served regions.

    A municipality's value is the KPI's level, its change over the years, a fixed offset of the
    municipality (partly one shared by all KPIs, in the direction that is better or worse) and a
    little noise, larger where fewer live; girls and boys differ by the KPI's gap, and the total
    is their mean weighted by population (counts: their sum, scaled to the population). A
    county is the population-weighted mean of the values of its served municipalities (counts:
    their sum), Riket that of the counties when all 21 are served; a county with no served
    municipality, and Riket otherwise, has a value of its own near the national level.
    """

    def __init__(self, regions: list[dict[str, Any]]) -> None:
        self.regions = regions
        codes = [scb_code(r["id"]) for r in regions]
        self.population = Population(codes)
        self.complete = all(c in codes for c in COUNTIES)
        self.members: dict[str, list[str]] = {}  # county -> its served municipalities
        self._weights: dict[tuple[str, str, int, str], int] = {}
        for r in regions:
            code = scb_code(r["id"])
            if r["type"] == "K" and is_municipality(code):
                self.members.setdefault(code[:2], []).append(code)

    def weight(self, kpi: str, code: str, year: int, gender: str) -> int:
        """A region's weight in a mean of regions: its inhabitants of the KPI's ages and sex."""
        key = (kpi, code, year, gender)
        value = self._weights.get(key)
        if value is None:
            value = self._weights[key] = self.population.count(code, year, kpi_profile(kpi).ages, SEX[gender])
        return value

    def own(self, kpi: str, code: str, year: int, genders: tuple[str, ...]) -> dict[str, float]:
        """The region's own values (rounded as served) for ``genders``."""
        p = kpi_profile(kpi)
        offset, noise, gap = _fixed(kpi, code)
        years = year - BASE_YEAR
        if p.is_count:
            return self._counts(kpi, p, code, year, genders, offset, noise, gap)
        raw = p.level + p.trend * years + offset + noise * p.spread * sym(kpi, code, year)
        if genders == ("T",):
            return {"T": round(p.clamp(raw), 1)}
        w_k, w_m = self.weight(kpi, code, year, "K"), self.weight(kpi, code, year, "M")
        total = max(1, w_k + w_m)
        girls = round(p.clamp(raw + gap * w_m / total), 1)
        boys = round(p.clamp(raw - gap * w_k / total), 1)
        return {"T": round((w_k * girls + w_m * boys) / total, 1), "K": girls, "M": boys}

    def _counts(self, kpi, p, code, year, genders, offset, noise, gap) -> dict[str, float]:
        ages = p.ages
        if kpi in POPULATION_KPIS:
            rate = 1.0
            gap = 0.0
        else:
            years = year - BASE_YEAR
            relative = 1 + offset + p.trend * years + noise * sym(kpi, code, year)
            rate = p.level * max(0.2, relative)
        girls = round(rate * (1 + gap / 2) * self.population.count(code, year, ages, "2"))
        boys = round(rate * (1 - gap / 2) * self.population.count(code, year, ages, "1"))
        if genders == ("T",):
            return {"T": girls + boys}
        return {"T": girls + boys, "K": girls, "M": boys}

    def missing(self, kpi: str, code: str, year: int) -> bool:
        """About one municipality value in 50 is Missing (counties never are)."""
        return is_municipality(code) and unit("absent", kpi, code, year) < MISSING_SHARE

    def derived(
        self,
        kpi: str,
        year: int,
        genders: tuple[str, ...],
        members: dict[str, dict[str, float | None]],
    ) -> dict[str, float] | None:
        """The weighted mean (counts: the sum) of the members' present values, or None."""
        present = {code: v for code, v in members.items() if v.get("T") is not None}
        if not present:
            return None
        out: dict[str, float] = {}
        for gender in genders:
            if kpi_profile(kpi).is_count:
                out[gender] = sum(v[gender] for v in present.values())
                continue
            weights = {code: self.weight(kpi, code, year, gender) for code in present}
            total = sum(weights.values()) or 1
            out[gender] = round(sum(weights[c] * v[gender] for c, v in present.items()) / total, 1)
        return out

    def year_values(
        self, kpi: str, year: int, genders: tuple[str, ...], kind: str
    ) -> dict[str, dict[str, float | None]]:
        """Kolada id -> gender -> value (None: Missing) for every region the KPI is published for
        (``kind``: the KPI's municipality_type, A, K or L)."""
        munis: dict[str, dict[str, float | None]] = {}
        if kind in ("A", "K"):
            for r in self.regions:
                code = scb_code(r["id"])
                if r["type"] == "K" and is_municipality(code):
                    munis[code] = (
                        dict.fromkeys(genders)
                        if self.missing(kpi, code, year)
                        else self.own(kpi, code, year, genders)
                    )
        counties: dict[str, dict[str, float | None]] = {}
        for r in self.regions:
            code = scb_code(r["id"])
            if kind == "K" or r["type"] != "L" or len(code) != 2 or code == "00":
                continue
            members = {m: munis[m] for m in self.members.get(code, ())} if kind == "A" else {}
            counties[code] = self.derived(kpi, year, genders, members) or self.own(kpi, code, year, genders)
        values: dict[str, dict[str, float | None]] = {}
        if any(r["id"] == "0000" for r in self.regions):
            national = None
            if self.complete:
                national = self.derived(kpi, year, genders, munis if kind == "K" else counties)
            values["0000"] = national or self.own(kpi, "00", year, genders)
        values.update({f"00{c}": v for c, v in counties.items()})
        values.update(munis)
        return values


def synthetic_value(kpi: str, municipality: str, year: int, gender: str) -> float:
    """A region's own value (a municipality's as served; a county's or Riket's when nothing is
    derived into it), in the KPI's unit; deterministic per key."""
    code = scb_code(municipality)
    model = DemoKolada([{"id": municipality, "type": "K" if is_municipality(code) else "L"}])
    genders = ("T",) if gender == "T" else ("T", "K", "M")
    return model.own(kpi, code, year, genders)[gender]


def synthetic_data(
    kpi_ids: list[str], years: list[int], regions: list[dict[str, Any]] | None = None
) -> KoladaData:
    """Every KPI × region it is published for × year, with T/K/M values where Kolada divides it by
    gender (T only otherwise): invented but consistent demo values (``DemoKolada``); about one
    municipality value in 50 is Missing, as Kolada has some."""
    data = KoladaData(regions=list(regions or SMALL_REGIONS))
    model = DemoKolada(data.regions)
    for kpi in kpi_ids:
        data.add_kpi(kpi)
        meta = data.kpis[kpi]
        genders = ("T", "K", "M") if meta["is_divided_by_gender"] else ("T",)
        for year in years:
            values = model.year_values(kpi, year, genders, meta["municipality_type"])
            for region in data.regions:
                if not data.publishes(kpi, region) or region["id"] not in values:
                    continue
                served = values[region["id"]]
                entries = [
                    {
                        "count": 1,
                        "gender": gender,
                        "status": "Missing" if served[gender] is None else "",
                        "value": served[gender],
                    }
                    for gender in genders
                ]
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


def serve(data: KoladaData) -> AbstractContextManager[KoladaServer]:
    """Run a server in a background thread for the duration of the block."""
    return serving(KoladaServer(data))


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
