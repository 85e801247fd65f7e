"""Build county reports into ``<reports_dir>/<county_code>/``, each file swapped in atomically.

Per county: ``barnhalsorapport-<code>.html`` (self-contained), ``barnhalsorapport-<code>.pdf``
and ``report.json`` (the publication it was built from, counts, pages). Everything is written
under a temporary name first and renamed over the previous files only when the whole county
succeeded, so a failure leaves that county's previous report as it was. The HTML of every
county is written first, then the PDFs are printed in one browser, then each county is swapped in.
"""

from __future__ import annotations

import functools
import json
import multiprocessing
import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from report.data import ReportError, county_codes, open_mart, read_county
from report.render import chart_count, render_html
from report.text import read_text, text_path

META = "report.json"


@dataclass(frozen=True)
class BuiltReport:
    county_code: str
    county_name: str
    html: Path
    pdf: Path | None
    indicators: int
    charts: int
    pages: int | None
    published_at: str
    seconds: float  # this county's own work: reading the mart, the HTML, printing its PDF


@dataclass
class _Staged:
    """One county's files under temporary names, waiting for the swap."""

    report: BuiltReport
    run_id: str
    html: Path
    pdf: Path
    meta: Path
    seconds: float  # reading the mart and writing the HTML
    print_html: Path | None = None  # the page as printed (no screen-only rows); never swapped in

    def discard(self) -> None:
        for path in (self.html, self.pdf, self.meta, self.print_html):
            if path is not None:
                path.unlink(missing_ok=True)


def report_paths(reports_dir: Path, county_code: str) -> tuple[Path, Path]:
    folder = reports_dir / county_code
    return folder / f"barnhalsorapport-{county_code}.html", folder / f"barnhalsorapport-{county_code}.pdf"


def build_reports(
    mart_db: Path,
    reports_dir: Path,
    counties: Sequence[str] | None = None,
    *,
    pdf: bool = True,
    log: Callable[[str], None] = lambda message: None,
    printer: Callable[[list[tuple[Path, Path]]], list[tuple[Exception | None, float]]] | None = None,
    text_dir: Path | None = None,
    chromium: str | None = None,
) -> list[BuiltReport]:
    """Build the reports of ``counties`` (county or municipality codes; default: every county).

    ``text_dir`` holds the analysts' optional ``<code>.md`` files (``report.text``); ``chromium``
    the browser to print with (``Settings.chromium``; None: the first on PATH).
    One county's failure does not stop the others: they are swapped in, then ``ReportError``
    names every county that failed. No Chromium (``BrowserError``) fails the batch before
    anything is swapped. ``printer`` replaces ``report.pdf.print_pdfs`` (tests).
    """
    started = time.perf_counter()
    counties = list(counties) if counties else county_codes(mart_db)
    failed: list[str] = []
    staged: list[_Staged] = []

    def fail(code: str, exc: Exception) -> None:
        failed.append(f"{code}: {exc}")
        log(f"county {code}: report FAILED: {exc}")

    try:
        for code, item, error in _stage_all(mart_db, reports_dir, counties, text_dir, pdf):
            if error is not None:  # one county's failure must not stop the others
                fail(code, error)
            else:
                staged.append(item)
        if pdf and staged:
            if printer is None:
                from report.pdf import print_pdfs

                printer = functools.partial(print_pdfs, chromium=chromium)
            printed = printer([(s.print_html or s.html, s.pdf) for s in staged])
        else:
            printed = [(None, 0.0)] * len(staged)
        built = []
        for item, (error, seconds) in zip(staged, printed, strict=True):
            try:
                if error is not None:
                    raise error
                built.append(_swap(item, pdf, item.seconds + seconds))
            except Exception as exc:
                fail(item.report.county_code, exc)
                continue
            report = built[-1]
            pages = f", {report.pages} PDF pages" if report.pages is not None else ""
            log(
                f"{'municipality' if len(report.county_code) == 4 else 'county'} {report.county_code}"
                f" ({report.county_name}): {report.indicators} indicator"
                f" series, {report.charts} charts{pages} in {report.seconds:.1f} s -> {report.html.parent}"
            )
    finally:
        for item in staged:
            item.discard()
    log(f"{len(built)} of {len(counties)} county reports in {time.perf_counter() - started:.1f} s")
    if failed:
        raise ReportError(f"{len(failed)} of {len(counties)} county reports failed: " + "; ".join(failed))
    return built


PER_WORKER = 8  # reports per HTML worker process below which one process is faster


