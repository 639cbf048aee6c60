"""A large office table as a static file the browser fetches once (issue #15).

Over :data:`geo.maps.markers.LARGE_TABLE` offices the map page does not send the rows through
Streamlit's websocket with every run (9 MB at 100,000 offices, decoded on the page's main thread):
:func:`table_file` writes the whole table once, as JSON, to ``static/tables/<content hash>.json``,
and the layer names its URL. The map's Web Worker (``web/large-worker.js``) fetches and parses it
off the main thread, keeps it across runs (same URL: nothing is fetched again), and applies the
filters the page sends (the rule of :func:`geo.offices.filtering.filter_offices`).

The file holds, per placed office: the marker row (:func:`geo.maps.markers.office_rows`, names
and ids HTML-escaped), its region, and the folded text a search looks in
(:func:`geo.offices.filtering.search_haystack`). The name is the SHA-256 of the content, so a
URL is never stale and cannot be guessed from anything but the table itself. Files are written
atomically, each with its gzip copy (geo.maps.precompressed); the directory keeps the :data:`KEEP`
most recently used.

A frame's file is remembered by the frame object (frames are never changed in place: see
``dashboard.data``), so a rerun costs a dictionary lookup, not a serialisation.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import weakref
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from geo.atomic import atomic_write_bytes
from geo.maps import assets, precompressed
from geo.maps.markers import office_rows
from geo.offices.filtering import search_haystack

TABLES_DIR = "tables"  # under the static folder
KEEP = 32  # files kept in it (most recently used first)


@dataclass(frozen=True)
class TableFile:
    """A table written for the browser: its URL, its path and how many offices it holds."""

    url: str
    path: Path
    count: int


_lock = threading.Lock()
_written: dict[int, tuple[weakref.ref, tuple[object, ...], TableFile]] = {}


def table_payload(table: pd.DataFrame, search_columns: Iterable[str] = ()) -> bytes:
    """The file's bytes: ``{"rows": [...], "region": [...], "text": [...]}``, one entry per placed office."""
    placed = table.dropna(subset=["latitude", "longitude"])
    payload = {
        "rows": office_rows(placed, -180.0),
        "region": [str(region) for region in placed["region"].tolist()] if "region" in placed else [],
        "text": search_haystack(placed, tuple(search_columns)).tolist(),
    }
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8")


def table_file(
    table: pd.DataFrame,
    search_columns: Iterable[str] = (),
    static_dir: Path = assets.STATIC_DIR,
    base_url: str = assets.STATIC_URL,
) -> TableFile:
    """The static file holding ``table`` for the browser, written if it is not there yet."""
    key = (tuple(search_columns), str(static_dir), base_url)
    with _lock:
        known = _written.get(id(table))
        if known is not None and known[0]() is table and known[1] == key and known[2].path.exists():
            return known[2]
    data = table_payload(table, key[0])
    name = hashlib.sha256(data).hexdigest()[:32] + ".json"
    folder = Path(static_dir) / TABLES_DIR
    path = folder / name
    if path.exists() and path.stat().st_size == len(data):
        os.utime(path)  # used again: the last to be pruned
    else:
        folder.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(path, data)
        _prune(folder, keep=path)
    # Its gzip copy (after the file: a copy is never there without its file), served by
    # deploy.precompressed instead of gzipping 21 MB per viewer at 100,000 offices.
    precompressed.write_copy(precompressed.table_copy(path), data)
    placed = int(table[["latitude", "longitude"]].notna().all(axis=1).sum())
    written = TableFile(url=f"{base_url.rstrip('/')}/{TABLES_DIR}/{name}", path=path, count=placed)
    with _lock:
        for stale in [k for k, (ref, _, _) in _written.items() if ref() is None]:
            del _written[stale]
        _written[id(table)] = (weakref.ref(table), key, written)
    return written


def _prune(folder: Path, keep: Path) -> None:
    """Remove all but the :data:`KEEP` most recently used files (never ``keep``)."""
    files = []
    for entry in folder.glob("*.json"):
        try:
            files.append((entry.stat().st_mtime, entry))
        except OSError:
            continue  # removed meanwhile by another server
    files.sort(reverse=True)
    for _, entry in files[KEEP:]:
        if entry != keep:
            precompressed.table_copy(entry).unlink(missing_ok=True)
            entry.unlink(missing_ok=True)
