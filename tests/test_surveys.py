"""Regional survey files: reading, every validation error, strict specs, suppression, load and sensor."""

from __future__ import annotations

import functools
import math
import os
import random
import re
import shutil
from pathlib import Path

import duckdb
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest import surveys
from ingest.surveys import RegionIndex, SurveyError
from localsources.kolada_server import SMALL_REGIONS
from tests.conftest import Published, dbt_in
from warehouse.load import replace_raw_table
from warehouse.raw_tables import RAW_TABLES

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "surveys"
SPEC = "exempelenkaten.yml"
DATA = "exempelenkaten_2023_24.csv"
REGIONS = RegionIndex.from_kolada(
    [{"municipality_id": r["id"], "title": r["title"], "type": r["type"]} for r in SMALL_REGIONS]
)


@pytest.fixture
def drop(tmp_path: Path) -> Path:
    """A drop folder holding a copy of the example survey."""
    folder = tmp_path / "surveys"
    folder.mkdir()
    for name in (SPEC, DATA):
        shutil.copy(EXAMPLE / name, folder / name)
    return folder


def parse(folder: Path) -> surveys.ParsedSurvey:
    return surveys.parse_survey(folder / SPEC, REGIONS)


def edit_spec(folder: Path, old: str, new: str) -> None:
    path = folder / SPEC
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def edit_data(folder: Path, line: int, old: str, new: str) -> None:
    """Replace ``old`` by ``new`` on one line (1 = the header) of the example CSV."""
    path = folder / DATA
    lines = path.read_bytes().decode("utf-8").split("\r\n")
    assert old in lines[line - 1], (old, lines[line - 1])
    lines[line - 1] = lines[line - 1].replace(old, new, 1)
    path.write_text("\r\n".join(lines), encoding="utf-8")


def problems_of(folder: Path) -> list[surveys.Problem]:
    with pytest.raises(SurveyError) as caught:
        parse(folder)
    return caught.value.problems


# --------------------------------------------------------------------------- reading


def test_example_parses_with_decimal_comma_names_and_grades(drop: Path) -> None:
    survey = parse(drop)
    assert len(survey.rows) == 96
    first = survey.rows[0]
    assert first == {
        "indicator_id": "survey_exempel_framtidstro",
        "region_code": "1780",
        "period_label": "2023/24",
        "period_start": 2023,
        "period_end": 2024,
        "sex": "total",
        "age_group": "ak8",
        "value": 78.0,
        "ci_low": 74.0,
        "ci_high": 82.0,
        "n": 420.0,
        "n_asked": 520.0,
        "file_row": 2,
    }
    assert {r["region_code"] for r in survey.rows} == {"1780", "1715", "17", "00"}  # Värmlands län, Riket


def test_windows_1252_file_reads_the_same(drop: Path) -> None:
    expected = parse(drop).rows
    data = drop / DATA
    data.write_bytes(data.read_text(encoding="utf-8").encode("cp1252"))
    edit_spec(drop, "encoding: utf-8", "encoding: windows-1252")
    assert parse(drop).rows == expected


def test_wrong_encoding_is_reported_both_ways(drop: Path) -> None:
    data = drop / DATA
    utf8 = data.read_bytes()
    data.write_bytes(utf8.decode("utf-8").encode("cp1252"))
    (problem,) = problems_of(drop)
    assert (problem.file, problem.row) == (DATA, 1)
    assert "wrong encoding" in problem.reason and "windows-1252" in problem.reason

    data.write_bytes(utf8)
    edit_spec(drop, "encoding: utf-8", "encoding: windows-1252")
    (problem,) = problems_of(drop)
    assert "UTF-8 read as windows-1252; set encoding: utf-8" in problem.reason


def test_comma_separated_with_decimal_point_and_detected_separator(drop: Path) -> None:
    expected = parse(drop).rows
    data = drop / DATA
    rows = [line.split(";") for line in data.read_bytes().decode("utf-8").split("\r\n") if line]
    cells = [[c.replace(",", ".") for c in row] for row in rows]
    data.write_text("\n".join(",".join(row) for row in cells), encoding="utf-8")
    edit_spec(drop, 'separator: ";"', "")
    edit_spec(drop, 'decimal: ","', 'decimal: "."')
    assert parse(drop).rows == expected


def test_xlsx_reads_the_same(drop: Path) -> None:
    from openpyxl import Workbook

    expected = parse(drop).rows
    book = Workbook()
    sheet = book.active
    sheet.title = "Resultat"
    numeric = {"Andel (%)", "Antal svar", "Antal tillfrågade", "KI nedre", "KI övre"}
    lines = (drop / DATA).read_bytes().decode("utf-8").split("\r\n")
    header = lines[0].split(";")
    sheet.append(header)
    for line in lines[1:]:
        if line:
            cells = line.split(";")
            pairs = zip(header, cells, strict=True)
            sheet.append([float(c.replace(",", ".")) if h in numeric else c for h, c in pairs])
    book.save(drop / "exempelenkaten.xlsx")
    edit_spec(drop, f"file: {DATA}", "file: exempelenkaten.xlsx\nsheet: Resultat")
    assert parse(drop).rows == expected


# --------------------------------------------------------------------------- validation, one fault each

