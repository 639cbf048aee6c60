"""The column rules: one small function per column (or pair of columns), applied row by row.

:data:`COLUMN_RULES` maps the columns a rule reads to the rule; a rule runs when the table has any of
its columns. A rule reads the row's stripped cells, reports problems with their row, column and
value, and may replace a cell by its normalised or typed value (country codes upper-cased, the
year as an int, coordinates as floats). :func:`check_rows` runs them and the text screening.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable
from datetime import date

from geo.geocoding.gazetteer import country_box
from geo.offices.cells import (
    NUMBER_PATTERN,
    check_text,
    in_box,
    looks_swapped,
    parse_coordinate,
    spreadsheet_error,
)
from geo.offices.links import coordinate_source_ok, link_problem
from geo.offices.problems import Findings, show
from geo.offices.schema import GEOCODER_SOURCE_PREFIX, MAX_CELL_CHARS, PRECISIONS, REGIONS
from geo.offices.vocabulary import (
    OFFICE_TYPES,
    check_country_list,
    country_codes,
    suggest_office_type,
    timezone_hint,
    timezone_ok,
)

ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
YEAR_PATTERN = re.compile(r"[0-9]{4}")
NUMERIC_COLUMNS = frozenset({"latitude", "longitude", "opened"})
# Rows are screened as one joined string: str.isprintable() is False for every control character
# (and for harmless ones such as a no-break space), and a formula or an error value (#N/A) starts
# right after a separator. U+2400 is printable and rare in text; a false hit only costs the detailed
# per-cell check. One search per row instead of a loop over every cell keeps 100,000 rows in seconds.
_CELL_SEPARATOR = "\u2400"
_SUSPECT_START = re.compile(f"{_CELL_SEPARATOR}[=@+#-]")


class RowCheck:
    """What the rules share while one table is checked: column positions, findings, ids seen so far."""

    def __init__(self, names: list[str], findings: Findings, require_coordinates: bool, decimal_comma: bool):
        self.names = names
        self.at = {name: i for i, name in enumerate(names)}
        self.findings = findings
        self.require_coordinates = require_coordinates
        self.decimal_comma = decimal_comma
        self.codes = country_codes()
        self.current_year = date.today().year
        self.first_row_of_id: dict[str, int] = {}
        self.unsourced_buildings: list[int] = []  # building rows of a table without coordinate_source
        self.rules = [rule for columns, rule in COLUMN_RULES if any(c in self.at for c in columns)]
        # Positions read by every row, looked up once (a dict lookup per cell per row adds up).
        at = self.at.get
        self.i_id, self.i_name, self.i_type, self.i_code = at("id"), at("name"), at("office_type"), at("country_code")
        self.i_lat, self.i_lon, self.i_precision, self.i_opened = (
            at("latitude"), at("longitude"), at("geocode_precision"), at("opened"),
        )
        self.i_point_source, self.i_served, self.i_served_source = (
            at("coordinate_source"), at("serves_countries"), at("serves_source"),
        )
        self.i_region, self.i_timezone, self.i_url = at("region"), at("timezone"), at("source_url")
        self.boxes: dict[str, tuple[float, float, float, float] | None] = {}
        self.text_positions = [(i, name) for i, name in enumerate(names) if name not in NUMERIC_COLUMNS]
        # The required text columns make this at least five indexes, so itemgetter returns a tuple.
        self.text_cells = operator.itemgetter(*(i for i, _ in self.text_positions))

    def box(self, code: str) -> tuple[float, float, float, float] | None:
        """The country's (south, west, north, east) box, looked up once per table and country."""
        if code not in self.boxes:
            self.boxes[code] = country_box(code)
        return self.boxes[code]

    def problem(self, message: str, row: int, column: str) -> None:
        self.findings.problem(message, row, column)

    def ragged(self, cells: list[str], row: int) -> None:
        width = len(self.names)
        if len(cells) > width:
            detail = f"; the extra cells hold {show(' | '.join(cells[width:]))}"
        else:
            detail = f"; nothing for {', '.join(repr(n) for n in self.names[len(cells) :][:3])}"
            detail += "…" if width - len(cells) > 3 else ""
        self.findings.problem(f"has {len(cells)} cells but the header has {width} columns{detail}", row)

    def screen_text(self, values: list[str], row: int) -> None:
        """Check every text cell of the rare rows whose joined text is long, unprintable or suspect."""
        joined = _CELL_SEPARATOR + _CELL_SEPARATOR.join(self.text_cells(values))
        if len(joined) > MAX_CELL_CHARS or not joined.isprintable() or _SUSPECT_START.search(joined):
            for i, column in self.text_positions:
                if values[i]:
                    check_text(values[i], row, column, self.findings)


