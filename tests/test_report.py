"""County reports: built by the real Dagster asset on a mart from local sources, read back
against the mart, opened in headless Chromium, and printed to PDF."""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import pytest

from ingest.settings import Settings
from report import charts
from report.build import build_reports, report_paths, reports_current
from report.data import Cell, ReportError
from report.pdf import BrowserError, browser, offline_page, print_pdfs
from report.render import number, shown
from tests.conftest import require_chromium

ROOT = Path(__file__).resolve().parents[1]
COUNTIES = ["17", "24", "13"]  # Värmland, Västerbotten, Halland
LAHOLM = {"id": "1381", "title": "Laholm", "type": "K"}  # a second municipality in Halland
# Värmland's 16 municipalities (Kolada's ids and names): a county of real size for the page budget
VARMLAND = {
    "1715": "Kil", "1730": "Eda", "1737": "Torsby", "1760": "Storfors", "1761": "Hammarö",
    "1762": "Munkfors", "1763": "Forshaga", "1764": "Grums", "1765": "Årjäng", "1766": "Sunne",
    "1780": "Karlstad", "1781": "Kristinehamn", "1782": "Filipstad", "1783": "Hagfors",
    "1784": "Arvika", "1785": "Säffle",
}  # fmt: skip
MORE_VARMLAND = [{"id": c, "title": t, "type": "K"} for c, t in VARMLAND.items() if c not in ("1715", "1780")]
FACTORS = ["Framtidstro", "Fullföljda studier", "Trygga relationer", "Goda levnadsvanor", "Främjande miljöer"]


@dataclass
class Reports:
    warehouse: Path
    mart: Path
    reports_dir: Path
    result: object


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Reports]:
    """refresh_mart's assets, county reports included, on local sources with the example survey."""
    require_chromium()
    import localsources as local_sources
    from tests.pipeline import run_pipeline

    root = tmp_path_factory.mktemp("report")
    warehouse = root / "warehouse"
    (warehouse / "surveys").mkdir(parents=True)
    for path in (ROOT / "examples" / "surveys").glob("exempelenkaten*"):
        shutil.copy(path, warehouse / "surveys" / path.name)
    years = [2024, 2025, 2026]
    sources = local_sources.build(
        [*local_sources.DEFAULT_REGIONS, LAHOLM, *MORE_VARMLAND], years, [str(y) for y in years]
    )
    with pytest.MonkeyPatch.context() as patch, local_sources.serve(sources):
        patch.setenv("BARNHALSA_WAREHOUSE_DIR", str(warehouse))
        patch.setenv("BARNHALSA_REPORT_COUNTIES", ",".join(COUNTIES))
        result = run_pipeline(
            sources.kolada.base_url,
            scb_url=sources.scb.v2_url,
            fohm_url=sources.fohm.v1_url,
            reports=True,
        )
        yield Reports(warehouse, warehouse / "mart.duckdb", warehouse / "reports", result)


@dataclass
class Parsed:
    """What a report shows: its sections, indicator articles, table cells and chart marks."""

    meta: dict[str, str] = field(default_factory=dict)
    factors: list[str] = field(default_factory=list)
    articles: list[tuple[str, str]] = field(default_factory=list)  # (indicator_id, age_group)
    cells: list[dict] = field(default_factory=list)  # td with data-region, plus the article and text
    marks: list[dict] = field(default_factory=list)  # svg circles and bars with data-value
    no_value_bars: list[dict] = field(default_factory=list)
    charts: int = 0
    text: list[str] = field(default_factory=list)


class ReportParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.out = Parsed()
        self.article: tuple[str, str] | None = None
        self.cell: dict | None = None
        self.chart: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "meta" and a.get("name", "").startswith("barnhalsa:"):
            self.out.meta[a["name"].split(":", 1)[1]] = a["content"]
        if tag == "section" and "data-factor" in a:
            self.out.factors.append(a["data-factor"])
        if tag == "article":
            self.article = (a["data-indicator"], a["data-age-group"])
            self.out.articles.append(self.article)
        if tag == "svg" and "chart" in a.get("class", ""):
            self.out.charts += 1
            self.chart = a["data-chart"]
        if tag == "td" and "data-region" in a:
            self.cell = {**a, "article": self.article, "text": ""}
        if tag in ("circle", "rect") and "data-value" in a:
            self.out.marks.append({**a, "tag": tag, "article": self.article, "chart": self.chart})
        if tag == "text" and "no-value" in a.get("class", ""):
            self.out.no_value_bars.append({**a, "article": self.article})

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self.cell is not None:
            self.out.cells.append(self.cell)
            self.cell = None
        if tag == "article":
            self.article = None

    def handle_data(self, data: str) -> None:
        self.out.text.append(data)
        if self.cell is not None:
            self.cell["text"] += data


def parse(path: Path) -> Parsed:
    parser = ReportParser()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser.out


