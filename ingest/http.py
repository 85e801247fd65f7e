"""HTTP access shared by every source: timeouts, retries with backoff and raw landing.

Status-level retries (429 and 5xx, honouring ``Retry-After``), connect timeouts and read
errors are handled by urllib3's ``Retry``. A host name that does not resolve fails at once
("host not found"), and a connection the host refuses is tried at most ``REFUSED_RETRIES``
more times, ``REFUSED_BACKOFF`` seconds apart: neither gets better by waiting a minute.
Bodies that arrive truncated or are not valid JSON are retried here, with the same backoff.
Every accepted body is written unchanged to the raw landing before it is parsed.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import MaxRetryError, NameResolutionError, NewConnectionError
from urllib3.util import Retry

from ingest.landing import Batch, LandedBody

RETRY_STATUSES = (429, 500, 502, 503, 504)
REFUSED_RETRIES = 2  # further tries of a connection the host refused (or could not be made)
REFUSED_BACKOFF = 0.5  # seconds between them


class SourceError(RuntimeError):
    """A source could not be read; the message names the source, the request and the reason."""


class TransportError(SourceError):
    """No usable answer came: the host could not be reached, answered an HTTP error, or sent a
    cut-short or non-JSON body on every try. An answer that came but does not parse is a plain
    ``SourceError`` (the source's shape drifted)."""


@dataclass(frozen=True)
class HttpSettings:
    """Timeouts and retry policy for one source."""

    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    retries: int = 5
    backoff_factor: float = 1.0
    backoff_max: float = 60.0


@dataclass
class HttpStats:
    """What a client did: logical requests, HTTP attempts and retried responses."""

    requests: int = 0
    attempts: int = 0
    retried_statuses: dict[int, int] = field(default_factory=dict)
    body_retries: int = 0

    def as_metadata(self) -> dict[str, int]:
        return {
            "requests": self.requests,
            "http_attempts": self.attempts,
            "retries_429": self.retried_statuses.get(429, 0),
            "retries_5xx": sum(n for s, n in self.retried_statuses.items() if s >= 500),
            "retries_bad_body": self.body_retries,
        }


def _not_connected(error: Exception | None) -> bool:
    """A new connection failed without a timeout: refused, unreachable network, …"""
    return isinstance(error, NewConnectionError) and not isinstance(error, NameResolutionError)


class SourceRetry(Retry):
    """urllib3's ``Retry``, but an unknown host fails at once and a refused connection is retried
    at most ``REFUSED_RETRIES`` times, ``REFUSED_BACKOFF`` seconds apart."""

    def increment(self, method=None, url=None, response=None, error=None, _pool=None, _stacktrace=None):
        if isinstance(error, NameResolutionError) or (
            _not_connected(error) and sum(_not_connected(h.error) for h in self.history) >= REFUSED_RETRIES
        ):
            raise MaxRetryError(_pool, url, error) from error
        return super().increment(method, url, response, error, _pool, _stacktrace)

    def get_backoff_time(self) -> float:
        if self.history and _not_connected(self.history[-1].error):
            return REFUSED_BACKOFF
        return super().get_backoff_time()


def connection_failure(exc: BaseException) -> str | None:
    """Why no connection was made ("host not found", "connection refused", …), or None."""
    reason = exc.args[0].reason if exc.args and isinstance(exc.args[0], MaxRetryError) else None
    if isinstance(reason, NameResolutionError):
        return "host not found"
    if _not_connected(reason):
        cause = reason.__cause__
        if isinstance(cause, ConnectionRefusedError):
            return "connection refused"
        return f"no connection ({cause or reason})"
    return None


def make_session(settings: HttpSettings) -> requests.Session:
    """A session whose adapter retries 429/5xx, connect timeouts and read errors with backoff."""
    retry = SourceRetry(
        total=settings.retries,
        connect=settings.retries,
        read=settings.retries,
        status=settings.retries,
        status_forcelist=RETRY_STATUSES,
        allowed_methods=frozenset({"GET", "POST"}),
        backoff_factor=settings.backoff_factor,
        backoff_max=settings.backoff_max,
        respect_retry_after_header=True,
        raise_on_status=False,
    )
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=retry)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = "barnhalsa (+https://github.com/barnhalsa)"
    return session


