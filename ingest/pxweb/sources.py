"""The two PxWeb sources: base URLs, dialects and the PX dot markers."""

from __future__ import annotations

from ingest import settings

V1 = "v1"
V2 = "v2"
DEFAULT_BASE_URLS = {s: settings.DEFAULT_BASE_URLS[s] for s in ("scb", "fohm")}
BASE_URL_VARIABLES = {s: settings.BASE_URL_VARIABLES[s] for s in ("scb", "fohm")}
DIALECTS = {"scb": V2, "fohm": V1}

# PX dot markers: value NULL plus the flag, except '-' (magnitude zero), which is a real 0.
MARKERS = {
    "..": "not_available",
    ".": "not_applicable",
    "...": "not_yet_available",
    "…": "not_yet_available",
    "-": "magnitude_zero",
}
