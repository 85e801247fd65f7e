"""Great Expectations suites as code: one per raw landing table and mart table, plus cross-table gates.

Plain Python (GE 1.x, pandas, DuckDB); ``orchestration/quality.py`` wires them as Dagster checks.
Every expectation carries a severity: ``critical`` (ERROR, blocks publication) or ``warning``
(WARN, shown but published).
"""

from expectations.gx_speed import defer_unused_imports

defer_unused_imports()  # before any module here imports GE (expectations.gx_speed says why)
