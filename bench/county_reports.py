"""Benchmark the county reports on a full-size mart; prints figures, asserts nothing.

Local Kolada, SCB and Folkhälsodata servers for Sweden, 21 counties and 290 municipalities over
15 years (as ``bench/mart_views.py``), plus the invented example survey; ``make run``'s command
builds and publishes the mart and every county's report. Then, on the published file, the
reports of all counties again: HTML only, and HTML with PDF (one Chromium for the batch), with
seconds, size and pages per county; then every municipality's HTML report. Targets: all 21
county reports (HTML and PDF) under 30 s, every municipality's HTML under 60 s, on 2 cores.

    python bench/county_reports.py [--years 15]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import localsources as local_sources  # noqa: E402
from ingest.settings import Settings  # noqa: E402
from report.build import build_reports  # noqa: E402
from report.data import municipality_codes  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--years", type=int, default=15)
    parser.add_argument(
        "--keep", type=Path, default=None, help="keep the warehouse here (default: a temp dir)"
    )
    parser.add_argument(
        "--mart", type=Path, default=None, help="time the reports on this mart (no pipeline run)"
    )
    args = parser.parse_args()
    if args.mart:
        time_reports(args.mart, args.mart.parent)
        return
    regions, origin = local_sources.all_regions()
    years = list(range(2026 - args.years + 1, 2027))
    sources = local_sources.build(regions, years, [str(y) for y in years])
    with tempfile.TemporaryDirectory() as tmp:
        root = args.keep.resolve() if args.keep else Path(tmp)
        warehouse = root / "warehouse"
        (warehouse / "surveys").mkdir(parents=True)
        for path in (ROOT / "examples" / "surveys").glob("exempelenkaten*"):
            shutil.copy(path, warehouse / "surveys" / path.name)
        (root / "home").mkdir()
        (root / "home" / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
        config = root / "run.json"
        config.write_text(
            f'{{"resources": {{"kolada_api": {{"config": {{"years": {args.years}, "last_year": 2026}}}}}}}}'
        )
        env = {
            **os.environ,
            **sources.env,
            "DAGSTER_HOME": str(root / "home"),
            "BARNHALSA_WAREHOUSE_DIR": str(warehouse),
            "GX_ANALYTICS_ENABLED": "false",
        }
        env.pop("BARNHALSA_REPORT_COUNTIES", None)
        with local_sources.serve(sources):
            started = time.perf_counter()
            proc = subprocess.run(
                [sys.executable, "-m", "orchestration.run", "refresh_mart", "-c", str(config)],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
            )
            job = time.perf_counter() - started
        if proc.returncode not in (0, 3):  # 3: published, some source tables not fresh
            sys.exit(proc.stderr[-3000:])
        mart = warehouse / "mart.duckdb"
        print(f"{len(regions)} regions ({origin}), {args.years} years, example survey in Värmland")
        print(f"make run's command (fetch, dbt, checks, publish, 21 county reports): {job:.1f} s")
        time_reports(mart, root)


def time_reports(mart: Path, root: Path) -> None:
    """All counties' reports (HTML, then HTML and PDF), then every municipality's HTML."""
    for pdf in (False, True):
        out = root / f"reports-{pdf}"
        started = time.perf_counter()
        built = build_reports(mart, out, pdf=pdf, chromium=Settings.from_environment().chromium)
        total = time.perf_counter() - started
        seconds = [r.seconds for r in built]
        what = "HTML + PDF (one Chromium)" if pdf else "HTML only"
        median = statistics.median(seconds)
        print(
            f"{what}: {len(built)} counties in {total:.1f} s;"
            f" per county median {median:.2f} s, max {max(seconds):.2f} s"
        )
    municipalities = municipality_codes(mart)
    started = time.perf_counter()
    local = build_reports(mart, root / "municipalities", municipalities, pdf=False)
    total = time.perf_counter() - started
    print(
        f"HTML only, every municipality: {len(local)} reports in {total:.1f} s;"
        f" per municipality median {statistics.median(r.seconds for r in local):.2f} s"
    )
    for r in built:
        size = r.html.stat().st_size / 1024
        pdf_size = r.pdf.stat().st_size / 1024 if r.pdf else 0
        print(
            f"  {r.county_code} {r.county_name:<24} {r.indicators:>3} series {r.charts:>3} charts"
            f" {r.pages:>3} pages  HTML {size:6.0f} KiB  PDF {pdf_size:6.0f} KiB  {r.seconds:.2f} s"
        )


if __name__ == "__main__":
    main()