def _stage_all(
    mart_db: Path, reports_dir: Path, codes: list[str], text_dir: Path | None, pdf: bool = False
) -> list[tuple[str, _Staged | None, Exception | None]]:
    """Each code's staged HTML (or its error), in order. A large batch (every municipality) is
    split over worker processes, one read-only session each; a small one runs here."""
    workers = min(len(codes) // PER_WORKER, os.cpu_count() or 1, 4)
    if workers < 2:
        return _stage_chunk(mart_db, reports_dir, codes, text_dir, pdf)
    chunks = [codes[i::workers] for i in range(workers)]
    spawn = multiprocessing.get_context("spawn")  # no fork of a process that holds DuckDB's threads
    with ProcessPoolExecutor(workers, mp_context=spawn) as pool:
        futures = [pool.submit(_stage_chunk, mart_db, reports_dir, chunk, text_dir, pdf) for chunk in chunks]
        by_code = {entry[0]: entry for future in futures for entry in future.result()}
    return [by_code[code] for code in codes]


def _stage_chunk(
    mart_db: Path, reports_dir: Path, codes: list[str], text_dir: Path | None, pdf: bool = False
) -> list[tuple[str, _Staged | None, Exception | None]]:
    out: list[tuple[str, _Staged | None, Exception | None]] = []
    with open_mart(mart_db) as con:  # one read-only session, one publication, for the chunk
        for code in codes:
            try:
                out.append((code, _stage_html(mart_db, reports_dir, code, text_dir, con, pdf), None))
            except Exception as exc:
                out.append((code, None, exc))
    return out


def _stage_html(
    mart_db: Path,
    reports_dir: Path,
    county_code: str,
    text_dir: Path | None = None,
    con=None,
    pdf: bool = False,
) -> _Staged:
    started = time.perf_counter()
    data = read_county(mart_db, county_code, con)
    text = read_text(text_path(text_dir, data.area.code), data.factors)
    html_path, pdf_path = report_paths(reports_dir, county_code)
    html_path.parent.mkdir(parents=True, exist_ok=True)
    for stale in html_path.parent.glob("*.tmp-*"):  # left by a run that was killed an hour ago or more
        if time.time() - stale.stat().st_mtime > 3600:
            stale.unlink(missing_ok=True)
    suffix = f".tmp-{os.getpid()}"
    staged = _Staged(
        report=BuiltReport(
            county_code=county_code,
            county_name=data.area.name,
            html=html_path,
            pdf=pdf_path,
            indicators=len(data.indicators),
            charts=chart_count(data),
            pages=None,
            published_at=data.published_at,
            seconds=0.0,
        ),
        run_id=data.run_id,
        html=html_path.with_name(html_path.stem + suffix + ".html"),
        pdf=pdf_path.with_name(pdf_path.name + suffix),
        meta=html_path.with_name(META + suffix),
        seconds=0.0,
        print_html=html_path.with_name(html_path.stem + suffix + ".print.html") if pdf else None,
    )
    try:
        generated_at = datetime.now(UTC)
        staged.html.write_text(render_html(data, generated_at, text), encoding="utf-8")
        if staged.print_html is not None:  # the same report without what the screen alone shows
            staged.print_html.write_text(
                render_html(data, generated_at, text, printing=True), encoding="utf-8"
            )
    except BaseException:
        staged.discard()
        raise
    staged.seconds = time.perf_counter() - started
    return staged


def _swap(item: _Staged, pdf: bool, seconds: float) -> BuiltReport:
    """Write the metadata and rename the county's staged files over the previous ones."""
    pages = pdf_pages(item.pdf) if pdf else None
    report = BuiltReport(
        **{
            **asdict(item.report),
            "pdf": item.report.pdf if pdf else None,
            "pages": pages,
            "seconds": round(seconds, 3),
        }
    )
    meta = {**asdict(report), "html": report.html.name, "pdf": report.pdf.name if report.pdf else None}
    item.meta.write_text(json.dumps({**meta, "run_id": item.run_id}, indent=2), encoding="utf-8")
    for path in (item.pdf, item.html, item.meta) if pdf else (item.html, item.meta):
        with path.open("rb") as handle:
            os.fsync(handle.fileno())
    if pdf:
        os.replace(item.pdf, report.pdf)
    else:  # a PDF of an older publication must not sit beside the new page
        item.report.pdf.unlink(missing_ok=True)
    os.replace(item.html, report.html)
    os.replace(item.meta, report.html.with_name(META))
    return report


def pdf_pages(path: Path) -> int:
    from pypdf import PdfReader

    return len(PdfReader(path).pages)


def reports_current(
    mart_db: Path, reports_dir: Path, counties: Sequence[str] | None = None, pdf: bool = True
) -> bool:
    """Whether every county's report (and PDF) was built from the mart publication now published."""
    if not mart_db.exists():
        return True  # nothing published, nothing to report on
    with open_mart(mart_db) as con:
        (published_at,) = con.execute("select cast(published_at as varchar) from meta_publication").fetchone()
    for code in counties or county_codes(mart_db):
        html, pdf_path = report_paths(reports_dir, code)
        try:
            meta = json.loads((reports_dir / code / META).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False
        if meta.get("published_at") != published_at or not html.exists():
            return False
        if pdf and not (meta.get("pdf") and pdf_path.exists()):
            return False
    return True
