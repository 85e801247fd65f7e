"""Local PxWeb tables shaped like the real ones, never like the catalogue.

Each Folkhälsodata table is written from what the live API is on record to answer
(``../shared/recordings/fohm`` and ``../shared/research/real-sources.md``): its variable names,
its value codes (texts on HBSC tables, numbers on HLV) and its periods. Tables with no shape on
record are not served at all, as an unknown path is answered by the real server: 400
"Parameter error". SCB's TAB638 is built from the recorded metadata when ``../shared`` is
present (otherwise from the same codes written out here). The catalogue has to fit these
tables; ``tests/test_real_shapes.py`` checks that it does and that these doubles match the
recordings.

Values are invented demo data, not official statistics, but plausible and recomputable by
tests: ``share(coords)``, ``answer_share(coords)``, ``halsobesvar_share(coords)``,
``hlv_cell(coords)``, ``tobacco_share(coords)``; each table and category has its own level,
regions a fixed offset, periods a small trend, and the marker pattern ('..', '-') is fixed by
the coordinates. TAB638 is ``localsources.demo_data.Population`` of the served regions: a county is the
sum of its served municipalities, totals the sums of their parts; ``population(coords)`` is a
region's cell on its own (a municipality's is the same whatever else is served).
"""

from __future__ import annotations

import json
import math
import zlib
from pathlib import Path

from localsources.demo_data import COUNTIES, Population, own_size, sym, unit
from localsources.pxweb_server import Dim, PxServerState, Table

RECORDINGS = Path(__file__).resolve().parents[2] / "shared" / "recordings"
TAB638_METADATA = RECORDINGS / "scb" / "scb_v2_TAB638_metadata.json"

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


def _marker(coords: dict[str, str]) -> str | None:
    """Every 23rd cell is '..' (not available), every 101st '-' (zero), as before."""
    h = _hash(coords)
    if h % 23 == 0:
        return ".."
    if h % 101 == 0:
        return "-"
    return None


def _region_factor(coords: dict[str, str], topic: str, spread: float) -> float:
    """A region's fixed distance from the national level of one topic (Riket: none)."""
    region = coords.get("Region", "00")
    return 1.0 if region == "00" else 1 + spread * sym("region", region, topic)


def share(coords: dict[str, str]) -> float | str:
    """A share in percent of a category with its own level (5-60 %, from the coordinates other
    than region and period), a fixed offset per region, a small change per period and little
    noise; every 23rd cell is '..' (not available), every 101st '-' (zero)."""
    marker = _marker(coords)
    if marker is not None:
        return marker
    category = {k: v for k, v in coords.items() if k not in ("Region", "År")}
    level = 5 + 55 * unit("share", sorted(category.items()))
    periods = {p: i for i, p in enumerate(PERIODS)}
    trend = 1 + 0.05 * sym("trend", sorted(category.items())) * periods.get(coords.get("År", ""), 0)
    noise = 1 + 0.05 * sym(_hash(coords))
    return round(level * _region_factor(coords, repr(category), 0.15) * trend * noise, 1)


# MobbningReg.px: share of pupils bullied, by answer (mutually exclusive), age, sex and period
BULLIED = {"2-3 ggr/månad": 4.0, "Minst 1 gång/vecka": 3.0}  # 13-year-olds, both sexes
BULLIED_AGE = {"11": 1.3, "13": 1.0, "15": 0.75}
BULLIED_PERIOD = {"2017-2018": 0.9, "2021-2022": 1.1}
HBSC_SEX = {"1": 0.95, "2": 1.05}  # Kön: 1 pojkar, 2 flickor


def _mean_factor(table: dict[str, float], code: str | None) -> float:
    """The factor of a code; its mean where the variable is left out (eliminated)."""
    return table.get(code, 1.0) if code is not None else sum(table.values()) / len(table)


