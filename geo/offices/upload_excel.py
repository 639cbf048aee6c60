"""An uploaded .xlsx workbook turned into CSV text, after checks that bound what reading it can cost.

Run inside the upload sandbox (:mod:`geo.offices.sandbox`), so memory and CPU are capped anyway; these
checks make the common hostile shapes fail fast with a message that says what is wrong (issue #17):

- the archive may unpack to at most :data:`MAX_UNPACKED_XLSX_BYTES` (a "zip bomb") and its shared
  strings to at most :data:`MAX_SHARED_STRINGS_BYTES` (no table bigger than the CSV limit fits in more);
- no part may carry a DOCTYPE (entity tricks; a real workbook never has one);
- the sheet's declared ``<dimension>`` and, while it is streamed, its real cells are held to
  :data:`MAX_SHEET_CELLS` cells and a rectangle of :data:`MAX_SHEET_SPAN` cells from A1 (two cells, A1 and
  XFD1048576, once made pandas pad 17 billion);
- Excel error cells (#DIV/0!, #N/A, #REF!) are problems with their sheet, row, column and value;
- the first *visible* sheet is read; hidden and very hidden sheets are skipped, and the notes say so.
"""

from __future__ import annotations

import csv
import io
import posixpath
import re
import xml.etree.ElementTree as ET  # parts are checked for DOCTYPEs first (no entities)
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, time
from xml.parsers import expat

from geo.offices.table import MAX_FILE_BYTES, MAX_PROBLEMS, OfficeTableError, Problem, column_key

MAX_UNPACKED_XLSX_BYTES = 100 * 1024 * 1024
MAX_SHARED_STRINGS_BYTES = MAX_FILE_BYTES
MAX_SHEET_CELLS = 500_000
MAX_SHEET_SPAN = 1_000_000
MAX_WORKBOOK_PART_BYTES = 5 * 1024 * 1024
_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_CELL_REF = re.compile(r"([A-Za-z]{1,3})?(\d{1,7})?")


@dataclass(frozen=True)
class Sheet:
    name: str
    state: str
    path: str


def _refuse(source: str, message: str, row: int | None = None, column: str | None = None) -> OfficeTableError:
    return OfficeTableError([Problem(source, message, row, column)])


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def column_number(letters: str) -> int:
    number = 0
    for letter in letters.upper():
        number = number * 26 + ord(letter) - 64
    return number


def column_letters(number: int) -> str:
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def open_workbook(raw: bytes, name: str) -> zipfile.ZipFile:
    """The archive, refused if it is not a ZIP or unpacks to too much."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
    except zipfile.BadZipFile:
        raise _refuse(
            name,
            "is not an Excel .xlsx workbook (an old .xls, or another file renamed?); save it as .xlsx or CSV",
        ) from None
    # Python's zipfile stops at each member's declared size (and then fails its CRC): the sizes bind.
    unpacked = sum(info.file_size for info in archive.infolist())
    if unpacked > MAX_UNPACKED_XLSX_BYTES:
        raise _refuse(name, f"unpacks to {_mb(unpacked)}; the limit is {MAX_UNPACKED_XLSX_BYTES // 1024**2} MB")
    for info in archive.infolist():
        if info.filename.lower().endswith("sharedstrings.xml") and info.file_size > MAX_SHARED_STRINGS_BYTES:
            raise _refuse(
                name,
                f"holds {_mb(info.file_size)} of text in its shared strings ({info.filename}); "
                f"the limit is {MAX_SHARED_STRINGS_BYTES // 1024**2} MB",
            )
    return archive


def _no_doctype(archive: zipfile.ZipFile, name: str) -> None:
    """Refuse any XML part with a DOCTYPE (a workbook never needs one; entities could expand)."""
    for info in archive.infolist():
        if not info.filename.lower().endswith((".xml", ".rels", ".vml")):
            continue
        parser = expat.ParserCreate()

        def doctype(*_args: object, part: str = info.filename) -> None:
            raise _refuse(name, f"has a DOCTYPE in {part}; Excel never writes one, so it is not read")

        parser.StartDoctypeDeclHandler = doctype
        try:
            with archive.open(info) as part:
                parser.ParseFile(part)
        except expat.ExpatError as err:
            raise _refuse(name, f"cannot be read as an Excel workbook ({info.filename}: {err})") from None


def _part(archive: zipfile.ZipFile, path: str, name: str) -> ET.Element:
    try:
        info = archive.getinfo(path)
    except KeyError:
        raise _refuse(name, f"cannot be read as an Excel workbook (it has no {path})") from None
    if info.file_size > MAX_WORKBOOK_PART_BYTES:
        raise _refuse(name, f"has a {path} of {_mb(info.file_size)}; the limit is {_mb(MAX_WORKBOOK_PART_BYTES)}")
    try:
        return ET.fromstring(archive.read(info))  # noqa: S314 - no DOCTYPE (checked first), size bounded
    except ET.ParseError as err:
        raise _refuse(name, f"cannot be read as an Excel workbook ({path}: {err})") from None


def list_sheets(archive: zipfile.ZipFile, name: str) -> list[Sheet]:
    """The workbook's sheets in order, with their state and the archive path of their XML."""
    _no_doctype(archive, name)
    workbook = _part(archive, "xl/workbook.xml", name)
    rels = _part(archive, "xl/_rels/workbook.xml.rels", name)
    targets = {r.get("Id"): r.get("Target", "") for r in rels.iter(f"{_PKG_REL}Relationship")}
    sheets = []
    for element in workbook.iter(f"{_MAIN}sheet"):
        target = targets.get(element.get(f"{_REL}id"), "")
        path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
        sheets.append(Sheet(element.get("name", ""), element.get("state", "visible"), path))
    if not sheets:
        raise _refuse(name, "has no sheets")
    return sheets