def mart_rows(mart: Path, county: str) -> dict[tuple, tuple]:
    """(indicator, age group, region, sex, period label) -> (value, status) for the county's report."""
    with duckdb.connect(str(mart), read_only=True) as con:
        rows = con.execute(
            """
            select f.indicator_id, f.age_group, f.region_code, f.sex,
                case when f.period_start = f.period_end then f.period_start::varchar
                     else f.period_start || '-' || f.period_end end,
                f.value, f.status
            from fct_indicator_value f join dim_region r using (region_code)
            where r.region_code = ? or r.county_code = ? or r.region_level = 'country'
            """,
            [county, county],
        ).fetchall()
    return {tuple(r[:5]): (r[5], r[6]) for r in rows}


def test_the_job_writes_html_and_pdf_for_varmland_vasterbotten_and_halland(reports: Reports) -> None:
    assert reports.result.success
    materialization = reports.result.asset_materializations_for_node("county_reports")[0]
    assert set(json.loads(json.dumps(materialization.metadata["counties"].value))) == set(COUNTIES)
    for county in COUNTIES:
        html, pdf = report_paths(reports.reports_dir, county)
        assert html.stat().st_size > 10_000 and pdf.read_bytes().startswith(b"%PDF")
        meta = json.loads((html.parent / "report.json").read_text())
        assert meta["county_code"] == county and meta["pages"] >= len(FACTORS)
        assert not [p for p in html.parent.iterdir() if ".tmp-" in p.name]
    assert reports_current(reports.mart, reports.reports_dir, COUNTIES)


@pytest.mark.parametrize("county", COUNTIES)
def test_every_indicator_of_the_county_is_shown_with_the_marts_numbers(reports: Reports, county: str) -> None:
    html, _ = report_paths(reports.reports_dir, county)
    parsed = parse(html)
    rows = mart_rows(reports.mart, county)
    with duckdb.connect(str(reports.mart), read_only=True) as con:
        expected = set(
            con.execute(
                """
                select distinct indicator_id, age_group from fct_indicator_value f
                join dim_region r using (region_code) where r.region_code = ? or r.county_code = ?
                """,
                [county, county],
            ).fetchall()
        )
        names = dict(con.execute("select region_name, region_code from dim_region").fetchall())
    assert set(parsed.articles) == expected and len(parsed.articles) == len(expected)
    assert parsed.meta["county"] == county
    assert parsed.factors[:5] == ["framtidstro", "fullfolja_studier", "trygga_relationer",
                                  "goda_levnadsvanor", "framjande_miljoer"]  # fmt: skip
    assert parsed.cells and parsed.marks
    for cell in parsed.cells:
        ind, age = cell["article"]
        key = (ind, age, cell["data-region"], cell["data-sex"], cell["data-period"])
        if key not in rows:  # no row at all: a KPI Kolada publishes for municipalities only
            assert "data-value" not in cell and "data-status" not in cell, cell
            assert cell["text"].strip() == shown(None), cell
            continue
        value, status = rows[key]
        if value is None:
            assert "data-value" not in cell, cell
            assert cell["text"].strip() == shown(Cell(None, status))
        else:
            assert float(cell["data-value"]) == value, cell
            assert cell["text"].split(" ")[0].rstrip("*") == number(value), cell
    for mark in parsed.marks:  # every point and bar drawn is the mart's value
        ind, age = mark["article"]
        if mark["tag"] == "circle":
            sexes = [s for s in ("total", "female", "male") if (ind, age, names[mark["data-series"]], s,
                                                                  mark["data-period"]) in rows]  # fmt: skip
            values = {rows[(ind, age, names[mark["data-series"]], s, mark["data-period"])][0] for s in sexes}
            assert float(mark["data-value"]) in values, mark
        else:
            assert any(
                v == float(mark["data-value"])
                for key, (v, _) in rows.items()
                if key[:3] == (ind, age, mark["data-region"])
            ), mark
    assert "NaN" not in "".join(parsed.text) and "None" not in "".join(parsed.text)


def test_suppressed_survey_cells_say_too_few_answers_and_are_never_printed(reports: Reports) -> None:
    with duckdb.connect(str(reports.mart), read_only=True) as con:
        suppressed = con.execute(
            """
            select indicator_id, age_group, region_code, sex, n from fct_indicator_value
            where status = 'suppressed' and region_code in ('17', '1715', '1780')
            """
        ).fetchall()
    assert suppressed, "the example survey has cells under 10 respondents in Kil"
    html, pdf = report_paths(reports.reports_dir, "17")
    parsed = parse(html)
    by_key = {(c["article"], c["data-region"], c["data-sex"]): c for c in parsed.cells}
    shown_cells = 0
    for indicator, age, region, sex, _ in suppressed:
        cell = by_key.get(((indicator, age), region, sex))
        if cell is None:
            continue  # an older period than the table's: the chart leaves a gap
        shown_cells += 1
        assert cell["text"].strip() == "för få svar" and "data-value" not in cell
    assert shown_cells
    assert not [
        m for m in parsed.marks if m.get("data-region") in {s[2] for s in suppressed} and m["article"] in
        {(s[0], s[1]) for s in suppressed} and m["chart"] == "municipalities"
        and (m["article"], m["data-region"], "total") in {((s[0], s[1]), s[2], s[3]) for s in suppressed}
    ]  # fmt: skip
    assert "för få svar" in "".join(parsed.text)


