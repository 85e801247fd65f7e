"""Survey region names as people write them: SCB's county names, Kolada's titles, 'Region X',
'X län', municipality names and codes; a name shared by a municipality and a county is the
municipality."""

from __future__ import annotations

import csv
import json
import unicodedata

from ingest.surveys import RegionIndex, load_counties
from tests.conftest import recording

# Kolada-shaped: the titles as Kolada writes them (recorded list), a few counties and municipalities
KOLADA = [
    ("0000", "Riket", "L"),
    ("0001", "Region Stockholm", "L"),
    ("0003", "Region Uppsala", "L"),
    ("0004", "Region Sörmland", "L"),
    ("0006", "Region Jönköpings län", "L"),
    ("0008", "Region Kalmar", "L"),
    ("0009", "Region Gotland", "L"),
    ("0014", "Västra Götalandsregionen", "L"),
    ("0017", "Region Värmland", "L"),
    ("0018", "Region Örebro län", "L"),
    ("0023", "Region Jämtland Härjedalen", "L"),
    ("0180", "Stockholm", "K"),
    ("0380", "Uppsala", "K"),
    ("0480", "Nyköping", "K"),
    ("0680", "Jönköping", "K"),
    ("0880", "Kalmar", "K"),
    ("0980", "Gotland", "K"),
    ("1480", "Göteborg", "K"),
    ("1490", "Borås", "K"),
    ("1780", "Karlstad", "K"),
    ("1880", "Örebro", "K"),
    ("2380", "Östersund", "K"),
]
REGIONS = RegionIndex.from_kolada([{"municipality_id": i, "title": t, "type": k} for i, t, k in KOLADA])


def resolved(*names: str) -> list[str | None]:
    return [REGIONS.resolve(name) for name in names]


def test_scb_county_names_kolada_titles_and_the_forms_people_write() -> None:
    assert resolved("Västra Götalands län", "Södermanlands län", "Jämtlands län", "Jönköpings län") == [
        "14", "04", "23", "06",
    ]  # fmt: skip
    assert resolved("Västra Götalandsregionen", "Region Sörmland", "Region Jämtland Härjedalen") == [
        "14", "04", "23",
    ]  # fmt: skip
    assert resolved("Region Västra Götaland", "Västra Götaland", "Region Södermanland", "Sörmland") == [
        "14", "14", "04", "04",
    ]  # fmt: skip
    assert resolved("Region Jönköpings län", "Region Jönköping", "Region Örebro län", "Region Örebro") == [
        "06", "06", "18", "18",
    ]  # fmt: skip
    assert resolved("Jämtland", "Jämtland Härjedalen", "Värmland", "Värmlands län", "Sörmlands län") == [
        "23", "23", "17", "17", "04",
    ]  # fmt: skip
    assert resolved("Riket", "Sverige", "Hela landet", "00", "0000", "0", "14", "0014", "1480") == [
        "00", "00", "00", "00", "00", "00", "14", "14", "1480",
    ]  # fmt: skip
    assert resolved("Göteborg", "Göteborgs kommun", "Göteborgs stad", "Borås", "Borås Stad", "Karlstad") == [
        "1480", "1480", "1480", "1490", "1490", "1780",
    ]  # fmt: skip


def test_case_whitespace_and_unicode_form_do_not_matter() -> None:
    decomposed = unicodedata.normalize("NFD", "Västra Götalands län")  # as some Mac and Excel files write it
    assert decomposed != "Västra Götalands län"
    assert resolved("  VÄSTRA   götalands LÄN ", decomposed, "region\u00a0värmland", "KARLSTAD\t") == [
        "14", "14", "17", "1780",
    ]  # fmt: skip


