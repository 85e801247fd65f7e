"""One PxWeb client for both dialects: PxWebApi 2.0 (SCB) and PxWeb v1 (Folkhälsodata).

- Limits (cells per call, calls per time window) are read from the API's own config.
- A query whose cell count exceeds the limit is split on a grid into the fewest calls that
  fit (``plan_split``); every call on a host goes through one limiter for that host.
- Bodies are landed unchanged; ``parse_*`` turn json-stat2, json-stat (v1) and v1 ``json``
  into cells, with PX dot markers kept as flags (``..`` never becomes 0; ``-`` is a real 0).

Modules, one job each: ``sources`` (base URLs, dialects, markers), ``pacing`` (limits and the
per-host limiter), ``splitting`` (the fewest calls under a limit), ``metadata``, ``parsing``
(bodies to cells) and ``client``.
"""

from ingest.pxweb.client import FetchStats, PxWebClient
from ingest.pxweb.metadata import TableMeta, Variable, meta_from_jsonstat2, meta_from_v1
from ingest.pxweb.pacing import CONSERVATIVE, HostLimiter, Limits, limiter_for
from ingest.pxweb.parsing import Cell, parse_body, parse_jsonstat2, parse_v1_json, time_period
from ingest.pxweb.sources import BASE_URL_VARIABLES, DEFAULT_BASE_URLS, DIALECTS, MARKERS, V1, V2
from ingest.pxweb.splitting import count_cells, naive_calls, plan_split, split_selection

__all__ = [
    "BASE_URL_VARIABLES", "CONSERVATIVE", "DEFAULT_BASE_URLS", "DIALECTS", "MARKERS", "V1", "V2",
    "Cell", "FetchStats", "HostLimiter", "Limits", "PxWebClient", "TableMeta", "Variable",
    "count_cells", "limiter_for", "meta_from_jsonstat2", "meta_from_v1", "naive_calls",
    "parse_body", "parse_jsonstat2", "parse_v1_json", "plan_split", "split_selection", "time_period",
]  # fmt: skip
