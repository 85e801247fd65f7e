"""The local servers' demo data hold together: counties are made of their municipalities, totals
of girls and boys, the kommungrupper are SKR's, shares stay plausible. No server, no pipeline."""

from __future__ import annotations

import json
import statistics
from functools import cache
from typing import Any

import pytest

from localsources import DEFAULT_REGIONS, all_regions
from localsources.demo_data import COUNTIES, Population
from localsources.kolada_server import (
    DemoKolada,
    KoladaData,
    kpi_profile,
    scb_code,
    synthetic_data,
    synthetic_groups,
)
from localsources.pxweb_fixtures import (
    BULLIED,
    FREQUENCIES,
    HLV_CATEGORIES,
    HLV_WINDOWS,
    answer_share,
    halsobesvar_share,
    hlv_cell,
    population,
    pxweb_states,
    tobacco_share,
)
from tests.conftest import catalog_kpis, recording

YEARS = [2015, 2025]


@cache
def default_data() -> KoladaData:
    return synthetic_data(catalog_kpis(), YEARS, list(DEFAULT_REGIONS))


@cache
def full_data() -> KoladaData:
    return synthetic_data(catalog_kpis(), [2025], all_regions()[0])


def values(data: KoladaData, kpi: str, region: str, year: int) -> dict[str, Any] | None:
    obj = data.objects.get((kpi, region, year))
    return None if obj is None else {v["gender"]: v["value"] for v in obj["values"]}


def municipalities(data: KoladaData, county: str) -> list[str]:
    return [r["id"] for r in data.regions if r["type"] == "K" and r["id"][:2] == county]


def assert_county_from_municipalities(data: KoladaData, model: DemoKolada, kpi: str, year: int) -> int:
    """Each county's value of ``kpi`` is the population-weighted mean (a count: the sum) of its
    served municipalities' present values; returns the number of counties checked."""
    checked = 0
    for region in data.regions:
        if region["type"] != "L" or region["id"] == "0000":
            continue
        county = values(data, kpi, region["id"], year)
        members = {m: values(data, kpi, m, year) for m in municipalities(data, region["id"][2:])}
        present = {m: v for m, v in members.items() if v is not None and v["T"] is not None}
        if county is None or not present:
            continue
        for gender, value in county.items():
            if kpi_profile(kpi).is_count:
                assert value == sum(v[gender] for v in present.values()), (kpi, region["id"], year, gender)
                continue
            weights = {m: model.weight(kpi, scb_code(m), year, gender) for m in present}
            mean = sum(weights[m] * v[gender] for m, v in present.items()) / sum(weights.values())
            assert value == pytest.approx(mean, abs=0.051), (kpi, region["id"], year, gender)
        checked += 1
    return checked


def test_a_kolada_county_is_the_weighted_mean_of_its_served_municipalities() -> None:
    data = default_data()
    model = DemoKolada(data.regions)
    checked = sum(
        assert_county_from_municipalities(data, model, kpi, year)
        for kpi in catalog_kpis()
        if data.kpis[kpi]["municipality_type"] == "A"
        for year in YEARS
    )
    assert checked > 100  # four counties with municipalities, every type-A KPI, two years


def test_riket_is_the_weighted_mean_of_the_counties_when_all_are_served() -> None:
    data = full_data()
    model = DemoKolada(data.regions)
    counties = [f"00{c}" for c in COUNTIES]
    for kpi in catalog_kpis():
        if data.kpis[kpi]["municipality_type"] == "K":
            continue
        sweden = values(data, kpi, "0000", 2025)
        for gender, value in sweden.items():
            parts = {c: values(data, kpi, c, 2025)[gender] for c in counties}
            if kpi_profile(kpi).is_count:
                assert value == sum(parts.values()), (kpi, gender)
                continue
            weights = {c: model.weight(kpi, scb_code(c), 2025, gender) for c in counties}
            mean = sum(weights[c] * v for c, v in parts.items()) / sum(weights.values())
            assert value == pytest.approx(mean, abs=0.051), (kpi, gender)


def test_kolada_totals_are_girls_and_boys() -> None:
    data = default_data()
    counts = shares = 0
    for (kpi, region, year), obj in data.objects.items():
        v = {e["gender"]: e["value"] for e in obj["values"]}
        if set(v) != {"T", "K", "M"} or None in v.values():
            continue
        if kpi_profile(kpi).is_count:
            assert v["T"] == v["K"] + v["M"], (kpi, region, year)
            counts += 1
        else:  # a weighted mean of the two lies between them
            assert min(v["K"], v["M"]) - 0.05 <= v["T"] <= max(v["K"], v["M"]) + 0.05, (kpi, region, year)
            shares += 1
    assert counts > 20 and shares > 500