def choose_sheet(sheets: list[Sheet], name: str) -> tuple[Sheet, list[str]]:
    """The first visible sheet, and notes naming it and the sheets skipped."""
    visible = [s for s in sheets if s.state not in ("hidden", "veryHidden")]
    if not visible:
        raise _refuse(name, "has no visible sheet (every sheet is hidden); unhide the one with the offices")
    chosen = visible[0]
    hidden = [s.name for s in sheets if s not in visible]
    others = [s.name for s in visible[1:]]
    notes = []
    if hidden:
        notes.append(
            f"read the sheet {chosen.name!r}, the first visible one; skipped the hidden sheet(s) "
            + ", ".join(repr(s) for s in hidden)
        )
    if others:
        first = "read the first sheet" if not hidden else "read the sheet"
        notes.append(f"{first} {chosen.name!r}; ignored the other sheets ({', '.join(repr(s) for s in others)})")
    return chosen, notes


class _Extent:
    """Streams a sheet's XML: counts its cells and finds the last row and column, within the limits."""

    def __init__(self, source: str):
        self.source = source
        self.cells = 0
        self.row = 0
        self.column = 0
        self.max_row = 0
        self.max_column = 0

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        local = tag.rpartition(":")[2]
        if local == "c":
            self._cell(attrs.get("r"))
        elif local == "row":
            self.row = int(attrs["r"]) if attrs.get("r", "").isdigit() else self.row + 1
            self.column = 0
        elif local == "dimension":
            self._dimension(attrs.get("ref", ""))

    def _cell(self, ref: str | None) -> None:
        self.cells += 1
        match = _CELL_REF.fullmatch(ref or "")
        if match and match.group(1):
            self.column = column_number(match.group(1))
        else:
            self.column += 1
        if match and match.group(2):
            self.row = int(match.group(2))
        self.max_row = max(self.max_row, self.row)
        self.max_column = max(self.max_column, self.column)
        if self.cells > MAX_SHEET_CELLS:
            raise _refuse(self.source, f"has more than {MAX_SHEET_CELLS:,} cells; the limit for a sheet is that")
        if self.max_row * self.max_column > MAX_SHEET_SPAN:
            self._too_wide("has cells up to")

    def _dimension(self, ref: str) -> None:
        last = ref.rpartition(":")[2]
        match = _CELL_REF.fullmatch(last)
        if match and match.group(1) and match.group(2):
            rows, columns = int(match.group(2)), column_number(match.group(1))
            if rows * columns > MAX_SHEET_SPAN:
                self._too_wide("declares its size as", rows, columns)

    def _too_wide(self, verb: str, rows: int | None = None, columns: int | None = None) -> None:
        rows, columns = rows or self.max_row, columns or self.max_column
        raise _refuse(
            self.source,
            f"{verb} {column_letters(columns)}{rows} ({rows:,} rows × {columns:,} columns = "
            f"{rows * columns:,} cells from A1); the limit is {MAX_SHEET_SPAN:,}: delete the far cells "
            "or copy the table to a new sheet",
        )


