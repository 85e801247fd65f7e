"""The two PxWeb sources: base URLs, dialects and the PX dot markers."""

from __future__ import annotations

import os

V1 = "v1"
V2 = "v2"
DEFAULT_BASE_URLS = {
    "scb": "https://statistikdatabasen.scb.se/api/v2/",
    "fohm": "https://fohm-app.folkhalsomyndigheten.se/Folkhalsodata/api/v1/sv/",
}
BASE_URL_VARIABLES = {"scb": "SCB_BASE_URL", "fohm": "FOHM_BASE_URL"}
DIALECTS = {"scb": V2, "fohm": V1}

# PX dot markers: value NULL plus the flag, except '-' (magnitude zero), which is a real 0.
MARKERS = {
    "..": "not_available",
    ".": "not_applicable",
    "...": "not_yet_available",
    "…": "not_yet_available",
    "-": "magnitude_zero",
}


def base_url(source: str) -> str:
    """``SCB_BASE_URL`` / ``FOHM_BASE_URL``, or the live API."""
    url = os.environ.get(BASE_URL_VARIABLES[source]) or DEFAULT_BASE_URLS[source]
    return url if url.endswith("/") else url + "/"