# (line of the CSV, old text, new text, column named, words in the reason)
FAULTS = {
    "bad number": (2, ";78,0;", ";78,0x;", "Andel (%)", "bad number '78,0x'"),
    "decimal point under decimal comma": (2, ";78,0;", ";78.0;", "Andel (%)", "bad number '78.0'"),
    "unknown region": (2, "Karlstad;", "Karlsta;", "Kommun", "unknown region 'Karlsta'"),
    "share above 100": (2, ";78,0;420", ";140,0;420", "Andel (%)", "share 140 is outside 0–100"),
    "negative n": (2, ";420;", ";-420;", "Antal svar", "n is negative"),
    "n asked below n": (2, ";420;520;", ";420;400;", "Antal tillfrågade", "below n respondents"),
    "unknown sex code": (2, ";Alla;", ";Båda;", "Kön", "unknown sex code 'Båda'"),
    "unknown question": (2, "Ser positivt på sin framtid", "Ser framåt", "Fråga", "not in the spec's"),
    "bad period": (2, "2023/24", "läsåret 23", "Läsår", "bad period"),
    "value outside its CI": (2, ";74,0;82,0", ";79,0;82,0", "Andel (%)", "outside its CI"),
    "duplicate key": (3, ";Flickor;", ";Alla;", "Fråga", "duplicate of row 2"),
    "missing column": (1, "Antal svar", "Svarande", "Antal svar", "missing column"),
}


@pytest.mark.parametrize("fault", FAULTS)
def test_each_fault_is_reported_alone_with_file_row_and_column(drop: Path, fault: str) -> None:
    line, old, new, column, reason = FAULTS[fault]
    edit_data(drop, line, old, new)
    problems = problems_of(drop)
    assert len(problems) == 1, problems
    (problem,) = problems
    assert (problem.file, problem.row, problem.column) == (DATA, line, column)
    assert reason in problem.reason


def test_every_problem_of_a_file_is_reported_at_once(drop: Path) -> None:
    edit_data(drop, 2, "Karlstad;", "Karlsta;")
    edit_data(drop, 50, ";", ";;")  # shifts the cells: several problems on row 50
    edit_data(drop, 97, ";Pojkar;", ";?;")
    problems = problems_of(drop)
    assert {p.row for p in problems} == {2, 50, 97}
    message = str(SurveyError(problems))
    assert message.startswith(f"survey: {len(problems)} problem(s) in {DATA}; nothing was loaded")
    assert f"{DATA}:2: Kommun: unknown region 'Karlsta'" in message


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        ("Elev-ID", "looks like microdata (a column identifying respondents)"),
        (None, "at most one respondent"),
    ],
)
def test_microdata_is_rejected(drop: Path, header: str | None, reason: str) -> None:
    data = drop / DATA
    lines = data.read_bytes().decode("utf-8").split("\r\n")
    if header:
        lines = [f"{header};{line}" if i == 0 else f"{i};{line}" for i, line in enumerate(lines) if line]
    else:  # one respondent a row: n = 1, n asked = 1
        lines = [lines[0]] + [re.sub(r";\d+;\d+;", ";1;1;", line) for line in lines[1:] if line]
    data.write_text("\r\n".join(lines), encoding="utf-8")
    problems = problems_of(drop)
    assert any(reason in p.reason for p in problems), problems


@pytest.mark.parametrize(
    ("old", "new", "reason"),
    [
        ("min_respondents: 10", "min_respondents: 5", "may not be below 10"),
        ("min_response_rate: 50", "min_response_rate: 30", "may not be below 50"),
        ("low_precision_below: 30", "low_precision_below: 20", "may not be below 30"),
        ("protective_factor: framtidstro", "protective_factor: lycka", "unknown protective_factor 'lycka'"),
        ("  n: Antal svar", "", "columns.n is required"),
        ("Flickor: female", "Flickor: girls", "the mart's sexes are total, female, male"),
        ("cadence_years: 2 ", "cadence_years: 0 ", "cadence_years = 0: a whole number of years from 1 to 10"),
        ("cadence_years: 2 ", "cadence_years: två ", "cadence_years = 'två'"),
        ('"Åk 8": ak8', '"Åk 8": "årskurs 8"', "the mart's age group is an age (14, 13-15) or a school year"),
        # a value of the wrong type is a problem of the spec (a list as unit once raised TypeError)
        ("    unit: percent", "    unit: [percent]", "indicators[1]: unit ['percent']; use percent or mean"),
        ("min_respondents: 10", "min_respondents: 12.5", "= 12.5: a whole number of respondents"),
    ],
)
def test_spec_errors_name_the_spec(drop: Path, old: str, new: str, reason: str) -> None:
    edit_spec(drop, old, new)
    (problem,) = problems_of(drop)
    assert problem.file == SPEC and reason in problem.reason


