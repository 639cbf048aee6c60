"""The office table as a download (CSV), and the record helpers every export shares.

Every export is a pure function of an office DataFrame as :func:`geo.offices.table.load_offices` returns
it, possibly filtered, possibly localised (the ``<field>_en`` columns :func:`geo.offices.localise.localise`
adds are never exported) and possibly with rows that have no coordinates (NaN).

Text from the table is data, never a formula: CSV cells that a spreadsheet would run are prefixed
with ``'`` (OWASP CSV injection).

A table's ``attrs`` are taken off once, at the start (:func:`bare`): pandas deep-copies ``attrs`` into
every column it hands out, and an uploaded table's ``attrs`` list every extra column's name, so a
table of 10,000 extra columns cost a deep copy of 10,000 names per column (about a minute per export).
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Mapping
from datetime import date

import pandas as pd

from geo.maps.styles import TYPE_STYLES
from geo.offices.countries import served_names_text
from geo.offices.localise import TRANSLATED_FIELDS
from geo.offices.schema import CONTRACT_COLUMNS, OfficeType

DEFAULT_TITLE = "INTERPOL General Secretariat offices"  # callers pass the title in the reader's language
COORDINATE_DECIMALS = 6
COORDINATES = ("latitude", "longitude")
# The CSV and GeoJSON name the countries of serves_countries (CLDR, the reader's language) in this
# column, right after the codes. It is derived: a column of that name in an uploaded table is replaced.
SERVED_NAMES = "serves_country_names"
_CONTRACT = frozenset(CONTRACT_COLUMNS)
_LOCALISED_COPIES = frozenset(f"{column}_en" for column in TRANSLATED_FIELDS)
# OWASP: a cell starting with one of these (after blanks) is read as a formula by spreadsheets.
_FORMULA_START = re.compile("^[ \u00a0]*[=+\\-@\t\r]")
_NAME_PART = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def export_filename(kind: str, ext: str, today: date | None = None) -> str:
    """A download name such as ``interpol-gs-offices-2026-11-27.csv`` (``kind`` and ``ext`` are constants)."""
    ext = ext.lstrip(".")
    if not _NAME_PART.fullmatch(kind) or not _NAME_PART.fullmatch(ext):
        raise ValueError(f"kind and ext must be lowercase words joined by '-', got {kind!r} and {ext!r}")
    return f"interpol-gs-{kind}-{(today or date.today()).isoformat()}.{ext}"


def bare(offices: pd.DataFrame) -> pd.DataFrame:
    """``offices`` (a shallow copy, no data copied) without its ``attrs``, so that taking a column
    from it copies nothing else (pandas deep-copies ``attrs`` into every Series it returns)."""
    frame = offices.copy(deep=False)
    frame.attrs = {}
    return frame


def export_columns(offices: pd.DataFrame, *, served_names: bool = False) -> list[str]:
    """The columns an export writes: the contract columns in schema order, then the table's extra ones.

    Left out: the English copies ``<field>_en`` that :func:`geo.offices.localise.localise` adds, and private
    working columns whose name starts with ``_``. With ``served_names``, :data:`SERVED_NAMES` comes
    right after ``serves_countries`` (see :func:`with_served_names`).
    """
    columns = list(CONTRACT_COLUMNS)
    if served_names:
        columns.insert(columns.index("serves_countries") + 1, SERVED_NAMES)
    extra = [
        c for c in offices.columns
        if c not in _CONTRACT and c not in _LOCALISED_COPIES and not str(c).startswith("_")
        and not (served_names and c == SERVED_NAMES)
    ]
    return columns + extra


def with_served_names(offices: pd.DataFrame, lang: str) -> pd.DataFrame:
    """A :func:`bare` copy of ``offices`` with :data:`SERVED_NAMES`: the CLDR names in ``lang`` of each
    row's ``serves_countries``, "; "-separated in the codes' order ("" where none are listed)."""
    frame = bare(offices)
    frame[SERVED_NAMES] = [served_names_text(cell, lang) for cell in column(frame, "serves_countries").tolist()]
    return frame


def column(frame: pd.DataFrame, name: str) -> pd.Series:
    """The column ``name`` of ``frame`` (give it a :func:`bare` frame), or NaN when it is absent."""
    if name in frame.columns:
        return frame[name]
    return pd.Series([math.nan] * len(frame), index=frame.index, dtype="float64")


def plain(value: object) -> object:
    """A cell as a JSON value: None for missing, int/float for numbers, str for the rest."""
    if value is None or (not isinstance(value, str) and pd.api.types.is_scalar(value) and pd.isna(value)):
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) or pd.api.types.is_number(value):
        number = float(value)
        return int(number) if pd.api.types.is_integer(value) else number
    return str(value)


def records(
    offices: pd.DataFrame, columns: list[str] | None = None, *, lang: str | None = None
) -> list[dict[str, object]]:
    """One dict per office of ``columns`` (default :func:`export_columns`), values as :func:`plain` gives them.

    With ``lang``, the default columns include :data:`SERVED_NAMES` in that language."""
    frame = bare(offices) if lang is None else with_served_names(offices, lang)
    columns = export_columns(frame, served_names=lang is not None) if columns is None else columns
    data = {c: [plain(v) for v in column(frame, c).tolist()] for c in columns}
    return [{c: data[c][i] for c in columns} for i in range(len(frame))]


def format_coordinate(value: float) -> str:
    text = f"{value:.{COORDINATE_DECIMALS}f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def is_placed(record: Mapping[str, object]) -> bool:
    lat, lon = record.get("latitude"), record.get("longitude")
    return isinstance(lat, float | int) and isinstance(lon, float | int) and math.isfinite(lat + lon)


def type_label(office_type: str, type_labels: Mapping[str, str] | None) -> str:
    """The caller's label for the type, else the schema's English one, else the value itself."""
    if type_labels and office_type in type_labels:
        return type_labels[office_type]
    try:
        return TYPE_STYLES[OfficeType(office_type)].label
    except ValueError:
        return office_type


# --- CSV -------------------------------------------------------------------------------------


def neutralise_formula(text: str) -> str:
    """``text`` with a leading ``'`` when a spreadsheet would read it as a formula."""
    return "'" + text if _FORMULA_START.match(text) else text


def _is_number_column(series: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)


def _csv_cells(series: pd.Series, name: str) -> list[str]:
    if name in COORDINATES:
        return ["" if pd.isna(v) else format_coordinate(float(v)) for v in series.tolist()]
    if _is_number_column(series):  # numbers (e.g. opened) are written as numbers, never quoted
        return ["" if pd.isna(v) else str(plain(v)) for v in series.tolist()]
    return ["" if plain(v) is None else neutralise_formula(str(v)) for v in series.tolist()]


def to_csv_bytes(offices: pd.DataFrame, *, lang: str = "en") -> bytes:
    """The table as UTF-8 CSV with a byte-order mark (so Excel reads the accents), formulas neutralised.

    ``serves_country_names`` (after ``serves_countries``) names the countries served in ``lang``,
    the reader's language: pass it, because a download is made outside the page's run.
    """
    frame = with_served_names(offices, lang)
    columns = export_columns(frame, served_names=True)
    cells = [_csv_cells(column(frame, c), c) for c in columns]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([neutralise_formula(str(c)) for c in columns])  # a column name may start with =
    writer.writerows(zip(*cells, strict=True))
    return out.getvalue().encode("utf-8-sig")