def answer_share(coords: dict[str, str]) -> float | str:
    """A share of one answer to a question with several (mutually exclusive) answers: on
    MobbningReg, bullied 2-3 times a month about 3-8 % and at least once a week about 2-6 %,
    more among 11-year-olds, a little more in 2021-2022; never above 45 %, so that two answers
    never add up to more than 100 %; markers as in ``share``."""
    marker = _marker(coords)
    if marker is not None:
        return marker
    answer = coords.get("Hur ofta")
    if answer not in BULLIED:
        value = share(coords)
        return value if isinstance(value, str) else round(value / 2, 1)
    level = (
        BULLIED[answer]
        * _mean_factor(BULLIED_AGE, coords.get("Ålder"))
        * _mean_factor(HBSC_SEX, coords.get("Kön"))
        * _mean_factor(BULLIED_PERIOD, coords.get("År"))
        * _region_factor(coords, "mobbning", 0.25)
        * (1 + 0.08 * sym(_hash(coords)))
    )
    return round(min(45.0, level), 1)


def population(coords: dict[str, str]) -> int:
    """A TAB638 cell of a region on its own (``localsources.demo_data.Population`` with nothing
    served beside it): a municipality's cell is the same whatever else is served."""
    return _ALONE(coords)


_ALONE = Population()


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
# Shares among 15-year-old girls of the first four frequencies (the fifth is the rest of 100)
BESVAR_LEVELS = {
    "Huvudvärk": (8, 15, 14, 22), "Ont i magen": (5, 10, 12, 22), "Ont i ryggen": (5, 9, 10, 18),
    "Känt sig nere": (12, 16, 12, 20), "Irriterad": (12, 18, 16, 24), "Nervös": (10, 14, 14, 22),
    "Svårt att somna": (15, 16, 12, 18), "Yr": (4, 8, 10, 18),
}  # fmt: skip
BESVAR_AGE = {"11": 0.6, "13": 0.8, "15": 1.0}  # weekly or more often; monthly: its square root
BESVAR_SEX = {"1": 0.6, "2": 1.0}  # boys report fewer complaints than girls


def halsobesvar_share(coords: dict[str, str]) -> float:
    """A share of HalsobesvarReg.px: the five frequencies of one complaint add up to 100; more
    frequent complaints among older pupils and girls ("Känt sig nere" more than once a week:
    about 10 % of 11-year-old boys, 30 % of 15-year-old girls)."""
    besvar = coords.get("Besvär", "Känt sig nere")
    frequency = coords.get("Antal ggr senaste halvåret", FREQUENCIES[0])
    if frequency == FREQUENCIES[-1]:
        return round(100 - sum(halsobesvar_share({**coords, "Antal ggr senaste halvåret": f})
                               for f in FREQUENCIES[:-1]), 1)  # fmt: skip
    index = FREQUENCIES.index(frequency)
    factor = _mean_factor(BESVAR_AGE, coords.get("Ålder")) * _mean_factor(BESVAR_SEX, coords.get("Kön"))
    if index == 3:
        factor = math.sqrt(factor)
    region = _region_factor(coords, besvar, 0.12)
    return round(BESVAR_LEVELS[besvar][index] * factor * region * (1 + 0.05 * sym(_hash(coords))), 1)


def halsobesvar(regions: list[str]) -> Table:
    """HalsobesvarReg.px: Besvär × "Antal ggr senaste halvåret", no measure, one period, no '..'."""
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
        halsobesvar_share,
        updated="2023-05-30T06:00:00Z",
    )


# Shares of adults 16-84 around 2020 (both sexes) per HLV category; 48 (sömnbesvär) is the sum
# of 49 (lätta) and 50 (svåra). Women report more of each than men.
HLV_LEVELS = {"35": 17.0, "21": 5.5, "58": 7.0, "46": 13.0, "40": 4.5, "42": 2.5, "49": 30.0, "50": 8.0}
HLV_RISING = {"35", "21", "58", "46", "49", "50"}  # more common in later windows
HLV_SEX = {"01": 1.25, "02": 0.75}  # Kön: 01 kvinnor, 02 män


