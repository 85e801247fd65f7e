"""The population model behind the local servers' demo data (invented, not official statistics).

Every municipality has a fixed size (the real order of magnitude for the municipalities the
tests and ``make serve`` name, a deterministic 3 000–100 000 for the others), a small yearly
growth and an age profile close to Sweden's, with slightly more boys than girls. A county is
the sum of the municipalities served with it; a county served without any of its
municipalities, and Riket unless all 21 counties are served, has its real order of magnitude
instead. Nothing here is random: the same region, year, age and sex give the same number.

``Population(served)`` answers TAB638 cells for a set of served SCB codes ('00', '17', '1780')
and the child populations the Kolada double weighs its means with.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable
from functools import cache

COUNTIES = ["01", "03", "04", "05", "06", "07", "08", "09", "10", "12", "13", "14", "17", "18",
            "19", "20", "21", "22", "23", "24", "25"]  # fmt: skip
BASE_YEAR = 2024
OLDEST = 100  # TAB638's "100+"

# Inhabitants around 2024, rounded: the municipalities named in the built-in region sets and the
# largest ones (so that the full municipality list has a plausible shape), and every county.
MUNICIPALITY_SIZES = {
    "0180": 988_000, "1480": 605_000, "1280": 362_000, "0380": 245_000, "0580": 167_000,
    "1880": 159_000, "1980": 158_000, "1283": 151_000, "0581": 145_000, "0680": 145_000,
    "2480": 131_000, "1380": 105_000, "1780": 97_000, "2482": 75_000, "0980": 61_000,
    "1381": 26_000, "1715": 12_000,
}  # fmt: skip
COUNTY_SIZES = {
    "01": 2_450_000, "03": 400_000, "04": 302_000, "05": 470_000, "06": 370_000, "07": 205_000,
    "08": 247_000, "09": 61_000, "10": 157_000, "12": 1_420_000, "13": 345_000, "14": 1_760_000,
    "17": 283_000, "18": 307_000, "19": 280_000, "20": 288_000, "21": 287_000, "22": 243_000,
    "23": 132_000, "24": 275_000, "25": 249_000,
}  # fmt: skip
NATIONAL_SIZE = sum(COUNTY_SIZES.values())  # about 10.5 million


def unit(*parts: object) -> float:
    """A deterministic number in [0, 1) for the key ``parts`` (BLAKE2: unlike CRC-32, keys
    that differ in one part give unrelated numbers)."""
    digest = hashlib.blake2b("|".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def sym(*parts: object) -> float:
    """A deterministic number in (-1, 1), more often near 0 (the sum of two uniforms)."""
    return unit(*parts) + unit(*parts, "+") - 1


def is_municipality(code: str) -> bool:
    return len(code) == 4


def _age_weight(age: int) -> float:
    """Sweden's age profile, roughly: fewer of the youngest, a broad working age, fewer old."""
    if age < 5:
        return 1.00 + 0.02 * age
    if age < 20:
        return 1.12
    if age < 35:
        return 1.30
    if age < 60:
        return 1.22
    if age < 75:
        return 1.05
    if age < OLDEST:
        return 1.05 * math.exp(-(age - 74) / 7)
    return 0.004


@cache
def age_profile(code: str) -> tuple[float, ...]:
    """Shares of ages 0..100+ (summing to 1): the national profile, tilted per municipality
    towards younger or older inhabitants."""
    tilt = 0.15 * sym("tilt", code) if is_municipality(code) else 0.0
    weights = [max(0.0, _age_weight(a) * (1 + tilt * (45 - a) / 45)) for a in range(OLDEST + 1)]
    total = sum(weights)
    return tuple(w / total for w in weights)


def male_share(age: int) -> float:
    """Boys slightly outnumber girls; women outnumber men among the old."""
    if age < 60:
        return 0.512
    return max(0.25, 0.512 - 0.0055 * (age - 59))


@cache
def own_size(code: str, year: int) -> float:
    """A region's inhabitants in ``year`` when nothing served is summed into it."""
    if code == "00":
        base, growth = NATIONAL_SIZE, 0.007
    elif len(code) == 2:
        base, growth = COUNTY_SIZES.get(code, 250_000), 0.004 + 0.006 * unit("growth", code)
    else:
        base = MUNICIPALITY_SIZES.get(code) or 3_000 * (100 / 3) ** (unit("size", code) ** 1.3)
        growth = -0.006 + 0.018 * unit("growth", code)
    return base * (1 + growth) ** (year - BASE_YEAR)