def test_the_report_renders_every_chart_offline_in_chromium(reports: Reports) -> None:
    """Headless Chromium opens the file from disk: every chart drawn, no console error, no request."""
    html, _ = report_paths(reports.reports_dir, "17")
    expected = int(parse(html).meta["charts"])
    errors: list[str] = []
    blocked: list[str] = []
    with browser(require_chromium()) as instance:
        page = offline_page(instance, blocked)
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.set_viewport_size({"width": 1100, "height": 1400})
        page.goto(html.resolve().as_uri(), wait_until="load")
        boxes = page.eval_on_selector_all(
            "svg.chart",
            "els => els.map(e => { const b = e.getBoundingClientRect();"
            " return [b.width, b.height, e.querySelectorAll('circle, rect, polyline').length]; })",
        )
        screenshot = html.parent / "screenshot.png"
        page.screenshot(path=str(screenshot), full_page=False)
    assert errors == [] and blocked == []
    assert len(boxes) == expected > 0
    assert all(w > 100 and h > 30 and marks > 0 for w, h, marks in boxes), boxes
    assert screenshot.read_bytes().startswith(b"\x89PNG") and screenshot.stat().st_size > 20_000


def pdf_pages_text(pdf: Path) -> list[str]:
    """Each page's text, ligatures unfolded (Chromium's fonts print "ﬃ" for "ffi"); a file read
    once per content (pypdf takes about 3 s for a county's report)."""
    stat = pdf.stat()
    return list(_pages_text(pdf.resolve(), stat.st_mtime_ns, stat.st_size))


@functools.cache
def _pages_text(pdf: Path, mtime_ns: int, size: int) -> tuple[str, ...]:
    import unicodedata

    from pypdf import PdfReader

    return tuple(unicodedata.normalize("NFKC", page.extract_text() or "") for page in PdfReader(pdf).pages)


def outline_titles(pdf: Path) -> list[str]:
    from pypdf import PdfReader

    reader = PdfReader(pdf)

    def walk(items) -> Iterator[str]:
        for item in items:
            if isinstance(item, list):
                yield from walk(item)
            else:
                yield item.title

    return list(walk(reader.outline))


def test_a_report_that_fails_to_print_does_not_stop_the_batch(tmp_path: Path) -> None:
    """Pages are reused across a batch; a failed print gives that pair its error and the slot a
    fresh page, so the reports after it still print."""
    from pypdf import PdfReader

    require_chromium()
    pages = []
    for name in ("a", "b", "c", "d"):
        html = tmp_path / f"{name}.html"
        html.write_text(f'<!doctype html><html lang="sv"><title>{name}</title><h1>Rapport {name}</h1></html>')
        pages.append((html, tmp_path / f"{name}.pdf"))
    pages[1] = (tmp_path / "missing.html", tmp_path / "missing.pdf")  # Chromium cannot load it
    # one page: the failure's slot prints c and d
    printed = print_pdfs(pages, parallel=1, chromium=require_chromium())
    assert [error is None for error, _ in printed] == [True, False, True, True]
    assert "missing.html" in str(printed[1][0])
    for html, pdf in (pages[0], pages[2], pages[3]):
        text = "".join(page.extract_text() for page in PdfReader(pdf).pages)
        assert f"Rapport {html.stem}" in text  # each PDF is its own report, not the page before
    assert not (tmp_path / "missing.pdf").exists()


def test_the_pdf_is_compact_tagged_with_an_outline_and_marked_as_test_data(reports: Reports) -> None:
    """Värmland with its 16 municipalities: under 40 pages, chapters (not indicators) start a page,
    the sources take at most two; tagged, with title, language and an outline of chapters and
    indicators; every page says TESTDATA (the report was built from local servers)."""
    from pypdf import PdfReader

    html, pdf = report_paths(reports.reports_dir, "17")
    pages = pdf_pages_text(pdf)
    articles = parse(html).articles
    assert len(pages) < 40 and len(pages) < len(articles), (len(pages), len(articles))
    assert all("TESTDATA – inte officiell statistik" in page for page in pages)

    def body(page: str) -> str:
        return page.replace("TESTDATA – inte officiell statistik", "", 1).lstrip()

    starts = {
        factor: next(i for i, t in enumerate(pages) if body(t).startswith(factor)) for factor in FACTORS
    }
    assert sorted(starts.values()) == list(starts.values()) and len(set(starts.values())) == len(FACTORS)
    assert "Viktigast i korthet" in pages[0]
    sources = next(i for i, t in enumerate(pages) if body(t).startswith("Källor och metod"))
    assert len(pages) - sources <= 2
    root = PdfReader(pdf).trailer["/Root"]
    assert "/StructTreeRoot" in root and root["/MarkInfo"]["/Marked"] and root["/Lang"] == "sv"
    assert PdfReader(pdf).metadata.title == "Barns och ungas hälsa i Region Värmland"
    outline = outline_titles(pdf)
    assert {"Viktigast i korthet", "Källor och metod", *FACTORS} <= set(outline)
    assert "Åk 9 behöriga till yrkesprogram" in outline  # indicators too, under their chapter
    meta = json.loads((html.parent / "report.json").read_text())
    assert meta["pages"] == len(pages)