@pytest.mark.parametrize(
    ("old", "new", "column", "reason"),
    [
        ("suppression:", "supression:", None, "unknown key 'supression'; did you mean 'suppression'?"),
        ("decimal:", "decimal_mark:", None, "unknown key 'decimal_mark'; did you mean 'decimal'?"),
        (
            "min_respondents: 10",
            "min_respondent: 40",
            "suppression",
            "unknown key 'min_respondent'; did you mean 'min_respondents'?",
        ),
        ("  age: Årskurs", "  ages: Årskurs", "columns", "unknown role 'ages'; did you mean 'age'?"),
        (
            "  sex: {Flickor",
            "  kön: {Flickor",
            "codes",
            "unknown key 'kön'; the nearest known key is 'sex' (known: sex, age)",
        ),
        (
            "    higher_is_better: true",
            "    higher_is_beter: true",
            "indicators",
            "indicators[1]: unknown key 'higher_is_beter'; did you mean 'higher_is_better'?",
        ),
        ("title: Exempel", "rubrik: Exempel", None, "unknown key 'rubrik'; the nearest known key is"),
        (
            "cadence_years: 2",
            "cadence_year: 2",
            None,
            "unknown key 'cadence_year'; did you mean 'cadence_years'?",
        ),
    ],
)
def test_an_unknown_spec_key_at_any_level_names_the_key_and_the_nearest_known_one(
    drop: Path, old: str, new: str, column: str | None, reason: str
) -> None:
    edit_spec(drop, old, new)
    problems = [p for p in problems_of(drop) if "unknown" in p.reason]
    assert len(problems) == 1, problems
    (problem,) = problems
    assert (problem.file, problem.row, problem.column) == (SPEC, None, column)
    assert reason in problem.reason


def test_a_misspelt_stricter_threshold_is_never_left_at_the_default(drop: Path) -> None:
    """A misspelt section: the owner meant 40 respondents; the spec loads only once it says so."""
    edit_spec(drop, "suppression:", "supression:")
    edit_spec(drop, "min_respondents: 10", "min_respondents: 40")
    (problem,) = problems_of(drop)
    assert str(problem) == f"{SPEC}: unknown key 'supression'; did you mean 'suppression'?"
    edit_spec(drop, "supression:", "suppression:")
    assert parse(drop).spec.min_respondents == 40


def test_a_spec_key_given_twice_or_a_section_that_is_no_mapping_is_an_error(drop: Path) -> None:
    spec = drop / SPEC
    original = spec.read_text(encoding="utf-8")
    line = next(i for i, text in enumerate(original.splitlines(), start=1) if text.startswith("decimal:"))
    spec.write_text(original + 'decimal: "."\n', encoding="utf-8")
    (problem,) = problems_of(drop)
    assert (problem.file, problem.row) == (SPEC, len(original.splitlines()) + 1)
    assert (
        problem.reason == f"key 'decimal' is given twice (first on line {line}); the first would be ignored"
    )

    spec.write_text(original.replace("suppression:", "suppression: 40\nunused:", 1), encoding="utf-8")
    reasons = [p.reason for p in problems_of(drop)]
    assert "suppression must be a mapping (key: value lines), not int" in reasons


@pytest.mark.parametrize("kind", ["header only", "header and blank lines", "xlsx header only"])
def test_a_result_file_with_no_data_rows_is_an_error_naming_the_file(drop: Path, kind: str) -> None:
    header = (drop / DATA).read_bytes().decode("utf-8").split("\r\n")[0]
    name = DATA
    if kind == "xlsx header only":
        from openpyxl import Workbook

        book = Workbook()
        book.active.append(header.split(";"))
        name = "exempelenkaten.xlsx"
        book.save(drop / name)
        edit_spec(drop, f"file: {DATA}", f"file: {name}")
    else:
        (drop / DATA).write_text(
            header + ("\r\n;;;\r\n\r\n" if "blank" in kind else "\r\n"), encoding="utf-8"
        )
    (problem,) = problems_of(drop)
    assert (problem.file, problem.row, problem.column) == (name, None, None)
    assert str(problem).startswith(f"{name}: no data rows: the file has its header only")


def test_two_waves_of_one_survey_load_together_but_never_the_same_cell(drop: Path) -> None:
    wave = drop / "exempelenkaten_2022_23.csv"
    wave.write_bytes((drop / DATA).read_bytes().replace(b"2023/24", b"2022/23"))
    spec = (drop / SPEC).read_text(encoding="utf-8").replace(f"file: {DATA}", f"file: {wave.name}")
    (drop / "exempelenkaten_2022.yml").write_text(spec, encoding="utf-8")
    parsed = surveys.parse_drop_folder(surveys.find_specs(drop), REGIONS)
    assert sum(len(p.rows) for p in parsed) == 192
    assert len(surveys.indicator_rows(parsed)) == 4

    wave.write_bytes((drop / DATA).read_bytes())  # the same school year again
    with pytest.raises(SurveyError) as caught:
        surveys.parse_drop_folder(surveys.find_specs(drop), REGIONS)
    assert len(caught.value.problems) == 96
    assert str(caught.value.problems[0]) == f"{wave.name}:2: same cell as {DATA}:2"

    (drop / "exempelenkaten_2022.yml").write_text(spec.replace("andel (%)", "procent", 1), encoding="utf-8")
    with pytest.raises(SurveyError, match="declared differently in exempelenkaten.yml"):
        surveys.parse_drop_folder(surveys.find_specs(drop), REGIONS)


def test_regions_by_code_or_name_and_gotland_counted_once() -> None:
    assert [REGIONS.resolve(t) for t in ("1780", "0017", "17", "00", "0000", "Sverige")] == [
        "1780", "17", "17", "00", "00", "00",
    ]  # fmt: skip
    assert [REGIONS.resolve(t) for t in ("karlstad", "Karlstads kommun", "Värmlands län", "Värmland")] == [
        "1780", "1780", "17", "17",
    ]  # fmt: skip
    # Gotland: municipality 0980 and county 09 stay two regions, never merged
    assert [REGIONS.resolve(t) for t in ("Gotland", "Gotlands kommun", "Region Gotland", "Gotlands län")] == [
        "0980", "0980", "09", "09",
    ]  # fmt: skip
    assert REGIONS.resolve("1781") is None and REGIONS.resolve("Atlantis") is None


