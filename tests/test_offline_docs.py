"""The Data Docs render with no network: GE's CDN assets are served from the warehouse folder."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from expectations import core
from expectations.core import WARNING, Suite, expect
from expectations.offline_docs import CDN, make_offline
from report.pdf import browser, offline_page
from tests.conftest import require_chromium


def build_docs(quality: Path, run_name: str = "r1") -> None:
    suite = Suite(
        "demo.offline",
        [
            expect(
                "share_within_0_100",
                "ExpectColumnValuesToBeBetween",
                column="v",
                max_value=100,
                severity=WARNING,
            )
        ],
    )
    outcome = core.validate(
        suite, pd.DataFrame({"indicator_id": ["a", "b"], "v": [50.0, 140.0]}), quality, run_name
    )
    assert outcome.failures[0].ids == ("b",)


def test_data_docs_link_no_cdn_and_every_vendored_asset_exists(tmp_path: Path) -> None:
    """Each update makes the pages it writes offline (its validation page and the index), so
    after two runs every page is."""
    quality = tmp_path / "quality"
    build_docs(quality)
    build_docs(quality, "r2")
    pages = [p for p in quality.rglob("*.html") if "gx" not in p.relative_to(quality).parts[:1]]
    assert len(pages) >= 3  # the index and a validation page per run
    for page in pages:
        text = page.read_text(encoding="utf-8")
        for url in CDN:
            assert f'"{url}"' not in text, (page, url)
        assert "amazonaws.com" not in text
    assert make_offline(quality) == []  # nothing left that a page would load from outside
    for local in set(CDN.values()):
        assert (quality / "static" / "vendor" / local).is_file(), local


def test_data_docs_render_in_chromium_with_every_outside_request_blocked(tmp_path: Path) -> None:
    executable = require_chromium()
    quality = tmp_path / "quality"
    build_docs(quality)
    blocked: list[str] = []
    with browser(executable) as instance:
        page = offline_page(instance, blocked)
        page.goto((quality / "index.html").as_uri(), wait_until="load")
        page.wait_for_function("() => document.querySelectorAll('table tbody tr').length > 0", timeout=15_000)
        styled = page.evaluate(
            """() => ({
                jquery: typeof window.jQuery,
                table: typeof (window.jQuery && window.jQuery.fn.bootstrapTable),
                vega: typeof window.vegaEmbed,
                navbarDisplay: getComputedStyle(document.querySelector('.navbar')).display,
                icons: document.fonts.check('900 16px "Font Awesome 6 Free"'),
                rows: document.querySelector('table tbody').innerText,
            })"""
        )
        assert (
            styled["jquery"] == "function" and styled["table"] == "function" and styled["vega"] == "function"
        )
        assert styled["navbarDisplay"] == "flex"  # Bootstrap's .navbar: unstyled it is a block
        assert "demo.offline" in styled["rows"]  # the validation list, rendered by bootstrap-table
        page.screenshot(path=str(tmp_path / "index.png"))
        (validation,) = (quality / "validations").rglob("*.html")
        page.goto(validation.as_uri(), wait_until="load")
        assert page.evaluate("typeof window.jQuery") == "function"
        assert page.evaluate("getComputedStyle(document.querySelector('.navbar')).display") == "flex"
        assert "Failed" in page.inner_text("body") and "140" in page.inner_text("body")
    assert blocked == [], blocked  # no page asked for anything outside the warehouse folder


def test_only_pages_written_since_are_rewritten(tmp_path: Path) -> None:
    """``since`` leaves older pages alone (they were made offline when written)."""
    import os
    import time

    site = tmp_path / "site"
    (site / "static").mkdir(parents=True)
    url = next(iter(CDN))
    old, new = site / "old.html", site / "new.html"
    for page in (old, new):
        page.write_text(f'<script src="{url}"></script>', encoding="utf-8")
    os.utime(old, (time.time() - 60, time.time() - 60))
    assert make_offline(site, since=time.time() - 30) == []
    assert url in old.read_text(encoding="utf-8") and url not in new.read_text(encoding="utf-8")
    assert make_offline(site) == []  # every page
    assert url not in old.read_text(encoding="utf-8")
