"""Fill in or refresh the coordinates of an office table: ``python -m geo.geocoding PATH``.

Offices listed in the sourced-coordinates file (``sourced_coordinates.csv`` beside the table, or
``--sourced PATH``) are placed first, at building precision, from the point a public source gives
(their ``coordinate_source`` is that source's address); no service is asked about them. Every other
office is looked up in the cache first, then asked of Nominatim (unless ``--offline``), then of the
offline gazetteer when Nominatim has no answer or cannot be reached. Only the ``latitude``,
``longitude``, ``geocode_precision`` and ``coordinate_source`` cells change; every other byte of the
file stays as it was.
The table is rewritten atomically, also every 25 offices during a long run, so an interrupted run
leaves either the old table or a complete newer one, and its answers in the cache.

Exit status: 0 when every office has coordinates; 1 when some could not be geocoded, the table is
invalid or cannot be read or written; 2 for a bad argument (URL, user agent, delay).
"""

from __future__ import annotations

import argparse
import codecs
import csv
import io
import logging
import math
import sys
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from geo.atomic import atomic_write_bytes
from geo.geocoding.cache import DEFAULT_CACHE_PATH, GeocodeCache, GeocodeCacheError
from geo.geocoding.gazetteer import in_country_box
from geo.geocoding.service import (
    DEFAULT_NOMINATIM_URL,
    GeocodeResult,
    GeocodingConfigError,
    GeocodingError,
    NominatimClient,
    OfficeAddress,
    build_geocoder,
    check_user_agent,
    parse_service_url,
)
from geo.offices.schema import GEOCODER_SOURCE_PREFIX
from geo.offices.table import URL_PATTERN, OfficeTableError, column_key, parse_offices, table_delimiter

CHECKPOINT_ROWS = 25  # rows between two saves of the table during a run
SOURCED_FILE_NAME = "sourced_coordinates.csv"  # looked for beside the table
SOURCED_COLUMNS = ("id", "latitude", "longitude", "source_url", "note")
# What coordinate_source says for a point computed by a service (GeocodeResult.source -> name).
SERVICE_NAMES = {"nominatim": "nominatim", "cache": "nominatim", "gazetteer": "geonames"}
COORDINATE_DECIMALS = 5  # about a metre

logger = logging.getLogger(__name__)


class UsageError(Exception):
    """A bad argument: exit status 2."""


class RunError(Exception):
    """The run cannot go on: exit status 1."""


# --- the table, byte for byte --------------------------------------------------------------------


@dataclass
class RawRecord:
    """One CSV record exactly as in the file (line terminator included) and its cells."""

    text: str
    cells: list[str]
    row: int  # numbered as geo.offices.table numbers rows: the header is row 1


@dataclass
class RawTable:
    """A CSV file kept as text so that it can be written back unchanged but for the edited cells."""

    prefix: bytes  # a byte-order mark, if any
    encoding: str
    delimiter: str
    records: list[RawRecord]
    columns: dict[str, int] = field(default_factory=dict)  # normalised header name -> index
    header_row: int = 1

    def office_records(self) -> list[RawRecord]:
        """The records after the header that are not blank."""
        return [r for r in self.records if r.row > self.header_row and any(c.strip() for c in r.cells)]

    def to_bytes(self) -> bytes:
        return self.prefix + "".join(r.text for r in self.records).encode(self.encoding)


class _LineTap:
    """Feeds lines to csv.reader and remembers them, to recover each record's exact text."""

    def __init__(self, text: str):
        self._lines = iter(io.StringIO(text, newline=""))
        self.taken: list[str] = []

    def __iter__(self) -> _LineTap:
        return self

    def __next__(self) -> str:
        line = next(self._lines)
        self.taken.append(line)
        return line


def read_raw_table(raw: bytes) -> RawTable:
    """Split the bytes of a (validated) office table into records, keeping their exact text."""
    prefix, encoding = b"", "utf-8"
    for bom, codec in (
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
    ):
        if raw.startswith(bom):
            prefix, encoding = bom, codec
            break
    text = raw[len(prefix) :].decode(encoding)
    delimiter = table_delimiter(text)  # the one rule, shared with the table reader
    tap = _LineTap(text)
    records = []
    for number, cells in enumerate(csv.reader(tap, delimiter=delimiter, strict=True), start=1):
        records.append(RawRecord("".join(tap.taken), cells, number))
        tap.taken.clear()
    if tap.taken and records:  # text after the last record (cannot happen with csv, but keep every byte)
        records[-1].text += "".join(tap.taken)
    table = RawTable(prefix, encoding, delimiter, records)
    assert table.to_bytes() == raw, "the table could not be split losslessly"
    header = next(r for r in records if any(c.strip() for c in r.cells))
    table.header_row = header.row
    table.columns = {column_key(name): i for i, name in enumerate(header.cells)}
    return table


