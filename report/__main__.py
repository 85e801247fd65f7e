"""Build county and municipality reports from the published mart without Dagster.

``python -m report 17 24 13`` writes ``warehouse/reports/<code>/barnhalsorapport-<code>.html``
and ``.pdf`` for Värmland, Västerbotten and Halland; ``python -m report 1780`` the same report
for Karlstad, against Värmland, its kommungrupp and Sweden; no code: every county in the mart.
An analyst's ``reports/text/<code>.md`` is placed beside the generated content.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import warehouse
from ingest.settings import Settings
from report.build import build_reports
from report.data import ReportError
from report.pdf import BrowserError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m report", description=__doc__)
    parser.add_argument(
        "counties", nargs="*", metavar="CODE", help="county or municipality codes, e.g. 17 24 13 1780"
    )
    parser.add_argument(
        "--text", type=Path, default=None, help="the analysts' <code>.md texts (default: reports/text)"
    )
    parser.add_argument(
        "--mart", type=Path, default=None, help="the published mart (default: warehouse/mart.duckdb)"
    )
    parser.add_argument("--out", type=Path, default=None, help="reports folder (default: warehouse/reports)")
    parser.add_argument("--no-pdf", action="store_true", help="write the HTML only (no Chromium needed)")
    args = parser.parse_args(argv)
    settings = Settings.from_environment()
    mart_db = args.mart or warehouse.mart_db(settings.warehouse_dir)
    reports_dir = args.out or warehouse.reports_dir(settings.warehouse_dir)
    try:
        built = build_reports(
            mart_db,
            reports_dir,
            args.counties or None,
            pdf=not args.no_pdf,
            log=lambda m: print(m, file=sys.stderr),
            text_dir=args.text or settings.report_text_dir,
            chromium=settings.chromium,
        )
    except (ReportError, BrowserError) as exc:
        print(f"report: {exc}", file=sys.stderr)
        return 1
    for report in built:
        print(report.html)
        if report.pdf:
            print(report.pdf)
    return 0


if __name__ == "__main__":
    sys.exit(main())
