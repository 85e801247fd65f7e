"""The CPU seconds of the 14 Great Expectations suites of a run, validated into one Data Docs
folder pass after pass, as the checks of consecutive runs on one warehouse do; prints figures,
asserts nothing.

The first pass pays for the context and the saved suites; the later ones are what a refresh of
a warehouse that has run before pays (``expectations/gx_project.py`` says which of GE's costs
are avoided there). The suites read the build database and the published mart of
``--warehouse`` (default ``warehouse/``: run ``make run`` first); the Data Docs go to a
temporary folder, not the warehouse's.

    python bench/ge_suites.py [--warehouse DIR] [--passes 4]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", type=Path, default=ROOT / "warehouse")
    parser.add_argument("--passes", type=int, default=4)
    args = parser.parse_args()
    build_db, mart_db = args.warehouse / "build.duckdb", args.warehouse / "mart.duckdb"
    if not build_db.exists():
        sys.exit(f"no {build_db}: run `make run` first, or give --warehouse")

    started = time.process_time()
    from expectations import registry
    from orchestration.quality import GATES

    print(f"import: {time.process_time() - started:.2f} s CPU (GE itself is imported at the first suite)")
    with tempfile.TemporaryDirectory() as quality:
        for number in range(1, args.passes + 1):
            started = time.process_time()
            outcomes = [
                registry.run(g.suite_name, build_db, mart_db, Path(quality), f"pass{number}") for g in GATES
            ]
            failing = sum(len(o.failures) for o in outcomes)
            print(
                f"pass {number}: {time.process_time() - started:.2f} s CPU for {len(outcomes)} suites"
                f" ({failing} failing expectations)"
            )


if __name__ == "__main__":
    main()