def check_id(check: RowCheck, values: list, row: int) -> None:
    office_id = values[check.i_id]
    if not office_id:
        check.problem("the id is empty", row, "id")
    elif not ID_PATTERN.fullmatch(office_id):
        check.problem(
            f"{show(office_id)} is not a valid id (lowercase letters, digits, - and _; at most 64)", row, "id"
        )
    elif office_id in check.first_row_of_id:
        check.problem(f"the id {office_id!r} is already used in row {check.first_row_of_id[office_id]}", row, "id")
    else:
        check.first_row_of_id[office_id] = row


def check_name(check: RowCheck, values: list, row: int) -> None:
    if not values[check.i_name]:
        check.problem("the name is empty", row, "name")


def check_office_type(check: RowCheck, values: list, row: int) -> None:
    office_type = values[check.i_type]
    if office_type not in OFFICE_TYPES:
        close = suggest_office_type(office_type)
        hint = f"; did you mean {close!r}?" if close else ""
        check.problem(
            f"{show(office_type)} is not an office type (one of {', '.join(sorted(OFFICE_TYPES))}){hint}",
            row,
            "office_type",
        )


def check_country_code(check: RowCheck, values: list, row: int) -> None:
    """An ISO alpha-2 code (lower case upper-cased, with a note); an unknown code is emptied for later rules."""
    index = check.i_code
    code = values[index]
    if not code:
        return
    upper = code.upper()
    if check.codes.get(upper) == upper:
        if upper != code:
            check.findings.note_once(
                "country case", f"upper-cased lower-case country codes (e.g. {code!r} in row {row})"
            )
            values[index] = upper
        return
    alpha2 = check.codes.get(upper)
    hint = f"; did you mean {alpha2!r}?" if alpha2 else ""
    check.problem(f"{show(code)} is not an ISO 3166-1 alpha-2 country code{hint}", row, "country_code")


def check_region(check: RowCheck, values: list, row: int) -> None:
    region = values[check.i_region]
    if region and region not in REGIONS:
        check.problem(f"{show(region)} is not a region (one of {', '.join(REGIONS)})", row, "region")


def check_timezone(check: RowCheck, values: list, row: int) -> None:
    timezone = values[check.i_timezone]
    if timezone and not timezone_ok(timezone):
        check.problem(
            f"{show(timezone)} is not an IANA time zone (e.g. Europe/Paris){timezone_hint(timezone)}",
            row,
            "timezone",
        )


def check_precision(check: RowCheck, values: list, row: int) -> None:
    precision = values[check.i_precision]
    if precision and precision not in PRECISIONS:
        check.problem(f"{show(precision)} is not a precision (building or city)", row, "geocode_precision")
    elif precision == "building" and check.i_point_source is None:
        check.unsourced_buildings.append(row)


def check_opened(check: RowCheck, values: list, row: int) -> None:
    """A year between 1900 and this year; the cell becomes the int (or None when empty)."""
    index = check.i_opened
    opened = values[index]
    year = None
    if opened:
        if YEAR_PATTERN.fullmatch(opened) and 1900 <= int(opened) <= check.current_year:
            year = int(opened)
        elif not spreadsheet_error(opened, row, "opened", check.findings):
            check.problem(f"{show(opened)} is not a year between 1900 and {check.current_year}", row, "opened")
    values[index] = year


def check_source_url(check: RowCheck, values: list, row: int) -> None:
    url = values[check.i_url]
    wrong = link_problem(url) if url else None
    if wrong:
        check.problem(wrong, row, "source_url")


def check_coordinate_source(check: RowCheck, values: list, row: int) -> None:
    point_source = values[check.i_point_source]
    if point_source and not coordinate_source_ok(point_source):
        wrong = link_problem(point_source) if point_source.lower().startswith("http") else None
        check.problem(
            (wrong or f"{show(point_source)} is not a coordinate source")
            + ": give the http(s) address that establishes the point, or "
            f"{GEOCODER_SOURCE_PREFIX}<service> (e.g. {GEOCODER_SOURCE_PREFIX}nominatim)",
            row,
            "coordinate_source",
        )
    elif not point_source and check.i_precision is not None and values[check.i_precision] == "building":
        check.problem(
            "is empty but geocode_precision is 'building': a building-precision point needs its "
            f"source (an http(s) address, or {GEOCODER_SOURCE_PREFIX}<service>); "
            "otherwise set geocode_precision to 'city'",
            row,
            "coordinate_source",
        )


