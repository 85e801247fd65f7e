"""Codes and floors shared by every layer: one definition each (``ingest/codes.py``)."""

from __future__ import annotations

import ast
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


def test_settings_read_every_variable_with_its_default() -> None:
    from ingest.settings import DEFAULT_BASE_URLS, DEFAULT_WAREHOUSE_DIR, Settings

    default = Settings.from_environment({})
    assert default.warehouse_dir == DEFAULT_WAREHOUSE_DIR and default.base_urls == DEFAULT_BASE_URLS
    assert not default.force and not default.strict and default.report_counties == ()
    given = Settings.from_environment(
        {"SCB_BASE_URL": "http://127.0.0.1:8766/api/v2", "BARNHALSA_FORCE": "1", "BARNHALSA_STRICT": "no",
         "BARNHALSA_REPORT_COUNTIES": " 17, 24 ,", "BARNHALSA_WAREHOUSE_DIR": "/tmp/w"}
    )  # fmt: skip
    assert given.base_urls["scb"] == "http://127.0.0.1:8766/api/v2/" and given.base_urls_given == {"scb"}
    assert given.force and not given.strict and given.report_counties == ("17", "24")
    assert given.warehouse_dir == Path("/tmp/w").resolve()


def _library_modules() -> dict[str, str]:
    return {
        str(path.relative_to(ROOT)): path.read_text(encoding="utf-8")
        for layer in ("ingest", "warehouse", "expectations", "report", "orchestration")
        for path in (ROOT / layer).rglob("*.py")
    }


def test_only_the_settings_module_reads_the_environment() -> None:
    """Only ``ingest/settings.py`` reads environment variables; the dbt child's process plumbing
    (``orchestration/dbt.py`` sets the child's variables, ``orchestration/dbt_child.py`` reads
    them) is the one exception."""
    plumbing = {"ingest/settings.py", "orchestration/dbt.py", "orchestration/dbt_child.py"}
    reads = re.compile(r"\bos\.environ\b|\bgetenv\b|\bfrom os import\b[^\n]*\benviron\b")
    found = sorted(path for path, text in _library_modules().items() if reads.search(text))
    assert set(found) - plumbing == set()


def test_settings_are_read_by_the_entry_points_only() -> None:
    """``Settings.from_environment`` is called by the Dagster resources when they are made and by
    each command line's ``main``; every other function takes the values as arguments."""
    made_by_resources = "orchestration/resources.py"
    found = []
    for path, text in _library_modules().items():
        if path in ("ingest/settings.py", made_by_resources):
            continue
        tree = ast.parse(text)
        inside_main = {
            id(node)
            for function in ast.walk(tree)
            if isinstance(function, ast.FunctionDef) and function.name == "main"
            for node in ast.walk(function)
        }
        found += [
            f"{path}:{node.lineno}"
            for node in ast.walk(tree)
            if isinstance(node, ast.Attribute | ast.Name)
            and "from_environment" in (getattr(node, "attr", None), getattr(node, "id", None))
            and id(node) not in inside_main
        ]
    assert found == []
    assert "from_environment" in _library_modules()[made_by_resources]
