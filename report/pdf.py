"""Print report HTML to PDF with the system Chromium, driven by Playwright (no browser download).

The PDF is tagged (a structure tree for screen readers) with an outline of the chapters and
indicators (from the headings), the page's title and language; a report built from test data
carries its ``barnhalsa:testdata`` words in the header of every page.

The browser is started once for a batch of reports; two pages, each in a renderer process of its
own, print the reports in turn (one per core). A page may reach no network: every request other
than the report file itself is aborted (the report needs none, and a test checks that).
"""

from __future__ import annotations

import asyncio
import shutil
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
# Flags for a headless Chromium on a closed network, as root, with no first-run or background traffic.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
FOOTER = (
    '<div style="font-size:8px;width:100%;padding:0 14mm;color:#666;font-family:sans-serif;">'
    '<span class="title"></span><span style="float:right">Sida <span class="pageNumber"></span>'
    ' av <span class="totalPages"></span></span></div>'
)

HEADER = "<span></span>"
TESTDATA_HEADER = (
    '<div style="font-size:9px;width:100%;padding:0 13mm;font-family:sans-serif;font-weight:bold;'
    'color:#7a1d0d;text-align:center;">{words}</div>'
)
PDF_OPTIONS = {
    "format": "A4",
    "print_background": True,
    "prefer_css_page_size": True,
    "display_header_footer": True,
    "header_template": HEADER,
    "footer_template": FOOTER,
    "tagged": True,  # a structure tree (PDF/UA-style tags) for assistive technology
    "outline": True,  # bookmarks from the headings: chapters and indicators
}
TESTDATA_META = 'meta[name="barnhalsa:testdata"]'


def header_for(words: str | None) -> str:
    """The page header: the test-data warning on every page, else empty."""
    from html import escape

    return TESTDATA_HEADER.format(words=escape(words)) if words else HEADER


LOCAL = ("file:", "data:", "about:")  # all a report may load


class BrowserError(RuntimeError):
    """No Chromium to print with, or Chromium failed; the message says which and what to do."""


def find_chromium(configured: str | None = None) -> str | None:
    """``configured`` (``BARNHALSA_CHROMIUM``: ``Settings.chromium``) if given, else the first
    Chromium or Chrome on PATH."""
    if configured:
        return shutil.which(configured) or configured
    return next((path for name in CANDIDATES if (path := shutil.which(name))), None)


def require_chromium(configured: str | None = None) -> str:
    path = find_chromium(configured)
    if path is None:
        raise BrowserError(
            "report PDF: no Chromium found (looked at BARNHALSA_CHROMIUM and "
            f"{', '.join(CANDIDATES)} on PATH). Install Debian's chromium (`make browser`), point "
            "BARNHALSA_CHROMIUM at a Chromium binary, or build the HTML only (`--no-pdf`)."
        )
    if not Path(path).exists():
        raise BrowserError(f"report PDF: BARNHALSA_CHROMIUM={path} does not exist")
    return path


@contextmanager
def browser(executable: str | None = None) -> Iterator[object]:
    """A headless Chromium for the block (Playwright's ``Browser``)."""
    from playwright.sync_api import Error, sync_playwright

    executable = executable or require_chromium()
    with sync_playwright() as playwright:
        try:
            instance = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        except Error as exc:
            raise BrowserError(f"report PDF: Chromium at {executable} did not start: {exc}") from exc
        try:
            yield instance
        finally:
            instance.close()


def offline_page(instance, blocked: list[str] | None = None):
    """A new page that may load local files only; other requests are aborted (and listed)."""
    page = instance.new_page()

    def route(route) -> None:
        url = route.request.url
        if url.startswith(LOCAL):
            route.continue_()
        else:
            if blocked is not None:
                blocked.append(url)
            route.abort()

    page.route("**/*", route)
    return page


Printed = tuple[Exception | None, float]  # the error (None when printed) and the seconds it took


def print_pdfs(
    jobs: Sequence[tuple[Path, Path]], parallel: int = 2, chromium: str | None = None
) -> list[Printed]:
    """Print each ``(html, pdf)`` pair, ``parallel`` pages at a time in one Chromium
    (``chromium``, as ``find_chromium`` takes it).

    Returns one entry per pair; a failed pair does not stop the others. Raises ``BrowserError``
    when there is no Chromium or it does not start.
    """
    if not jobs:
        return []
    return asyncio.run(_print_all(list(jobs), require_chromium(chromium), parallel))


async def _print_all(jobs: list[tuple[Path, Path]], executable: str, parallel: int) -> list[Printed]:
    from playwright.async_api import Error, async_playwright

    async with async_playwright() as playwright:
        try:
            instance = await playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        except Error as exc:
            raise BrowserError(f"report PDF: Chromium at {executable} did not start: {exc}") from exc

        async def fresh_page():
            # a context of its own per slot: its own renderer process, so two pages print on two
            # cores; the page is reused for the slot's next report (a new renderer per report
            # costs about a third of a second)
            context = await instance.new_context()
            page = await context.new_page()
            await page.route("**/*", _offline_route)
            return page

        pool: asyncio.Queue = asyncio.Queue()
        for _ in range(max(1, min(parallel, len(jobs)))):
            pool.put_nowait(await fresh_page())

        async def one(html: Path, pdf: Path) -> Printed:
            page = await pool.get()
            started = time.perf_counter()
            try:
                await page.goto(html.resolve().as_uri(), wait_until="load")
                # page.pdf lays the page out for print media itself: no emulate_media step
                marker = await page.query_selector(TESTDATA_META)
                words = await marker.get_attribute("content") if marker is not None else None
                await page.pdf(path=str(pdf), **{**PDF_OPTIONS, "header_template": header_for(words)})
            except Exception as exc:  # reported per report; the batch goes on, on a fresh page
                await page.context.close()
                page = await fresh_page()
                return exc, time.perf_counter() - started
            finally:
                pool.put_nowait(page)
            return None, time.perf_counter() - started

        try:
            return list(await asyncio.gather(*(one(html, pdf) for html, pdf in jobs)))
        finally:
            await instance.close()


async def _offline_route(route) -> None:
    if route.request.url.startswith(LOCAL):
        await route.continue_()
    else:
        await route.abort()
