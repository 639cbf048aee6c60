"""Checks of single cells: text (length, control characters, formulas, spreadsheet error values) and
coordinates (plain decimal numbers, ranges, latitude and longitude swapped)."""

from __future__ import annotations

import math
import re

from geo.geocoding.gazetteer import country_box, in_country_box
from geo.offices.problems import Findings, show
from geo.offices.schema import MAX_CELL_CHARS

# Plain ASCII numbers only: float() would also take "1_000", "nan" and non-ASCII digits.
NUMBER_PATTERN = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
DECIMAL_COMMA_PATTERN = re.compile(r"[+-]?[0-9]+,[0-9]+")
# A text cell may start with + or - only as a number or phone number: "-2+cmd|..." is a formula.
SIGNED_NUMBER_PATTERN = re.compile(r"[+-][0-9][0-9 ./()-]*")
# Bidirectional overrides and isolates can disguise text; plain RLM/LRM marks are fine. U+FFFE and
# U+FFFF are not characters (XML refuses them: a KML export would not be well-formed).
_BIDI_CLASS = "\u202a-\u202e\u2066-\u2069"
CONTROL_STRICT = re.compile(f"[\x00-\x1f\x7f-\x9f{_BIDI_CLASS}\ufffe\uffff]")
CONTROL_MULTILINE = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f{_BIDI_CLASS}\ufffe\uffff]")
MULTILINE_COLUMNS = frozenset({"description", "address", "opened_note"})
# What Excel shows (and writes to CSV) where a formula failed: never a name, a city or a number.
SPREADSHEET_ERRORS = frozenset(
    {
        "#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!", "#SPILL!", "#CALC!",
        "#FIELD!", "#BLOCKED!", "#CONNECT!", "#BUSY!", "#UNKNOWN!", "#GETTING_DATA", "#N/A!",
    }
)
# A point this far outside the country's box is not a slip of the pen; its mirror may be the real place.
SWAP_MARGIN_DEGREES = 8.0


def spreadsheet_error(value: str, row: int, column: str, findings: Findings) -> bool:
    """Report ``value`` and return True when it is a spreadsheet error value such as #DIV/0!."""
    if value.upper() not in SPREADSHEET_ERRORS:
        return False
    findings.problem(
        f"{show(value)} is a spreadsheet error value (the formula that made this cell failed); "
        "type the value itself, or leave the cell empty",
        row,
        column,
    )
    return True


def check_text(value: str, row: int, column: str, findings: Findings) -> None:
    """Length, control characters, spreadsheet formulas and error values of one non-empty text cell."""
    if len(value) > MAX_CELL_CHARS:
        findings.problem(
            f"the cell has {len(value):,} characters; the limit is {MAX_CELL_CHARS:,} ({show(value, 30)})",
            row,
            column,
        )
        return
    pattern = CONTROL_MULTILINE if column in MULTILINE_COLUMNS else CONTROL_STRICT
    match = pattern.search(value)
    if match:
        findings.problem(
            f"contains the control character U+{ord(match.group(0)):04X} in {show(value)}", row, column
        )
        return
    if spreadsheet_error(value, row, column, findings):
        return
    first = value[0]
    if first in "=@" or (first in "+-" and len(value) > 1 and not SIGNED_NUMBER_PATTERN.fullmatch(value)):
        findings.problem(
            f"{show(value)} looks like a spreadsheet formula; remove the leading {first!r}", row, column
        )


def parse_coordinate(
    value: str, row: int, column: str, limit: float, findings: Findings, decimal_comma: bool
) -> float | None:
    """The number in a latitude or longitude cell within ±``limit``, or None (after a problem if not empty)."""
    if not value:
        return None
    text = value.replace("\u2212", "-")
    if decimal_comma and DECIMAL_COMMA_PATTERN.fullmatch(text):
        findings.note_once(
            "decimal comma",
            f"read decimal commas in coordinates as decimal points (e.g. {value!r} in row {row})",
        )
        text = text.replace(",", ".")
    if not NUMBER_PATTERN.fullmatch(text):
        if spreadsheet_error(value, row, column, findings):
            return None
        if text.strip("+-").lower() in ("nan", "inf", "infinity"):
            findings.problem(f"{show(value)} is not a finite number", row, column)
            return None
        hint = " (use a point as the decimal separator)" if DECIMAL_COMMA_PATTERN.fullmatch(text) else ""
        findings.problem(f"{show(value)} is not a number{hint}", row, column)
        return None
    number = float(text)
    if not math.isfinite(number):
        findings.problem(f"{show(value)} is not a finite number", row, column)
        return None
    if abs(number) > limit:
        findings.problem(f"{show(value)} is out of range (-{limit:g} to {limit:g})", row, column)
        return None
    return number


def in_box(lat: float, lon: float, code: str) -> bool | None:
    """Whether the point lies in the bounding box of the country ``code`` (None: country unknown)."""
    return in_country_box(lat, lon, code)


def looks_swapped(lat: float, lon: float, code: str) -> bool:
    """True when (lon, lat) lies in the country named by ``code`` and (lat, lon) lies far from it.

    Only bounding boxes are used, so the check costs a few comparisons per row.
    """
    if abs(lon) > 90 or in_box(lat, lon, code) is not False:
        return False  # the usual case: the point is in its country's box (or the country is unknown)
    if not in_box(lon, lat, code):
        return False
    wide = country_box(code, SWAP_MARGIN_DEGREES)
    if wide is not None:
        south, west, north, east = wide
        if south <= lat <= north and west <= lon <= east:
            return False  # near the country: more likely a slightly wrong point than a swapped one
    return True