def check_served(check: RowCheck, values: list, row: int) -> None:
    """serves_countries: ISO alpha-2 codes separated by ';'; serves_source: the address listing them."""
    served = values[check.i_served] if check.i_served is not None else ""
    if served:
        normalised = check_country_list(served, row, check.codes, check.findings)
        if normalised is not None:
            values[check.i_served] = normalised
    served_source = values[check.i_served_source] if check.i_served_source is not None else ""
    wrong = link_problem(served_source) if served_source else None
    if wrong:
        check.problem(wrong, row, "serves_source")
    elif served and not served_source:
        check.problem(
            f"is empty but serves_countries is {show(served)}: a list of countries served needs "
            "the http(s) address of its source",
            row,
            "serves_source",
        )


def check_coordinates(check: RowCheck, values: list, row: int) -> None:
    """Latitude and longitude: numbers in range, a pair or nothing; the cells become floats (NaN: none)."""
    i_lat, i_lon = check.i_lat, check.i_lon
    lat_text, lon_text = values[i_lat], values[i_lon]
    # Plain numbers in range take the fast path; everything else gets the explaining parser (with the
    # longitude's range for both: beyond ±90 a latitude may be half of a swapped pair).
    lat = float(lat_text) if NUMBER_PATTERN.fullmatch(lat_text) else None
    if lat is None or not abs(lat) <= 180:
        lat = parse_coordinate(lat_text, row, "latitude", 180, check.findings, check.decimal_comma)
    lon = float(lon_text) if NUMBER_PATTERN.fullmatch(lon_text) else None
    if lon is None or not abs(lon) <= 180:
        lon = parse_coordinate(lon_text, row, "longitude", 180, check.findings, check.decimal_comma)
    code = values[check.i_code] if check.i_code is not None else ""
    code = code if code and check.codes.get(code) == code else ""
    box = check.box(code) if code and lat is not None and lon is not None else None
    outside = box is not None and not (box[0] <= lat <= box[2] and box[1] <= lon <= box[3])
    if outside and looks_swapped(lat, lon, code):
        check.findings.notes.append(
            f"row {row}: swapped latitude and longitude ({lat}, {lon}) because only the "
            f"swapped point lies in {code}"
        )
        lat, lon = lon, lat
    if lat is not None and abs(lat) > 90:
        # Suggest a swap unless the country shows that the swapped point is wrong too.
        plausible = lon is not None and abs(lon) <= 90 and not (code and in_box(lon, lat, code) is False)
        hint = " (are latitude and longitude swapped?)" if plausible else ""
        check.problem(f"{show(lat_text)} is out of range (-90 to 90){hint}", row, "latitude")
        lat = None
    if bool(lat_text) != bool(lon_text):
        missing = "longitude" if lat_text else "latitude"
        check.problem(f"the {missing} is empty but the other coordinate is given", row, missing)
    elif check.require_coordinates and not lat_text:
        check.problem(
            "has no coordinates; run `python -m geo.geocoding PATH --only-missing` to add them", row, "latitude"
        )
    values[i_lat] = lat if lat is not None else math.nan
    values[i_lon] = lon if lon is not None else math.nan


Rule = Callable[[RowCheck, list, int], None]
# In the order a row's problems are listed. A rule runs when the table has any of its columns.
COLUMN_RULES: tuple[tuple[tuple[str, ...], Rule], ...] = (
    (("id",), check_id),
    (("name",), check_name),
    (("office_type",), check_office_type),
    (("country_code",), check_country_code),
    (("region",), check_region),
    (("timezone",), check_timezone),
    (("geocode_precision",), check_precision),
    (("opened",), check_opened),
    (("source_url",), check_source_url),
    (("coordinate_source",), check_coordinate_source),
    (("serves_countries", "serves_source"), check_served),
    (("latitude", "longitude"), check_coordinates),
)


def check_rows(
    names: list[str], rows: list[tuple[int, list[str]]], findings: Findings, *, require_coordinates: bool,
    decimal_comma: bool,
) -> tuple[list[int], list[list]]:
    """Check every row; return the row numbers and rows of typed values (raises OfficeTableError)."""
    check = RowCheck(names, findings, require_coordinates, decimal_comma)
    width, rules = len(names), check.rules
    row_numbers: list[int] = []
    kept: list[list] = []
    for row, cells in rows:
        if len(cells) != width:
            check.ragged(cells, row)
            continue
        values = list(map(str.strip, cells))
        check.screen_text(values, row)
        for rule in rules:
            rule(check, values, row)
        row_numbers.append(row)
        kept.append(values)
    findings.fail_if_any()
    if check.unsourced_buildings:
        shown = ", ".join(str(r) for r in check.unsourced_buildings[:5])
        findings.notes.append(
            f"rows {shown}{'…' if len(check.unsourced_buildings) > 5 else ''} are at building precision but "
            "the table has no coordinate_source column, so where their points come from is not recorded"
        )
    return row_numbers, kept
