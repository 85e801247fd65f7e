"""Can the sources be reached at all? One quick look at each source host before a run.

Each host a source URL names is resolved and connected to once (TCP; nothing is sent), all
hosts at the same time and within ``timeout`` seconds in all, so a machine without network
learns it in seconds and in one message, instead of from every request's retries. When the
environment names a proxy for a URL (``HTTPS_PROXY``, ``NO_PROXY``, …, as requests reads
them), the proxy is what gets checked.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from requests.utils import get_environ_proxies, select_proxy

DEFAULT_TIMEOUT = 3.0
DEFAULT_PORTS = {"http": 80, "https": 443}
README_SECTION = "Run against local servers"
LOCAL_SERVERS = (
    "make serve &",
    "export KOLADA_BASE_URL=http://127.0.0.1:8765/v3/",
    "export SCB_BASE_URL=http://127.0.0.1:8766/api/v2/",
    "export FOHM_BASE_URL=http://127.0.0.1:8767/api/v1/sv/",
    "make run",
)


@dataclass(frozen=True)
class Unreachable:
    """A source URL whose host could not be reached: where the URL is set, the URL, why."""

    setting: str  # e.g. "KOLADA_BASE_URL" or "resources.kolada_api.config.base_url"
    url: str
    address: str  # host:port that was checked (the proxy's, through a proxy)
    reason: str  # "host not found", "connection refused", "no answer within 3 s", …


def address(url: str) -> tuple[str, int] | None:
    """The host and port a request to ``url`` connects to (the proxy's, through a proxy)."""
    target = select_proxy(url, get_environ_proxies(url)) or url
    if "://" not in target:
        target = "http://" + target
    parts = urlsplit(target)
    try:
        port = parts.port or DEFAULT_PORTS.get(parts.scheme)
    except ValueError:
        return None
    if not parts.hostname or port is None:
        return None
    return parts.hostname, port


def check(host: str, port: int, timeout: float = DEFAULT_TIMEOUT) -> str | None:
    """Why ``host:port`` takes no TCP connection (resolved, then connected), or None."""
    deadline = time.monotonic() + timeout
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror:
        return "host not found"
    except OSError as exc:
        return f"host not resolved ({exc})"
    reason = "host not found"
    for family, kind, proto, _, sockaddr in infos:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return f"no answer within {timeout:g} s"
        try:
            with socket.socket(family, kind, proto) as sock:
                sock.settimeout(remaining)
                sock.connect(sockaddr)
            return None
        except ConnectionRefusedError:
            reason = "connection refused"
        except TimeoutError:
            reason = f"no answer within {timeout:g} s"
        except OSError as exc:
            reason = exc.strerror or str(exc)
    return reason


def unreachable_hosts(urls: Mapping[str, str], timeout: float = DEFAULT_TIMEOUT) -> list[Unreachable]:
    """The URLs (keyed by where each is set) whose host cannot be reached, in the given order.

    Every distinct host and port is checked once, all in parallel; the whole check takes at
    most about ``timeout`` seconds, a host that has not answered by then counts as unreachable.
    """
    targets = {setting: address(url) for setting, url in urls.items()}
    results: dict[tuple[str, int], str | None] = {}

    def run(target: tuple[str, int]) -> None:
        results[target] = check(*target, timeout=timeout)

    # Daemon threads: a resolver that hangs past the deadline does not hold up the answer or exit.
    threads = [
        threading.Thread(target=run, args=(target,), daemon=True, name=f"preflight {target[0]}")
        for target in dict.fromkeys(t for t in targets.values() if t is not None)
    ]
    deadline = time.monotonic() + timeout
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()) + 0.2)
    unreachable = []
    for setting, target in targets.items():
        if target is None:
            unreachable.append(Unreachable(setting, urls[setting], "", "no host and port in the URL"))
            continue
        reason = results.get(target, f"no answer within {timeout:g} s")
        if reason is not None:
            unreachable.append(Unreachable(setting, urls[setting], f"{target[0]}:{target[1]}", reason))
    return unreachable


def message(job: str, unreachable: Sequence[Unreachable]) -> str:
    """One message: the unreachable hosts, where their URLs are set, and the way out."""
    hosts = len({u.address for u in unreachable})
    lines = [
        f"{job}: {hosts} source host{'s' if hosts != 1 else ''} cannot be reached; no run started.",
        *(f"  {u.address or u.url}: {u.reason} ({u.setting}: {u.url})" for u in unreachable),
        f'Without network, run against local servers (README.md, section "{README_SECTION}"):',
        *(f"  {line}" for line in LOCAL_SERVERS),
    ]
    return "\n".join(lines)