def test_a_name_shared_by_a_municipality_and_a_county_is_the_municipality() -> None:
    # the bare name is the municipality; 'X län' and 'Region X' are the county
    for name, municipality, scb_name, county in [
        ("Kalmar", "0880", "Kalmar län", "08"),
        ("Stockholm", "0180", "Stockholms län", "01"),
        ("Uppsala", "0380", "Uppsala län", "03"),
        ("Jönköping", "0680", "Jönköpings län", "06"),
        ("Örebro", "1880", "Örebro län", "18"),
        ("Gotland", "0980", "Gotlands län", "09"),
    ]:
        assert resolved(name, f"{name} kommun", name.upper()) == [municipality] * 3, name
        assert resolved(scb_name, f"Region {name}", f"{name} län") == [county] * 3, name
        assert not REGIONS.is_ambiguous(name)


def test_two_regions_with_one_name_are_ambiguous_and_whole_area_rows_name_no_region() -> None:
    index = RegionIndex.from_kolada(
        [
            {"municipality_id": "0017", "title": "Region Värmland", "type": "L"},
            {"municipality_id": "1780", "title": "Karlstad", "type": "K"},
            {"municipality_id": "9001", "title": "Karlstad", "type": "K"},  # not real: two of one name
        ]
    )
    assert index.resolve("Karlstad") is None and index.is_ambiguous("karlstad ")
    assert index.resolve("Karlstads kommun") is None
    assert index.why_unresolved("Karlstad").startswith("ambiguous region name 'Karlstad'")
    assert index.resolve("1780") == "1780" and index.resolve("Värmlands län") == "17"

    # the county or municipality a file's own "whole area" row means is not in the row
    for text in ("Hela länet", "hela regionen", "Hela kommunen"):
        assert REGIONS.resolve(text) is None and not REGIONS.is_ambiguous(text)
        assert REGIONS.why_unresolved(text) == (
            f"unknown region {text!r}: it names no county or municipality by itself"
            " (write the region, such as Värmlands län or 17)"
        )
    assert REGIONS.why_unresolved("Atlantis") == (
        "unknown region 'Atlantis' (use a code such as 1780 or a name such as Karlstad)"
    )


def test_a_county_not_in_koladas_list_is_unknown() -> None:
    assert resolved("Skåne län", "Region Skåne", "Skåne", "12", "Hallands län") == [None] * 5


def test_the_county_catalogue() -> None:
    counties = load_counties()
    assert len(counties) == 21 and len({c.code for c in counties}) == 21
    for county in counties:
        assert len(county.code) == 2 and county.code.isdigit(), county
        assert county.name in (f"{county.short} län", f"{county.short}s län"), county


def test_every_region_in_the_recorded_scb_metadata_resolves_to_its_code() -> None:
    """TAB638's 312 Region labels (json-stat2 ``category.label``: 'Riket', 'Stockholms län',
    'Upplands Väsby', ...), against an index built from the recorded Kolada region list."""
    with recording("kolada", "rkolada_v3_municipality_list.csv").open(encoding="utf-8") as handle:
        rows = [
            {"municipality_id": r["id"], "title": r["title"], "type": r["type"]}
            for r in csv.DictReader(handle)
        ]
    metadata = json.loads(recording("scb", "scb_v2_TAB638_metadata.json").read_text(encoding="utf-8"))
    labels: dict[str, str] = metadata["dimension"]["Region"]["category"]["label"]
    assert len(labels) == 312
    index = RegionIndex.from_kolada(rows)
    wrong = {
        code: (name, index.resolve(name)) for code, name in labels.items() if index.resolve(name) != code
    }
    assert wrong == {}
    assert [index.resolve(code) for code in labels] == list(labels)
    assert not any(code is None for code in index.names.values())  # no name of the real list is ambiguous

    # the catalogue's county names are SCB's
    assert {c.code: c.name for c in load_counties()} == {
        k: v for k, v in labels.items() if len(k) == 2 and k != "00"
    }

    # the names both a municipality and a county answer to: the municipality, as documented
    municipalities = {r["title"]: r["municipality_id"] for r in rows if r["type"] == "K"}
    shared = {c.short: c.code for c in load_counties() if c.short in municipalities}
    assert sorted(shared) == ["Gotland", "Jönköping", "Kalmar", "Stockholm", "Uppsala", "Örebro"]
    for name, county in shared.items():
        assert index.resolve(name) == municipalities[name]
        assert index.resolve(f"Region {name}") == county
