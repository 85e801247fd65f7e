"""Local PxWeb tables shaped like the real ones, never like the catalogue.

Each Folkhälsodata table is written from what the live API is on record to answer
(``../shared/recordings/fohm`` and ``../shared/research/real-sources.md``): its variable names,
its value codes (texts on HBSC tables, numbers on HLV) and its periods. Tables with no shape on
record are not served at all, as an unknown path is answered by the real server: 400
"Parameter error". SCB's TAB638 is built from the recorded metadata when ``../shared`` is
present (otherwise from the same codes written out here). The catalogue has to fit these
tables; ``tests/test_real_shapes.py`` checks that it does and that these doubles match the
recordings.

Values are synthetic but recomputable by tests: ``share(coords)``, ``population(coords)``,
``hlv_cell(coords)``.
"""

from __future__ import annotations

import json
import math
import zlib
from pathlib import Path

from tests.pxweb_server import Dim, PxServerState, Table

RECORDINGS = Path(__file__).resolve().parents[2] / "shared" / "recordings"
TAB638_METADATA = RECORDINGS / "scb" / "scb_v2_TAB638_metadata.json"

COUNTIES = ["01", "03", "04", "05", "06", "07", "08", "09", "10", "12", "13", "14", "17", "18",
            "19", "20", "21", "22", "23", "24", "25"]  # fmt: skip
COUNTY_NAMES = {
    "00": "Riket", "01": "Stockholms län", "03": "Uppsala län", "04": "Södermanlands län",
    "05": "Östergötlands län", "06": "Jönköpings län", "07": "Kronobergs län", "08": "Kalmar län",
    "09": "Gotlands län", "10": "Blekinge län", "12": "Skåne län", "13": "Hallands län",
    "14": "Västra Götalands län", "17": "Värmlands län", "18": "Örebro län", "19": "Västmanlands län",
    "20": "Dalarnas län", "21": "Gävleborgs län", "22": "Västernorrlands län", "23": "Jämtlands län",
    "24": "Västerbottens län", "25": "Norrbottens län",
}  # fmt: skip

# Skolbarns hälsovanor (HBSC), regional tables
HBSC = "A_Folkhalsodata/C_HBSC/Regionalt"
MOBBNING = f"{HBSC}/Skolan/Mobbning/MobbningReg.px"
HALSOBESVAR = f"{HBSC}/Halsa/Halsobesvar/HalsobesvarReg.px"
PERIODS = ["2017-2018", "2021-2022"]  # MobbningReg (recorded metadata)
AGES = ["11", "13", "15"]
# Hälsa på lika villkor (HLV), adults 16-84, four-year pooled windows
HLV = "A_Folkhalsodata/B_HLV/dPsykhals/hlv1psyxreg.px"
HLV_WINDOWS = ["2004-2007", "2005-2008", "2006-2009", "2007-2010", "2008-2011", "2009-2012",
               "2010-2013", "2011-2014", "2012-2015", "2013-2016", "2015-2018", "2017-2020",
               "2018-2021", "2019-2022", "2021-2024"]  # fmt: skip
HLV_CATEGORIES = {
    "35": "Nedsatt psykiskt välbefinnande", "21": "Allvarlig psykisk påfrestning",
    "58": "Svår ängslan, oro eller ångest", "46": "Mycket stressad", "40": "Suicidtankar",
    "42": "Försökt ta sitt liv", "48": "Sömnbesvär", "49": "Lätta sömnbesvär", "50": "Svåra sömnbesvär",
}  # fmt: skip
HLV_MEASURES = {"01": "Andel", "02": "Konfidensintervall nedre gräns",
                "03": "Konfidensintervall övre gräns", "04": "Antal svar"}  # fmt: skip
# Tobaksbruk i tidig graviditet (Region and År only)
TOBAK = "A_Folkhalsodata/A_Mo8/1_Tidigalivet/01MhvBhv/01.02tobmhv/tobmhvReg.px"
TOBAK_YEARS = [str(y) for y in range(2014, 2025)]


def _hash(coords: dict[str, str]) -> int:
    return zlib.crc32(repr(sorted(coords.items())).encode())


