"""Gzip copies of the large static files, written once, for deploy.precompressed to serve (issue #15).

Streamlit's server gzips every answer under ``/app/static`` on each request, at level 9, in its
event loop: 0.4 s of CPU for a 100,000-office table file (21 MB) and ~10 ms for the map's script
bundle, for every viewer. The app writes each such file's gzip copy once, next to it, under a name
that carries the content's digest, so a copy is never served for other content:

- a table file ``tables/<hash>.json`` (its name is already its content's hash): ``tables/<hash>.json.gz``;
- a script bundle ``map/map.js``, asked for as ``map/map.js?v=<digest>``: ``map/map.js.<digest>.gz``.
"""

from __future__ import annotations

import gzip
from pathlib import Path

from geo.atomic import atomic_write_bytes

LEVEL = 6  # zlib's default: 1 % larger than level 9 at a third of its time (measured on a 21 MB table)
SUFFIX = ".gz"


def gzip_bytes(data: bytes) -> bytes:
    """``data`` gzipped, the same bytes for the same data (no time or name in the header)."""
    return gzip.compress(data, compresslevel=LEVEL, mtime=0)


def table_copy(path: Path) -> Path:
    """Where the gzip copy of the table file ``path`` lives."""
    return path.with_name(path.name + SUFFIX)


def bundle_copy(path: Path, digest: str) -> Path:
    """Where the gzip copy of the bundle ``path`` with content ``digest`` lives."""
    return path.with_name(f"{path.name}.{digest}{SUFFIX}")


def write_copy(copy: Path, data: bytes) -> bool:
    """Write the gzip copy of ``data`` to ``copy`` unless it is there; True if it was written."""
    if copy.exists():
        return False
    atomic_write_bytes(copy, gzip_bytes(data))
    return True


def remove_other_copies(path: Path, keep: Path) -> None:
    """Remove the gzip copies of the bundle ``path`` for other contents than ``keep``'s."""
    for old in path.parent.glob(f"{path.name}.*{SUFFIX}"):
        if old != keep:
            old.unlink(missing_ok=True)
