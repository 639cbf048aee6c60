"""A persistent cache of geocoding answers: one SQLite row per normalised query.

Each answer is committed on its own, in WAL mode with ``synchronous=FULL``, so a process killed at
any moment (SIGKILL included) keeps every answer it had received and never corrupts the file.
Definitive "no result" answers are cached too (as JSON ``null``); errors never are.
"""

from __future__ import annotations

import json
import os
import sqlite3
import unicodedata
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

# Anything under /.cache/ is gitignored.
DEFAULT_CACHE_PATH = Path(__file__).resolve().parents[2] / ".cache" / "geocode.sqlite"

_SCHEMA_VERSION = 1
_MISSING = object()  # get() without a default
_ABSENT = object()


# How long to wait for another program's lock on the cache before calling it busy.
BUSY_TIMEOUT_SECONDS = 30.0


class GeocodeCacheError(RuntimeError):
    """The cache file cannot be opened, read or written."""


class GeocodeCacheBusy(GeocodeCacheError):
    """Another program holds a lock on the cache: nothing is wrong with it, try again later."""


def _is_busy(err: sqlite3.Error) -> bool:
    code = getattr(err, "sqlite_errorcode", None)
    return code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED) or "locked" in str(err).lower()


def _busy(path: Path, err: sqlite3.Error) -> GeocodeCacheBusy:
    return GeocodeCacheBusy(
        f"the geocoding cache {path} is in use by another program ({err}); try again when it has "
        "finished, or pass another --cache path"
    )


def query_key(query: str, country_code: str = "") -> str:
    """The normalised form of a query: NFC, case-folded, single spaces, with the country filter.

    ``query_key("  200 Quai Charles de Gaulle,  Lyon ", "fr")`` -> ``"fr|200 quai charles de gaulle, lyon"``.
    """
    text = " ".join(unicodedata.normalize("NFC", query).casefold().split())
    return f"{country_code.strip().lower()}|{text}"


class GeocodeCache:
    """Answers keyed by :func:`query_key`; the values are JSON-serialisable dicts or ``None``.

    Use as a context manager or call :meth:`close`. Opening creates the file and its folder.
    """

    def __init__(
        self, path: str | os.PathLike[str] = DEFAULT_CACHE_PATH, *, busy_timeout: float | None = None
    ):
        self.path = Path(path)
        timeout = BUSY_TIMEOUT_SECONDS if busy_timeout is None else busy_timeout
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # isolation_level=None: autocommit; every put is its own transaction.
            self._db = sqlite3.connect(self.path, timeout=timeout, isolation_level=None)
        except (OSError, sqlite3.Error) as err:
            raise GeocodeCacheError(f"cannot open the geocoding cache {self.path}: {err}") from err
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            version = self._db.execute("PRAGMA user_version").fetchone()[0]
            if version not in (0, _SCHEMA_VERSION):
                raise GeocodeCacheError(
                    f"the geocoding cache {self.path} has schema version {version}, this program "
                    f"knows version {_SCHEMA_VERSION}; pass another --cache path"
                )
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS answers ("
                " query TEXT PRIMARY KEY,"
                " result TEXT,"  # JSON; 'null' for a definitive no-result answer
                " stored_at TEXT NOT NULL)"
            )
            self._db.execute(f"PRAGMA user_version={_SCHEMA_VERSION}")
        except sqlite3.DatabaseError as err:
            self._db.close()
            if _is_busy(err):
                raise _busy(self.path, err) from err
            raise GeocodeCacheError(
                f"the geocoding cache {self.path} is not a usable SQLite database ({err}); "
                "delete it or pass another --cache path"
            ) from err
        except BaseException:
            self._db.close()
            raise

    def get(self, key: str, default: Any = _MISSING) -> Any:
        """The cached answer for ``key`` (a dict or None); ``default`` or KeyError when absent."""
        try:
            row = self._db.execute("SELECT result FROM answers WHERE query = ?", (key,)).fetchone()
        except sqlite3.Error as err:
            if _is_busy(err):
                raise _busy(self.path, err) from err
            raise GeocodeCacheError(f"cannot read the geocoding cache {self.path}: {err}") from err
        if row is None:
            if default is _MISSING:
                raise KeyError(key)
            return default
        return json.loads(row[0])

    def __contains__(self, key: str) -> bool:
        return self.get(key, _ABSENT) is not _ABSENT

    def put(self, key: str, answer: dict[str, Any] | None) -> None:
        """Store an answer durably (its own committed transaction)."""
        stored_at = datetime.now(UTC).isoformat(timespec="seconds")
        try:
            self._db.execute(
                "INSERT OR REPLACE INTO answers (query, result, stored_at) VALUES (?, ?, ?)",
                (key, json.dumps(answer, ensure_ascii=False, sort_keys=True), stored_at),
            )
        except sqlite3.Error as err:
            if _is_busy(err):
                raise _busy(self.path, err) from err
            raise GeocodeCacheError(f"cannot write to the geocoding cache {self.path}: {err}") from err

    def __len__(self) -> int:
        return self._db.execute("SELECT COUNT(*) FROM answers").fetchone()[0]

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> GeocodeCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
