"""Data Docs that render offline: GE's pages load Bootstrap, jQuery, Font Awesome, Vega and
bootstrap-table from CDNs, so without network they show unstyled text and no validation table.

After each build of the site, the vendored copies in ``expectations/docs_assets/`` (from the
npm registry, versions and licences in its README) are copied to ``<site>/static/vendor/`` and
every page's CDN link is rewritten to a relative path there; GE's own logo, fetched from S3,
points at the copy GE ships in ``static/images/``. Links a reader clicks (GE's documentation)
stay as they are: they load nothing.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

ASSETS = Path(__file__).resolve().with_name("docs_assets")
VENDOR = "vendor"  # below the site's static/ folder

BOOTSTRAP_TABLE = "https://unpkg.com/bootstrap-table@"
DATEPICKER = "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/"
CDN = {
    "https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css": "bootstrap/bootstrap.min.css",
    "https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js": "bootstrap/bootstrap.min.js",
    "https://code.jquery.com/jquery-3.7.1.min.js": "jquery/jquery.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/popper.js/1.12.9/umd/popper.min.js": "popper.js/popper.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.6.0/css/all.min.css": (
        "fontawesome/css/all.min.css"
    ),
    f"{DATEPICKER}js/bootstrap-datepicker.min.js": "bootstrap-datepicker/bootstrap-datepicker.min.js",
    f"{DATEPICKER}css/bootstrap-datepicker.min.css": "bootstrap-datepicker/bootstrap-datepicker.min.css",
    f"{BOOTSTRAP_TABLE}1.19.1/dist/bootstrap-table.min.js": "bootstrap-table/bootstrap-table.min.js",
    f"{BOOTSTRAP_TABLE}1.19.1/dist/bootstrap-table.min.css": "bootstrap-table/bootstrap-table.min.css",
    **{
        f"{BOOTSTRAP_TABLE}{version}/dist/extensions/filter-control/bootstrap-table-filter-control{suffix}": (
            "bootstrap-table/bootstrap-table-filter-control.min"
            + (".js" if suffix.endswith(".js") else ".css")
        )
        for version in ("1.19.0", "1.19.1")
        for suffix in (".min.js", ".min.css", ".js", ".css")
    },
    "https://cdn.jsdelivr.net/npm/vega@5": "vega/vega.min.js",
    "https://cdn.jsdelivr.net/npm/vega-lite@5": "vega/vega-lite.min.js",
    "https://cdn.jsdelivr.net/npm/vega-embed@6": "vega/vega-embed.min.js",
    "https://cdn.jsdelivr.net/npm/@forevolve/bootstrap-dark@1.1.0/dist/css/bootstrap-prefers-dark.css": (
        "bootstrap-dark/bootstrap-prefers-dark.min.css"
    ),
}
# GE's logo (with a tracking query string) from S3 -> the copy in the site's static/images/
S3_IMAGE = re.compile(
    r"https://great-expectations-web-assets\.s3\.us-east-2\.amazonaws\.com/[A-Za-z_\-]+\.png[^\"']*"
)
# what a page would still load from outside: a script, stylesheet or image URL
REMOTE_LOAD = re.compile(r"""<(?:script|link|img)\b[^>]*\b(?:src|href)=["'](https?://[^"']+)""", re.I)


def make_offline(site: Path, since: float | None = None) -> list[str]:
    """Vendor the assets into ``site/static/vendor`` and rewrite the CDN links of every page, or
    with ``since`` (a ``time.time()``) of the pages written since then: a suite's update writes
    its new page and the index, the others were made offline when they were written.

    Returns the outside URLs those pages would still load (none with GE as locked).
    """
    static = site / "static"
    if not static.is_dir():
        return []
    shutil.copytree(ASSETS, static / VENDOR, dirs_exist_ok=True, ignore=shutil.ignore_patterns("*.md"))
    remaining: set[str] = set()
    for page in site.rglob("*.html"):
        if "gx" in page.relative_to(site).parts[:1]:
            continue
        if since is not None and page.stat().st_mtime < since:
            continue
        text = page.read_text(encoding="utf-8")
        prefix = Path(os.path.relpath(static, page.parent)).as_posix()
        fixed = text
        for url, local in CDN.items():
            fixed = fixed.replace(f'"{url}"', f'"{prefix}/{VENDOR}/{local}"')
        fixed = S3_IMAGE.sub(f"{prefix}/images/logo-long.png", fixed)
        if fixed != text:
            page.write_text(fixed, encoding="utf-8")
        remaining.update(REMOTE_LOAD.findall(fixed))
    return sorted(remaining)
