"""The one table reader: bytes -> decoded text, delimiter, header (checked column names) and rows.

Safe repairs (a byte-order mark, UTF-16, semicolon or tab delimiters, header case, empty nameless
columns at the end) are applied and reported as notes; anything else is a located problem.
"""

from __future__ import annotations

import codecs
import csv
import difflib
import io
import re
from dataclasses import dataclass

from geo.offices.cells import CONTROL_STRICT
from geo.offices.problems import Findings, limit_megabytes, megabytes, show
from geo.offices.schema import CONTRACT_COLUMNS, MAX_CELL_CHARS, REQUIRED_COLUMNS

# A column name is a label, not a text: longer than this is a paste gone wrong (or an attack on exports).
MAX_COLUMN_NAME_CHARS = 64

Row = tuple[int, list[str]]  # (spreadsheet row number, cells)


@dataclass(frozen=True)
class RawTable:
    """A table split into cells: the delimiter, the header's row number, its column names and the rows."""

    delimiter: str
    header_row: int
    names: list[str]
    rows: list[Row]


def column_key(cell: str) -> str:
    """A header cell as the column name it stands for (spaces, byte-order marks and case dropped)."""
    return cell.strip().strip("\ufeff").strip().lower()


def _guess_delimiter(header_line: str) -> str | None:
    """The delimiter a header line uses when it is not a comma, else None."""
    if header_line.count(",") == 0:
        if header_line.count(";") > 0:
            return ";"
        if header_line.count("\t") > 0:
            return "\t"
    return None


def first_line(text: str) -> str:
    """The first line that is not blank (the header), found without splitting the whole text."""
    match = re.search(r"[^\s][^\r\n]*", text)
    return match.group(0) if match else ""


def table_delimiter(text: str) -> str:
    """The delimiter of a decoded table, chosen from its header (its first line that is not blank)."""
    return _guess_delimiter(first_line(text)) or ","


def has_text(cells: list[str]) -> bool:
    return bool(cells) and bool(cells[0].strip() or "".join(cells).strip())


def column_name_problem(name: str) -> str | None:
    """Why a (normalised) header name cannot be a column name, or None; the name is quoted safely."""
    match = CONTROL_STRICT.search(name)
    if match:
        return f"contains the control character U+{ord(match.group(0)):04X} ({show(name, 40)})"
    if len(name) > MAX_COLUMN_NAME_CHARS:
        return f"has {len(name):,} characters; the limit is {MAX_COLUMN_NAME_CHARS} ({show(name, 30)})"
    return None


def locate(text: str, index: int) -> tuple[int, int, int | None, str | None]:
    """Line, character, spreadsheet row and column name of ``text[index]``, for messages about bytes."""
    prefix = text[:index]
    line = prefix.count("\n") + 1
    character = index - (prefix.rfind("\n") + 1) + 1
    delimiter = table_delimiter(prefix)
    try:
        # A sentinel ends the prefix so that the record holding ``index`` is always counted.
        records = list(csv.reader(io.StringIO(prefix + "\x01", newline=""), delimiter=delimiter))
    except csv.Error:
        return line, character, None, None
    row = len(records)
    column = None
    header = next((r for r in records[:-1] if has_text(r)), None)
    if header is not None and records[-1]:
        position = len(records[-1]) - 1
        if position < len(header):
            name = column_key(header[position])
            column = name if name and column_name_problem(name) is None else None
    return line, character, row, column


def refuse_utf16_without_bom(nuls: int, length: int, findings: Findings) -> None:
    """UTF-16 text of mostly ASCII characters has a NUL byte in every other byte."""
    if nuls * 3 > length:
        findings.refuse("looks like UTF-16 text without a byte-order mark; save the file as CSV UTF-8")


def decode(raw: bytes, findings: Findings) -> str:
    """The text of ``raw``: UTF-8 (a byte-order mark dropped) or UTF-16 with a byte-order mark."""
    if raw.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):  # before UTF-16: FF FE starts both
        findings.refuse("is UTF-32 text; save the file as CSV UTF-8 and try again")
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text = raw.decode("utf-16")
        except UnicodeDecodeError as err:
            findings.refuse(
                f"starts like UTF-16 but is not valid UTF-16 ({err.reason} at byte {err.start}); "
                "save the file as CSV UTF-8 and try again"
            )
        findings.notes.append("read the file as UTF-16 (it starts with a UTF-16 byte-order mark)")
        return text
    if raw.startswith(codecs.BOM_UTF8):
        findings.notes.append("removed a UTF-8 byte-order mark at the start of the file")
        raw = raw[len(codecs.BOM_UTF8) :]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as err:
        refuse_utf16_without_bom(raw[:200].count(b"\x00"), len(raw[:200]), findings)
        # Everything before the first bad byte is valid UTF-8, so it can be located exactly.
        line, character, row, column = locate(raw[: err.start].decode("utf-8"), err.start)
        findings.refuse(
            f"is not UTF-8 text: byte 0x{raw[err.start]:02X} at line {line}, character {character} "
            "(Latin-1 or Windows-1252?); save the file as CSV UTF-8 and try again",
            row=row,
            column=column,
        )


