"""A local PxWeb server speaking both dialects, for tests and benchmarks.

- PxWebApi 2.0 under ``/api/v2/``: ``config``, ``tables/{id}/metadata``, ``tables/{id}/data``.
- PxWeb v1 under ``/api/v1/sv/``: ``?config``, table metadata (GET), folder listings with
  ``updated``, data (POST ``query`` + ``response.format``).

It enforces the limits it advertises: more cells than ``max_cells`` in one call gives 400,
more than ``max_calls`` calls in ``window`` seconds gives 429 with ``Retry-After``.
"""

from __future__ import annotations

import itertools
import json
import math
import threading
import time
from collections import deque
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit

from localsources.threads import serving

# value function: coordinates -> number, None, or a PX marker string ("..", "-", ...)
ValueFn = Callable[[dict[str, str]], Any]


@dataclass
class Dim:
    code: str
    values: list[str]
    labels: list[str] | None = None
    elimination: bool = False
    time: bool = False


@dataclass
class Table:
    id: str  # TAB638 (v2) or a .px path (v1)
    title: str
    dims: list[Dim]
    value: ValueFn
    updated: str = "2025-02-21T07:00:00Z"


@dataclass
class PxServerState:
    tables: dict[str, Table] = field(default_factory=dict)
    max_cells: int = 100_000
    max_calls: int = 30
    window: float = 10.0
    calls: deque = field(default_factory=deque)
    log: list[tuple[str, str, int, int]] = field(default_factory=list)  # method, path, status, cells
    fail_next: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, table: Table) -> None:
        self.tables[table.id] = table

    @property
    def data_calls(self) -> int:
        return sum(1 for m, _, s, _ in self.log if m == "POST" and s == 200)

    @property
    def throttled(self) -> int:
        return sum(1 for _, _, s, _ in self.log if s == 429)


class PxWebServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, state: PxServerState, port: int = 0) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.state = state

    @property
    def root(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    @property
    def v2_url(self) -> str:
        return f"{self.root}/api/v2/"

    @property
    def v1_url(self) -> str:
        return f"{self.root}/api/v1/sv/"


class _Handler(BaseHTTPRequestHandler):
    server: PxWebServer
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:
        pass

    # -- plumbing
    def _send(self, status: int, body: Any, cells: int = 0, headers: dict | None = None) -> None:
        payload = json.dumps(body, ensure_ascii=False).encode()
        with self.server.state.lock:  # logged before the client can see the answer
            self.server.state.log.append((self.command, self.path, status, cells))
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(payload)

    def _admit(self) -> bool:
        """Count the call against the window; answer 429 when over the limit."""
        state = self.server.state
        with state.lock:
            now = time.monotonic()
            while state.calls and now - state.calls[0] >= state.window:
                state.calls.popleft()
            forced = state.fail_next.pop(0) if state.fail_next else None
            over = len(state.calls) >= state.max_calls
            state.calls.append(now)
            retry = max(1, math.ceil(state.calls[0] + state.window - now)) if over else 1
        if forced:
            self._send(forced, {"error": f"forced {forced}"}, headers={"Retry-After": "0"})
            return False
        if over:
            self._send(429, {"error": "Too Many Requests"}, headers={"Retry-After": str(retry)})
            return False
        return True

    def _body(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        return json.loads(self.rfile.read(length) or b"null")

    # -- routing
    def do_GET(self) -> None:  # noqa: N802
        if not self._admit():
            return
        split = urlsplit(self.path)
        path = unquote(split.path)
        state = self.server.state
        if path == "/api/v2/config":
            return self._send(
                200,
                {
                    "apiVersion": "2.0.0",
                    "defaultLanguage": "sv",
                    "maxDataCells": state.max_cells,
                    "maxCallsPerTimeWindow": state.max_calls,
                    "timeWindow": int(state.window),
                },
            )
        if path == "/api/v2/tables":
            ids = [{"id": t} for t in state.tables]
            return self._send(200, {"tables": ids, "page": {"totalElements": len(ids)}})
        if path.startswith("/api/v2/tables/") and path.endswith("/metadata"):
            table = state.tables.get(path.split("/")[4])
            if table is None:
                return self._send(404, {"error": "no such table"})
            return self._send(200, _jsonstat2(table, {d.code: d.values for d in table.dims}, meta=True))
        if path.startswith("/api/v1/sv/"):
            rest = path[len("/api/v1/sv/") :]
            if rest == "" and split.query == "config":
                return self._send(
                    200,
                    {
                        "maxValues": state.max_cells,
                        "maxCalls": state.max_calls,
                        "timeWindow": int(state.window),
                    },
                )
            if rest in state.tables:
                table = state.tables[rest]
                return self._send(200, _v1_meta(table))
            folder = rest.rstrip("/")
            listing = [
                {"id": t.id.rsplit("/", 1)[1], "type": "t", "text": t.title, "updated": t.updated}
                for t in state.tables.values()
                if t.id.rsplit("/", 1)[0] == folder
            ]
            if listing:
                return self._send(200, listing)
            # PxWeb v1 since 2021: a path that is neither folder nor table is a "Parameter error"
            return self._send(400, {"error": "Parameter error"})
        self._send(404, {"error": "not found"})

    def do_POST(self) -> None:  # noqa: N802
        body = self._body()  # read it first, so a 429 leaves the connection reusable
        if not self._admit():
            return
        path = unquote(urlsplit(self.path).path)
        state = self.server.state
        if path.startswith("/api/v2/tables/") and path.endswith("/data"):
            table = state.tables.get(path.split("/")[4])
            if table is None:
                return self._send(404, {"error": "no such table"})
            selection = {s["variableCode"]: s["valueCodes"] for s in body["selection"]}
        elif path.startswith("/api/v1/sv/"):
            table = state.tables.get(path[len("/api/v1/sv/") :])
            if table is None:
                return self._send(400, {"error": "Parameter error"})
            selection = {q["code"]: q["selection"]["values"] for q in body["query"]}
            unknown = [code for code in selection if code not in {d.code for d in table.dims}]
            if unknown:
                return self._send(400, {"error": "Parameter error"})
        else:
            return self._send(404, {"error": "not found"})
        for dim in table.dims:
            if dim.code not in selection and not dim.elimination:
                return self._send(400, {"error": f"variable {dim.code} must be selected"})
        cells = math.prod(len(v) for v in selection.values())
        if cells > state.max_cells:
            return self._send(400, {"error": f"{cells} cells is more than {state.max_cells}"}, cells)
        self._send(200, _jsonstat2(table, selection), cells)


def _jsonstat2(table: Table, selection: dict[str, list[str]], meta: bool = False) -> dict:
    dims = [d for d in table.dims if d.code in selection]
    codes = [selection[d.code] for d in dims]
    values, status = [], {}
    if not meta:
        for i, combo in enumerate(itertools.product(*codes)):
            v = table.value(dict(zip([d.code for d in dims], combo, strict=True)))
            if isinstance(v, str):
                values.append(0 if v == "-" else None)
                status[str(i)] = v
            else:
                values.append(v)
    body = {
        "version": "2.0",
        "class": "dataset",
        "label": table.title,
        "source": "local",
        "updated": table.updated,
        "id": [d.code for d in dims],
        "size": [len(c) for c in codes],
        "role": {"time": [d.code for d in dims if d.time]},
        "dimension": {
            d.code: {
                "label": d.code.lower(),
                "category": {
                    "index": {c: i for i, c in enumerate(sel)},
                    "label": {c: _label(d, c) for c in sel},
                },
                "extension": {"elimination": d.elimination},
            }
            for d, sel in zip(dims, codes, strict=True)
        },
        "value": values,
    }
    if status:
        body["status"] = status
    return body


def _label(dim: Dim, code: str) -> str:
    if dim.labels:
        return dim.labels[dim.values.index(code)]
    return code


def _v1_meta(table: Table) -> dict:
    return {
        "title": table.title,
        "variables": [
            {
                "code": d.code,
                "text": d.code.lower(),
                "values": d.values,
                "valueTexts": d.labels or d.values,
                **({"elimination": True} if d.elimination else {}),
                **({"time": True} if d.time else {}),
            }
            for d in table.dims
        ],
    }


def serve(state: PxServerState) -> AbstractContextManager[PxWebServer]:
    """Run a server in a background thread for the duration of the block."""
    return serving(PxWebServer(state))
