"""Local PxWeb tables shaped like the catalogue's (catalog/pxweb_tables.yml), with values
tests can recompute: ``share(coords)`` and ``population(coords)``."""

from __future__ import annotations

import zlib

from ingest.catalog import PxTable, load_pxweb_tables
from tests.pxweb_server import Dim, PxServerState, Table

COUNTIES = ["01", "03", "04", "05", "06", "07", "08", "09", "10", "12", "13", "14", "17", "18",
            "19", "20", "21", "22", "23", "24", "25"]  # fmt: skip
PERIODS = ["2017-2018", "2021-2022"]
AGES = ["11", "13", "15"]


def _hash(coords: dict[str, str]) -> int:
    return zlib.crc32(repr(sorted(coords.items())).encode())


def share(coords: dict[str, str]) -> float | str:
    """A share in percent; every 23rd cell is '..' (not available), every 101st '-' (zero)."""
    h = _hash(
        {
            k: v
            for k, v in coords.items()
            if "konfidens" not in k.lower() and k != "Andel och konfidensintervall"
        }
    )
    if h % 23 == 0:
        return ".."
    if h % 101 == 0:
        return "-"
    return round(5 + (h % 8000) / 100, 1)


def population(coords: dict[str, str]) -> int:
    return 500 + _hash(coords) % 5000


def measure_value(spec: PxTable, coords: dict[str, str]) -> float | str | int:
    role = {code: role for role, code in spec.measure_codes.items()}[coords[spec.measure_variable]]
    base = share(coords)
    if isinstance(base, str):
        return base
    return {
        "value": base,
        "ci_low": round(base - 2.5, 1),
        "ci_high": round(base + 2.5, 1),
        "n": 400,
    }[role]


def table_for(spec: PxTable, regions: list[str]) -> Table:
    """A table with exactly the variables and codes the catalogue selects and maps."""
    dims: list[Dim] = []
    for name in spec.select:
        if name == spec.region:
            dims.append(Dim(name, list(regions), [f"{r} Län" for r in regions]))
        elif name == spec.time:
            dims.append(Dim(name, PERIODS, time=True))
        elif name == spec.age:
            dims.append(Dim(name, AGES, [f"{a} år" for a in AGES]))
        elif name == spec.sex_variable:
            dims.append(Dim(name, list(spec.sex_codes), elimination=True))
        elif name == spec.measure_variable:
            dims.append(Dim(name, list(spec.measure_codes.values())))
        else:
            codes = sorted({where[name] for where in spec.indicators.values() if name in where})
            dims.append(Dim(name, [*codes, "Övrigt"] if codes else ["Alla"]))
    value = (lambda c: measure_value(spec, c)) if spec.measure_variable else share
    return Table(spec.table, f"Test table {spec.key}", dims, value, updated="2024-05-30T06:00:00Z")


def population_table(spec: PxTable, regions: list[str], years: list[str]) -> Table:
    return Table(
        spec.table,
        "Folkmängd efter region, civilstånd, ålder, kön och år",
        [
            Dim("Region", regions, elimination=True),
            Dim("Civilstand", ["OG", "G", "SK", "ÄNKL"], elimination=True),
            Dim("Alder", [str(a) for a in range(0, 101)], elimination=True),
            Dim("Kon", ["1", "2"], ["män", "kvinnor"], elimination=True),
            Dim("ContentsCode", ["BE0101N1"]),
            Dim("Tid", years, time=True),
        ],
        population,
        updated="2025-02-21T07:00:00Z",
    )


def catalogue_state(
    fohm_regions: list[str], scb_regions: list[str], years: list[str], **limits: int
) -> tuple[PxServerState, PxServerState]:
    """Two servers' worth of tables: SCB (population) and FoHM (every catalogue table)."""
    scb, fohm = PxServerState(**limits), PxServerState(**limits)
    for spec in load_pxweb_tables():
        if spec.source == "scb":
            scb.add(population_table(spec, scb_regions, years))
        else:
            fohm.add(table_for(spec, fohm_regions))
    return scb, fohm