def share(coords: dict[str, str]) -> float | str:
    """A share in percent; every 23rd cell is '..' (not available), every 101st '-' (zero)."""
    h = _hash(coords)
    if h % 23 == 0:
        return ".."
    if h % 101 == 0:
        return "-"
    return round(5 + (h % 8000) / 100, 1)


def answer_share(coords: dict[str, str]) -> float | str:
    """A share of one answer to a question with several (mutually exclusive) answers: at most
    45 %, so that two answers never add up to more than 100 %; markers as in ``share``."""
    value = share(coords)
    return value if isinstance(value, str) else round(value / 2, 1)


def population(coords: dict[str, str]) -> int:
    return 500 + _hash(coords) % 5000


def _regions(regions: list[str]) -> Dim:
    return Dim("Region", list(regions), [f"{r} {COUNTY_NAMES.get(r, r)}" for r in regions], elimination=True)


def mobbning(regions: list[str]) -> Table:
    """MobbningReg.px as recorded: text codes, Kön 1/2 with no total, two pooled periods."""
    return Table(
        MOBBNING,
        "Mobbning i skolan efter region, kön, ålder och år. Andel (procent).",
        [
            _regions(regions),
            Dim("Kategori", ["Mobbad i skolan senaste månaderna"]),
            Dim("Hur ofta", ["2-3 ggr/månad", "Minst 1 gång/vecka"]),
            Dim("Ålder", AGES, [f"{a} år" for a in AGES]),
            Dim("Kön", ["1", "2"], ["Pojkar", "Flickor"], elimination=True),
            Dim("År", PERIODS, time=True),
        ],
        answer_share,
        updated="2023-05-30T06:00:00Z",
    )


# Only "Känt sig nere" and the two most frequent answers are on record; the other values give
# the variables their documented number of values (8 and 5).
BESVAR = ["Huvudvärk", "Ont i magen", "Ont i ryggen", "Känt sig nere", "Irriterad",
          "Nervös", "Svårt att somna", "Yr"]  # fmt: skip
FREQUENCIES = ["Ung. varje dag", "> 1 gång/vecka", "Ung. 1 gång/vecka", "Ung. 1 gång/månad",
               "Sällan eller aldrig"]  # fmt: skip


def halsobesvar(regions: list[str]) -> Table:
    """HalsobesvarReg.px: Besvär × "Antal ggr senaste halvåret", no measure, one period, no '..'."""

    def value(coords: dict[str, str]) -> float:
        return round(1 + _hash(coords) % 300 / 10, 1)

    return Table(
        HALSOBESVAR,
        "Självrapporterade hälsobesvär efter besvär, frekvens, kön, ålder, region och år. Andel (procent).",
        [
            _regions(regions),
            Dim("Besvär", BESVAR),
            Dim("Antal ggr senaste halvåret", FREQUENCIES),
            Dim("Ålder", AGES, [f"{a} år" for a in AGES]),
            Dim("Kön", ["1", "2"], ["Pojkar", "Flickor"], elimination=True),
            Dim("År", ["2021-2022"], time=True),
        ],
        value,
        updated="2023-05-30T06:00:00Z",
    )


def hlv_cell(coords: dict[str, str]) -> float | str | int:
    """One cell of hlv1psyxreg.px the way the producer computes it.

    Share p and respondents n per region, category, sex and window; cells with n < 100 blanked;
    CI = p ± 1.96·√(p(100−p)/n), lower bound floored at 0, one decimal. Category 35 stops after
    2015-2018, 21 starts 2019-2022, Gotland is '..' in 2018-2021 and 2019-2022.
    """
    key = {k: v for k, v in coords.items() if k != "Andel och konfidensintervall"}
    window, category = key["År"], key["Psykisk hälsa"]
    position = HLV_WINDOWS.index(window)
    if (category == "35" and position > HLV_WINDOWS.index("2015-2018")) or (
        category == "21" and position < HLV_WINDOWS.index("2019-2022")
    ):
        return ".."
    if key["Region"] == "09" and window in ("2018-2021", "2019-2022"):
        return ".."
    h = _hash(key)
    n = 60 + h % 3000
    if n < 100:
        return ".."
    p = round(3 + (h % 3000) / 100, 1)
    half = 1.96 * math.sqrt(p * (100 - p) / n)
    return {
        "01": p,
        "02": max(0.0, round(p - half, 1)),
        "03": round(p + half, 1),
        "04": n,
    }[coords["Andel och konfidensintervall"]]