def _line_end(text: str) -> str:
    for end in ("\r\n", "\n", "\r"):
        if text.endswith(end):
            return end
    return ""


def _field_spans(body: str, delimiter: str) -> list[tuple[int, int]]:
    """(start, end) of each field of one record's text (without its line terminator)."""
    spans: list[tuple[int, int]] = []
    start = 0
    while True:
        if body.startswith('"', start):
            end = start + 1
            while True:  # a quoted field ends at a quote that is not doubled
                end = body.index('"', end)
                if body.startswith('""', end):
                    end += 2
                    continue
                end += 1
                break
        else:
            found = body.find(delimiter, start)
            end = len(body) if found == -1 else found
        spans.append((start, end))
        if end >= len(body):
            return spans
        start = end + len(delimiter)


def _cell_text(value: str, delimiter: str, line_end: str) -> str:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator=line_end or "\n").writerow([value])
    return out.getvalue()[: -len(line_end or "\n")]


def replace_cells(record: RawRecord, updates: dict[int, str], delimiter: str) -> None:
    """Set cells of a record, rewriting only their own bytes in its text."""
    line_end = _line_end(record.text)
    body = record.text[: len(record.text) - len(line_end)]
    cells = list(record.cells)
    for index, value in updates.items():
        cells[index] = value
    try:
        spans = _field_spans(body, delimiter)
    except ValueError:
        spans = []
    if len(spans) == len(record.cells):
        pieces, last = [], 0
        for index, (start, end) in enumerate(spans):
            if index in updates:
                pieces += [body[last:start], _cell_text(updates[index], delimiter, line_end)]
                last = end
        text = "".join([*pieces, body[last:], line_end])
    else:
        text = ""
    reparsed = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True))
    if reparsed != [cells]:  # a layout the splice does not understand: write the whole record anew
        out = io.StringIO()
        csv.writer(out, delimiter=delimiter, lineterminator=line_end or "\n").writerow(cells)
        text = out.getvalue() if line_end else out.getvalue()[:-1]
    record.text, record.cells = text, cells


def format_coordinate(value: float) -> str:
    """``repr`` of the value rounded to 5 decimals (45.749061 -> "45.74906"); never "-0.0"."""
    return repr(round(value, COORDINATE_DECIMALS) + 0.0)


def _same_number(text: str, value: float) -> bool:
    try:
        old = float(text.strip().replace("\u2212", "-"))
    except ValueError:
        return False
    return math.isfinite(old) and round(old, COORDINATE_DECIMALS) == round(value, COORDINATE_DECIMALS)


# --- sourced coordinates -------------------------------------------------------------------------


@dataclass(frozen=True)
class SourcedPoint:
    """A building's point as a public source gives it (one row of the sourced-coordinates file)."""

    office_id: str
    latitude: float
    longitude: float
    source_url: str
    note: str
    row: int  # spreadsheet numbering: the header is row 1


