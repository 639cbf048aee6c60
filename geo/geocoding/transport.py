"""The HTTP side of the geocoder: a geopy adapter (geopy's public ``BaseSyncAdapter``) that keeps to
the server it was given, bounds each request in total time and caps the size of an answer.

- **One origin.** A redirect is followed only to the same host, and never from https to http;
  anything else raises :class:`RedirectRefused` (the offices' addresses and the user agent, which
  holds the user's e-mail, must not go to a server the user never named, and its answers must not be
  cached as the configured server's).
- **A total deadline.** ``timeout`` bounds the whole request (connection, headers, body, redirects),
  not each socket read: a watchdog shuts the socket down when the time is up, so a server that sends
  one byte a second cannot hold an office for minutes.
- **A size cap.** An answer larger than ``max_bytes`` (1 MB by default) is refused
  (:class:`AnswerTooLarge`) as soon as it is known to be, without reading the rest.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
import ssl
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urljoin, urlsplit
from urllib.request import getproxies, proxy_bypass

from geopy.adapters import AdapterHTTPError, BaseSyncAdapter
from geopy.exc import (
    GeocoderParseError,
    GeocoderServiceError,
    GeocoderTimedOut,
    GeocoderUnavailable,
    GeopyError,
)

MAX_ANSWER_BYTES = 1024 * 1024
MAX_REDIRECTS = 3
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_CHUNK = 64 * 1024


class RedirectRefused(GeopyError):
    """The server redirected to another host or from https to http; not followed."""


class RefusedAnswer(GeocoderServiceError):
    """An answer that is refused as it is (too large, a point out of range): asking again is pointless."""


class AnswerTooLarge(RefusedAnswer):
    """The answer is larger than the cap."""


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` of an address: what a message may show (never the query, which holds
    an office's address)."""
    parts = urlsplit(url)
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname or ''}{port}"


def _default_port(scheme: str) -> int:
    return 443 if scheme == "https" else 80


def same_server(first: str, target: str) -> bool:
    """Whether a redirect from ``first`` to ``target`` stays with the server the user named: the same
    host, the same port for the same scheme, and no downgrade from https to http."""
    a, b = urlsplit(first), urlsplit(target)
    if b.scheme not in ("http", "https") or (a.hostname or "").lower() != (b.hostname or "").lower():
        return False
    if a.scheme == "https" and b.scheme == "http":
        return False
    if a.scheme == b.scheme:
        return (a.port or _default_port(a.scheme)) == (b.port or _default_port(b.scheme))
    return True  # http -> https on the same host: an upgrade


class _Watchdog:
    """Shuts a socket down when the deadline passes, which ends any read blocked on it."""

    def __init__(self, sock: socket.socket | None, seconds: float):
        self.sock = sock
        self.fired = False
        self._timer = threading.Timer(max(seconds, 0.0), self._fire)
        self._timer.daemon = True

    def _fire(self) -> None:
        self.fired = True
        if self.sock is not None:
            with contextlib.suppress(OSError):
                self.sock.shutdown(socket.SHUT_RDWR)

    def __enter__(self) -> _Watchdog:
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()


