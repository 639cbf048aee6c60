"""The sourced-coordinates file (``sourced_coordinates.csv``): the points public sources give for
buildings, applied before any service is asked."""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from pathlib import Path

from geo.geocoding.gazetteer import in_country_box
from geo.geocoding.rawtable import RawRecord, format_coordinate, same_number
from geo.offices.table import URL_PATTERN

SOURCED_FILE_NAME = "sourced_coordinates.csv"  # looked for beside the table
SOURCED_COLUMNS = ("id", "latitude", "longitude", "source_url", "note")


@dataclass(frozen=True)
class SourcedPoint:
    """A building's point as a public source gives it (one row of the sourced-coordinates file)."""

    office_id: str
    latitude: float
    longitude: float
    source_url: str
    note: str
    row: int  # spreadsheet numbering: the header is row 1


def _records(path: Path) -> tuple[list[list[str]], list[str]]:
    """The non-blank records of the file, or a problem."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as err:
        return [], [f"{path}: cannot be read: {err.strerror or err}"]
    except UnicodeDecodeError:
        return [], [f"{path}: is not UTF-8 text; save it as CSV UTF-8"]
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    except csv.Error as err:
        return [], [f"{path}: cannot be read as CSV: {err}"]
    records = [r for r in records if any(c.strip() for c in r)]
    if not records:
        return [], [f"{path}: is empty: expected the columns {', '.join(SOURCED_COLUMNS)}"]
    return records, []


def _coordinates(where: str, cell: dict[str, str], problems: list[str]) -> dict[str, float]:
    numbers: dict[str, float] = {}
    for name, limit in (("latitude", 90.0), ("longitude", 180.0)):
        value = cell.get(name, "")
        try:
            number = float(value)
        except ValueError:
            number = math.nan
        if not math.isfinite(number) or abs(number) > limit:
            problems.append(
                f"{where}, column {name}: {value!r} is not a number between -{limit:g} and {limit:g}"
            )
        else:
            numbers[name] = number
    return numbers


def _read_row(
    where: str, row: int, cell: dict[str, str], points: dict[str, SourcedPoint], problems: list[str]
) -> None:
    """Check one row; add its point to ``points`` when it has no problem."""
    office_id, url = cell.get("id", ""), cell.get("source_url", "")
    numbers = _coordinates(where, cell, problems)
    if not office_id:
        problems.append(f"{where}, column id: the id is empty")
    elif office_id in points:
        problems.append(f"{where}, column id: {office_id!r} is already given in row {points[office_id].row}")
    url_ok = URL_PATTERN.fullmatch(url) is not None
    if not url_ok:
        problems.append(
            f"{where}, column source_url: {url!r} is not an http(s) address; a sourced point "
            "needs the public page that establishes it"
        )
    if office_id and len(numbers) == 2 and url_ok and office_id not in points:
        points[office_id] = SourcedPoint(
            office_id, numbers["latitude"], numbers["longitude"], url, cell.get("note", ""), row
        )


def read_sourced(path: Path) -> tuple[dict[str, SourcedPoint], list[str]]:
    """The points of a sourced-coordinates file by office id, and its problems (file, row, column, value).

    Columns: ``id``, ``latitude``, ``longitude``, ``source_url`` (http(s)), ``note`` (free text, e.g.
    what the source says and which building it is).
    """
    records, problems = _records(path)
    if problems:
        return {}, problems
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
        cell = {name: cells[index].strip() for name, index in at.items()}
        _read_row(f"{path}, row {row}", row, cell, points, problems)
    return points, problems


def default_sourced_path(table: Path) -> Path:
    return table.parent / SOURCED_FILE_NAME


def sourced_updates(
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
    if not same_number(record.cells[lat_i], point.latitude):
        updates[lat_i] = format_coordinate(point.latitude)
    if not same_number(record.cells[lon_i], point.longitude):
        updates[lon_i] = format_coordinate(point.longitude)
    for name, value in (("geocode_precision", "building"), ("coordinate_source", point.source_url)):
        index = columns.get(name)
        if index is not None and record.cells[index].strip() != value:
            updates[index] = value
    return updates, None
