"""Facts about Kolada v3 the client and the parsers share: base URL, kinds, limits, years."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from ingest import settings

SOURCE = "kolada"
DEFAULT_BASE_URL = settings.DEFAULT_BASE_URLS["kolada"]
MAX_IDS_PER_SEGMENT = 25
MAX_PER_PAGE = 5000
GENDERS = ("T", "K", "M")

KIND_MUNICIPALITY = "municipality"
KIND_KPI = "kpi"
KIND_DATA = "data"
KIND_MUNICIPALITY_GROUPS = "municipality_groups"


def default_years(count: int = 16, today: datetime | None = None) -> list[int]:
    """The latest ``count`` calendar years up to and including the current one."""
    this_year = (today or datetime.now(UTC)).year
    return list(range(this_year - count + 1, this_year + 1))


def batches(ids: Sequence[Any], size: int = MAX_IDS_PER_SEGMENT) -> list[list[str]]:
    """Split ids into path segments of at most ``size`` ids, keeping order."""
    items = [str(i) for i in ids]
    return [items[i : i + size] for i in range(0, len(items), size)]


def minimum_requests(n_kpis: int, n_years: int, n_objects: int) -> int:
    """Fewest data requests the API allows: 25 ids per segment, 5000 objects per page."""
    queries = math.ceil(n_kpis / MAX_IDS_PER_SEGMENT) * math.ceil(n_years / MAX_IDS_PER_SEGMENT)
    return max(queries, math.ceil(n_objects / MAX_PER_PAGE))