class JsonHttpClient:
    """Fetches JSON bodies for one source and lands each one in a raw-landing batch."""

    def __init__(
        self,
        source: str,
        batch: Batch | None = None,
        settings: HttpSettings | None = None,
        session: requests.Session | None = None,
        before_request: Callable[[], None] | None = None,
    ) -> None:
        self.source = source
        self.before_request = before_request
        self.batch = batch
        self.settings = settings or HttpSettings()
        self.session = session or make_session(self.settings)
        self.stats = HttpStats()

    def get_json(self, url: str, *, kind: str) -> tuple[Any, LandedBody | None]:
        """GET ``url`` and return the decoded body and its landing record."""
        return self._request("GET", url, kind=kind, payload=None)

    def post_json(self, url: str, payload: Any, *, kind: str) -> tuple[Any, LandedBody | None]:
        """POST ``payload`` as JSON; return the decoded body and its landing record."""
        return self._request("POST", url, kind=kind, payload=payload)

    def _request(self, method: str, url: str, *, kind: str, payload: Any) -> tuple[Any, LandedBody | None]:
        self.stats.requests += 1
        timeout = (self.settings.connect_timeout, self.settings.read_timeout)
        last_reason = ""
        for attempt in range(self.settings.retries + 1):
            if attempt:
                self.stats.body_retries += 1
                time.sleep(self._backoff(attempt))
            if self.before_request is not None:
                self.before_request()
            try:
                response = self.session.request(method, url, json=payload, timeout=timeout, stream=True)
            except requests.exceptions.RequestException as exc:
                failure = connection_failure(exc)
                if failure is not None:
                    host = urlsplit(url).netloc
                    raise TransportError(f"{self.source}: {method} {url} failed: {failure} ({host})") from exc
                raise TransportError(f"{self.source}: {method} {url} failed after retries: {exc}") from exc
            self._count_attempts(response)
            try:
                body = response.content  # raises when the body is cut short
            except requests.exceptions.RequestException as exc:
                last_reason = f"truncated body ({exc})"
                continue
            if response.status_code >= 400:
                raise TransportError(
                    f"{self.source}: {method} {url} answered HTTP {response.status_code}"
                    f" after {self._tries(response)} tries: {response.text[:300]!r}"
                )
            try:
                decoded = json.loads(body)
            except ValueError as exc:
                last_reason = f"body is not valid JSON ({exc}; {len(body)} bytes)"
                continue
            record = None
            if self.batch is not None:
                record = self.batch.write(
                    kind=kind,
                    method=method,
                    url=url,
                    request_body=payload,
                    status=response.status_code,
                    body=body,
                    fetched_at=datetime.now(UTC),
                )
            return decoded, record
        raise TransportError(
            f"{self.source}: {method} {url} failed after {self.settings.retries + 1} tries: {last_reason}"
        )

    def _backoff(self, attempt: int) -> float:
        return min(self.settings.backoff_max, self.settings.backoff_factor * 2 ** (attempt - 1))

    def _count_attempts(self, response: requests.Response) -> None:
        retries = getattr(response.raw, "retries", None)
        history = retries.history if retries is not None else ()
        self.stats.attempts += 1 + len(history)
        for entry in history:
            if entry.status is not None:
                self.stats.retried_statuses[entry.status] = (
                    self.stats.retried_statuses.get(entry.status, 0) + 1
                )

    @staticmethod
    def _tries(response: requests.Response) -> int:
        retries = getattr(response.raw, "retries", None)
        return 1 + (len(retries.history) if retries is not None else 0)
