"""The raw tables of the build database (schema ``raw``): one column list and type per table.

The loaders write exactly these columns (``warehouse.load.replace_raw_table``) and the quality
suites (``expectations.raw``) check the tables against them: one definition for both.
"""

from __future__ import annotations

# Each catalogued table's or KPI group's state after a load (warehouse.source_status).
SOURCE_STATUS_COLUMNS: dict[str, str] = {
    "source": "varchar",
    "source_ref": "varchar",
    "table_key": "varchar",
    "verified": "boolean",
    "status": "varchar",
    "reason": "varchar",
    "failing_since": "timestamptz",
    "last_good_fetch": "timestamptz",
    "landing_batch": "varchar",
    "rows": "integer",
    "failed_indicators": "varchar",
}

RAW_TABLES: dict[str, dict[str, str]] = {
    "pxweb_status": SOURCE_STATUS_COLUMNS,
    "kolada_status": SOURCE_STATUS_COLUMNS,
    # Kolada values: KPI × region × year × gender.
    "kolada_values": {
        "kpi_id": "varchar",
        "municipality_id": "varchar",
        "period": "integer",
        "gender": "varchar",
        "value": "double",
        "status": "varchar",
        "count": "integer",
        "request_url": "varchar",
        "fetched_at": "timestamptz",
        "body_sha256": "varchar",
    },
    # Kolada's region list.
    "kolada_municipality": {
        "municipality_id": "varchar",
        "title": "varchar",
        "type": "varchar",
    },
    # Kolada's municipality groups, one row per member.
    "kolada_municipality_groups": {
        "group_id": "varchar",
        "group_title": "varchar",
        "member_id": "varchar",
        "member_title": "varchar",
    },
    # Kolada KPI metadata.
    "kolada_kpi": {
        "kpi_id": "varchar",
        "title": "varchar",
        "description": "varchar",
        "is_divided_by_gender": "boolean",
        "municipality_type": "varchar",
        "operating_area": "varchar",
        "publ_period": "varchar",
    },
    # SCB and Folkhälsodata indicator values, codes mapped per table.
    "pxweb_values": {
        "indicator_id": "varchar",
        "table_key": "varchar",
        "source": "varchar",
        "source_ref": "varchar",
        "region_code": "varchar",
        "period_label": "varchar",
        "period_start": "integer",
        "period_end": "integer",
        "sex": "varchar",
        "age_group": "varchar",
        "value": "double",
        "ci_low": "double",
        "ci_high": "double",
        "n": "double",
        "marker": "varchar",
        "request_url": "varchar",
        "fetched_at": "timestamptz",
        "body_sha256": "varchar",
    },
    # SCB population by region, year, age and sex.
    "scb_population": {
        "region_code": "varchar",
        "year": "integer",
        "age": "integer",
        "sex": "varchar",
        "population": "bigint",
        "marker": "varchar",
        "source_ref": "varchar",
        "request_url": "varchar",
        "fetched_at": "timestamptz",
        "body_sha256": "varchar",
    },
    # Regional survey results with thresholds and lineage.
    "survey_values": {
        "indicator_id": "varchar",
        "survey": "varchar",
        "source": "varchar",
        "source_ref": "varchar",
        "region_code": "varchar",
        "period_label": "varchar",
        "period_start": "integer",
        "period_end": "integer",
        "sex": "varchar",
        "age_group": "varchar",
        "value": "double",
        "ci_low": "double",
        "ci_high": "double",
        "n": "double",
        "n_asked": "double",
        "min_respondents": "double",
        "min_response_rate": "double",
        "low_precision_below": "double",
        "file_row": "integer",
        "request_url": "varchar",
        "fetched_at": "timestamptz",
        "body_sha256": "varchar",
    },
    # Indicators the survey specs declare.
    "survey_indicators": {
        "indicator_id": "varchar",
        "title": "varchar",
        "protective_factor": "varchar",
        "source": "varchar",
        "source_ref": "varchar",
        "unit": "varchar",
        "higher_is_better": "boolean",
        "cadence_years": "integer",
        "source_title": "varchar",
    },
}
