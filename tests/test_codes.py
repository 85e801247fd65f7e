"""Codes and floors shared by every layer: one definition each (``ingest/codes.py``)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ingest import codes
from ingest.http import SourceError
from ingest.pxweb import time_period

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ("ingest", "warehouse", "expectations", "orchestration", "report", "localsources")


@pytest.mark.parametrize(
    ("label", "years"),
    [("2024", (2024, 2024)), ("2021-2022", (2021, 2022)), ("2023/24", (2023, 2024)),
     ("ht 2023", (2023, 2023)), (" 2019 – 2022 ", (2019, 2022)), ("1999/00", None),
     ("2024-2023", None), ("läsåret 23", None), ("", None)],
)  # fmt: skip
def test_one_period_contract_raises_naming_the_label(label: str, years: tuple[int, int] | None) -> None:
    if years is None:
        with pytest.raises(ValueError, match=re.escape(repr(label))):
            codes.parse_period(label)
        with pytest.raises(SourceError, match=r"TAB638: time value .*" + re.escape(repr(label))):
            time_period(label, "TAB638")  # PxWeb's table name added to the same message
    else:
        assert codes.parse_period(label) == time_period(label, "TAB638") == years


def test_kolada_ids_become_region_codes() -> None:
    assert [codes.region_code(i) for i in ("0000", "0017", "0001", "1780", "0180", "17")] == [
        "00", "17", "01", "1780", "0180", "17",
    ]  # fmt: skip


def test_each_shared_code_and_floor_is_defined_once() -> None:
    names = ("SEXES", "MIN_RESPONDENTS", "MIN_RESPONSE_RATE", "LOW_PRECISION_BELOW", "PERIOD")
    definition = re.compile(rf"^(?:{'|'.join(names)})\s*=|^def (?:parse_period|region_code)\(", re.M)
    found = {
        str(path.relative_to(ROOT)): definition.findall(path.read_text(encoding="utf-8"))
        for layer in LAYERS
        for path in (ROOT / layer).rglob("*.py")
    }
    assert {path: hits for path, hits in found.items() if hits and path != "ingest/codes.py"} == {}
    assert len(found["ingest/codes.py"]) == len(names) + 2
