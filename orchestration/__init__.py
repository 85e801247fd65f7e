"""Dagster definitions: one module per source, plus dbt, publishing and schedules."""