# --------------------------------------------------------------------------- the mart's suppression rule

INT_SURVEY_VALUES = ROOT / "dbt_project" / "models" / "intermediate" / "int_survey_values.sql"
STG_COLUMNS = RAW_TABLES["survey_values"]  # stg_survey__values selects these columns unchanged
SEX_CELLS = ("female", "male", "total")
GRADES = ("13", "14", "17")


def model_sql(relation: str) -> str:
    """The mart's own model, int_survey_values, reading ``relation`` in place of its one dbt ref."""
    sql, refs = re.subn(r"\{\{\s*ref\('stg_survey__values'\)\s*\}\}", relation, INT_SURVEY_VALUES.read_text())
    assert refs == 1 and "{{" not in sql and "{%" not in sql  # nothing else for dbt to fill in
    return sql


@functools.cache
def _scratch_database() -> duckdb.DuckDBPyConnection:
    """One in-memory database for every ``suppress`` of this process (a new one took 20 ms of
    CPU; the property test calls it 150 times): each call replaces its tables."""
    return duckdb.connect()


def suppress(rows: list[dict], violations: list | None = None) -> dict[tuple, tuple]:
    """The model's SQL run on survey rows in DuckDB: (indicator, region, period, sex, age) ->
    (value, n, status). With ``violations``, the mart's privacy check is run on the outcome too
    and its findings appended."""
    if not rows:
        return {}
    con = _scratch_database().cursor()
    for drop in ("schema if exists mart cascade", "table if exists int_survey_values", "table if exists stg"):
        con.execute(f"drop {drop}")
    con.execute(f"create table stg ({', '.join(f'{c} {t}' for c, t in STG_COLUMNS.items())})")
    row = f"({', '.join('?' * len(STG_COLUMNS))})"  # one insert of every row: executemany took 3/4 of it
    con.execute(
        f"insert into stg values {', '.join([row] * len(rows))}",
        [r.get(c) for r in rows for c in STG_COLUMNS],
    )
    con.execute(f"create table int_survey_values as {model_sql('stg')}")
    result = con.execute(
        "select indicator_id, region_code, period_start, sex, age_group, value, n, status"
        " from int_survey_values"
    ).fetchall()
    if violations is not None:
        from ingest.codes import MIN_RESPONDENTS
        from warehouse.privacy import VIOLATIONS

        con.execute("create schema mart")
        con.execute("create view mart.fct_indicator_value as select * from main.int_survey_values")
        violations += con.execute(VIOLATIONS, {"min_respondents": MIN_RESPONDENTS}).fetchall()
    return {tuple(r[:5]): tuple(r[5:]) for r in result}


