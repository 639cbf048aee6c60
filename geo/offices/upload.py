"""A user's own office table, uploaded as CSV or Excel: validated, and placed on the map where it can be.

The same rules as for data/offices.csv apply (see :mod:`geo.offices.table`), except that coordinates may be
missing: such offices are placed at their city's centre from the offline gazetteer (precision
"city"). Offices that cannot be placed are listed, with their spreadsheet row and the reason, and
left off the map. Nothing here imports Streamlit.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import PurePath

import pandas as pd

from geo.geocoding.gazetteer import country_code_of, lookup_city
from geo.offices.table import MAX_FILE_BYTES, OfficeTableError, Problem, parse_offices

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
# An .xlsx is a ZIP archive: refuse one that would unpack to more than this (a "zip bomb").
MAX_UNPACKED_XLSX_BYTES = 100 * 1024 * 1024
CSV_EXTENSIONS = (".csv", ".tsv", ".txt")
EXCEL_EXTENSIONS = (".xlsx", ".xlsm")
ZIP_MAGIC = b"PK\x03\x04"
UNPLACED_COLUMNS = ("row", "id", "name", "city", "country", "country_code", "reason")
MAX_ROWS_IN_NOTE = 10

Progress = Callable[[int, int], None]


@dataclass
class UploadResult:
    """What became of an uploaded table.

    ``offices`` has the columns of :func:`geo.offices.table.parse_offices` (extra columns kept) and only
    offices with coordinates. ``unplaced`` lists the offices left out, one row each with its
    spreadsheet ``row`` number and a ``reason``. ``notes`` lists every repair and assumption.
    """

    offices: pd.DataFrame
    unplaced: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    source: str = ""


def _refuse(source: str, message: str) -> OfficeTableError:
    return OfficeTableError([Problem(source, message)])


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def _rows_text(rows: list[int]) -> str:
    shown = ", ".join(str(r) for r in rows[:MAX_ROWS_IN_NOTE])
    return shown + (f" and {len(rows) - MAX_ROWS_IN_NOTE} more" if len(rows) > MAX_ROWS_IN_NOTE else "")


def _excel_to_csv(raw: bytes, name: str) -> tuple[bytes, str, list[str]]:
    """The first sheet as CSV bytes whose record numbers are the sheet's row numbers."""
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile:
        raise _refuse(
            name,
            "is not an Excel .xlsx workbook (an old .xls, or another file renamed?); save it as .xlsx or CSV",
        ) from None
    if unpacked > MAX_UNPACKED_XLSX_BYTES:
        raise _refuse(
            name,
            f"unpacks to {_megabytes(unpacked)}; the limit is {MAX_UNPACKED_XLSX_BYTES // (1024 * 1024)} MB",
        )
    try:
        with pd.ExcelFile(io.BytesIO(raw), engine="openpyxl") as workbook:
            sheets = list(workbook.sheet_names)
            if not sheets:
                raise _refuse(name, "has no sheets")
            # header=None keeps every row, blank ones included, so row i of the frame is sheet row i + 1.
            sheet = pd.read_excel(
                workbook, sheet_name=sheets[0], header=None, dtype=str, keep_default_na=False, na_filter=False
            )
    except OfficeTableError:
        raise
    except Exception as err:  # openpyxl raises many kinds of error on a damaged workbook
        raise _refuse(name, f"cannot be read as an Excel workbook ({type(err).__name__}: {err})") from err
    source = f"{name} (sheet {sheets[0]!r})"
    notes = []
    if len(sheets) > 1:
        others = ", ".join(repr(s) for s in sheets[1:])
        notes.append(f"read the first sheet {sheets[0]!r}; ignored the other sheets ({others})")
    sheet = sheet.astype(str)
    filled = (sheet.map(str.strip) != "").any(axis=0) if len(sheet) else pd.Series(dtype=bool)
    if len(filled) and not filled.all():
        notes.append(f"ignored {int((~filled).sum())} empty column(s) of the sheet")
        sheet = sheet.loc[:, filled]
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(sheet.itertuples(index=False, name=None))
    return out.getvalue().encode("utf-8"), source, notes