def read_sourced(path: Path) -> tuple[dict[str, SourcedPoint], list[str]]:
    """The points of a sourced-coordinates file by office id, and its problems (file, row, column, value).

    Columns: ``id``, ``latitude``, ``longitude``, ``source_url`` (http(s)), ``note`` (free text, e.g.
    what the source says and which building it is).
    """
    problems: list[str] = []
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as err:
        return {}, [f"{path}: cannot be read: {err.strerror or err}"]
    except UnicodeDecodeError:
        return {}, [f"{path}: is not UTF-8 text; save it as CSV UTF-8"]
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    except csv.Error as err:
        return {}, [f"{path}: cannot be read as CSV: {err}"]
    records = [r for r in records if any(c.strip() for c in r)]
    if not records:
        return {}, [f"{path}: is empty: expected the columns {', '.join(SOURCED_COLUMNS)}"]
    header = [c.strip().lower() for c in records[0]]
    missing = [c for c in SOURCED_COLUMNS[:4] if c not in header]
    if missing:
        return {}, [f"{path}, row 1: the column(s) {', '.join(missing)} are missing"]
    at = {name: header.index(name) for name in SOURCED_COLUMNS if name in header}
    points: dict[str, SourcedPoint] = {}
    for row, cells in enumerate(records[1:], start=2):
        if len(cells) != len(header):
            problems.append(
                f"{path}, row {row}: has {len(cells)} cells but the header has {len(header)} columns"
            )
            continue

        def cell(name: str, cells: list[str] = cells) -> str:
            return cells[at[name]].strip() if name in at else ""

        office_id, url = cell("id"), cell("source_url")
        numbers: dict[str, float] = {}
        for name, limit in (("latitude", 90.0), ("longitude", 180.0)):
            value = cell(name)
            try:
                number = float(value)
            except ValueError:
                number = math.nan
            if not math.isfinite(number) or abs(number) > limit:
                problems.append(
                    f"{path}, row {row}, column {name}: {value!r} is not a number between -{limit:g} and {limit:g}"
                )
            else:
                numbers[name] = number
        if not office_id:
            problems.append(f"{path}, row {row}, column id: the id is empty")
        elif office_id in points:
            problems.append(
                f"{path}, row {row}, column id: {office_id!r} is already given in row {points[office_id].row}"
            )
        if not URL_PATTERN.fullmatch(url):
            problems.append(
                f"{path}, row {row}, column source_url: {url!r} is not an http(s) address; a sourced point "
                "needs the public page that establishes it"
            )
        if office_id and len(numbers) == 2 and URL_PATTERN.fullmatch(url) and office_id not in points:
            points[office_id] = SourcedPoint(
                office_id, numbers["latitude"], numbers["longitude"], url, cell("note"), row
            )
    return points, problems


def default_sourced_path(table: Path) -> Path:
    return table.parent / SOURCED_FILE_NAME


def _sourced_updates(
    record: RawRecord, columns: dict[str, int], point: SourcedPoint, sourced_path: Path
) -> tuple[dict[int, str], str | None]:
    """The cells to change to put an office at its sourced point, or a problem."""
    code_i = columns.get("country_code")
    code = record.cells[code_i].strip().upper() if code_i is not None else ""
    if code and in_country_box(point.latitude, point.longitude, code) is False:
        return {}, (
            f"{sourced_path}, row {point.row}: ({point.latitude}, {point.longitude}) for "
            f"{point.office_id!r} is not in {code}; check the latitude and longitude"
        )
    lat_i, lon_i = columns["latitude"], columns["longitude"]
    updates: dict[int, str] = {}
    if not _same_number(record.cells[lat_i], point.latitude):
        updates[lat_i] = format_coordinate(point.latitude)
    if not _same_number(record.cells[lon_i], point.longitude):
        updates[lon_i] = format_coordinate(point.longitude)
    for name, value in (("geocode_precision", "building"), ("coordinate_source", point.source_url)):
        index = columns.get(name)
        if index is not None and record.cells[index].strip() != value:
            updates[index] = value
    return updates, None


# --- the run -------------------------------------------------------------------------------------


@dataclass
class Tally:
    offices: int = 0
    to_geocode: int = 0
    geocoded: int = 0
    from_cache: int = 0
    failed: int = 0
    updated: int = 0
    sourced: int = 0
    requests: int = 0
    failures: list[str] = field(default_factory=list)

    @property
    def unchanged(self) -> int:
        return self.offices - self.updated

    def summary(self) -> str:
        sourced = f"{self.sourced} placed from sourced coordinates, " if self.sourced else ""
        return (
            f"summary: {self.offices} offices, {sourced}{self.to_geocode} to geocode: {self.geocoded} geocoded, "
            f"{self.from_cache} from cache, {self.failed} failed; {self.updated} updated, "
            f"{self.unchanged} unchanged; {self.requests} requests sent"
        )