def random_block(rng: random.Random, b: int) -> tuple[list[dict], dict[tuple[str, str], int]]:
    """Block ``b`` (one indicator, region and period) of a survey table: the rows a file gives,
    and the n of every (sex, age) cell the block has in truth, given or not.

    Small n around the thresholds (and 0), a few respondents who gave no sex, n asked now and then
    (a low response rate suppresses a cell whatever its n, so a total can be hidden while its
    parts are shown); sexes, the total over sexes and the total over grades given or not; cells
    left out; values missing; a stricter survey threshold now and then.
    """
    grades = sorted(rng.sample(GRADES, rng.randint(1, 3)))
    n: dict[tuple[str, str], int] = {}
    for grade in grades:
        for sex in ("female", "male"):
            n[sex, grade] = rng.choice((0, rng.randint(1, 12), rng.randint(8, 40), rng.randint(30, 90)))
        n["total", grade] = n["female", grade] + n["male", grade] + rng.choice((0, 0, 0, rng.randint(1, 4)))
    for sex in SEX_CELLS:
        n[sex, "total"] = sum(n[sex, grade] for grade in grades)
    parts = rng.random() < 0.85
    sexes = {"female", "male"} if parts else set()
    if not parts or rng.random() < 0.85:
        sexes.add("total")
    age_totals = rng.random() < 0.6
    threshold = rng.choice((10, 10, 10, 15))
    rows = []
    for (sex, age), count in n.items():
        if sex not in sexes or (age == "total" and not age_totals) or rng.random() < 0.08:
            continue  # the file does not give this cell
        asked = None if rng.random() < 0.5 else math.ceil(count * rng.choice((1.0, 1.3, 1.9, 2.5)))
        value = None if count == 0 or rng.random() < 0.05 else round(rng.uniform(0, 100), 1)
        rows.append(
            {
                "indicator_id": f"i{b % 2}",
                "survey": "generated",
                "source": "survey:generated",
                "source_ref": "generated.csv",
                "region_code": f"{b // 2 % 5:04d}",
                "period_label": str(2000 + b // 10),
                "period_start": 2000 + b // 10,
                "period_end": 2000 + b // 10,
                "sex": sex,
                "age_group": age,
                "value": value,
                "n": float(count),
                "n_asked": None if asked is None else float(asked),
                "min_respondents": threshold,
                "min_response_rate": 50.0,
                "low_precision_below": 30.0,
                "file_row": len(rows) + 2,
                "request_url": f"file:///generated.csv#block={b}",
            }
        )
    return rows, n


def derivable(truth: dict[tuple[str, str], int], unknown: set[tuple[str, str]], secrets: set) -> set:
    """The secret cells a reader can compute exactly. With y = n · value per cell, every margin
    whose n add up is a linear equation (the parts sum to the total; the sexes of an age group do
    not when some respondents gave no sex); a cell follows from the known cells iff its unit
    vector lies in the row space of the equations restricted to the unknown cells."""
    grades = sorted({age for _, age in truth} - {"total"})
    equations = [
        {("female", a): 1, ("male", a): 1, ("total", a): -1}
        for a in [*grades, "total"]
        if truth["female", a] + truth["male", a] == truth["total", a]
    ]
    equations += [{**{(s, g): 1 for g in grades}, (s, "total"): -1} for s in SEX_CELLS]
    columns = sorted(unknown)
    matrix = np.array([[eq.get(c, 0) for c in columns] for eq in equations], dtype=float)
    rank = np.linalg.matrix_rank(matrix)
    found = set()
    for cell in secrets:
        unit = np.zeros((1, len(columns)))
        unit[0, columns.index(cell)] = 1
        if np.linalg.matrix_rank(np.vstack([matrix, unit])) == rank:
            found.add(cell)
    return found


def check_suppression(blocks: list[tuple[list[dict], dict[tuple[str, str], int]]], result: dict) -> None:
    """Everything the rule promises, block by block, on the model's output."""
    for rows, truth in blocks:
        if not rows:
            continue
        key = (rows[0]["indicator_id"], rows[0]["region_code"], rows[0]["period_start"])
        given = {(r["sex"], r["age_group"]): r for r in rows}
        out = {cell: result[(*key, *cell)] for cell in given}
        too_few = {
            cell
            for cell, r in given.items()
            if r["n"] < r["min_respondents"] or (r["n_asked"] and 100 * r["n"] / r["n_asked"] < 50)
        }
        hidden = {cell for cell, (_, _, status) in out.items() if status == "suppressed"}
        assert too_few <= hidden, (key, too_few - hidden)
        if not too_few:
            assert not hidden, (key, hidden)  # nothing is hidden without a small cell to protect
        for cell, (value, n, status) in out.items():
            if status == "suppressed":
                assert value is None
            else:
                assert value == given[cell]["value"] and n == given[cell]["n"]
                assert status == ("missing" if value is None else "low_precision" if n < 30 else "ok")
        # the rule's margins: the sexes of each age group, and, where the file gives a total over
        # ages, the age groups of each sex; none with a shown cell has exactly one hidden cell
        secrets = {cell for cell in hidden if out[cell][1] > 0}
        ages = sorted({age for _, age in truth})
        margins = [{(s, a) for s in SEX_CELLS} for a in ages]
        if any(age == "total" for _, age in given):
            margins += [{(s, a) for a in ages} for s in SEX_CELLS]
        for margin in margins:
            if any(c in given and c not in hidden for c in margin):
                assert len(secrets & margin) != 1, (key, sorted(margin), sorted(secrets))
        # and the proof of it: no hidden value follows exactly from the shown ones and their n, for
        # a reader who also knows every empty group (y = 0) and every margin equation, even those
        # through cells the file leaves out
        unknown = {c for c, count in truth.items() if count > 0 and (c not in given or out[c][0] is None)}
        assert not derivable(truth, unknown, secrets), (key, rows, out)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.randoms(use_true_random=False), st.integers(1, 10))
def test_no_suppressed_value_follows_from_the_shown_values_and_their_n(
    rng: random.Random, blocks: int
) -> None:
    generated = [random_block(rng, b) for b in range(blocks)]
    rows = [row for block_rows, _ in generated for row in block_rows]
    violations: list[tuple] = []
    result = suppress(rows, violations)
    assert len(result) == len(rows)
    check_suppression(generated, result)
    assert violations == []  # the mart's blocking check agrees


def add_grade_totals(folder: Path) -> int:
    """Append the example's totals over grades (empty Årskurs) as a file that gives them would:
    n and n asked summed over the grades, the share n-weighted to 4 decimals, no CI."""
    path = folder / DATA
    text = path.read_bytes().decode("utf-8")
    groups: dict[tuple, list[tuple[float, int, int]]] = {}
    for line in text.split("\r\n")[1:]:
        if line:
            region, period, sex, _grade, question, value, n, asked, *_ = line.split(";")
            cells = groups.setdefault((region, period, sex, question), [])
            cells.append((float(value.replace(",", ".")), int(n), int(asked)))
    extra = []
    for (region, period, sex, question), cells in groups.items():
        n, asked = sum(c[1] for c in cells), sum(c[2] for c in cells)
        share = f"{sum(v * k for v, k, _ in cells) / n:.4f}".replace(".", ",")
        extra.append(";".join([region, period, sex, "", question, share, str(n), str(asked), "", ""]))
    path.write_bytes((text.rstrip("\r\n") + "\r\n" + "\r\n".join(extra) + "\r\n").encode("utf-8"))
    return len(extra)


