"""A tiny fake Nominatim server for tests: answers /search on 127.0.0.1, never the internet.

It answers free-form queries (``q=``) from a dict of known queries, logs every request with its
arrival time (``time.monotonic()`` in this process), and can be scripted per query to misbehave::

    server = FakeNominatim({"lyon, france": [place(45.75, 4.85)]})
    server.script("lyon, france", HTTP_500, rate_limited(2), TIMEOUT, DROP, MALFORMED, EMPTY)
    server.script("lyon, france", redirect("http://elsewhere/"), drip(0.5), huge(50 * 2**20))
    with server:
        ...  # geocode against server.url; the first requests for that query fail in turn

Scripted faults are used up in order, one per request; then the known answer is given again.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

HTTP_500 = ("status", 500)
TIMEOUT = ("sleep", 2.0)  # longer than the client timeouts used in the tests
DROP = ("drop",)
MALFORMED = ("malformed",)
EMPTY = ("empty",)


def rate_limited(retry_after: float | str) -> tuple[str, Any]:
    """HTTP 429 with ``Retry-After: retry_after``."""
    return ("429", retry_after)


def redirect(location: str) -> tuple[str, str]:
    """HTTP 302 to ``location``; ``"{same}"`` in it stands for this request's own path and query."""
    return ("redirect", location)


def drip(seconds_per_byte: float, *, in_headers: bool = False) -> tuple[str, float, bool]:
    """Answer normally, but one byte at a time, ``seconds_per_byte`` apart (the body, or from the
    status line on when ``in_headers``): each socket read gets a byte well within any read timeout."""
    return ("drip", seconds_per_byte, in_headers)


def huge(size: int, *, declared: bool = True) -> tuple[str, int, bool]:
    """A 200 answer of ``size`` bytes of JSON, with its Content-Length or (``declared=False``) without
    one, ended by closing the connection."""
    return ("huge", size, declared)


def sleep_for(seconds: float) -> tuple[str, float]:
    """Answer normally after ``seconds`` (or fail the client's timeout, if shorter)."""
    return ("sleep", seconds)


def normalise(query: str) -> str:
    return " ".join(query.casefold().split())


def place(
    lat: float,
    lon: float,
    *,
    cls: str = "boundary",
    type_: str = "administrative",
    addresstype: str = "city",
    display_name: str = "",
) -> dict[str, Any]:
    """One search result as Nominatim's format=json gives it (lat and lon are strings)."""
    return {
        "place_id": abs(hash((lat, lon))) % 10**8,
        "lat": str(lat),
        "lon": str(lon),
        "class": cls,
        "type": type_,
        "addresstype": addresstype,
        "display_name": display_name or f"{lat}, {lon}",
        "importance": 0.5,
        "boundingbox": [str(lat - 0.1), str(lat + 0.1), str(lon - 0.1), str(lon + 0.1)],
    }


def building(lat: float, lon: float) -> dict[str, Any]:
    """A result that locates a building (an office)."""
    return place(lat, lon, cls="office", type_="government", addresstype="office")


@dataclass(frozen=True)
class Request:
    """One request as the server saw it."""

    arrived: float  # time.monotonic() when the request line had been read
    path: str
    params: dict[str, str]
    user_agent: str
    outcome: str  # "answer", "empty", "500", "429", "sleep", "drop", "malformed", "redirect", "drip", "huge", "not found"

    @property
    def query(self) -> str:
        return normalise(self.params.get("q", ""))


@dataclass
class FakeNominatim:
    """The server; ``answers`` maps normalised queries to lists of results (unknown queries get ``[]``)."""

    answers: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    delay: float = 0.0  # seconds before every answer
    requests: list[Request] = field(default_factory=list)
    on_request: Callable[[Request], None] | None = None  # called with each request as it arrives
    tls: ssl.SSLContext | None = None  # a server context: serve https instead of http

    def __post_init__(self) -> None:
        self.answers = {normalise(q): a for q, a in self.answers.items()}
        self._scripts: dict[str, list[tuple[Any, ...]]] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- set-up ---

    def answer(self, query: str, *results: dict[str, Any]) -> None:
        """Make ``query`` answer with ``results`` (none: an empty list)."""
        self.answers[normalise(query)] = list(results)

    def script(self, query: str, *faults: tuple[Any, ...]) -> None:
        """Queue faults for the next requests of ``query``, one per request."""
        with self._lock:
            self._scripts.setdefault(normalise(query), []).extend(faults)

    @property
    def url(self) -> str:
        assert self._server is not None, "the server is not started"
        host, port = self._server.server_address[:2]
        return f"{'https' if self.tls else 'http'}://{host}:{port}"

    def start(self) -> FakeNominatim:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        if self.tls is not None:  # the handshake happens in each request's own thread
            self._server.socket = self.tls.wrap_socket(
                self._server.socket, server_side=True, do_handshake_on_connect=False
            )
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.02},
            name="fake-nominatim",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeNominatim:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- the log ---

    def queries(self) -> list[str]:
        """Normalised ``q`` of every /search request, in arrival order."""
        with self._lock:
            return [r.query for r in self.requests if r.path == "/search"]

    def arrivals(self) -> list[float]:
        with self._lock:
            return [r.arrived for r in self.requests]

    def gaps(self) -> list[float]:
        """Seconds between consecutive request arrivals."""
        times = self.arrivals()
        return [b - a for a, b in itertools.pairwise(times)]

    # --- serving ---

    def _next_fault(self, query: str) -> tuple[Any, ...] | None:
        with self._lock:
            queue = self._scripts.get(query)
            return queue.pop(0) if queue else None

    def _log(self, request: Request) -> None:
        with self._lock:
            self.requests.append(request)
        if self.on_request is not None:
            self.on_request(request)


