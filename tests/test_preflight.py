"""No network, fast answer: the host check before a run, and connection failures in the client."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from ingest import preflight
from ingest.http import HttpSettings, JsonHttpClient, SourceError
from ingest.settings import Settings
from orchestration.run import source_urls

ROOT = Path(__file__).resolve().parents[1]
NOWHERE = "nonexistent.invalid"  # RFC 2606: never resolves


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, then closed)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def http_server() -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v3/"
    finally:
        server.shutdown()
        server.server_close()


def test_unknown_and_refused_hosts_are_reported_a_live_server_is_not() -> None:
    refused = free_port()
    with http_server() as live:
        urls = {
            "KOLADA_BASE_URL": live,
            "SCB_BASE_URL": f"https://{NOWHERE}/api/v2/",
            "FOHM_BASE_URL": f"http://127.0.0.1:{refused}/api/v1/sv/",
        }
        started = time.monotonic()
        unreachable = preflight.unreachable_hosts(urls, timeout=3.0)
        elapsed = time.monotonic() - started
    assert [(u.setting, u.address, u.reason) for u in unreachable] == [
        ("SCB_BASE_URL", f"{NOWHERE}:443", "host not found"),
        ("FOHM_BASE_URL", f"127.0.0.1:{refused}", "connection refused"),
    ]
    assert unreachable[0].url == urls["SCB_BASE_URL"]
    assert elapsed < 3.5


def test_a_host_that_never_answers_is_reported_within_the_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    resolve = socket.getaddrinfo

    def hanging(host, *args, **kwargs):
        if host == "hangs.invalid":
            time.sleep(10)
        return resolve(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", hanging)
    started = time.monotonic()
    unreachable = preflight.unreachable_hosts({"KOLADA_BASE_URL": "https://hangs.invalid/v3/"}, timeout=0.5)
    assert time.monotonic() - started < 2.0
    assert [(u.address, u.reason) for u in unreachable] == [("hangs.invalid:443", "no answer within 0.5 s")]


def test_each_host_is_checked_once_and_the_message_points_at_local_servers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    checked = []

    def check(host: str, port: int, timeout: float) -> str:
        checked.append(host)
        return "host not found"

    monkeypatch.setattr(preflight, "check", check)
    urls = {"SCB_BASE_URL": f"http://{NOWHERE}/a/", "FOHM_BASE_URL": f"http://{NOWHERE}/b/"}
    unreachable = preflight.unreachable_hosts(urls)
    assert checked == [NOWHERE] and len(unreachable) == 2
    text = preflight.message("refresh_mart", unreachable)
    assert text.startswith("refresh_mart: 1 source host cannot be reached; no run started.")
    assert f"{NOWHERE}:80: host not found (SCB_BASE_URL: http://{NOWHERE}/a/)" in text
    assert '"Run against local servers"' in text and "make serve" in text


def test_source_urls_follow_run_config_then_environment_then_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KOLADA_BASE_URL", "http://kolada.invalid/v3/")
    monkeypatch.setenv("SCB_BASE_URL", "http://scb.invalid/api/v2/")
    monkeypatch.delenv("FOHM_BASE_URL", raising=False)
    run_config = {"resources": {"pxweb": {"config": {"scb_base_url": "http://127.0.0.1:8766/api/v2/"}}}}
    assert source_urls(run_config, Settings.from_environment()) == {
        "KOLADA_BASE_URL": "http://kolada.invalid/v3/",
        "resources.pxweb.config.scb_base_url": "http://127.0.0.1:8766/api/v2/",
        "FOHM_BASE_URL not set, the default": (
            "https://fohm-app.folkhalsomyndigheten.se/Folkhalsodata/api/v1/sv/"
        ),
    }


def test_client_fails_at_once_on_an_unknown_host() -> None:
    client = JsonHttpClient("kolada", None, HttpSettings(retries=5, backoff_factor=1.0))
    url = f"http://{NOWHERE}/v3/municipality"
    started = time.monotonic()
    with pytest.raises(SourceError) as err:
        client.get_json(url, kind="municipality")
    assert time.monotonic() - started < 2.0  # five retries with backoff would take 31 s
    assert str(err.value) == f"kolada: GET {url} failed: host not found ({NOWHERE})"


def test_client_retries_a_refused_connection_briefly() -> None:
    port = free_port()
    client = JsonHttpClient("scb", None, HttpSettings(retries=5, backoff_factor=1.0))
    url = f"http://127.0.0.1:{port}/api/v2/config"
    started = time.monotonic()
    with pytest.raises(SourceError) as err:
        client.get_json(url, kind="config")
    elapsed = time.monotonic() - started
    assert 0.8 < elapsed < 4.0  # two quick retries, not five with backoff
    assert str(err.value) == f"scb: GET {url} failed: connection refused (127.0.0.1:{port})"


def test_refresh_mart_without_network_stops_fast_with_one_message(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "DAGSTER_HOME": str(tmp_path / "dagster_home"),
        "BARNHALSA_WAREHOUSE_DIR": str(tmp_path / "warehouse"),
        "KOLADA_BASE_URL": f"http://{NOWHERE}/v3/",
        "SCB_BASE_URL": f"http://{NOWHERE}/api/v2/",
        "FOHM_BASE_URL": f"http://fohm.{NOWHERE}/api/v1/sv/",
    }
    (tmp_path / "dagster_home").mkdir()
    env.pop("BARNHALSA_FORCE", None)
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "orchestration.run", "refresh_mart"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    elapsed = time.monotonic() - started
    output = done.stdout + done.stderr
    assert done.returncode == 2, output
    assert elapsed < 15, f"{elapsed:.1f} s"
    assert f"{NOWHERE}:80: host not found (KOLADA_BASE_URL: http://{NOWHERE}/v3/)" in done.stderr
    assert f"fohm.{NOWHERE}:80: host not found (FOHM_BASE_URL" in done.stderr
    assert "Run against local servers" in done.stderr
    assert len(output.splitlines()) < 20, output
    assert not (tmp_path / "warehouse").exists()  # nothing was started
