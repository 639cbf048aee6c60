"""An office table kept byte for byte: split into records with their exact text, so that the
geocoder can change a few cells and write every other byte back as it was."""

from __future__ import annotations

import codecs
import csv
import io
import math
from dataclasses import dataclass, field

from geo.offices.table import column_key, table_delimiter

COORDINATE_DECIMALS = 5  # about a metre


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


def same_number(text: str, value: float) -> bool:
    try:
        old = float(text.strip().replace("\u2212", "-"))
    except ValueError:
        return False
    return math.isfinite(old) and round(old, COORDINATE_DECIMALS) == round(value, COORDINATE_DECIMALS)
