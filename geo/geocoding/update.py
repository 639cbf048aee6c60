"""One run of ``python -m geo.geocoding``: read and check the table, place the sourced offices,
geocode the others, save the table every 25 offices and before stopping on an error, and report.

Each step is a function of its own; :func:`run` puts them in order. See :mod:`geo.geocoding.cli`
for the command line.
"""

from __future__ import annotations

import argparse
import logging
import os
import stat
import sys
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from geo.atomic import atomic_write_bytes
from geo.geocoding.cache import GeocodeCache, GeocodeCacheError
from geo.geocoding.rawtable import (
    RawRecord,
    RawTable,
    format_coordinate,
    read_raw_table,
    replace_cells,
    same_number,
)
from geo.geocoding.service import (
    FallbackGeocoder,
    GeocodeResult,
    GeocodingConfigError,
    GeocodingError,
    NominatimClient,
    OfficeAddress,
    build_geocoder,
    check_user_agent,
)
from geo.geocoding.sourced import (
    SourcedPoint,
    default_sourced_path,
    read_sourced,
    sourced_updates,
)
from geo.offices.files import read_regular_file
from geo.offices.schema import GEOCODER_SOURCE_PREFIX
from geo.offices.table import MAX_FILE_BYTES, OfficeTableError, parse_offices

CHECKPOINT_ROWS = 25  # rows between two saves of the table during a run
# What coordinate_source says for a point computed by a service (GeocodeResult.source -> name).
SERVICE_NAMES = {"nominatim": "nominatim", "cache": "nominatim", "gazetteer": "geonames"}

logger = logging.getLogger(__name__)


class UsageError(Exception):
    """A bad argument: exit status 2."""


class RunError(Exception):
    """The run cannot go on: exit status 1."""


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


# --- reading and writing the table ---------------------------------------------------------------


def read_table_bytes(path: Path) -> bytes:
    """The table's bytes, read as geo.offices reads a table: regular files only (a named pipe or a
    device would block or never end), at most MAX_FILE_BYTES."""
    try:
        return read_regular_file(path, MAX_FILE_BYTES)
    except OfficeTableError as err:
        raise RunError(str(err)) from None


