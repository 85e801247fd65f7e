"""Source clients, parsers and the raw landing. Plain Python: no Dagster, no dbt."""
