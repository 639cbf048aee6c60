"""Fill in or refresh the coordinates of an office table: ``python -m geo.geocoding PATH``.

Offices listed in the sourced-coordinates file (``sourced_coordinates.csv`` beside the table, or
``--sourced PATH``) are placed first, at building precision, from the point a public source gives
(their ``coordinate_source`` is that source's address); no service is asked about them. Every other
office is looked up in the cache first, then asked of Nominatim (unless ``--offline``), then of the
offline gazetteer when Nominatim has no answer or cannot be reached. Only the ``latitude``,
``longitude``, ``geocode_precision`` and ``coordinate_source`` cells change; every other byte of the
file stays as it was (:mod:`geo.geocoding.rawtable`).
The table is rewritten atomically, also every 25 offices during a long run and before the run stops
on an error (a cache that cannot be written, a refused redirect), so an interrupted run leaves either
the old table or a complete newer one, and its answers in the cache. A table the user may not write
(read-only, or someone else's) is refused before anything is asked.

Exit status: 0 when every office has coordinates; 1 when some could not be geocoded, the table is
invalid or cannot be read or written; 2 for a bad argument (URL, user agent, delay).
"""

from __future__ import annotations

import argparse
import logging
import math
import sys

from tqdm import tqdm

from geo.geocoding.cache import DEFAULT_CACHE_PATH, GeocodeCacheError
from geo.geocoding.service import (
    DEFAULT_NOMINATIM_URL,
    GeocodingConfigError,
    GeocodingError,
    parse_service_url,
)
from geo.geocoding.sourced import SOURCED_FILE_NAME, read_sourced
from geo.geocoding.update import RunError, UsageError, run

__all__ = ["main", "read_sourced", "run"]


class _LowerLevelFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return f"{record.levelname.lower()}: {record.getMessage()}"


class _TqdmHandler(logging.Handler):
    """Log lines that do not break the progress bar."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            tqdm.write(self.format(record), file=sys.stderr)
        except Exception:  # pragma: no cover
            self.handleError(record)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m geo.geocoding",
        description="Fill in or refresh the latitude, longitude and geocode_precision of an office table.",
        epilog=(
            "Order: the sourced-coordinates file, then the cache, then Nominatim (unless --offline), then the offline gazetteer. Answers "
            "(and 'no result') are cached in SQLite, one row per query, so an answered query is never "
            "sent again. Exit status: 0 every office has coordinates; 1 some failed, or the table is "
            "invalid or unreadable; 2 bad argument."
        ),
    )
    parser.add_argument("path", help="the office table (CSV, UTF-8)")
    parser.add_argument(
        "--only-missing", action="store_true", help="geocode only the rows without latitude and longitude"
    )
    parser.add_argument(
        "--sourced",
        metavar="PATH",
        help=(
            "the sourced-coordinates file (id, latitude, longitude, source_url, note), applied before any "
            f"service is asked (default: {SOURCED_FILE_NAME} beside the table, when there is one)"
        ),
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="print what would change and write nothing to the table (answers are still cached)",
    )
    _add_service_options(parser)
    return parser


def _add_service_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--geocoder-url",
        default=DEFAULT_NOMINATIM_URL,
        metavar="URL",
        help=f"the Nominatim server (default {DEFAULT_NOMINATIM_URL})",
    )
    parser.add_argument(
        "--offline", action="store_true", help="never use the network: the cache, then the gazetteer"
    )
    parser.add_argument(
        "--user-agent",
        metavar="UA",
        help='who is asking, as Nominatim requires, e.g. "gs-office-map/0.1 (you@example.org)"',
    )
    parser.add_argument(
        "--cache", default=str(DEFAULT_CACHE_PATH), metavar="PATH", help="the SQLite cache of answers"
    )
    parser.add_argument(
        "--min-delay",
        type=float,
        default=1.0,
        metavar="SECONDS",
        help="at least this long between two requests (default 1; the public server needs >= 1)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="the most a request may take in all, connection to last byte (default 10)",
    )
    parser.add_argument(
        "--max-retries",
        type=int,
        default=3,
        metavar="N",
        help="retries of a failed request, with growing waits (default 3)",
    )


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    handler = _TqdmHandler()
    handler.setFormatter(_LowerLevelFormatter())
    handler.setLevel(logging.WARNING)
    loggers = [logging.getLogger("geo"), logging.getLogger("geopy")]
    for each in loggers:
        each.addHandler(handler)
        if each.level == logging.NOTSET or each.level > logging.WARNING:
            each.setLevel(logging.WARNING)
    try:
        parse_service_url(args.geocoder_url)  # checked even with --offline: a bad argument is a mistake
        if args.min_delay < 0 or not math.isfinite(args.min_delay):
            raise UsageError(f"--min-delay must be a number of seconds >= 0, not {args.min_delay}")
        return run(args)
    except (UsageError, GeocodingConfigError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except (RunError, GeocodeCacheError, GeocodingError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    except Exception as err:  # one line, not a traceback, even for a bug
        print(f"error: unexpected {type(err).__name__}: {err} (please report this)", file=sys.stderr)
        return 1
    finally:
        for each in loggers:
            each.removeHandler(handler)


if __name__ == "__main__":
    sys.exit(main())