def test_kolada_counts_of_inhabitants_are_scbs_population() -> None:
    data = default_data()
    people = Population(scb_code(r["id"]) for r in data.regions)
    for region in data.regions:
        served = values(data, "N01919", region["id"], 2025)
        assert served["T"] == people.count(scb_code(region["id"]), 2025, range(20))


def test_missing_kolada_values_are_rare_and_only_municipal() -> None:
    data = full_data()
    missing = [key for key, obj in data.objects.items() if obj["values"][0]["status"] == "Missing"]
    assert 0 < len(missing) < 0.05 * len(data.objects)
    assert all(len(region) == 4 and not region.startswith("00") for _, region, _ in missing)


def test_every_share_is_within_0_100_and_municipalities_are_within_25_points() -> None:
    data = full_data()
    percent = [k for k in catalog_kpis() if kpi_profile(k).unit == "percent"]
    for kpi in percent:
        for gender in ("T", "K", "M"):
            served = [
                v[gender]
                for (k, region, _), obj in data.objects.items()
                if k == kpi
                for v in [{e["gender"]: e["value"] for e in obj["values"]}]
                if gender in v and v[gender] is not None and not region.startswith("00")
            ]
            if not served:
                continue
            assert all(0 <= v <= 100 for v in served), kpi
            median = statistics.median(served)
            assert all(abs(v - median) <= 25 for v in served), (kpi, gender, min(served), max(served))
            assert len(set(served)) >= min(10, len(served))  # municipalities differ
    long = synthetic_data(percent, list(range(2011, 2027)), list(DEFAULT_REGIONS))
    assert all(
        0 <= e["value"] <= 100
        for obj in long.objects.values()
        for e in obj["values"]
        if e["value"] is not None
    )


def test_kolada_levels_fit_the_kpi() -> None:
    data = default_data()

    def mean(kpi: str) -> float:
        served = [values(data, kpi, r["id"], 2025)["T"] for r in data.regions if r["type"] == "K"]
        return statistics.mean(v for v in served if v is not None)

    assert 60 <= mean("N17445") <= 80  # gymnasieexamen inom 3 år
    assert 75 <= mean("N15428") <= 95  # behöriga till yrkesprogram
    assert 190 <= mean("N15505") <= 260  # meritvärde
    assert 90 <= mean("N01481") <= 100  # MPR-vaccinerade 2-åringar
    assert synthetic_data(["N15428"], YEARS).objects == synthetic_data(["N15428"], YEARS).objects


def test_population_county_is_the_sum_of_its_municipalities_and_riket_the_largest() -> None:
    codes = [scb_code(r["id"]) for r in DEFAULT_REGIONS]
    scb, _ = pxweb_states([], codes, ["2024", "2025"], max_calls=1000)
    cell = scb.tables["TAB638"].value
    for year in ("2024", "2025"):
        for age in ("0", "7", "15", "40", "100+", "tot"):
            for sex in ("1", "2"):
                coords = {"Alder": age, "Kon": sex, "ContentsCode": "BE0101N1", "Tid": year}
                counties = {}
                for county in (c for c in codes if len(c) == 2 and c != "00"):
                    members = [m for m in codes if len(m) == 4 and m[:2] == county]
                    counties[county] = cell({**coords, "Region": county})
                    assert members and counties[county] == sum(cell({**coords, "Region": m}) for m in members)
                assert all(cell({**coords, "Region": "00"}) >= v for v in counties.values())
            both = {"Alder": age, "ContentsCode": "BE0101N1", "Tid": year, "Region": "1780"}
            assert cell(both) == cell({**both, "Kon": "1"}) + cell({**both, "Kon": "2"})
    total = {"Region": "17", "Kon": "2", "Tid": "2025"}
    assert cell({**total, "Alder": "tot"}) == sum(
        cell({**total, "Alder": a}) for a in [*(str(a) for a in range(100)), "100+"]
    )
    karlstad = cell({"Region": "1780", "Tid": "2025", "Alder": "tot"})
    assert 90_000 <= karlstad <= 105_000 and cell(
        {"Region": "1780", "Tid": "2025", "Alder": "tot"}
    ) == population({"Region": "1780", "Tid": "2025"})
    boys, girls = (cell({"Region": "1780", "Tid": "2025", "Alder": "10", "Kon": s}) for s in ("1", "2"))
    assert girls < boys < 1.1 * girls


