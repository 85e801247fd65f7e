"""Each host's limits and one sliding-window limiter per host, shared by every client."""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass
from urllib.parse import urlsplit

# --------------------------------------------------------------------------- limits and pacing


@dataclass(frozen=True)
class Limits:
    max_cells: int
    max_calls: int
    window_seconds: float


# Pacing before a host's config has been read: SCB's published rate.
CONSERVATIVE = Limits(max_cells=1000, max_calls=30, window_seconds=10.0)


class HostLimiter:
    """At most ``max_calls`` calls in any ``window`` seconds (sliding window), thread-safe."""

    def __init__(self, max_calls: int, window_seconds: float, margin: float = 0.05) -> None:
        self.max_calls = max_calls
        self.window = window_seconds
        self.margin = margin
        self._calls: deque[float] = deque()
        self._lock = threading.Lock()
        self.waited = 0.0

    def acquire(self) -> None:
        with self._lock:
            while True:
                now = time.monotonic()
                while self._calls and now - self._calls[0] >= self.window + self.margin:
                    self._calls.popleft()
                if len(self._calls) < self.max_calls:
                    self._calls.append(now)
                    return
                pause = self._calls[0] + self.window + self.margin - now
                self.waited += pause
                time.sleep(pause)


_LIMITERS: dict[str, HostLimiter] = {}
_LIMITERS_LOCK = threading.Lock()


def limiter_for(url: str, limits: Limits) -> HostLimiter:
    """The one limiter of a host, shared by every client and thread in the process.

    Limits read later from the API's config update the limiter in place, so calls already
    made (the config call itself) still count against the window.
    """
    host = urlsplit(url).netloc
    with _LIMITERS_LOCK:
        limiter = _LIMITERS.get(host)
        if limiter is None:
            limiter = _LIMITERS[host] = HostLimiter(limits.max_calls, limits.window_seconds)
        else:
            limiter.max_calls, limiter.window = limits.max_calls, limits.window_seconds
        return limiter
