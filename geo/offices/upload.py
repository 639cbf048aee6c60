"""A user's own office table, uploaded as CSV or Excel: validated, and placed on the map where it can be.

The same rules as for data/offices.csv apply (see :mod:`geo.offices.table`), except that coordinates may be
missing: such offices are placed at their city's centre from the offline gazetteer (precision
"city"). Offices that cannot be placed are listed, with their spreadsheet row and the reason, and
left off the map. Nothing here imports Streamlit.

The file is read and validated in a separate, limited process (:mod:`geo.offices.sandbox`: memory, CPU
time, wall-clock time, output size), so one upload can never take the server from the other sessions
(issue #17); a workbook is checked before it is read (:mod:`geo.offices.upload_excel`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import PurePath

import pandas as pd

from geo.geocoding.gazetteer import country_code_of, lookup_city
from geo.offices.sandbox import Cost, Limits, SandboxLimit, run_limited
from geo.offices.table import MAX_FILE_BYTES, OfficeTableError, Problem, parse_offices
from geo.offices.upload_excel import MAX_UNPACKED_XLSX_BYTES, excel_to_csv

# The one home of the upload limit. Streamlit's uploader counts a megabyte as 1,000,000 bytes in the
# browser (as 1,048,576 only in browsers on Windows, and on the server), so the limit is whole SI
# megabytes: pass ``max_upload_size=UPLOAD_LIMIT_MB`` to st.file_uploader (or set server.maxUploadSize
# to it) and the browser, the server and this module agree to the byte.
UPLOAD_LIMIT_MB = 5
MAX_UPLOAD_BYTES = UPLOAD_LIMIT_MB * 1_000_000
# The one list of what an upload may be; UPLOAD_TYPES is the same without dots, for st.file_uploader.
CSV_EXTENSIONS = (".csv", ".tsv", ".txt")
EXCEL_EXTENSIONS = (".xlsx", ".xlsm")
UPLOAD_TYPES = tuple(e.lstrip(".") for e in CSV_EXTENSIONS + EXCEL_EXTENSIONS)
ZIP_MAGIC = b"PK\x03\x04"
UNPLACED_COLUMNS = ("row", "id", "name", "city", "country", "country_code", "reason")
MAX_ROWS_IN_NOTE = 10
# What reading one upload may cost the server (see geo.offices.sandbox).
UPLOAD_LIMITS = Limits(memory_bytes=1024**3, cpu_seconds=20, wall_seconds=60.0, max_output_bytes=256 * 1024**2)
# Uploads read at once by one server (the others wait their turn, within the wall-clock limit): with
# two, the worst case is 2 GiB and two cores' worth of children, whatever the number of sessions.
MAX_PARALLEL_READS = 2
_READ_SLOTS = threading.BoundedSemaphore(MAX_PARALLEL_READS)

Progress = Callable[[int, int], None]
__all__ = [
    "CSV_EXTENSIONS", "EXCEL_EXTENSIONS", "MAX_UNPACKED_XLSX_BYTES", "MAX_UPLOAD_BYTES", "UNPLACED_COLUMNS",
    "UPLOAD_LIMIT_MB", "UPLOAD_TYPES", "UploadResult", "read_upload",
]


@dataclass
class UploadResult:
    """What became of an uploaded table.

    ``offices`` has the columns of :func:`geo.offices.table.parse_offices` (extra columns kept) and only
    offices with coordinates. ``unplaced`` lists the offices left out, one row each with its
    spreadsheet ``row`` number and a ``reason``. ``notes`` lists every repair and assumption.
    ``cost`` is what reading the file cost its child process (peak memory, CPU time, wall time).
    """

    offices: pd.DataFrame
    unplaced: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    source: str = ""
    cost: Cost | None = None


def _refuse(source: str, message: str) -> OfficeTableError:
    return OfficeTableError([Problem(source, message)])


def _megabytes(size: float) -> str:
    return f"{size / 1_000_000:.1f} MB"


def _rows_text(rows: list[int]) -> str:
    shown = ", ".join(str(r) for r in rows[:MAX_ROWS_IN_NOTE])
    return shown + (f" and {len(rows) - MAX_ROWS_IN_NOTE} more" if len(rows) > MAX_ROWS_IN_NOTE else "")


def _unsupported(extension: str) -> str:
    accepted = ", ".join(CSV_EXTENSIONS + EXCEL_EXTENSIONS)
    shown = f"{extension!r} files" if extension else "files without an extension"
    return f"cannot be read: {shown} are not supported (use one of {accepted})"


def _parse(name: str, raw: bytes, max_bytes: int) -> tuple[pd.DataFrame, list[str], str]:
    extension = PurePath(name).suffix.lower()
    if extension in EXCEL_EXTENSIONS:
        text, source, notes = excel_to_csv(raw, name)
        limit = MAX_FILE_BYTES
    else:
        if raw.startswith(ZIP_MAGIC):
            raise _refuse(name, "is a ZIP file (an Excel workbook?), not CSV text; upload it as .xlsx")
        source, text, notes, limit = name, raw, [], max_bytes
    frame = parse_offices(text, source, require_coordinates=False, max_bytes=limit, row_index=True)
    return frame, notes + list(frame.attrs.get("notes", [])), source


def parse_in_child(name: str, raw: bytes, max_bytes: int) -> tuple:
    """Run in the sandbox: ("ok", frame, notes, source) or ("refused", problems)."""
    try:
        return ("ok", *_parse(name, raw, max_bytes))
    except OfficeTableError as err:
        return ("refused", err.problems)


def _limit_message(limit: SandboxLimit) -> str:
    limits = limit.limits
    smaller = "save a smaller table, or the table alone as CSV"
    if limit.kind == "memory":
        return f"needs more than {limits.memory_bytes / 1024**3:g} GiB of memory to read, the limit for an upload; {smaller}"
    if limit.kind == "cpu":
        return f"needs more than {limits.cpu_seconds} s of processor time to read, the limit for an upload; {smaller}"
    if limit.kind == "wall":
        return (f"was not read within {limits.wall_seconds:g} s (the file is too complex, or the server is "
                "busy); try again, or " + smaller)
    if limit.kind == "output":
        return f"makes a table of more than {_megabytes(limits.max_output_bytes)}, the limit for an upload; {smaller}"
    return f"cannot be read: the reader stopped before it finished ({limit.detail})"


def _parse_limited(filename: str, raw: bytes, max_bytes: int) -> tuple[pd.DataFrame, list[str], str, Cost]:
    """Check size and kind here, then read and validate in the sandbox."""
    name = PurePath(filename).name or "upload"
    if len(raw) > max_bytes:
        raise _refuse(name, f"is {_megabytes(len(raw))}; the limit for an upload is {max_bytes / 1_000_000:g} MB")
    extension = PurePath(name).suffix.lower()
    if extension not in CSV_EXTENSIONS + EXCEL_EXTENSIONS:
        raise _refuse(name, _unsupported(extension))
    if not _READ_SLOTS.acquire(timeout=UPLOAD_LIMITS.wall_seconds):
        raise _refuse(name, f"was not read: the server was busy reading other uploads for "
                            f"{UPLOAD_LIMITS.wall_seconds:g} s; try again in a minute")
    try:
        answer, cost = run_limited(
            parse_in_child, (name, raw, max_bytes), UPLOAD_LIMITS, preload=[__name__, "geo.offices.upload_warm"]
        )
    except SandboxLimit as limit:
        raise _refuse(name, _limit_message(limit)) from None
    finally:
        _READ_SLOTS.release()
    if answer[0] == "refused":
        raise OfficeTableError(answer[1])
    _, frame, notes, source = answer
    return frame, notes, source, cost


@dataclass
class _Placement:
    """Offices without coordinates, each placed from the gazetteer or given a reason."""

    rows: list[int] = field(default_factory=list)
    latitudes: list[float] = field(default_factory=list)
    longitudes: list[float] = field(default_factory=list)
    codes: list[str] = field(default_factory=list)
    timezones: list[str] = field(default_factory=list)
    unplaced: list[dict[str, object]] = field(default_factory=list)
    derived: list[tuple[str, str]] = field(default_factory=list)


def _place_one(found: _Placement, row: int, office: dict[str, str], lookups: dict) -> None:
    city, code, country = office["city"], office["country_code"], office["country"]
    reason = ""
    if not code and country:
        code = country_code_of(country)
        if code:
            found.derived.append((country, code))
    if not city:
        reason = "no coordinates and no city to place it by"
    elif not code:
        reason = f"no coordinates, and no country code for {city!r} (country {country!r} is not recognised)"
        if not country:
            reason = f"no coordinates, and no country or country code for {city!r}"
    else:
        key = (city, code)
        if key not in lookups:
            lookups[key] = lookup_city(city, code)
        place = lookups[key]
        if place is None:
            reason = (
                f"no coordinates, and {city!r} is not in the offline gazetteer for {code} "
                "(cities of 15,000 people or more); add latitude and longitude"
            )
        else:
            found.rows.append(row)
            found.latitudes.append(place.latitude)
            found.longitudes.append(place.longitude)
            found.codes.append(code)
            found.timezones.append(office["timezone"] or place.timezone)
    if reason:
        found.unplaced.append({"row": row, "id": office["id"], "name": office["name"], "city": city,
                               "country": country, "country_code": code, "reason": reason})


def _place(frame: pd.DataFrame, progress: Progress | None) -> _Placement:
    """Look up every office without coordinates, then set each column once (not one cell at a time)."""
    missing = frame.loc[frame["latitude"].isna() & frame["longitude"].isna(),
                        ["id", "name", "city", "country", "country_code", "timezone"]]
    total = len(missing)
    found = _Placement()
    if total and progress is not None:
        progress(0, total)
    step = max(1, total // 100)  # at most about a hundred progress updates
    lookups: dict = {}
    for done, (row, office) in enumerate(zip(missing.index, missing.to_dict("records"), strict=True), start=1):
        _place_one(found, int(row), office, lookups)
        if progress is not None and (done % step == 0 or done == total):
            progress(done, total)
    if found.rows:
        rows = pd.Index(found.rows)
        frame.loc[rows, "latitude"] = found.latitudes
        frame.loc[rows, "longitude"] = found.longitudes
        frame.loc[rows, "geocode_precision"] = "city"
        frame.loc[rows, "country_code"] = found.codes
        frame.loc[rows, "timezone"] = found.timezones
    return found


def _unplaced_frame(unplaced: list[dict[str, object]]) -> pd.DataFrame:
    frame = pd.DataFrame(unplaced, columns=list(UNPLACED_COLUMNS))
    frame["row"] = frame["row"].astype("int64")
    for column in UNPLACED_COLUMNS[1:]:
        frame[column] = frame[column].astype("str")
    return frame


def read_upload(
    filename: str, raw: bytes, *, max_bytes: int = MAX_UPLOAD_BYTES, progress: Progress | None = None
) -> UploadResult:
    """Validate a user's table (CSV or .xlsx) and place offices without coordinates at their city.

    Raises :class:`geo.offices.table.OfficeTableError` (each problem with its sheet row and column) when
    the table cannot be used at all, or reading it went over a limit. ``progress(done, total)`` is
    called while cities are looked up.
    """
    frame, notes, source, cost = _parse_limited(filename, bytes(raw), max_bytes)
    if frame.attrs.get("extra_columns"):
        notes.append("kept the extra columns " + ", ".join(repr(c) for c in frame.attrs["extra_columns"]))
    found = _place(frame, progress)
    if found.rows:
        notes.append(
            f"placed {len(found.rows)} office(s) without coordinates at their city's centre from the offline "
            f"gazetteer (precision 'city'; time zone filled in where empty): rows {_rows_text(found.rows)}"
        )
    if found.derived:
        country, code = found.derived[0]
        notes.append(f"took country codes from country names (e.g. {country!r} -> {code!r})")
    left_out = [int(u["row"]) for u in found.unplaced]
    if left_out:
        notes.append(f"left out {len(left_out)} office(s) that could not be placed: rows {_rows_text(left_out)}")
    offices = frame.drop(index=left_out).reset_index(drop=True)
    offices.attrs = {**frame.attrs, "notes": notes}
    return UploadResult(offices, _unplaced_frame(found.unplaced), notes, source, cost)