class _TableWriter:
    """Saves the table atomically, and refuses to overwrite it if someone else changed it meanwhile."""

    def __init__(self, path: Path, table: RawTable, on_disk: bytes):
        self.path, self.table, self.on_disk = path, table, on_disk
        self.pending = False
        self.writes = 0

    def save(self) -> None:
        if not self.pending:
            return
        data = self.table.to_bytes()
        try:  # a safety net: never write a table that geo.offices.table would refuse
            parse_offices(data, str(self.path), require_coordinates=False)
        except OfficeTableError as err:  # pragma: no cover - a bug here, not in the data
            raise RunError(f"internal error: the updated table would be invalid: {err}") from err
        try:
            current = self.path.read_bytes()
        except OSError as err:
            raise RunError(f"cannot read {self.path} again before saving it: {err.strerror}") from err
        if current != self.on_disk:
            raise RunError(
                f"{self.path} was changed by another program during the run; not overwriting it "
                "(the answers are in the cache: run again)"
            )
        try:
            atomic_write_bytes(self.path, data)
        except OSError as err:
            raise RunError(f"cannot write {self.path}: {err.strerror or err}") from err
        self.on_disk, self.pending = data, False
        self.writes += 1


def _office_of(record: RawRecord, columns: dict[str, int]) -> OfficeAddress:
    def cell(name: str) -> str:
        index = columns.get(name)
        return record.cells[index].strip() if index is not None else ""

    return OfficeAddress(cell("city"), cell("country"), cell("country_code"), cell("address"))


def _label(record: RawRecord, columns: dict[str, int]) -> str:
    office_id = record.cells[columns["id"]].strip()
    return f"row {record.row} ({office_id})" if office_id else f"row {record.row}"


def _updates_for(
    record: RawRecord, columns: dict[str, int], result: GeocodeResult
) -> tuple[dict[int, str], str | None]:
    """The cells to change for an answer, and a note when an answer is deliberately not used."""
    lat_i, lon_i = columns["latitude"], columns["longitude"]
    prec_i = columns.get("geocode_precision")
    old_lat, old_lon = record.cells[lat_i], record.cells[lon_i]
    old_precision = record.cells[prec_i].strip() if prec_i is not None else ""
    if result.source == "gazetteer" and old_precision == "building" and old_lat.strip() and old_lon.strip():
        return {}, "kept its building-precision coordinates (the gazetteer only knows the city)"
    updates: dict[int, str] = {}
    if not _same_number(old_lat, result.latitude):
        updates[lat_i] = format_coordinate(result.latitude)
    if not _same_number(old_lon, result.longitude):
        updates[lon_i] = format_coordinate(result.longitude)
    if prec_i is not None and old_precision != result.precision:
        updates[prec_i] = result.precision
    source_i = columns.get("coordinate_source")
    service = GEOCODER_SOURCE_PREFIX + SERVICE_NAMES.get(result.source, result.source)
    if source_i is not None and record.cells[source_i].strip() != service:
        updates[source_i] = service
    return updates, None


def _describe_change(record: RawRecord, table: RawTable, updates: dict[int, str]) -> str:
    names = {i: n for n, i in table.columns.items()}
    return ", ".join(f"{names[i]} {record.cells[i]!r} -> {v!r}" for i, v in sorted(updates.items()))


def _say(message: str, *, err: bool = False) -> None:
    tqdm.write(message, file=sys.stderr if err else sys.stdout)