def _delimiter(header_line: str, findings: Findings) -> str:
    delimiter = _guess_delimiter(header_line)
    if delimiter == ";":
        findings.notes.append("read semicolons as the column delimiter")
    elif delimiter == "\t":
        findings.notes.append("read tabs as the column delimiter")
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


def split_rows(text: str, findings: Findings) -> tuple[str, int, list[str], list[Row]]:
    """Split the text into the delimiter, the header's row number, the header and (row, cells) pairs."""
    if "\x00" in text:
        refuse_utf16_without_bom(text[:200].count("\x00"), len(text[:200]), findings)
        line, character, row, column = locate(text, text.index("\x00"))
        findings.refuse(
            f"contains a NUL byte (line {line}, character {character}): this is not a text CSV file",
            row=row,
            column=column,
        )
    delimiter = _delimiter(first_line(text), findings)
    records: list[Row] = []
    csv_reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        # extend() keeps the records read before an error, so the failing record is len(records) + 1.
        records.extend(enumerate(csv_reader, start=1))
    except csv.Error as err:
        findings.refuse(_csv_error_message(str(err)), row=len(records) + 1)
    rows = [(n, cells) for n, cells in records if cells and (cells[0].strip() or "".join(cells).strip())]
    if not rows:
        findings.refuse("is empty: expected a header row with the columns " + ", ".join(REQUIRED_COLUMNS))
    header_row, header = rows[0]
    return delimiter, header_row, header, rows[1:]


def drop_empty_trailing_columns(
    header: list[str], rows: list[Row], findings: Findings
) -> tuple[list[str], list[Row]]:
    """Drop nameless columns at the end of the header that are empty in every row (spreadsheet residue)."""
    width = len(header)
    while width > 0 and not header[width - 1].strip():
        width -= 1
    if width == len(header) or width == 0:
        return header, rows
    if any(any(c.strip() for c in cells[width:]) for _, cells in rows if len(cells) <= len(header)):
        return header, rows
    dropped = len(header) - width
    findings.notes.append(f"ignored {dropped} empty column(s) without a name at the end of the header")
    trimmed = [(n, cells[:width] if width < len(cells) <= len(header) else cells) for n, cells in rows]
    return header[:width], trimmed


def misspelling_hint(column: str, names: list[str]) -> str:
    close = difflib.get_close_matches(column, [n for n in names if n not in CONTRACT_COLUMNS], n=1)
    return f" (is {close[0]!r} a misspelling of it?)" if close else ""


def header_names(header: list[str], header_row: int, findings: Findings) -> list[str]:
    """The column names of ``header`` (normalised); every unusable, repeated or missing name is a problem."""
    names = [column_key(cell) for cell in header]
    if names != header:
        findings.notes.append("trimmed spaces and lower-cased the column names")
    seen: set[str] = set()
    for index, name in enumerate(names):
        wrong = column_name_problem(name)
        if not name:
            findings.problem(f"the header's column {index + 1} has no name", row=header_row)
        elif wrong:
            findings.problem(f"the name of the header's column {index + 1} {wrong}", row=header_row)
        elif name in seen:
            findings.problem(f"the column {name!r} appears twice in the header", row=header_row, column=name)
        seen.add(name)
    for column in REQUIRED_COLUMNS:
        if column not in seen:
            findings.problem(
                f"the required column {column!r} is missing{misspelling_hint(column, names)}",
                row=header_row,
                column=column,
            )
    findings.fail_if_any()
    return names


def read_table(raw: bytes, findings: Findings, max_bytes: int) -> RawTable:
    """Decode and split ``raw``; refuse (OfficeTableError) a table too big, empty or without usable header."""
    if len(raw) > max_bytes:
        findings.refuse(f"is {megabytes(len(raw))}; the limit is {limit_megabytes(max_bytes)}")
    if not raw.strip():
        findings.refuse("is empty: expected a header row with the columns " + ", ".join(REQUIRED_COLUMNS))
    text = decode(raw, findings)
    delimiter, header_row, header, rows = split_rows(text, findings)
    header, rows = drop_empty_trailing_columns(header, rows, findings)
    names = header_names(header, header_row, findings)
    if not rows:
        findings.refuse("has a header but no office rows", row=header_row + 1)
    return RawTable(delimiter, header_row, names, rows)