def _hlv_respondents(region: str, window: str, category: str, sex: str) -> int:
    """Answers in a four-year window: about 12 per 1 000 inhabitants of a county (Riket
    45 000), 53 % of them women; a category has a few fewer than the survey."""
    base = 45_000 if region == "00" else own_size(region, 2020) * 0.012
    survey = base * (0.9 + 0.2 * unit("hlv-n", region, window))
    women = 0.53 + 0.02 * sym("hlv-women", region, window)
    answered = 0.96 + 0.03 * unit("hlv-answered", category)
    return round(survey * answered * (women if sex == "01" else 1 - women))


def _hlv_share(region: str, window: str, category: str, sex: str) -> float:
    """The share of one sex ('01', '02') in one window, one decimal."""
    if category == "48":
        return round(_hlv_share(region, window, "49", sex) + _hlv_share(region, window, "50", sex), 1)
    position = HLV_WINDOWS.index(window)
    trend = 1 + 0.02 * (position - 10) if category in HLV_RISING else 1.0
    noise = 1 + 0.04 * sym("hlv", region, window, category, sex)
    region_factor = 1.0 if region == "00" else 1 + 0.15 * sym("region", region, "hlv", category)
    return round(HLV_LEVELS[category] * HLV_SEX[sex] * trend * region_factor * noise, 1)


def hlv_cell(coords: dict[str, str]) -> float | str | int:
    """One cell of hlv1psyxreg.px the way the producer computes it.

    Share p and respondents n per region, category, sex and window; cells with n < 100 blanked;
    CI = p ± 1.96·√(p(100−p)/n), lower bound floored at 0, one decimal. Category 35 stops after
    2015-2018, 21 starts 2019-2022, Gotland is '..' in 2018-2021 and 2019-2022. Each category
    has its own level (``HLV_LEVELS``), women more than men; the total is the mean of the two
    weighted by respondents, its n their sum.
    """
    key = {k: v for k, v in coords.items() if k != "Andel och konfidensintervall"}
    window, category = key["År"], key["Psykisk hälsa"]
    position = HLV_WINDOWS.index(window)
    if (category == "35" and position > HLV_WINDOWS.index("2015-2018")) or (
        category == "21" and position < HLV_WINDOWS.index("2019-2022")
    ):
        return ".."
    region = key.get("Region", "00")
    if region == "09" and window in ("2018-2021", "2019-2022"):
        return ".."
    sex = key.get("Kön", "00")
    if sex == "00":
        women, men = (_hlv_respondents(region, window, category, s) for s in ("01", "02"))
        n = women + men
        shares = (_hlv_share(region, window, category, s) for s in ("01", "02"))
        p = round((women * next(shares) + men * next(shares)) / n, 1)
    else:
        n = _hlv_respondents(region, window, category, sex)
        p = _hlv_share(region, window, category, sex)
    if n < 100:
        return ".."
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


def tobacco_share(coords: dict[str, str]) -> float:
    """Smokers or snus users in early pregnancy: about 6 % in 2014 (3-8 % by region), falling
    by about a twentieth a year; one decimal."""
    year = int(coords.get("År", TOBAK_YEARS[-1]))
    level = 6.0 * _region_factor(coords, "tobak", 0.3)
    return round(max(0.5, level * 0.95 ** (year - 2014) * (1 + 0.04 * sym(_hash(coords)))), 1)


def tobak(regions: list[str]) -> Table:
    """tobmhvReg.px: Region and År only (no sex, no tobacco-type variable), one decimal."""
    return Table(
        TOBAK,
        "Tobaksbruk i tidig graviditet efter region och år. Andel (procent).",
        [_regions(regions), Dim("År", TOBAK_YEARS, time=True)],
        tobacco_share,
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
        Population(regions),
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