def hlv(regions: list[str]) -> Table:
    return Table(
        HLV,
        "Psykisk hälsa efter region, kön och år. Andel (procent) och konfidensintervall.",
        [
            _regions(regions),
            Dim("Psykisk hälsa", list(HLV_CATEGORIES), list(HLV_CATEGORIES.values())),
            Dim("Andel och konfidensintervall", list(HLV_MEASURES), list(HLV_MEASURES.values())),
            Dim("Kön", ["00", "01", "02"], ["Totalt", "Kvinnor", "Män"]),
            Dim("År", HLV_WINDOWS, time=True),
        ],
        hlv_cell,
        updated="2025-06-17T06:00:00Z",
    )


def tobak(regions: list[str]) -> Table:
    """tobmhvReg.px: Region and År only (no sex, no tobacco-type variable), one decimal."""

    def value(coords: dict[str, str]) -> float:
        return round(2 + _hash(coords) % 120 / 10, 1)

    return Table(
        TOBAK,
        "Tobaksbruk i tidig graviditet efter region och år. Andel (procent).",
        [_regions(regions), Dim("År", TOBAK_YEARS, time=True)],
        value,
        updated="2025-04-10T06:00:00Z",
    )


def fohm_tables(regions: list[str]) -> list[Table]:
    """The Folkhälsodata tables whose shape is on record; no other path exists on this server."""
    return [mobbning(regions), halsobesvar(regions), hlv(regions), tobak(regions)]


def _tab638_dims() -> list[Dim]:
    """TAB638's variables: from the recorded metadata when present, else the same codes here."""
    if TAB638_METADATA.exists():
        body = json.loads(TAB638_METADATA.read_text(encoding="utf-8"))
        dims = []
        for code in body["id"]:
            dim = body["dimension"][code]
            category = dim["category"]
            values = sorted(category["index"], key=category["index"].get)
            dims.append(
                Dim(
                    code,
                    values,
                    [category["label"][v] for v in values],
                    elimination=bool((dim.get("extension") or {}).get("elimination")),
                    time=code in body["role"]["time"],
                )
            )
        return dims
    ages = [*(str(a) for a in range(100)), "100+", "tot"]
    return [
        Dim("Region", ["00", *COUNTIES], elimination=True),
        Dim("Civilstand", ["OG", "G", "SK", "ÄNKL"], ["ogifta", "gifta", "skilda", "änkor/änklingar"], True),
        Dim("Alder", ages, [f"{a} år" for a in ages], elimination=True),
        Dim("Kon", ["1", "2"], ["män", "kvinnor"], elimination=True),
        Dim("ContentsCode", ["BE0101N1", "BE0101N2"], ["Folkmängd", "Folkökning"]),
        Dim("Tid", [str(y) for y in range(1968, 2025)], time=True),
    ]


def population_table(regions: list[str], years: list[str]) -> Table:
    """TAB638 with its real variables and codes, limited to ``regions`` and ``years``."""
    dims = []
    for dim in _tab638_dims():
        if dim.code == "Region":
            dim = Dim("Region", list(regions), None, elimination=True)
        elif dim.code == "Tid":
            dim = Dim("Tid", list(years), None, time=True)
        dims.append(dim)
    return Table(
        "TAB638",
        "Folkmängd efter region, civilstånd, ålder, kön och år",
        dims,
        population,
        updated="2025-02-21T07:00:00Z",
    )


def pxweb_states(
    fohm_regions: list[str], scb_regions: list[str], years: list[str], **limits: int
) -> tuple[PxServerState, PxServerState]:
    """Two servers' worth of tables: SCB (TAB638) and Folkhälsodata (the tables on record)."""
    scb, fohm = PxServerState(**limits), PxServerState(**limits)
    scb.add(population_table(scb_regions, years))
    for table in fohm_tables(fohm_regions):
        fohm.add(table)
    return scb, fohm
