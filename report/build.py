"""Build county reports into ``<reports_dir>/<county_code>/``, each file swapped in atomically.

Per county: ``barnhalsorapport-<code>.html`` (self-contained), ``barnhalsorapport-<code>.pdf``
and ``report.json`` (the publication it was built from, counts, pages). Everything is written
under a temporary name first and renamed over the previous files only when the whole county
succeeded, so a failure leaves that county's previous report as it was.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from report.data import ReportError, county_codes, read_county
from report.render import chart_count, render_html

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
    seconds: float


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
) -> list[BuiltReport]:
    """Build the reports of ``counties`` (default: every county in the mart), sharing one browser.

    Raises ``ReportError`` naming every county that failed, after the others are in place.
    """
    counties = list(counties) if counties else county_codes(mart_db)
    if pdf:
        from report.pdf import browser

        with browser() as instance:
            return _build_all(mart_db, reports_dir, counties, instance, log)
    return _build_all(mart_db, reports_dir, counties, None, log)


def _build_all(mart_db, reports_dir, counties, instance, log) -> list[BuiltReport]:
    built, failed = [], []
    for code in counties:
        try:
            report = build_one(mart_db, reports_dir, code, instance)
        except Exception as exc:  # one county's failure must not stop the others
            failed.append(f"{code}: {exc}")
            log(f"county {code}: report FAILED: {exc}")
            continue
        built.append(report)
        pages = f", {report.pages} PDF pages" if report.pages is not None else ""
        log(
            f"county {code} ({report.county_name}): {report.indicators} indicator series,"
            f" {report.charts} charts{pages} in {report.seconds:.1f} s -> {report.html.parent}"
        )
    if failed:
        raise ReportError(f"{len(failed)} of {len(counties)} county reports failed: " + "; ".join(failed))
    return built


def build_one(mart_db: Path, reports_dir: Path, county_code: str, instance=None) -> BuiltReport:
    """One county's HTML (and PDF with a browser ``instance``), swapped in when both are written."""
    started = time.perf_counter()
    data = read_county(mart_db, county_code)
    html_path, pdf_path = report_paths(reports_dir, county_code)
    html_path.parent.mkdir(parents=True, exist_ok=True)
    suffix = f".tmp-{os.getpid()}"
    staged_html = html_path.with_name(html_path.stem + suffix + ".html")
    staged_pdf = pdf_path.with_name(pdf_path.name + suffix)
    staged_meta = html_path.with_name(META + suffix)
    staged = [staged_html, staged_pdf, staged_meta]
    try:
        staged_html.write_text(render_html(data), encoding="utf-8")
        pages = None
        if instance is not None:
            from report.pdf import print_pdf

            print_pdf(instance, staged_html, staged_pdf)
            pages = pdf_pages(staged_pdf)
        report = BuiltReport(
            county_code=county_code,
            county_name=data.county.name,
            html=html_path,
            pdf=pdf_path if instance is not None else None,
            indicators=len(data.indicators),
            charts=chart_count(data),
            pages=pages,
            published_at=data.published_at,
            seconds=round(time.perf_counter() - started, 3),
        )
        meta = {**asdict(report), "html": html_path.name, "pdf": pdf_path.name if report.pdf else None}
        staged_meta.write_text(json.dumps({**meta, "run_id": data.run_id}, indent=2), encoding="utf-8")
        if instance is not None:
            os.replace(staged_pdf, pdf_path)
        os.replace(staged_html, html_path)
        os.replace(staged_meta, html_path.with_name(META))
    finally:
        for path in staged:
            path.unlink(missing_ok=True)
    return report


def pdf_pages(path: Path) -> int:
    from pypdf import PdfReader

    return len(PdfReader(path).pages)


def reports_current(mart_db: Path, reports_dir: Path, counties: Sequence[str] | None = None) -> bool:
    """Whether every county's report was built from the mart publication now published."""
    import duckdb

    if not mart_db.exists():
        return True  # nothing published, nothing to report on
    with duckdb.connect(str(mart_db), read_only=True) as con:
        (published_at,) = con.execute("select cast(published_at as varchar) from meta_publication").fetchone()
    for code in counties or county_codes(mart_db):
        meta = reports_dir / code / META
        try:
            if json.loads(meta.read_text(encoding="utf-8")).get("published_at") != published_at:
                return False
        except (OSError, ValueError):
            return False
    return True