def test_cli_builds_one_county_and_names_bad_input(reports: Reports, tmp_path: Path) -> None:
    def cli(*args: str) -> subprocess.CompletedProcess:
        env = {**os.environ, "BARNHALSA_WAREHOUSE_DIR": str(reports.warehouse)}
        return subprocess.run(
            [sys.executable, "-m", "report", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )

    proc = cli("13", "--no-pdf", "--out", str(tmp_path / "out"))
    assert proc.returncode == 0, proc.stderr
    html, pdf = report_paths(tmp_path / "out", "13")
    assert proc.stdout.strip() == str(html) and html.exists() and not pdf.exists()
    assert "county 13 (Region Halland)" in proc.stderr
    proc = cli("99", "--no-pdf", "--out", str(tmp_path / "out"))
    assert proc.returncode == 1
    assert "county '99' is not a county of" in proc.stderr and "13, 17, 24" in proc.stderr
    proc = cli("13", "--mart", str(tmp_path / "none.duckdb"))
    assert proc.returncode == 1 and "no published mart at" in proc.stderr


def test_a_failed_build_leaves_the_previous_report_as_it_was(
    reports: Reports, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "reports"
    shutil.copytree(reports.reports_dir / "24", out / "24")
    before = {p.name: p.read_bytes() for p in (out / "24").iterdir()}
    monkeypatch.setenv("BARNHALSA_CHROMIUM", "/bin/false")
    with pytest.raises(BrowserError, match="Chromium at /bin/false did not start"):
        build_reports(reports.mart, out, ["24"], chromium=Settings.from_environment().chromium)
    monkeypatch.setenv("BARNHALSA_CHROMIUM", str(tmp_path / "no-such-chromium"))
    with pytest.raises(BrowserError, match="does not exist"):
        build_reports(reports.mart, out, ["24"], chromium=Settings.from_environment().chromium)

    def crashing(jobs):  # Chromium dies while printing, after the HTML is written
        return [(RuntimeError("renderer crashed"), 0.1) for _ in jobs]

    with pytest.raises(ReportError, match="1 of 1 county reports failed: 24: renderer crashed"):
        build_reports(reports.mart, out, ["24"], printer=crashing)

    def interrupted(jobs):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        build_reports(reports.mart, out, ["24"], printer=interrupted)
    assert {p.name: p.read_bytes() for p in (out / "24").iterdir()} == before
    with pytest.raises(ReportError, match=r"1 of 2 county reports failed: 99: county '99'"):
        build_reports(reports.mart, out, ["24", "99"], pdf=False)  # 24 is still rebuilt
    assert (out / "24" / "barnhalsorapport-24.html").read_bytes() != before["barnhalsorapport-24.html"]


def test_reports_are_stale_when_the_published_mart_is_newer(reports: Reports, tmp_path: Path) -> None:
    out = tmp_path / "reports"
    assert not reports_current(reports.mart, out, ["17"])
    shutil.copytree(reports.reports_dir / "17", out / "17")
    assert reports_current(reports.mart, out, ["17"])
    build_reports(reports.mart, out, ["17"], pdf=False)  # the older PDF does not stay beside it
    assert not report_paths(out, "17")[1].exists()
    assert reports_current(reports.mart, out, ["17"], pdf=False) and not reports_current(
        reports.mart, out, ["17"]
    )
    meta = out / "17" / "report.json"
    meta.write_text(json.dumps({**json.loads(meta.read_text()), "published_at": "2001-01-01 00:00:00+00"}))
    assert not reports_current(reports.mart, out, ["17"], pdf=False)


def test_gotland_is_one_area_and_counts_are_not_set_against_sweden(reports: Reports, tmp_path: Path) -> None:
    build_reports(reports.mart, tmp_path, ["09"], pdf=False)
    parsed = parse(report_paths(tmp_path, "09")[0])
    assert {c["data-region"] for c in parsed.cells} == {"09", "00"}  # 0980 is the county itself
    assert parsed.charts == len(parsed.articles)  # trend charts only: no municipality chart of one
    html, _ = report_paths(reports.reports_dir, "17")
    parsed = parse(html)
    series = {
        m["data-series"] for m in parsed.marks if m["tag"] == "circle" and m["article"][0] == "kolada_n33812"
    }
    assert series == {"Region Värmland"}  # Sweden's count is not drawn against the county's
    text = html.read_text(encoding="utf-8")
    summary = text[
        text.index('id="sammanfattning"') : text.index("</section>", text.index('id="sammanfattning"'))
    ]
    for count in ("kolada_n33812", "kolada_n01919"):  # a count is never set against Sweden's
        assert f'data-indicator="{count}" data-sex="total" data-kind="sweden"' not in summary
    article = text[
        text.index('id="ind-kolada_n33812"') : text.index("</article>", text.index('id="ind-kolada_n33812"'))
    ]
    assert 'class="bar"' in article and 'class="reference"' not in article  # no county or Sweden line


def test_a_missing_value_breaks_the_line_and_is_never_drawn_as_zero() -> None:
    line = charts.Line(
        "Region Värmland",
        [
            charts.Point("2024", 40.0),
            charts.Point("2025", None, why="för få svar"),
            charts.Point("2026", 42.5),
        ],
        charts.COUNTY_COLOUR,
    )
    svg = charts.trend_chart([("Totalt", [line])], ["2024", "2025", "2026"], number, chart_id="x")
    assert svg.count('class="point"') == 2 and "polyline" not in svg  # no segment spans the gap
    assert 'data-period="2025">' in svg and "Region Värmland 2025: för få svar" in svg
    bars = charts.bar_chart(
        [charts.Bar("Kil", None, "för få svar", code="1715"), charts.Bar("Karlstad", 0.0, code="1780")],
        [("Region Värmland", 12.5, charts.COUNTY_COLOUR)],
        number,
        chart_id="x",
    )
    assert bars.count('class="bar"') == 1 and 'data-region="1715">för få svar</text>' in bars
    assert number(1234.5) == "1\u00a0234,5" and number(0.0) == "0" and number(-3.25) == "-3,25"
    assert number(0.004) == "0,004" and number(0.12345) == "0,123"
    assert shown(Cell(None, "suppressed")) == "för få svar" and shown(Cell(12.0, "low_precision")) == "12*"


def test_key_messages_rest_on_tested_verdicts_only(reports: Reports) -> None:
    """At most five for the report and three per chapter, largest first; each one sentence with
    value, unit, period and comparison, and each resting on a verdict the mart tested: Sweden's
    value outside the county's 95 % interval, or a significant trend test."""
    from report.data import read_county
    from report.messages import CHAPTER_MESSAGES, key_messages

    con = duckdb.connect(":memory:")
    con.execute(f"attach '{reports.mart}' as mart (read_only); use mart")
    seen = 0
    for county in COUNTIES:
        data = read_county(reports.mart, county)
        messages = key_messages(data, number)
        assert len(messages) <= 5 and [m.size for m in messages] == sorted(
            (m.size for m in messages), reverse=True
        )
        for factor in data.factors:
            assert len(key_messages(data, number, factor.indicators, CHAPTER_MESSAGES)) <= 3
        for m in messages + [x for f in data.factors for x in key_messages(data, number, f.indicators, 3)]:
            seen += 1
            ind = m.indicator
            assert m.text.endswith(".") and m.text.count(". ") == 0, m.text  # one sentence
            assert data.county.name in m.text and any(ch.isdigit() for ch in m.text)
            if m.kind == "sweden":
                low, high, sweden, vs, period = con.execute(
                    "select ci_low, ci_high, sweden_value, vs_sweden, period_label"
                    " from v_indicator_comparison"
                    " where indicator_id = ? and region_code = ? and sex = ? and age_group = ?"
                    " order by period_end desc, period_start desc limit 1",
                    [ind.indicator_id, county, m.sex, ind.age_group],
                ).fetchone()
                assert low is not None and not low <= sweden <= high and vs == m.verdict
                assert ind.unit != "count" and "rikets" in m.text and period in m.text
            else:
                trend, method, first, last = con.execute(
                    "select trend, trend_method, trend_first_period, trend_last_period from v_indicator_trend"
                    " where indicator_id = ? and region_code = ? and sex = ? and age_group = ?",
                    [ind.indicator_id, county, m.sex, ind.age_group],
                ).fetchone()
                assert trend == m.verdict and method in ("chi_square_trend", "wls")
                assert first in m.text and last in m.text and "säker trend" in m.text
            if ind.unit == "percent":
                assert "\u00a0%" in m.text
    assert seen, "the local sources give the mart tested differences to report"
    # the mart has values without an interval (Kolada indices, means): the report says so
    text = report_paths(reports.reports_dir, "17")[0].read_text(encoding="utf-8")
    assert "ej jämförd" in text
    summary = text[
        text.index('id="sammanfattning"') : text.index("</section>", text.index('id="sammanfattning"'))
    ]
    assert "not_compared" not in summary and "ej jämförd" not in summary


def test_every_county_has_a_value_for_every_kolada_indicator_published_per_municipality(
    reports: Reports,
) -> None:
    """Municipality-only KPIs (municipality_type K) get derived county values, marked 'derived'."""
    with duckdb.connect(str(reports.mart), read_only=True) as con:
        gaps = con.execute(
            """
            select d.indicator_id, r.region_code
            from dim_indicator as d, dim_region as r
            where d.source = 'kolada' and d.municipality_type in ('K', 'A') and d.unit <> 'count'
                and r.region_level = 'county'
                and not exists (
                    select 1 from fct_indicator_value as f
                    where f.indicator_id = d.indicator_id and f.region_code = r.region_code
                        and f.value is not null
                )
            """
        ).fetchall()
        derived = con.execute(
            """
            select distinct d.municipality_type, r.region_level
            from fct_indicator_value as f join dim_indicator as d using (indicator_id)
            join dim_region as r using (region_code) where f.status = 'derived'
            """
        ).fetchall()
    assert gaps == []
    assert derived == [("K", "county")]  # never for a KPI Kolada publishes per county itself


def test_the_catalogue_page_lists_every_indicator_by_factor(reports: Reports, tmp_path: Path) -> None:
    from report.catalog import main as catalogue_main

    out = tmp_path / "indikatorkatalog.html"
    assert catalogue_main(["--mart", str(reports.mart), "--out", str(out)]) == 0
    html = out.read_text(encoding="utf-8")
    with duckdb.connect(str(reports.mart), read_only=True) as con:
        ids = [r[0] for r in con.execute("select indicator_id from dim_indicator").fetchall()]
        labels = [r[0] for r in con.execute("select label_sv from dim_protective_factor").fetchall()]
    assert all(f'<tr id="{i}">' in html for i in ids) and html.count("<tr id=") == len(ids)
    assert all(label in html for label in labels)
    row = html.split('<tr id="kolada_n15419">')[1].split("</tr>")[0]  # a municipality-only KPI
    assert "kommun, län (beräknat), riket" in row and "Åk 9" in row and "Totalt, flickor, pojkar" in row
    adult = html.split('<tr id="fohm_hlv_mycket_stressad">')[1].split("</tr>")[0]
    assert "kvinnor, män" in adult and "16–84 år" in adult


def test_adult_measures_read_kvinnor_man_and_school_years_read_as_the_survey_means_them(
    reports: Reports,
) -> None:
    html = report_paths(reports.reports_dir, "17")[0].read_text(encoding="utf-8")
    adult = html.split('id="ind-fohm_hlv_mycket_stressad"')[1].split("</article>")[0]
    assert "Kvinnor" in adult and "Flickor" not in adult and "Pojkar" not in adult
    survey = html.split('id="ind-survey_exempel_framtidstro__ak8"')[1]
    assert survey.split("</h3>")[0].endswith(", Åk 8")


class VisibleText(HTMLParser):
    """The words a reader sees: text outside <style>, <title> inside SVG and attribute values."""

    def __init__(self) -> None:
        super().__init__()
        self.skip = 0
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag in ("style", "script", "title", "head"):
            self.skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script", "title", "head"):
            self.skip -= 1

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.parts.append(data)


# English words a Swedish report must not contain (leftovers of the catalogue, statuses, code)
ENGLISH = {
    "the", "and", "of", "with", "for", "from", "to", "is", "not", "outcome", "hope", "confidence",
    "background", "value", "values", "missing", "suppressed", "count", "percent", "share", "source",
    "survey", "better", "worse", "similar", "improving", "worsening", "trend_", "compared", "tested",
    "none", "nan", "null", "true", "false", "total", "female", "male", "girls", "boys", "county",
    "municipality", "sweden", "methods", "eligibility", "graduation", "attendance", "safety",
}  # fmt: skip
INTERNAL = re.compile(r"\b(?:kolada|fohm|scb|survey)_[a-z0-9_]+|file://|/warehouse/|\.duckdb|run_id")
DOUBLED = re.compile(r"\b([A-Za-zÅÄÖåäöé]{2,})\b[\s.,:;·–-]+\1\b", re.IGNORECASE)


def reader_text(html: Path) -> str:
    parser = VisibleText()
    parser.feed(html.read_text(encoding="utf-8"))
    return " ".join(" ".join(parser.parts).split())


def language_problems(text: str) -> list[str]:
    words = re.findall(r"[A-Za-zÅÄÖåäöé_]+", text)
    found = sorted({w for w in words if w.lower() in ENGLISH})
    found += [m.group(0) for m in DOUBLED.finditer(text)]
    found += [m.group(0) for m in INTERNAL.finditer(text)]
    return found


def test_the_word_list_check_finds_english_doubled_words_and_internal_ids() -> None:
    text = (
        "Framtidstro (hope and confidence). Utfall. Utfall: kolada_n66077 i file:///x/warehouse/surveys/a.csv"
    )
    problems = language_problems(text)
    assert {"hope", "and", "confidence"} <= set(problems) and "Utfall. Utfall" in problems
    assert "kolada_n66077" in problems and "file://" in problems
    assert language_problems("Andel elever i åk 9 som är behöriga, 82,1 % i Region Värmland 2025.") == []


@pytest.mark.parametrize("code", ["17", "13", "1780"])
def test_the_report_is_swedish_throughout_with_no_internal_ids(
    reports: Reports, code: str, tmp_path: Path
) -> None:
    """No English word, no doubled word, no internal id or local path, in the HTML a reader sees
    and in the PDF's text; the survey named by its title; school years as the survey means them."""
    if code == "1780":
        build_reports(reports.mart, tmp_path, [code], chromium=Settings.from_environment().chromium)
        html, pdf = report_paths(tmp_path, code)
    else:
        html, pdf = report_paths(reports.reports_dir, code)
    text = reader_text(html)
    assert language_problems(text) == []
    assert language_problems(" ".join(pdf_pages_text(pdf))) == []
    if code == "17":
        assert "Exempelenkäten 2023/24 (påhittade exempeldata)" in text and "Åk 8" in text


def test_the_analysts_text_is_placed_beside_each_chapter(reports: Reports, tmp_path: Path) -> None:
    texts = tmp_path / "text"
    texts.mkdir()
    (texts / "17.md").write_text(
        "Värmlands barn mår i stort bra, men **skolan** brister.\n\n"
        "## Trygga relationer\n\nMobbningen har minskat sedan insatsen 2023.\n<script>alert(1)</script>\n\n"
        "## psykisk_halsa\n\n- Fler flickor än pojkar känner sig nere.\n",
        encoding="utf-8",
    )
    build_reports(reports.mart, tmp_path / "out", ["17", "13"], pdf=False, text_dir=texts)
    html = report_paths(tmp_path / "out", "17")[0].read_text(encoding="utf-8")
    summary = html.split('id="sammanfattning"')[1].split("</section>")[0]
    assert "<strong>skolan</strong>" in summary and 'data-analyst="inledning"' in summary
    chapter = html.split('id="factor-trygga_relationer"')[1].split("</section>")[0]
    assert "Mobbningen har minskat sedan insatsen 2023." in chapter
    assert chapter.index('data-analyst="trygga_relationer"') < chapter.index("<article")
    assert "<script>" not in html and "&lt;script&gt;" in chapter  # shown as text, never run
    assert "Fler flickor än pojkar" in html.split('id="factor-psykisk_halsa"')[1].split("</section>")[0]
    halland = report_paths(tmp_path / "out", "13")[0].read_text(encoding="utf-8")
    assert "data-analyst" not in halland and "Mobbningen" not in halland  # no file: nothing invented
    (texts / "17.md").write_text("## Skolan i stort\n\nText.\n", encoding="utf-8")
    with pytest.raises(ReportError, match=r"17\.md:1: the heading '## Skolan i stort' names no chapter"):
        build_reports(reports.mart, tmp_path / "out", ["17"], pdf=False, text_dir=texts)


def test_a_municipality_gets_the_same_report_against_its_county_kommungrupp_and_sweden(
    reports: Reports, tmp_path: Path
) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "report", "1780", "--out", str(tmp_path)],
        cwd=ROOT,
        env={**os.environ, "BARNHALSA_WAREHOUSE_DIR": str(reports.warehouse)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert "municipality 1780 (Karlstad)" in proc.stderr
    html, pdf = report_paths(tmp_path, "1780")
    assert pdf.read_bytes().startswith(b"%PDF")
    parsed = parse(html)
    assert parsed.meta["county"] == "1780" and parsed.meta["level"] == "municipality"
    with duckdb.connect(str(reports.mart), read_only=True) as con:
        expected = set(
            con.execute(
                "select distinct indicator_id, age_group from fct_indicator_value where region_code = '1780'"
            ).fetchall()
        )
        (group,) = con.execute("select kommungrupp from dim_region where region_code = '1780'").fetchone()
    assert set(parsed.articles) == expected
    text = html.read_text(encoding="utf-8")
    assert "Barns och ungas hälsa i Karlstad" in text and f"kommungruppen {group.lower()}" in text
    article = text.split('id="ind-kolada_n15419"')[1].split("</article>")[0]  # a municipality-only KPI
    series = {
        m["data-series"] for m in parsed.marks if m["tag"] == "circle" and m["article"][0] == "kolada_n15419"
    }
    assert series == {"Karlstad", "Region Värmland", f"Kommungrupp {group.lower()}", "Riket"}
    assert "mot länet" in article and "mot kommungruppen" in article and "mot riket" in article
    bars = [m for m in parsed.marks if m["article"][0] == "kolada_n15419" and m["chart"] == "municipalities"]
    assert len({b["data-region"] for b in bars}) >= 10  # among Värmland's municipalities
    assert 'font-weight="bold">Karlstad</text>' in article  # the municipality stands out
    for cell in parsed.cells:
        if cell["data-region"] == "kommungrupp":
            continue
        assert cell["data-region"] in {"1780", "17", "00"} | set(VARMLAND), cell


def test_the_report_has_no_serious_or_critical_accessibility_violations(
    reports: Reports, tmp_path: Path
) -> None:
    """axe-core (npm, package-lock.json) in headless Chromium on a county's and a municipality's page."""
    axe = ROOT / "node_modules" / "axe-core" / "axe.min.js"
    if not axe.exists():
        if os.environ.get("CI"):
            pytest.fail("axe-core is not installed: `make test` runs `npm ci` (make axe)")
        pytest.skip("axe-core not installed (make axe)")
    build_reports(reports.mart, tmp_path, ["1780"], pdf=False)
    results = {}
    with browser(require_chromium()) as instance:
        for html in (report_paths(reports.reports_dir, "17")[0], report_paths(tmp_path, "1780")[0]):
            page = offline_page(instance)
            page.goto(html.resolve().as_uri(), wait_until="load")
            page.add_script_tag(content=axe.read_text(encoding="utf-8"))
            found = page.evaluate(
                "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
                ".map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.length}))"
            )
            results[html.name] = found
        page = offline_page(instance)  # the check finds what it is for: a page without title or alt
        page.set_content('<html><body><img src="x.png"><svg role="img"></svg></body></html>')
        page.add_script_tag(content=axe.read_text(encoding="utf-8"))
        control = page.evaluate("async () => (await axe.run(document)).violations.map(v => v.id)")
    assert {"document-title", "html-has-lang", "image-alt", "svg-img-alt"} <= set(control)
    serious = {
        name: [v for v in found if v["impact"] in ("serious", "critical")] for name, found in results.items()
    }
    assert serious == {name: [] for name in results}, serious
    moderate = [v for found in results.values() for v in found if v["impact"] == "moderate"]
    assert moderate == [], moderate  # none today: a new one is a regression to look at


def test_charts_read_right_single_points_zero_axes_bands_and_legends() -> None:
    single = charts.trend_chart(
        [("Totalt", [charts.Line("Kil", [charts.Point("2025", 42.5, 40.0, 45.0)], charts.COUNTY_COLOUR)])],
        ["2025"],
        number,
        chart_id="x",
    )
    assert "polyline" not in single and 'class="point-label"' in single and ">42,5</text>" in single
    assert 'class="whisker"' in single and "polygon" not in single  # one period: whisker, no band
    assert ">0</text>" in single  # the axis starts at 0
    many = charts.trend_chart(
        [
            (
                "Totalt",
                [
                    charts.Line(
                        "Kil",
                        [charts.Point(str(y), 73 + y % 3, 72 + y % 3, 74 + y % 3) for y in range(2020, 2025)],
                        charts.COUNTY_COLOUR,
                    )
                ],
            )
        ],  # fmt: skip
        [str(y) for y in range(2020, 2025)],
        number,
        chart_id="x",
    )
    assert 'class="band"' in many and ">0</text>" in many and 'class="point-label"' not in many
    assert 'role="img" aria-label=' in many
    bars = charts.bar_chart([charts.Bar("Kil", 30.0, ci_low=25.0, ci_high=36.0)], [], number, chart_id="x")
    assert 'class="whisker"' in bars and ">0</text>" in bars
    legend = charts.legend(
        [("Riket", charts.SWEDEN_COLOUR, "dashed"), ("95 % konfidensintervall", "#000", "band")]
    )
    assert (
        legend.startswith('<p class="legend">') and "Riket" in legend and "95 % konfidensintervall" in legend
    )


def test_only_the_official_base_urls_make_a_report_without_the_test_data_mark() -> None:
    from report.data import SourceUse, unofficial_bases

    def use(source: str, url: str) -> SourceUse:
        return SourceUse(source, "x", ["i"], 1, "2026-12-01", "2026-12-01", url)

    official = [
        use("kolada", "https://api.kolada.se/v3/data/kpi/N15428/municipality/1780/year/2025"),
        use("fohm", "https://fohm-app.folkhalsomyndigheten.se/Folkhalsodata/api/v1/sv/A_Folkhalsodata/x.px"),
        use("survey:liv", "file:///srv/surveys/liv.csv#row=2"),  # a region's own file is not an API
    ]
    assert unofficial_bases(official) == []
    local = [*official, use("kolada", "http://127.0.0.1:8765/v3/data/kpi/N15428/municipality/1780/year/2025")]
    assert unofficial_bases(local) == ["http://127.0.0.1:8765/v3/"]


def test_the_dagster_asset_builds_municipality_reports_from_its_config(
    reports: Reports, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dagster import materialize

    from orchestration.report import county_reports
    from orchestration.resources import WarehouseResource

    warehouse = tmp_path / "warehouse"
    warehouse.mkdir()
    shutil.copy(reports.mart, warehouse / "mart.duckdb")
    monkeypatch.setenv("BARNHALSA_WAREHOUSE_DIR", str(warehouse))
    config = {"counties": ["13"], "municipalities": ["1780", "1381"], "pdf": False}
    result = materialize(
        [county_reports],
        resources={"warehouse": WarehouseResource()},
        run_config={"ops": {"county_reports": {"config": config}}},
    )
    assert result.success
    built = result.asset_materializations_for_node("county_reports")[0].metadata["counties"].value
    assert built == {"13": "Region Halland", "1780": "Karlstad", "1381": "Laholm"}
    for code in ("13", "1780", "1381"):
        assert report_paths(warehouse / "reports", code)[0].exists()
    assert not (warehouse / "reports" / "17").exists()