def test_population_riket_is_the_sum_of_the_counties_when_all_are_served() -> None:
    codes = ["00", *COUNTIES, "1780", "1715"]
    people = Population(codes)
    for age in (0, 10, 50):
        assert people.cell("00", 2025, age, "2") == sum(people.cell(c, 2025, age, "2") for c in COUNTIES)
    alone = Population(["00", "17"])
    assert 10_000_000 <= alone.count("00", 2025, range(101)) <= 11_000_000


RECORDED_NAMES = {
    "Pendlingskommun nära mindre tätort": "Pendlingskommun nära mindre stad/tätort",
    "Landsbygdskommun, ej nära större stad": "Landsbygdskommun",
}


def test_kommungrupper_are_skrs() -> None:
    path = recording("kolada", "kolada_v2_municipality_groups_values.json")
    recorded = {}
    for group in json.loads(path.read_text(encoding="utf-8")):
        if group["id"] in {f"G{n}" for n in range(92786, 92795)}:
            name = group["title"].removesuffix(" (ovägt medel)")
            for member in group["members"]:
                recorded[member["member_id"]] = RECORDED_NAMES.get(name, name)
    served = {
        m["member_id"]: g["title"].split(", SKR:s")[0]
        for g in synthetic_groups(all_regions()[0])
        if g["title"].endswith("kommungruppsindelning 2023")
        for m in g["members"]
    }
    for municipality in ("2480", "1780", "1715", "0980", "2482", "1380"):  # Umeå, Karlstad, Kil, ...
        assert served[municipality] == recorded[municipality], municipality
    assert served == recorded  # and every other municipality
    from localsources.kolada_server import KNOWN_GROUPS  # the fallback agrees with the recording

    assert all(recorded[m] == name for m, name in KNOWN_GROUPS.items())


def test_folkhalsodata_shares_are_plausible() -> None:
    for region in ("00", "17", "24"):
        for age in ("11", "13", "15"):
            for sex in ("1", "2"):
                coords = {"Region": region, "Kategori": "Mobbad i skolan senaste månaderna", "Ålder": age,
                          "Kön": sex, "År": "2021-2022"}  # fmt: skip
                bullied = [answer_share({**coords, "Hur ofta": h}) for h in BULLIED]
                assert all(isinstance(v, str) or 1 <= v <= 10 for v in bullied)
                complaint = {"Region": region, "Besvär": "Känt sig nere", "Ålder": age, "Kön": sex,
                             "År": "2021-2022"}  # fmt: skip
                shares = [
                    halsobesvar_share({**complaint, "Antal ggr senaste halvåret": f}) for f in FREQUENCIES
                ]
                assert sum(shares) == pytest.approx(100, abs=0.05) and all(v > 0 for v in shares)
                assert 5 <= shares[0] + shares[1] <= 40
        nere = {
            (age, sex): sum(
                halsobesvar_share(
                    {
                        "Region": region,
                        "Besvär": "Känt sig nere",
                        "Ålder": age,
                        "Kön": sex,
                        "År": "2021-2022",
                        "Antal ggr senaste halvåret": f,
                    }
                )
                for f in FREQUENCIES[:2]
            )  # fmt: skip
            for age in ("11", "15")
            for sex in ("1", "2")
        }
        assert (
            nere[("11", "1")] < nere[("15", "1")] < nere[("15", "2")]
            and nere[("11", "2")] < nere[("15", "2")]
        )
        tobacco = [tobacco_share({"Region": region, "År": str(y)}) for y in (2014, 2024)]
        assert 2.5 <= tobacco[0] <= 9 and tobacco[1] < tobacco[0]
    for category in HLV_CATEGORIES:
        for window in HLV_WINDOWS:
            coords = {"Region": "17", "Psykisk hälsa": category, "År": window}
            cells = {
                sex: [
                    hlv_cell({**coords, "Kön": sex, "Andel och konfidensintervall": m})
                    for m in ("01", "02", "03", "04")
                ]
                for sex in ("00", "01", "02")
            }
            if isinstance(cells["00"][0], str):
                continue
            (p, low, high, n), women, men = cells["00"], cells["01"], cells["02"]
            assert 0.5 <= p <= 60 and low <= p <= high and n == women[3] + men[3]
            assert men[0] - 0.05 <= p <= women[0] + 0.05  # women report more; the total between
    sleep = {c: hlv_cell({"Region": "00", "Psykisk hälsa": c, "Kön": "01", "År": "2021-2024",
                          "Andel och konfidensintervall": "01"}) for c in ("48", "49", "50")}  # fmt: skip
    assert sleep["48"] == pytest.approx(sleep["49"] + sleep["50"], abs=0.05)