class GuardedAdapter(BaseSyncAdapter):
    """geopy adapter; ``check`` (optional) is called with every decoded JSON answer and may raise
    :class:`RefusedAnswer`. Use with ``functools.partial`` as a geopy ``adapter_factory``."""

    def __init__(
        self,
        *,
        proxies: Mapping[str, str] | None,
        ssl_context: ssl.SSLContext | None,
        max_bytes: int = MAX_ANSWER_BYTES,
        check: Callable[[Any], None] | None = None,
    ):
        super().__init__(proxies=proxies, ssl_context=ssl_context)
        self.proxies = dict(proxies or {}) or getproxies()
        self.ssl_context = ssl_context or ssl.create_default_context()
        self.max_bytes = max_bytes
        self.check = check

    def get_json(self, url: str, *, timeout: float, headers: Mapping[str, str]) -> Any:
        text = self.get_text(url, timeout=timeout, headers=headers)
        try:
            data = json.loads(text)
        except ValueError as err:
            raise GeocoderParseError(f"the answer is not JSON: {err}") from err
        if self.check is not None:
            self.check(data)
        return data

    def get_text(self, url: str, *, timeout: float, headers: Mapping[str, str]) -> str:
        deadline = time.monotonic() + timeout
        current = url
        for _ in range(MAX_REDIRECTS + 1):
            status, answer_headers, body = self._request(current, headers, timeout, deadline)
            if status in _REDIRECTS and answer_headers.get("location"):
                target = urljoin(current, answer_headers["location"])
                if not same_server(url, target):
                    raise RedirectRefused(
                        f"{origin_of(url)} redirected to {origin_of(target)}; not followed: the offices' "
                        "addresses and your user agent would go to a server you did not name "
                        "(pass that server as --geocoder-url if you trust it)"
                    )
                current = target
                continue
            text = body.decode("utf-8", errors="replace")
            if not 200 <= status < 300:
                raise AdapterHTTPError(
                    f"Non-successful status code {status}",
                    status_code=status,
                    headers=answer_headers,
                    text=text,
                )
            return text
        raise GeocoderServiceError(f"{origin_of(url)} redirected more than {MAX_REDIRECTS} times")

    def _connection(self, url: str, timeout: float) -> tuple[http.client.HTTPConnection, str]:
        """A connection for ``url`` (through the proxy, if one is set for it) and the request target."""
        parts = urlsplit(url)
        target = parts.path or "/"
        if parts.query:
            target += f"?{parts.query}"
        host, port = parts.hostname or "", parts.port or _default_port(parts.scheme)
        proxy = self.proxies.get(parts.scheme)
        if proxy and not proxy_bypass(host):
            via = urlsplit(proxy if "//" in proxy else f"http://{proxy}")
            proxy_host, proxy_port = via.hostname or "", via.port or 8080
            if parts.scheme == "https":
                conn = http.client.HTTPSConnection(
                    proxy_host, proxy_port, timeout=timeout, context=self.ssl_context
                )
                conn.set_tunnel(host, port)
                return conn, target
            return http.client.HTTPConnection(proxy_host, proxy_port, timeout=timeout), url
        if parts.scheme == "https":
            return http.client.HTTPSConnection(host, port, timeout=timeout, context=self.ssl_context), target
        return http.client.HTTPConnection(host, port, timeout=timeout), target

    def _request(
        self, url: str, headers: Mapping[str, str], timeout: float, deadline: float
    ) -> tuple[int, dict[str, str], bytes]:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise GeocoderTimedOut(f"no complete answer within {timeout:g} s")
        conn, target = self._connection(url, min(timeout, remaining))
        watchdog = _Watchdog(None, 0.0)
        response: http.client.HTTPResponse | None = None
        try:
            conn.connect()  # bounded by the connection's timeout, itself within the deadline
            # The socket itself: http.client forgets it once a response that closes the connection
            # has begun, but the watchdog must still be able to end a read of its body.
            watchdog = _Watchdog(conn.sock, deadline - time.monotonic())
            with watchdog:
                conn.request("GET", target, headers=dict(headers))
                response = conn.getresponse()
                status = response.status
                answer_headers = {k.lower(): v for k, v in response.getheaders()}
                body = self._read_body(response, answer_headers, url)
        except TimeoutError as err:
            raise GeocoderTimedOut(f"timed out ({err})") from err
        except (OSError, http.client.HTTPException) as err:
            if watchdog.fired:
                raise GeocoderTimedOut(f"no complete answer within {timeout:g} s") from err
            raise GeocoderUnavailable(f"{type(err).__name__}: {err}") from err
        finally:
            if response is not None:
                response.close()
            conn.close()
        if watchdog.fired:
            raise GeocoderTimedOut(f"no complete answer within {timeout:g} s")
        return status, answer_headers, body

    def _read_body(self, response: http.client.HTTPResponse, headers: Mapping[str, str], url: str) -> bytes:
        too_large = AnswerTooLarge(
            f"the answer of {origin_of(url)} is larger than {self.max_bytes / (1024 * 1024):g} MB; refused"
        )
        try:
            declared = int(headers.get("content-length", "-1"))
        except ValueError:
            declared = -1
        if declared > self.max_bytes:
            raise too_large
        chunks: list[bytes] = []
        size = 0
        while True:
            chunk = response.read1(_CHUNK)  # one read from the socket: the watchdog can end it
            if not chunk:
                return b"".join(chunks)
            size += len(chunk)
            if size > self.max_bytes:
                raise too_large
            chunks.append(chunk)
