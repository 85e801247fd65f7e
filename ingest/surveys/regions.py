"""Region names and codes a survey file may use: Kolada's titles, SCB's counties, common forms."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ingest.codes import (
    region_code,
)

# --------------------------------------------------------------------------- regions

COUNTIES_PATH = Path(__file__).resolve().parents[2] / "catalog" / "counties.yml"
COUNTRY_NAMES = ("riket", "sverige", "hela landet", "hela riket")
# a region's own "whole area" row: which county or municipality it means depends on the file
NO_REGION_NAMES = ("hela länet", "länet", "hela regionen", "regionen", "hela kommunen", "kommunen")
# a name several regions answer to goes to the first rank: official names (Kolada's titles,
# SCB's county names) before municipality forms ('Kalmar kommun') before county forms ('Kalmar')
OFFICIAL, MUNICIPALITY_FORM, COUNTY_FORM = range(3)


@dataclass(frozen=True)
class County:
    code: str  # '17'
    name: str  # SCB's name: 'Värmlands län'
    short: str  # without 'län': 'Värmland'


def load_counties(path: Path = COUNTIES_PATH) -> list[County]:
    """SCB's 21 counties (catalog/counties.yml)."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [County(str(c["code"]), str(c["name"]), str(c["short"])) for c in raw["counties"]]


@dataclass
class RegionIndex:
    """Region codes and names the mart knows ('00', '17', '1780'; 'Karlstad', 'Region Värmland').

    A name resolves by rank: an official name (a Kolada title, SCB's county name, 'Riket') first,
    then municipality forms ('Karlstads kommun'), then county forms ('Värmland', 'Region
    Värmland', 'Värmlands län'). So 'Kalmar' is the municipality 0880 and 'Kalmar län' or 'Region
    Kalmar' the county 08. Two regions answering to one name at the same rank: ambiguous.
    """

    codes: set[str] = field(default_factory=set)
    names: dict[str, str | None] = field(default_factory=dict)  # normalised name -> code (None: ambiguous)

    @classmethod
    def from_kolada(
        cls, rows: Iterable[dict[str, Any]], counties: Iterable[County] | None = None
    ) -> RegionIndex:
        """From Kolada's region list (``municipality_id`` '0000' / '0017' / '1780', ``title``, ``type``)
        and SCB's county names (catalog/counties.yml unless ``counties`` is given)."""
        index = cls()
        ranked: dict[str, dict[int, set[str]]] = {}  # name -> rank -> codes

        def add(name: str, code: str, rank: int) -> None:
            ranked.setdefault(_fold(name), {}).setdefault(rank, set()).add(code)

        for row in rows:
            kolada_id = str(row["municipality_id"])
            code = region_code(kolada_id)
            index.codes.add(code)
            title = _fold(row["title"])
            add(title, code, OFFICIAL)
            if code == "00":
                for alias in COUNTRY_NAMES:
                    add(alias, code, OFFICIAL)
            elif len(code) == 2:
                if title.startswith("region ") and not title.endswith(" län"):  # not 'Region Örebro län'
                    for alias in _county_forms(title.removeprefix("region ")):
                        add(alias, code, COUNTY_FORM)
            else:
                for alias in _municipality_forms(title):
                    add(alias, code, MUNICIPALITY_FORM)
        for county in load_counties() if counties is None else counties:
            if county.code in index.codes:
                add(county.name, county.code, OFFICIAL)
                for alias in _county_forms(_fold(county.short)):
                    add(alias, county.code, COUNTY_FORM)
        for name, by_rank in ranked.items():
            codes = by_rank[min(by_rank)]
            index.names[name] = next(iter(codes)) if len(codes) == 1 else None
        return index

    def resolve(self, text: str) -> str | None:
        """The region code of a code ('1780', '0017', '17') or a name; None when unknown."""
        value = text.strip()
        if value.isdigit():
            value = region_code(value)
            if len(value) == 1:
                value = "0" + value
            return value if value in self.codes else None
        return self.names.get(_fold(value))

    def is_ambiguous(self, text: str) -> bool:
        folded = _fold(text)
        return folded in self.names and self.names[folded] is None

    def why_unresolved(self, text: str) -> str:
        """Why ``text`` names no region, for the problem report."""
        if self.is_ambiguous(text):
            return f"ambiguous region name {text!r}: more than one region has it (use the code, such as 1780)"
        if _fold(text) in NO_REGION_NAMES:
            return (
                f"unknown region {text!r}: it names no county or municipality by itself"
                " (write the region, such as Värmlands län or 17)"
            )
        return f"unknown region {text!r} (use a code such as 1780 or a name such as Karlstad)"


def _fold(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", str(text)).lower().split())


def _genitive(name: str) -> str:
    return name if name.endswith("s") else name + "s"


def _county_forms(base: str) -> list[str]:
    """'värmland' -> 'värmland', 'region värmland', 'värmlands län', 'värmland län'."""
    return [base, f"region {base}", f"{_genitive(base)} län", f"{base} län"]


def _municipality_forms(title: str) -> list[str]:
    """'karlstad' -> 'karlstads kommun', 'karlstad kommun', 'karlstads stad', 'karlstad stad'."""
    return [f"{_genitive(title)} kommun", f"{title} kommun", f"{_genitive(title)} stad", f"{title} stad"]
