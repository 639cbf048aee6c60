"""Serve the gzip copies the app writes of its large static files (issue #15).

Streamlit's server gzips every answer under ``/app/static`` on each request, at level 9, in its
event loop: for a 100,000-office table file (21 MB) that is 0.4 s of the server's CPU for every
viewer, and ~10 ms for the map's script bundle. The app writes a gzip copy of each such file once
(geo.maps.precompressed); this ASGI middleware, outside Streamlit's own, answers a request for one
of those files with its copy when the browser accepts gzip, and leaves every other request to
Streamlit (its static handler, its checks, its gzip):

- ``GET|HEAD <base>/app/static/tables/<32 hex>.json``  ->  ``static/tables/<hash>.json.gz``
- ``GET|HEAD <base>/app/static/map/<name>.js?v=<10 hex>``  ->  ``static/map/<name>.js.<v>.gz``

The copy's name carries its content's digest, so it is never served for other content; a request
without gzip in Accept-Encoding, with a Range header, or for a copy that is not there goes to
Streamlit unchanged. Answers carry ``Content-Encoding: gzip``, ``Vary: Accept-Encoding``, the copy's
ETag, and 304 to a matching If-None-Match.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qs

from starlette.datastructures import Headers
from starlette.responses import FileResponse, Response

from geo.maps import assets, precompressed
from geo.maps.tablefile import TABLES_DIR

TABLE = re.compile(re.escape(f"{assets.STATIC_URL}/{TABLES_DIR}/") + r"(?P<name>[0-9a-f]{32}\.json)$")
BUNDLE = re.compile(re.escape(f"{assets.STATIC_URL}/map/") + r"(?P<name>[a-z0-9-]+\.js)$")
DIGEST = re.compile(r"[0-9a-f]{10}")
TYPES = {".json": "application/json", ".js": "application/javascript"}


def accepts_gzip(header: str) -> bool:
    """Whether an Accept-Encoding header accepts gzip (named with a q above 0, or ``*``)."""
    accepted = {}
    for part in header.split(","):
        coding, _, params = part.strip().partition(";")
        q = 1.0
        match = re.search(r"q\s*=\s*([^;\s]*)", params)
        if match:
            try:
                q = float(match.group(1))
            except ValueError:
                q = 0.0
        accepted[coding.strip().lower()] = q
    return accepted.get("gzip", accepted.get("*", 0.0)) > 0


def copy_for(path: str, query: str, static_dir: Path = assets.STATIC_DIR) -> tuple[Path, str] | None:
    """The gzip copy that answers a request for ``path`` (and its query), with the content type."""
    if match := TABLE.search(path):
        name = match.group("name")
        return precompressed.table_copy(static_dir / TABLES_DIR / name), TYPES[".json"]
    if match := BUNDLE.search(path):
        digest = parse_qs(query).get("v", [""])[0]
        if DIGEST.fullmatch(digest):
            name = match.group("name")
            return precompressed.bundle_copy(static_dir / "map" / name, digest), TYPES[".js"]
    return None


class PrecompressedStatic:
    """ASGI middleware: the gzip copy of a large static file, when there is one and gzip is accepted."""

    def __init__(self, app, static_dir: Path = assets.STATIC_DIR) -> None:
        self.app = app
        self.static_dir = Path(static_dir)

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        found = copy_for(scope["path"], scope.get("query_string", b"").decode("latin-1"), self.static_dir)
        if found is None or "range" in headers or not accepts_gzip(headers.get("accept-encoding", "")):
            await self.app(scope, receive, send)
            return
        copy, media_type = found
        try:
            stat = copy.stat()
        except OSError:
            await self.app(scope, receive, send)  # no copy (yet): Streamlit serves the file
            return
        etag = f'"gz-{stat.st_mtime_ns:x}-{stat.st_size:x}"'
        common = {"Vary": "Accept-Encoding", "ETag": etag, "Cache-Control": "no-cache"}
        if etag in [tag.strip() for tag in headers.get("if-none-match", "").split(",")]:
            response: Response = Response(status_code=304, headers=common)
        else:
            response = FileResponse(copy, media_type=media_type, stat_result=stat,
                                    headers={**common, "Content-Encoding": "gzip"})
        await response(scope, receive, send)