def _parse(filename: str, raw: bytes, max_bytes: int) -> tuple[pd.DataFrame, list[str], str]:
    name = PurePath(filename).name or "upload"
    if len(raw) > max_bytes:
        raise _refuse(
            name, f"is {_megabytes(len(raw))}; the limit for an upload is {max_bytes / (1024 * 1024):g} MB"
        )
    extension = PurePath(name).suffix.lower()
    if extension in CSV_EXTENSIONS:
        if raw.startswith(ZIP_MAGIC):
            raise _refuse(name, "is a ZIP file (an Excel workbook?), not CSV text; upload it as .xlsx")
        source, text, notes = name, raw, []
        limit = max_bytes
    elif extension in EXCEL_EXTENSIONS:
        text, source, notes = _excel_to_csv(raw, name)
        limit = MAX_FILE_BYTES
    else:
        accepted = ", ".join(CSV_EXTENSIONS + EXCEL_EXTENSIONS)
        shown = f"{extension!r} files" if extension else "files without an extension"
        raise _refuse(name, f"cannot be read: {shown} are not supported (use one of {accepted})")
    frame = parse_offices(text, source, require_coordinates=False, max_bytes=limit, row_index=True)
    return frame, notes + list(frame.attrs.get("notes", [])), source


def read_upload(
    filename: str, raw: bytes, *, max_bytes: int = MAX_UPLOAD_BYTES, progress: Progress | None = None
) -> UploadResult:
    """Validate a user's table (CSV or .xlsx) and place offices without coordinates at their city.

    Raises :class:`geo.offices.table.OfficeTableError` (each problem with its sheet row and column) when
    the table cannot be used at all. ``progress(done, total)`` is called while cities are looked up.
    """
    frame, notes, source = _parse(filename, bytes(raw), max_bytes)
    if frame.attrs.get("extra_columns"):
        notes.append("kept the extra columns " + ", ".join(repr(c) for c in frame.attrs["extra_columns"]))

    missing = frame.index[frame["latitude"].isna() & frame["longitude"].isna()].tolist()
    total = len(missing)
    placed_rows: list[int] = []
    unplaced: list[dict[str, object]] = []
    derived: list[tuple[str, str]] = []
    if total and progress is not None:
        progress(0, total)
    for done, row in enumerate(missing, start=1):
        office = frame.loc[row]
        city, code, country = office["city"], office["country_code"], office["country"]
        reason = ""
        if not code and country:
            code = country_code_of(country)
            if code:
                derived.append((country, code))
        if not city:
            reason = "no coordinates and no city to place it by"
        elif not code:
            reason = (
                f"no coordinates, and no country code for {city!r} (country {country!r} is not recognised)"
            )
            if not country:
                reason = f"no coordinates, and no country or country code for {city!r}"
        else:
            place = lookup_city(city, code)
            if place is None:
                reason = (
                    f"no coordinates, and {city!r} is not in the offline gazetteer for {code} "
                    "(cities of 15,000 people or more); add latitude and longitude"
                )
            else:
                frame.loc[row, ["latitude", "longitude"]] = [place.latitude, place.longitude]
                frame.loc[row, "geocode_precision"] = "city"
                frame.loc[row, "country_code"] = code
                if not office["timezone"]:
                    frame.loc[row, "timezone"] = place.timezone
                placed_rows.append(int(row))
        if reason:
            unplaced.append(
                {
                    "row": int(row),
                    "id": office["id"],
                    "name": office["name"],
                    "city": city,
                    "country": country,
                    "country_code": code,
                    "reason": reason,
                }
            )
        if progress is not None:
            progress(done, total)

    if placed_rows:
        notes.append(
            f"placed {len(placed_rows)} office(s) without coordinates at their city's centre from the offline "
            f"gazetteer (precision 'city'; time zone filled in where empty): rows {_rows_text(placed_rows)}"
        )
    if derived:
        country, code = derived[0]
        notes.append(f"took country codes from country names (e.g. {country!r} -> {code!r})")
    if unplaced:
        rows = [int(u["row"]) for u in unplaced]
        notes.append(f"left out {len(unplaced)} office(s) that could not be placed: rows {_rows_text(rows)}")

    left_out = [u["row"] for u in unplaced]
    offices = frame.drop(index=left_out).reset_index(drop=True)
    offices.attrs = {**frame.attrs, "notes": notes}
    unplaced_frame = pd.DataFrame(unplaced, columns=list(UNPLACED_COLUMNS))
    unplaced_frame["row"] = unplaced_frame["row"].astype("int64")
    for column in UNPLACED_COLUMNS[1:]:
        unplaced_frame[column] = unplaced_frame[column].astype("str")
    return UploadResult(offices, unplaced_frame, notes, source)