def sheet_extent(archive: zipfile.ZipFile, sheet: Sheet, source: str) -> tuple[int, int]:
    """(last row, last column) of the sheet's cells, refusing a sheet too big to read."""
    extent = _Extent(source)
    parser = expat.ParserCreate()
    parser.StartElementHandler = extent.start
    try:
        with archive.open(sheet.path) as part:
            parser.ParseFile(part)
    except KeyError:
        raise _refuse(source, f"cannot be read as an Excel workbook (it has no {sheet.path})") from None
    except expat.ExpatError as err:
        raise _refuse(source, f"cannot be read as an Excel workbook ({sheet.path}: {err})") from None
    return extent.max_row, extent.max_column


def cell_text(value: object) -> str:
    """A cell as the CSV would hold it: whole numbers without ".0", dates in ISO form."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date | time):
        return value.isoformat(sep=" ") if isinstance(value, datetime) else value.isoformat()
    return str(value)


def _error_problems(errors: list[tuple[int, int, str]], rows: list[list[str]], source: str) -> list[Problem]:
    """Located problems for Excel error cells; the column is named by the header row when it has a name."""
    header = next((r for r in rows if any(v.strip() for v in r)), [])
    problems = []
    for row, column, value in errors[:MAX_PROBLEMS]:
        named = header[column - 1].strip() if column <= len(header) else ""
        ref = f"{column_letters(column)}{row}"
        problems.append(
            Problem(
                source,
                f"cell {ref} holds the Excel error {value!r} (a formula that failed, or an error typed in); "
                "put the value itself in the cell, or leave it empty",
                row,
                column_key(named) if named else column_letters(column),
            )
        )
    if len(errors) > MAX_PROBLEMS:
        problems.append(Problem(source, f"and {len(errors) - MAX_PROBLEMS:,} more Excel error cells"))
    return problems


def _read_cells(raw: bytes, sheet: Sheet, extent: tuple[int, int], source: str) -> list[list[str]]:
    """Every row of the sheet up to its last cell, as text; Excel error cells become problems."""
    import openpyxl  # imported here: only the sandboxed child reads workbooks

    last_row, last_column = extent
    try:
        book = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True, keep_links=False)
    except Exception as err:  # openpyxl raises many kinds of error on a damaged workbook
        raise _refuse(source, f"cannot be read as an Excel workbook ({type(err).__name__}: {err})") from err
    rows: list[list[str]] = []
    errors: list[tuple[int, int, str]] = []
    size = 0
    try:
        cells = book[sheet.name].iter_rows(min_row=1, max_row=last_row, min_col=1, max_col=last_column)
        for number, row in enumerate(cells, start=1):
            texts = []
            for column, cell in enumerate(row, start=1):
                if getattr(cell, "data_type", None) == "e":
                    errors.append((number, column, str(cell.value)))
                    texts.append("")
                    continue
                text = cell_text(cell.value)
                size += len(text) + 1
                texts.append(text)
            rows.append(texts)
            if size > MAX_FILE_BYTES:
                raise _refuse(source, f"holds more than {_mb(MAX_FILE_BYTES)} of text; the limit is that")
    except OfficeTableError:
        raise
    except Exception as err:
        raise _refuse(source, f"cannot be read as an Excel workbook ({type(err).__name__}: {err})") from err
    finally:
        book.close()
    if errors:
        raise OfficeTableError(_error_problems(errors, rows, source))
    return rows


def excel_to_csv(raw: bytes, name: str) -> tuple[bytes, str, list[str]]:
    """The first visible sheet as CSV bytes whose record numbers are the sheet's row numbers."""
    with open_workbook(raw, name) as archive:
        sheet, notes = choose_sheet(list_sheets(archive, name), name)
        source = f"{name} (sheet {sheet.name!r})"
        extent = sheet_extent(archive, sheet, source)
    if extent[0] == 0:
        raise _refuse(source, "is empty: expected a header row with the office table's columns")
    rows = _read_cells(raw, sheet, extent, source)
    filled = [any(row[c].strip() for row in rows) for c in range(extent[1])]
    if not all(filled):
        notes.append(f"ignored {filled.count(False)} empty column(s) of the sheet")
        keep = [c for c, f in enumerate(filled) if f]
        rows = [[row[c] for c in keep] for row in rows]
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue().encode("utf-8"), source, notes