def test_the_rule_through_dbt_on_the_example_with_grade_totals_and_generated_tables(tmp_path: Path) -> None:
    """The model as dbt builds it on a real DuckDB: the example file with its totals over grades
    (through the real ingest and landing) and 400 generated blocks in one table, one dbt run."""
    from ingest.landing import Landing
    from warehouse.privacy import survey_privacy

    drop = tmp_path / "surveys"
    drop.mkdir()
    for name in (SPEC, DATA):
        shutil.copy(EXAMPLE / name, drop / name)
    assert add_grade_totals(drop) == 48
    landing = Landing(tmp_path / "raw", "survey")
    surveys.land(surveys.parse_drop_folder(surveys.find_specs(drop), REGIONS), landing)
    parsed, records = surveys.replay(landing.latest(), REGIONS)
    example = surveys.raw_rows(parsed, records)
    rng = random.Random(18)
    generated = [random_block(rng, b) for b in range(400)]
    rows = example + [row for block_rows, _ in generated for row in block_rows]
    db = tmp_path / "build.duckdb"
    replace_raw_table(db, "survey_values", rows)

    done = dbt_in(
        tmp_path, ["build", "--select", "stg_survey__values", "int_survey_values"], tmp_path / "target"
    )
    assert done.returncode == 0, done.stdout[-3000:]
    assert "5 unit tests" in done.stdout  # the model's YAML unit tests ran in that build
    with duckdb.connect(str(db)) as con:
        built = con.execute(
            "select indicator_id, region_code, period_start, sex, age_group, value, n, status"
            " from main.int_survey_values"
        ).fetchall()
        con.execute("create schema mart")
        con.execute("create view mart.fct_indicator_value as select * from main.int_survey_values")
    result = {tuple(r[:5]): tuple(r[5:]) for r in built}
    assert len(result) == len(rows) == 144 + sum(len(r) for r, _ in generated)
    assert result == suppress(rows)  # the helper the property test uses runs what dbt builds
    check_suppression(generated, result)
    example_blocks: dict[tuple, list[dict]] = {}
    for row in example:
        example_blocks.setdefault((row["indicator_id"], row["region_code"]), []).append(row)
    grid = [(s, a) for s in SEX_CELLS for a in ("ak8", "gy2", "total")]
    check_suppression([(block, {c: 1 for c in grid}) for block in example_blocks.values()], result)

    # Kil's girls, all grades n = 36 at 47.8889 %, åk 8 n = 28 at 39 %: gy 2
    # (n = 8) would follow; åk 8 is hidden with it, and so are the boys of both grades
    kil = {(s, a): result[("survey_exempel_framtidstro", "1715", 2023, s, a)] for s, a in grid}
    assert kil[("female", "total")] == (47.8889, 36.0, "ok")
    assert {cell for cell, (_, _, status) in kil.items() if status == "suppressed"} == {
        ("female", "ak8"), ("female", "gy2"), ("male", "ak8"), ("male", "gy2"),
    }  # fmt: skip
    suppressed = sum(1 for _, _, status in result.values() if status == "suppressed")
    example_suppressed = sum(
        1 for k, v in result.items() if k[0].startswith("survey_exempel") and v[2] == "suppressed"
    )
    assert example_suppressed == 16  # 4 questions × Kil's girls and boys in åk 8 and gy 2
    assert suppressed > example_suppressed
    report = survey_privacy(db)
    assert report.violations == []
    assert report.counts["survey:exempelenkaten"] == {"rows": 144, "suppressed": 16, "low_precision": 0}


# --------------------------------------------------------------------------- Dagster: load and sensor


def test_dropped_survey_reaches_the_mart_suppressed_and_a_broken_one_changes_nothing(
    published: Published, republished: Path, urls: dict[str, str], warehouse_dir: Path
) -> None:
    """The shared run had the example survey dropped in (tests/conftest.py)."""
    from orchestration.surveys import refresh_surveys
    from tests.pipeline import run_pipeline

    privacy = published.checks["survey_privacy_rule"]
    assert privacy.passed
    counts = {k: v.value for k, v in privacy.metadata.items()}
    assert counts["survey:exempelenkaten: suppressed"] == 8  # 4 questions × Kil Gy 2 girls and boys
    assert counts["survey:exempelenkaten: rows"] == 96
    mart = warehouse_dir / "mart.duckdb"
    with duckdb.connect(str(mart), read_only=True) as con:
        rows = {
            (r, s, a, i): (v, n, status, url)
            for r, s, a, i, v, n, status, url in con.execute(
                "select region_code, sex, age_group, indicator_id, value, n, status, request_url"
                " from fct_indicator_value where source = 'survey:exempelenkaten'"
            ).fetchall()
        }
        indicator = con.execute(
            "select title, protective_factor, source, higher_is_better from dim_indicator"
            " where indicator_id = 'survey_exempel_framtidstro'"
        ).fetchall()
    assert len(rows) == 96
    q = "survey_exempel_framtidstro"
    value, n, status, url = rows[("1780", "total", "ak8", q)]
    assert (value, n, status) == (78.0, 420.0, "ok") and url.endswith(f"/surveys/{DATA}#row=2")
    # Kil, Gy 2: 8 girls -> suppressed, the boys with them; the total (39 respondents) is shown
    assert rows[("1715", "female", "gy2", q)][:3] == (None, 8.0, "suppressed")
    assert rows[("1715", "male", "gy2", q)][:3] == (None, 31.0, "suppressed")
    assert rows[("1715", "total", "gy2", q)][:3] == (75.0, 39.0, "ok")
    # Kil, åk 8: 28 girls -> shown, flagged low_precision
    assert rows[("1715", "female", "ak8", q)][:3] == (39.0, 28.0, "low_precision")
    assert indicator == [
        ("Elever som ser positivt på sin framtid, andel (%)", "framtidstro", "survey:exempelenkaten", True)
    ]
    published = mart.read_bytes()
    batches = sorted(p.name for p in (warehouse_dir / "raw" / "survey").iterdir())

    edit_data(warehouse_dir / "surveys", 2, ";78,0;420", ";140,0;420")
    edit_data(warehouse_dir / "surveys", 5, "Karlstad;", "Karlsta;")
    result = run_pipeline(**urls)
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    assert failure.step_key == "landing__survey"
    message = str(failure.event_specific_data.error)
    assert f"{DATA}:2: Andel (%): share 140 is outside 0–100" in message
    assert f"{DATA}:5: Kommun: unknown region 'Karlsta'" in message
    assert mart.read_bytes() == published
    assert sorted(p.name for p in (warehouse_dir / "raw" / "survey").iterdir()) == batches
    report = (warehouse_dir / "surveys" / f"{DATA}.errors.csv").read_text(encoding="utf-8").splitlines()
    assert report[0] == "file,row,column,reason" and len(report) == 3

    # mended, the file goes through the sensor's job alone: no API is called, the mart follows
    edit_data(warehouse_dir / "surveys", 2, ";140,0;420", ";77,0;420")
    edit_data(warehouse_dir / "surveys", 5, "Karlsta;", "Karlstad;")
    assert run_pipeline(selection=refresh_surveys.selection).success  # every source URL is dead
    assert not (warehouse_dir / "surveys" / f"{DATA}.errors.csv").exists()
    with duckdb.connect(str(mart), read_only=True) as con:
        ((value,),) = con.execute(
            "select value from fct_indicator_value where indicator_id = ? and region_code = '1780'"
            " and sex = 'total' and age_group = 'ak8'",
            [q],
        ).fetchall()
    assert value == 77.0


