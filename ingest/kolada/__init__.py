"""Kolada v3 (RKA's KPI database): fetch into the raw landing and parse into tidy rows.

Facts the client relies on (v3): pages are followed through ``next_url`` until it is
missing or empty; at most 25 ids fit in one comma-separated path segment; ``per_page``
is at most 5000; ``value`` may be null and ``status`` carries a flag; ``isdeleted``
rows are dropped; an unknown KPI gives 200 with no values, so an empty result for a
KPI the catalogue expects is an error. ``/municipality_groups`` lists Kolada's municipality
groups (``{"id": "G…", "title": …, "members": [{"member_id", "member_title"}]}``; older
descriptions name the member keys ``id``/``title``, both are accepted), among them SKR's
kommungrupper; ``from_date`` on a data query returns only values changed after that date.

Modules: ``api`` (the facts above: base URL, limits, years), ``client`` (fetch and land),
``parsing`` (bodies to rows, with checks naming the request).
"""

from ingest.http import SourceError
from ingest.kolada.api import (
    DEFAULT_BASE_URL,
    GENDERS,
    KIND_DATA,
    KIND_KPI,
    KIND_MUNICIPALITY,
    KIND_MUNICIPALITY_GROUPS,
    MAX_IDS_PER_SEGMENT,
    MAX_PER_PAGE,
    SOURCE,
    batches,
    default_years,
    minimum_requests,
)
from ingest.kolada.client import FetchSummary, KoladaClient
from ingest.kolada.parsing import (
    check_envelope,
    check_expected_kpis,
    check_region_codes,
    count_per_kpi,
    parse_batch,
    parse_kpis,
    parse_municipalities,
    parse_municipality_groups,
    parse_values,
)

__all__ = [
    "DEFAULT_BASE_URL", "GENDERS", "KIND_DATA", "KIND_KPI", "KIND_MUNICIPALITY",
    "KIND_MUNICIPALITY_GROUPS", "MAX_IDS_PER_SEGMENT", "MAX_PER_PAGE", "SOURCE", "FetchSummary",
    "KoladaClient", "SourceError", "batches", "check_envelope", "check_expected_kpis",
    "check_region_codes", "count_per_kpi", "default_years", "minimum_requests", "parse_batch",
    "parse_kpis", "parse_municipalities", "parse_municipality_groups", "parse_values",
]  # fmt: skip
