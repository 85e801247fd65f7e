"""Barnhälsorapport: a self-contained child-health report per county, read from the published mart.

``report.data`` reads one county from ``mart.duckdb`` (read-only), ``report.charts`` draws the
charts as inline SVG, ``report.render`` writes the Swedish HTML, ``report.pdf`` prints it with
the system Chromium, and ``report.build`` puts the files in place atomically. Plain Python, no
Dagster: ``orchestration/report.py`` and ``python -m report`` both call ``report.build``.
"""