def test_sensor_fires_on_a_new_or_changed_file_only(warehouse_dir: Path) -> None:
    from dagster import RunRequest, build_sensor_context

    from orchestration.resources import WarehouseResource
    from orchestration.surveys import survey_drop_sensor

    def tick(cursor: str | None):
        # the warehouse resource holds the refresh lock in a run, so it is opened as a context manager
        with build_sensor_context(cursor=cursor, resources={"warehouse": WarehouseResource()}) as context:
            result = survey_drop_sensor.evaluate_tick(context)
        return result.run_requests, result.cursor

    requests, cursor = tick(None)
    assert requests == [] and not cursor  # no drop folder yet
    drop = warehouse_dir / "surveys"
    drop.mkdir()
    for name in (SPEC, DATA):
        shutil.copy(EXAMPLE / name, drop / name)
    requests, cursor = tick(cursor)
    assert len(requests) == 1 and isinstance(requests[0], RunRequest) and cursor
    assert requests[0].job_name in (None, "refresh_surveys")
    assert tick(cursor)[0] == []  # nothing changed
    (drop / f"{DATA}.errors.csv").write_text("file,row,column,reason\n")
    assert tick(cursor)[0] == []  # a report is not a new file
    edit_data(drop, 2, ";78,0;", ";77,0;")
    changed, new_cursor = tick(cursor)
    assert len(changed) == 1 and new_cursor != cursor and changed[0].run_key != requests[0].run_key


def test_privacy_check_finds_a_value_on_too_few_or_one_that_follows_from_its_margin(tmp_path: Path) -> None:
    from warehouse.privacy import survey_privacy

    db = tmp_path / "build.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("create schema mart")
        con.execute(
            "create table mart.fct_indicator_value (indicator_id varchar, region_code varchar,"
            " period_start int, period_end int, sex varchar, age_group varchar, value double, n double,"
            " status varchar, source varchar)"
        )
        con.execute(
            "insert into mart.fct_indicator_value values"
            " ('i', '1780', 2024, 2024, 'total', 't', 50, 40, 'ok', 'survey:x'),"
            " ('i', '1780', 2024, 2024, 'female', 't', null, 8, 'suppressed', 'survey:x'),"  # = total - boys
            " ('i', '1780', 2024, 2024, 'male', 't', 52, 32, 'ok', 'survey:x'),"
            " ('i', '1715', 2024, 2024, 'total', 't', 50, 9, 'ok', 'survey:x'),"  # too few
            " ('i', '1715', 2024, 2024, 'total', 't', 50, 9, 'ok', 'kolada'),"  # not a survey
            " ('i', '0980', 2024, 2024, 'total', 't', 50, 40, 'suppressed', 'survey:x'),"  # value kept
            # an empty group hides nothing and gives nothing away
            " ('i', '00', 2024, 2024, 'female', 't', null, 0, 'suppressed', 'survey:x'),"
            " ('i', '00', 2024, 2024, 'male', 't', 60, 30, 'ok', 'survey:x'),"
            " ('i', '00', 2024, 2024, 'total', 't', 60, 30, 'ok', 'survey:x')"
        )
        # Kil as the rule across sex alone left it: the sexes of gy 2 both hidden, but the girls'
        # and boys' totals over grades give gy 2 away (47.8889·36 − 39·28)/8 = 79
        kil = {
            ("female", "14"): (39, 28), ("female", "17"): (None, 8), ("female", "total"): (47.8889, 36),
            ("male", "14"): (31, 32), ("male", "17"): (None, 31), ("male", "total"): (50.6825, 63),
            ("total", "14"): (35, 60), ("total", "17"): (75, 39), ("total", "total"): (49.6, 99),
        }  # fmt: skip
        for indicator, hidden in (("k", {"17"}), ("k_fixed", {"14", "17"})):
            for (sex, age), (value, n) in kil.items():
                suppressed = sex != "total" and age in hidden
                con.execute(
                    "insert into mart.fct_indicator_value values"
                    " (?, '1715', 2024, 2024, ?, ?, ?, ?, ?, 'survey:x')",
                    [
                        indicator,
                        sex,
                        age,
                        None if suppressed else value,
                        n,
                        "suppressed" if suppressed else "ok",
                    ],
                )
    report = survey_privacy(db)
    assert [(r[1], r[2], r[4], r[5], r[8].split(":")[0]) for r in report.violations] == [
        ("i", "0980", "total", "t", "suppressed but its value is shown"),
        ("i", "1715", "total", "t", "shown on fewer than 10 respondents"),
        ("i", "1780", "female", "t", "the only hidden cell among its sexes"),
        ("k", "1715", "female", "17", "the only hidden cell among its age groups"),
        ("k", "1715", "male", "17", "the only hidden cell among its age groups"),
    ]
    assert report.counts == {"survey:x": {"rows": 26, "suppressed": 9, "low_precision": 0}}


