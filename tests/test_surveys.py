"""Regional survey files: reading, every validation error, suppression, the load and the sensor."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest import surveys
from ingest.surveys import RegionIndex, SurveyError
from tests.kolada_server import SMALL_REGIONS

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
        "age_group": "14",
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
    ],
)
def test_spec_errors_name_the_spec(drop: Path, old: str, new: str, reason: str) -> None:
    edit_spec(drop, old, new)
    (problem,) = problems_of(drop)
    assert problem.file == SPEC and reason in problem.reason


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


def suppress(rows: list[dict]) -> list[tuple]:
    """Run the mart's own model SQL (int_survey_values) on rows, in DuckDB."""
    sql = re.sub(r"\{\{\s*ref\('stg_survey__values'\)\s*\}\}", "stg", INT_SURVEY_VALUES.read_text())
    con = duckdb.connect()
    con.execute(
        "create table stg (indicator_id varchar, region_code varchar, period_start int, period_end int,"
        " sex varchar, age_group varchar, value double, ci_low double, ci_high double, n double,"
        " n_asked double, min_respondents double, min_response_rate double, low_precision_below double,"
        " source varchar, source_ref varchar, request_url varchar, fetched_at timestamptz,"
        " body_sha256 varchar)"
    )
    con.executemany(
        "insert into stg (indicator_id, region_code, period_start, period_end, sex, age_group, value, n,"
        " n_asked, min_respondents, min_response_rate, low_precision_below)"
        " values ('i', ?, 2024, 2024, ?, 'total', ?, ?, ?, 10, 50, 30)",
        [(r["region"], r["sex"], r["value"], r["n"], r["n_asked"]) for r in rows],
    )
    return con.execute(f"select region_code, sex, value, n, status from ({sql})").fetchall()


group = st.fixed_dictionaries(
    {
        "female": st.integers(0, 60),
        "male": st.integers(0, 60),
        "asked_extra": st.one_of(st.none(), st.integers(0, 80)),
        "share": st.floats(0, 100),
    }
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(group, min_size=1, max_size=12))
def test_no_value_on_too_few_and_none_derivable_from_total_and_other_sex(groups: list[dict]) -> None:
    rows = []
    for i, g in enumerate(groups):
        region = f"{i:04d}"
        total = g["female"] + g["male"]
        for sex, n in (("total", total), ("female", g["female"]), ("male", g["male"])):
            asked = None if g["asked_extra"] is None else n + g["asked_extra"] * n // 40
            rows.append({"region": region, "sex": sex, "value": g["share"], "n": n, "n_asked": asked})
    result = {(region, sex): (value, n, status) for region, sex, value, n, status in suppress(rows)}
    asked_of = {(r["region"], r["sex"]): r["n_asked"] for r in rows}
    for (region, sex), (value, n, status) in result.items():
        asked = asked_of[(region, sex)]
        if n < 10 or (asked and n / asked < 0.5):
            assert value is None and status == "suppressed"
        if status == "suppressed":
            assert value is None
        if value is not None and n < 30:
            assert status == "low_precision"
    for region in {r for r, _ in result}:
        female, male = result[(region, "female")], result[(region, "male")]
        total = result[(region, "total")]
        # a sex is hidden only with its complement, and a hidden total hides both sexes
        assert (female[2] == "suppressed") == (male[2] == "suppressed")
        if total[2] == "suppressed":
            assert female[0] is None and male[0] is None


# --------------------------------------------------------------------------- Dagster: load and sensor


def test_dropped_survey_reaches_the_mart_suppressed_and_a_broken_one_changes_nothing(
    urls: dict[str, str], warehouse_dir: Path
) -> None:
    from orchestration.surveys import refresh_surveys
    from tests.pipeline import run_pipeline

    shutil.copytree(EXAMPLE, warehouse_dir / "surveys", ignore=shutil.ignore_patterns("*.md"))
    first = run_pipeline(**urls)
    assert first.success
    events = first.all_events
    checks = [e.event_specific_data for e in events if e.event_type_value == "ASSET_CHECK_EVALUATION"]
    (privacy,) = [c for c in checks if c.check_name == "survey_privacy_rule"]
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
    value, n, status, url = rows[("1780", "total", "14", q)]
    assert (value, n, status) == (78.0, 420.0, "ok") and url.endswith(f"/surveys/{DATA}#row=2")
    # Kil, Gy 2: 8 girls -> suppressed, the boys with them; the total (39 respondents) is shown
    assert rows[("1715", "female", "17", q)][:3] == (None, 8.0, "suppressed")
    assert rows[("1715", "male", "17", q)][:3] == (None, 31.0, "suppressed")
    assert rows[("1715", "total", "17", q)][:3] == (75.0, 39.0, "ok")
    # Kil, åk 8: 28 girls -> shown, flagged low_precision
    assert rows[("1715", "female", "14", q)][:3] == (39.0, 28.0, "low_precision")
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
            " and sex = 'total' and age_group = '14'",
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


def test_privacy_check_finds_a_value_on_too_few_or_beside_a_suppressed_sex(tmp_path: Path) -> None:
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
            " ('i', '1780', 2024, 2024, 'female', 't', null, 8, 'suppressed', 'survey:x'),"
            " ('i', '1780', 2024, 2024, 'male', 't', 52, 32, 'ok', 'survey:x'),"  # gives the girls away
            " ('i', '1715', 2024, 2024, 'total', 't', 50, 9, 'ok', 'survey:x'),"  # too few
            " ('i', '1715', 2024, 2024, 'total', 't', 50, 9, 'ok', 'kolada')"  # not a survey
        )
    report = survey_privacy(db)
    assert [(r[2], r[4]) for r in report.violations] == [("1715", "total"), ("1780", "male")]
    assert report.counts == {"survey:x": {"rows": 4, "suppressed": 1, "low_precision": 0}}