def run(args: argparse.Namespace) -> int:
    path = Path(args.path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise RunError(f"{path} does not exist") from None
    except IsADirectoryError:
        raise RunError(f"{path} is a folder, not a CSV file") from None
    except OSError as err:
        raise RunError(f"cannot read {path}: {err.strerror or err}") from err
    try:
        parse_offices(raw, str(path), require_coordinates=False)
    except OfficeTableError as err:
        for problem in err.problems:
            print(problem)
        print(f"error: {path} is not a valid office table; nothing was geocoded", file=sys.stderr)
        return 1
    table = read_raw_table(raw)
    columns = table.columns
    if "geocode_precision" not in columns:
        _say(f"note: {path} has no geocode_precision column; precisions are not recorded", err=True)

    offices = table.office_records()
    sourced_path = Path(args.sourced) if args.sourced else default_sourced_path(path)
    sourced: dict[str, SourcedPoint] = {}
    if args.sourced or sourced_path.is_file():
        sourced, problems = read_sourced(sourced_path)
        if sourced and "coordinate_source" not in columns:
            problems.append(
                f"{path}: has no coordinate_source column, so the sources of {sourced_path} cannot be "
                "recorded; add the column (it may stay empty) and run again"
            )
        if problems:
            for problem in problems:
                print(problem)
            print(f"error: {sourced_path} has problems; nothing was changed", file=sys.stderr)
            return 1
    writer = _TableWriter(path.resolve(), table, raw)
    placed: set[str] = set()
    sourced_updated = 0
    for record in offices:
        point = sourced.get(record.cells[columns["id"]].strip())
        if point is None:
            continue
        updates, problem = _sourced_updates(record, columns, point, sourced_path)
        if problem:
            print(problem)
            print(f"error: {sourced_path} has problems; nothing was changed", file=sys.stderr)
            return 1
        placed.add(point.office_id)
        if updates:
            verb = "would change" if args.dry_run else "changed"
            change = _describe_change(record, table, updates)
            _say(f"{_label(record, columns)} {verb}: {change} [sourced: {point.source_url}]")
            replace_cells(record, updates, table.delimiter)
            writer.pending = not args.dry_run
            sourced_updated += 1
    for office_id in sorted(set(sourced) - placed):
        _say(
            f"note: {sourced_path}, row {sourced[office_id].row}: no office {office_id!r} in {path}", err=True
        )
    todo = [
        r
        for r in offices
        if r.cells[columns["id"]].strip() not in placed
        and (
            not args.only_missing
            or not r.cells[columns["latitude"]].strip()
            or not r.cells[columns["longitude"]].strip()
        )
    ]
    tally = Tally(offices=len(offices), to_geocode=len(todo), sourced=len(placed), updated=sourced_updated)
    client: NominatimClient | None = None
    cache: GeocodeCache | None = None
    geocoder = None
    try:
        if todo:
            if not args.offline:
                check_user_agent(args.user_agent)  # before the cache file is created
            cache = GeocodeCache(args.cache)
            geocoder, client = build_geocoder(
                cache=cache,
                offline=args.offline,
                user_agent=args.user_agent,
                url=args.geocoder_url,
                min_delay_seconds=args.min_delay,
                max_retries=args.max_retries,
                timeout=args.timeout,
            )
        bar = tqdm(
            todo,
            desc="geocoding",
            unit="office",
            file=sys.stderr,
            leave=False,
            disable=None if len(todo) >= 10 else True,
        )
        for done, record in enumerate(bar, start=1):
            office = _office_of(record, columns)
            assert geocoder is not None
            result = geocoder.geocode(office)
            if result is None:
                tally.failed += 1
                place = ", ".join(p for p in (office.city, office.country) if p)
                tally.failures.append(
                    f"failed: {_label(record, columns)}: no coordinates found for {place!r}"
                )
            else:
                if result.source == "cache":
                    tally.from_cache += 1
                else:
                    tally.geocoded += 1
                updates, note = _updates_for(record, columns, result)
                if note:
                    _say(f"note: {_label(record, columns)}: {note}", err=True)
                if updates:
                    verb = "would change" if args.dry_run else "changed"
                    change = _describe_change(record, table, updates)
                    _say(f"{_label(record, columns)} {verb}: {change} [{result.source}]")
                    replace_cells(record, updates, table.delimiter)
                    tally.updated += 1
                    writer.pending = not args.dry_run
            if done % CHECKPOINT_ROWS == 0:
                writer.save()
    except KeyboardInterrupt:
        if args.dry_run:
            print(f"interrupted; dry run: {path} not written", file=sys.stderr)
        else:
            writer.save()
            print(f"interrupted; the offices geocoded so far are saved in {path}", file=sys.stderr)
        return 130
    finally:
        if client is not None:
            tally.requests = client.requests_sent
            client.close()
        if cache is not None:
            cache.close()
    writer.save()

    for line in tally.failures:
        print(line, file=sys.stderr)
    print(tally.summary())
    if args.dry_run:
        print(f"dry run: {path} not written")
    elif writer.writes:
        print(f"wrote {path}")
    else:
        print(f"nothing changed; {path} not written")
    return 1 if tally.failed else 0


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
        prog="python -m geo.geocoding.cli",
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
        "--timeout", type=float, default=10.0, metavar="SECONDS", help="per request (default 10)"
    )
    parser.add_argument(
        "--max-retries",
        type=int,
        default=3,
        metavar="N",
        help="retries of a failed request, with growing waits (default 3)",
    )
    return parser


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