@cache
def own_cell(code: str, year: int, age: int, sex: str) -> int:
    """Inhabitants of one age ('100' = 100+) and sex ('1' men, '2' women) in a region on its own."""
    people = own_size(code, year) * age_profile(code)[age]
    share = male_share(age) if sex == "1" else 1 - male_share(age)
    return round(people * share)


# Civilstånd (TAB638): shares of ogifta, gifta, skilda, änkor/änklingar by age.
CIVIL = ("OG", "G", "SK", "ÄNKL")


def _civil_shares(age: int) -> tuple[float, float, float, float]:
    if age < 18:
        return (1.0, 0.0, 0.0, 0.0)
    married = min(0.55, 0.025 * (age - 18)) if age < 70 else max(0.2, 0.55 - 0.012 * (age - 70))
    divorced = min(0.14, 0.004 * max(0, age - 25))
    widowed = 0.0 if age < 55 else min(0.6, 0.0003 * (age - 55) ** 2)
    return (max(0.0, 1 - married - divorced - widowed), married, divorced, widowed)


def civil_part(total: int, age: int, status: str) -> int:
    """One civil status's part of ``total``; the four parts add up to ``total`` exactly."""
    shares = _civil_shares(age)
    raw = [total * s for s in shares]
    parts = [math.floor(r) for r in raw]
    rest = total - sum(parts)
    for i in sorted(range(4), key=lambda i: raw[i] - parts[i], reverse=True)[:rest]:
        parts[i] += 1
    return parts[CIVIL.index(status)]


class Population:
    """The population of the served regions (SCB codes): a county is the sum of its served
    municipalities (its own size when none is served), Riket the sum of the counties when all
    21 are served (its own size otherwise)."""

    def __init__(self, served: Iterable[str] = ()) -> None:
        codes = set(served)
        self.members: dict[str, list[str]] = {}
        for code in sorted(codes):
            if is_municipality(code) and code[:2] in codes and code[:2] != "00":
                self.members.setdefault(code[:2], []).append(code)
        self.complete = all(c in codes for c in COUNTIES)
        self._cells: dict[tuple[str, int, int, str], int] = {}
        self._sums: dict[tuple[str, int, str], list[int]] = {}

    def cell(self, code: str, year: int, age: int, sex: str) -> int:
        """Inhabitants of ``code`` of one age (0..100, 100 = 100+) and sex ('1' or '2')."""
        key = (code, year, age, sex)
        value = self._cells.get(key)
        if value is None:
            if code == "00" and self.complete:
                value = sum(self.cell(c, year, age, sex) for c in COUNTIES)
            elif code in self.members:
                value = sum(own_cell(m, year, age, sex) for m in self.members[code])
            else:
                value = own_cell(code, year, age, sex)
            self._cells[key] = value
        return value

    def count(self, code: str, year: int, ages: Iterable[int], sex: str | None = None) -> int:
        """Inhabitants over ``ages`` of one sex ('1', '2') or both (None)."""
        ages = tuple(ages)
        if not ages:
            return 0
        if sex is None:
            return self.count(code, year, ages, "1") + self.count(code, year, ages, "2")
        if ages[-1] - ages[0] + 1 == len(ages):  # a range of ages: from the running sums
            sums = self._sums.get((code, year, sex))
            if sums is None:
                sums = [0]
                for age in range(OLDEST + 1):
                    sums.append(sums[-1] + self.cell(code, year, age, sex))
                self._sums[(code, year, sex)] = sums
            return sums[ages[-1] + 1] - sums[ages[0]]
        return sum(self.cell(code, year, a, sex) for a in ages)

    def children(self, code: str, year: int, sex: str | None = None) -> int:
        """Inhabitants aged 0-19: the weight of a region's value in a mean of regions."""
        return self.count(code, year, range(20), sex)

    def __call__(self, coords: dict[str, str]) -> int:
        """A TAB638 cell; a variable left out (eliminated) is summed over, 'tot' is every age."""
        code, year = coords.get("Region", "00"), int(coords.get("Tid", BASE_YEAR))
        age = coords.get("Alder", "tot")
        ages = range(OLDEST + 1) if age == "tot" else [OLDEST if age == "100+" else int(age)]
        sexes = [coords["Kon"]] if "Kon" in coords else ["1", "2"]
        status = coords.get("Civilstand")
        folkokning = coords.get("ContentsCode") == "BE0101N2"

        def people(y: int) -> int:
            if status is None:
                return sum(self.cell(code, y, a, s) for a in ages for s in sexes)
            return sum(civil_part(self.cell(code, y, a, s), a, status) for a in ages for s in sexes)

        return people(year) - people(year - 1) if folkokning else people(year)