def check_writable(path: Path) -> None:
    """Refuse a table the user may not replace: the atomic rename would swap in a new file, owned by
    the runner, even where the file itself is read-only or someone else's."""
    info = path.stat()
    advice = "geocode a copy of it, or pass --dry-run to see the changes without writing"
    if not os.access(path, os.W_OK) or not info.st_mode & stat.S_IWUSR:
        raise RunError(
            f"{path} is read-only (mode {stat.S_IMODE(info.st_mode):04o}); not replacing it: "
            f"make it writable first (chmod u+w), or {advice}"
        )
    if info.st_uid != os.geteuid():
        raise RunError(
            f"{path} belongs to user {info.st_uid}, not to you (user {os.geteuid()}); not replacing it: "
            f"the new file would be yours; {advice}"
        )
    folder = path.resolve().parent
    if not os.access(folder, os.W_OK):
        raise RunError(
            f"the folder {folder} is not writable (the table is replaced through a temporary file beside it); "
            f"{advice}"
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


@dataclass
class Job:
    """One run: the table, its writer, what it says, and the counts."""

    path: Path
    table: RawTable
    writer: _TableWriter
    dry_run: bool
    tally: Tally = field(default_factory=Tally)

    @property
    def columns(self) -> dict[str, int]:
        return self.table.columns

    def label(self, record: RawRecord) -> str:
        office_id = record.cells[self.columns["id"]].strip()
        return f"row {record.row} ({office_id})" if office_id else f"row {record.row}"

    def change(self, record: RawRecord, updates: dict[int, str], why: str) -> None:
        """Print and apply the changed cells of one office."""
        names = {i: n for n, i in self.columns.items()}
        change = ", ".join(f"{names[i]} {record.cells[i]!r} -> {v!r}" for i, v in sorted(updates.items()))
        verb = "would change" if self.dry_run else "changed"
        _say(f"{self.label(record)} {verb}: {change} [{why}]")
        replace_cells(record, updates, self.table.delimiter)
        self.tally.updated += 1
        self.writer.pending = not self.dry_run

    def save_before_stopping(self) -> str:
        """Save what was done so far; a sentence that says what was saved."""
        if self.dry_run:
            return f"dry run: {self.path} not written"
        pending = self.writer.pending
        self.writer.save()
        if pending:
            return f"the offices changed so far ({self.tally.updated}) are saved in {self.path}"
        return (
            f"{self.path} is saved with every change so far"
            if self.writer.writes
            else f"{self.path} not changed"
        )


def _say(message: str, *, err: bool = False) -> None:
    tqdm.write(message, file=sys.stderr if err else sys.stdout)


# --- sourced coordinates -------------------------------------------------------------------------


def _load_sourced(
    args: argparse.Namespace, path: Path, columns: dict[str, int]
) -> tuple[dict[str, SourcedPoint], Path]:
    sourced_path = Path(args.sourced) if args.sourced else default_sourced_path(path)
    if not (args.sourced or sourced_path.is_file()):
        return {}, sourced_path
    sourced, problems = read_sourced(sourced_path)
    if sourced and "coordinate_source" not in columns:
        problems.append(
            f"{path}: has no coordinate_source column, so the sources of {sourced_path} cannot be "
            "recorded; add the column (it may stay empty) and run again"
        )
    if problems:
        for problem in problems:
            print(problem)
        raise RunError(f"{sourced_path} has problems; nothing was changed")
    return sourced, sourced_path


def _apply_sourced(
    job: Job, offices: list[RawRecord], sourced: dict[str, SourcedPoint], sourced_path: Path
) -> set[str]:
    """Place the offices of the sourced file; the ids placed."""
    placed: set[str] = set()
    for record in offices:
        point = sourced.get(record.cells[job.columns["id"]].strip())
        if point is None:
            continue
        updates, problem = sourced_updates(record, job.columns, point, sourced_path)
        if problem:
            print(problem)
            raise RunError(f"{sourced_path} has problems; nothing was changed")
        placed.add(point.office_id)
        if updates:
            job.change(record, updates, f"sourced: {point.source_url}")
    for office_id in sorted(set(sourced) - placed):
        _say(
            f"note: {sourced_path}, row {sourced[office_id].row}: no office {office_id!r} in {job.path}",
            err=True,
        )
    job.tally.sourced = len(placed)
    return placed


# --- geocoding -----------------------------------------------------------------------------------


def _office_of(record: RawRecord, columns: dict[str, int]) -> OfficeAddress:
    def cell(name: str) -> str:
        index = columns.get(name)
        return record.cells[index].strip() if index is not None else ""

    return OfficeAddress(cell("city"), cell("country"), cell("country_code"), cell("address"))


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
    if not same_number(old_lat, result.latitude):
        updates[lat_i] = format_coordinate(result.latitude)
    if not same_number(old_lon, result.longitude):
        updates[lon_i] = format_coordinate(result.longitude)
    if prec_i is not None and old_precision != result.precision:
        updates[prec_i] = result.precision
    source_i = columns.get("coordinate_source")
    service = GEOCODER_SOURCE_PREFIX + SERVICE_NAMES.get(result.source, result.source)
    if source_i is not None and record.cells[source_i].strip() != service:
        updates[source_i] = service
    return updates, None


def _to_geocode(job: Job, offices: list[RawRecord], placed: set[str], only_missing: bool) -> list[RawRecord]:
    columns = job.columns

    def missing(record: RawRecord) -> bool:
        return not record.cells[columns["latitude"]].strip() or not record.cells[columns["longitude"]].strip()

    return [
        r
        for r in offices
        if r.cells[columns["id"]].strip() not in placed and (not only_missing or missing(r))
    ]


def _geocode_one(job: Job, record: RawRecord, geocoder: FallbackGeocoder) -> None:
    office = _office_of(record, job.columns)
    result = geocoder.geocode(office)
    if result is None:
        job.tally.failed += 1
        place = ", ".join(p for p in (office.city, office.country) if p)
        job.tally.failures.append(f"failed: {job.label(record)}: no coordinates found for {place!r}")
        return
    if result.source == "cache":
        job.tally.from_cache += 1
    else:
        job.tally.geocoded += 1
    updates, note = _updates_for(record, job.columns, result)
    if note:
        _say(f"note: {job.label(record)}: {note}", err=True)
    if updates:
        job.change(record, updates, result.source)


def _geocode_all(job: Job, todo: list[RawRecord], args: argparse.Namespace) -> None:
    """Geocode the offices, saving the table every CHECKPOINT_ROWS; the cache and client are closed."""
    if not todo:
        return
    if not args.offline:
        check_user_agent(args.user_agent)  # before the cache file is created
    cache = GeocodeCache(args.cache)
    client: NominatimClient | None = None
    try:
        geocoder, client = build_geocoder(
            cache=cache,
            offline=args.offline,
            user_agent=args.user_agent,
            url=args.geocoder_url,
            min_delay_seconds=args.min_delay,
            max_retries=args.max_retries,
            timeout=args.timeout,
        )
        quiet = True if len(todo) < 10 else None
        bar = tqdm(todo, desc="geocoding", unit="office", file=sys.stderr, leave=False, disable=quiet)
        for done, record in enumerate(bar, start=1):
            _geocode_one(job, record, geocoder)
            if done % CHECKPOINT_ROWS == 0:
                job.writer.save()
    finally:
        if client is not None:
            job.tally.requests = client.requests_sent
            client.close()
        cache.close()


def _report(job: Job) -> int:
    for line in job.tally.failures:
        print(line, file=sys.stderr)
    print(job.tally.summary())
    if job.dry_run:
        print(f"dry run: {job.path} not written")
    elif job.writer.writes:
        print(f"wrote {job.path}")
    else:
        print(f"nothing changed; {job.path} not written")
    return 1 if job.tally.failed else 0


def run(args: argparse.Namespace) -> int:
    path = Path(args.path)
    raw = read_table_bytes(path)
    try:
        parse_offices(raw, str(path), require_coordinates=False)
    except OfficeTableError as err:
        for problem in err.problems:
            print(problem)
        raise RunError(f"{path} is not a valid office table; nothing was geocoded") from None
    if not args.dry_run:
        check_writable(path)
    table = read_raw_table(raw)
    if "geocode_precision" not in table.columns:
        _say(f"note: {path} has no geocode_precision column; precisions are not recorded", err=True)
    job = Job(path, table, _TableWriter(path.resolve(), table, raw), args.dry_run)
    offices = table.office_records()
    sourced, sourced_path = _load_sourced(args, path, table.columns)
    placed = _apply_sourced(job, offices, sourced, sourced_path)
    todo = _to_geocode(job, offices, placed, args.only_missing)
    job.tally.offices, job.tally.to_geocode = len(offices), len(todo)
    try:
        _geocode_all(job, todo, args)
    except KeyboardInterrupt:
        print(f"interrupted; {job.save_before_stopping()}", file=sys.stderr)
        return 130
    except GeocodingConfigError:
        raise
    except (GeocodeCacheError, GeocodingError) as err:
        raise RunError(f"{err}; stopped: {job.save_before_stopping()}") from err
    job.writer.save()
    return _report(job)