def test_sensor_starts_from_the_last_landed_drop_folder(warehouse_dir: Path) -> None:
    """make dev starts the sensor without a cursor: files as last landed start no run; a touched
    file with the same contents starts none either; a changed or removed file does."""
    from dagster import build_sensor_context

    from ingest import surveys
    from ingest.landing import Landing
    from orchestration.resources import WarehouseResource
    from orchestration.surveys import survey_drop_sensor

    def tick(cursor: str | None):
        with build_sensor_context(cursor=cursor, resources={"warehouse": WarehouseResource()}) as context:
            result = survey_drop_sensor.evaluate_tick(context)
        return result.run_requests, result.cursor

    drop = warehouse_dir / "surveys"
    drop.mkdir()
    for name in (SPEC, DATA):
        shutil.copy(EXAMPLE / name, drop / name)
    landing = Landing(warehouse_dir / "raw", "survey")
    landing.start_batch().commit({"digest": surveys.folder_digest(drop)})  # as survey_landing leaves it

    requests, cursor = tick(None)  # make dev starts
    assert requests == [] and cursor
    assert tick(cursor)[0] == []
    (drop / DATA).touch()  # saved again unchanged: new time, same contents
    os.utime(drop / DATA, ns=(1, 1))
    requests, touched = tick(cursor)
    assert requests == [] and touched != cursor
    edit_data(drop, 2, ";78,0;", ";77,0;")
    changed, cursor = tick(touched)
    assert len(changed) == 1
    for name in (SPEC, DATA):
        (drop / name).unlink()
    emptied, _ = tick(cursor)
    assert len(emptied) == 1  # the survey leaves the mart
    landing.start_batch().commit({"digest": surveys.drop_digest([])})
    assert tick(None)[0] == []  # restarted after the emptied folder was landed


def test_refresh_surveys_with_no_changed_file_publishes_nothing(
    republished: Path, warehouse_dir: Path
) -> None:
    from orchestration.surveys import refresh_surveys
    from tests.pipeline import run_pipeline

    mart = warehouse_dir / "mart.duckdb"
    published = (mart.stat().st_ino, mart.read_bytes())
    exports = {p.name: p.stat().st_mtime_ns for p in (warehouse_dir / "export").iterdir()}
    result = run_pipeline(selection=refresh_surveys.selection)
    assert result.success
    materialized = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    assert "published_mart" not in materialized and "mart/fct_indicator_value" not in materialized
    assert (mart.stat().st_ino, mart.read_bytes()) == published
    assert {p.name: p.stat().st_mtime_ns for p in (warehouse_dir / "export").iterdir()} == exports


def test_a_spec_sets_its_cadence_and_the_survey_indicators_carry_it(drop: Path) -> None:
    parsed = parse(drop)
    assert parsed.spec.cadence_years == 2
    assert {row["cadence_years"] for row in surveys.indicator_rows([parsed])} == {2}
    edit_spec(drop, "cadence_years: 2 ", "")
    assert parse(drop).spec.cadence_years is None


def test_school_years_and_ages_are_read_as_the_survey_means_them() -> None:
    from ingest.surveys import age_group_of

    assert [age_group_of(t) for t in ("Åk 8", "åk9", "ÅK 5", "Gy 2", "gy2", "14 år", "13–15", "15")] == [
        "ak8", "ak9", "ak5", "gy2", "gy2", "14", "13-15", "15",
    ]  # fmt: skip
    assert [age_group_of(t) for t in ("Åk 10", "Gy 5", "årskurs", "vuxna", "")] == [None] * 5


def test_an_age_the_spec_does_not_map_is_read_as_a_school_year_or_named_as_an_error(drop: Path) -> None:
    edit_spec(drop, '  age: {"Åk 8": ak8, "Gy 2": gy2}\n', "")
    assert {r["age_group"] for r in parse(drop).rows} == {"ak8", "gy2"}  # read as written
    edit_data(drop, 2, ";Åk 8;", ";Högstadiet;")
    (problem,) = problems_of(drop)
    assert (problem.row, problem.column) == (2, "Årskurs")  # the file's own header
    assert "age 'Högstadiet' is not in codes.age, and not an age (14, 13-15)" in problem.reason