def _handler_for(fake: FakeNominatim) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"  # one request per connection: simple and easy to drop

        def log_message(self, format: str, *args: Any) -> None:  # silence the stderr log
            pass

        def do_GET(self) -> None:
            arrived = time.monotonic()
            parts = urlsplit(self.path)
            params = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
            agent = self.headers.get("User-Agent", "")
            query = normalise(params.get("q", ""))
            if parts.path.rstrip("/") != "/search":
                fake._log(Request(arrived, parts.path, params, agent, "not found"))
                self._send(404, b'{"error": "not found"}')
                return
            fault = fake._next_fault(query)
            kind = fault[0] if fault else None
            if fault is None:
                outcome = "answer" if fake.answers.get(query) else "empty"
            else:
                outcome = str(fault[1]) if kind == "status" else kind
            fake._log(Request(arrived, parts.path, params, agent, outcome))
            if fake.delay and fake._stopping.wait(fake.delay):
                return
            if kind == "status":
                self._send(fault[1], b"<html><body>Internal Server Error</body></html>", "text/html")
            elif kind == "429":
                self._send(429, b"<html><body>Too Many Requests</body></html>", "text/html", fault[1])
            elif kind == "sleep":
                if fake._stopping.wait(fault[1]):
                    return
                self._answer(query, params)
            elif kind == "drop":
                self.close_connection = True
                with contextlib.suppress(OSError):  # close without a single byte of response
                    self.connection.shutdown(socket.SHUT_RDWR)
            elif kind == "redirect":
                self._redirect(fault[1].replace("{same}", self.path))
            elif kind == "drip":
                self._drip(query, params, fault[1], fault[2])
            elif kind == "huge":
                self._huge(fault[1], fault[2])
            elif kind == "malformed":
                self._send(200, b'[{"place_id": 1, "lat": "45.7', "application/json")
            elif kind == "empty":
                self._send(200, b"[]")
            else:
                self._answer(query, params)

        def _body(self, query: str, params: dict[str, str]) -> bytes:
            results = [dict(r) for r in fake.answers.get(query, [])]
            if params.get("format") == "jsonv2":
                for r in results:
                    r["category"] = r.pop("class", "")
            limit = int(params.get("limit", "10") or 10)
            return json.dumps(results[:limit]).encode()

        def _answer(self, query: str, params: dict[str, str]) -> None:
            self._send(200, self._body(query, params))

        def _redirect(self, location: str) -> None:
            try:
                self.send_response(302)
                self.send_header("Location", location)
                self.send_header("Content-Length", "0")
                self.end_headers()
            except (BrokenPipeError, ConnectionResetError):
                pass

        def _drip(self, query: str, params: dict[str, str], seconds: float, in_headers: bool) -> None:
            body = self._body(query, params)
            head = (
                f"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
            ).encode()
            if not in_headers:
                self.wfile.write(head)
                self.wfile.flush()
            for byte in (head if in_headers else b"") + body:
                try:
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    return  # the client gave up
                if fake._stopping.wait(seconds):
                    return

        def _huge(self, size: int, declared: bool) -> None:
            chunk = b"[" + b" " * (64 * 1024 - 1)
            try:
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                if declared:
                    self.send_header("Content-Length", str(size))
                self.end_headers()
                sent = 0
                while sent < size and not fake._stopping.is_set():
                    piece = chunk[: size - sent] if sent == 0 else b" " * min(len(chunk), size - sent)
                    self.wfile.write(piece)
                    sent += len(piece)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client stopped reading

        def _send(
            self,
            status: int,
            body: bytes,
            content_type: str = "application/json",
            retry_after: float | str | None = None,
        ) -> None:
            try:
                self.send_response(status)
                self.send_header("Content-Type", f"{content_type}; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                if retry_after is not None:
                    self.send_header("Retry-After", str(retry_after))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timed out) first

    return Handler
