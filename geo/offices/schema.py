"""The office table's contract: its columns, office types and regions (how types look: geo/maps/styles.py)."""

from __future__ import annotations

from enum import StrEnum


class OfficeType(StrEnum):
    """The five kinds of General Secretariat office, in briefing order."""

    HEADQUARTERS = "headquarters"
    GLOBAL_COMPLEX = "global_complex"
    REGIONAL_BUREAU = "regional_bureau"
    SPECIAL_REPRESENTATIVE_OFFICE = "special_representative_office"
    LIAISON_OFFICE = "liaison_office"


TYPE_ORDER: dict[str, int] = {t.value: i for i, t in enumerate(OfficeType)}

REGIONS: tuple[str, ...] = ("Africa", "Americas", "Asia-Pacific", "Europe")
PRECISIONS: tuple[str, ...] = ("building", "city")

# The contract other tools rely on, in file order.
REQUIRED_COLUMNS: tuple[str, ...] = ("id", "name", "office_type", "city", "country", "latitude", "longitude")
CONTRACT_COLUMNS: tuple[str, ...] = (
    "id",
    "name",
    "office_type",
    "city",
    "country",
    "country_code",
    "region",
    "latitude",
    "longitude",
    "geocode_precision",
    "address",
    "partner",
    "timezone",
    "opened",
    "opened_note",
    "serves",
    "description",
    "source_url",
    # Added for issue #13; tables written before them still load (they are optional, empty by default).
    "coordinate_source",
    "serves_countries",
    "serves_source",
)
# Where a point comes from: an http(s) address, or "geocoder:<service>" for a geocoding service.
GEOCODER_SOURCE_PREFIX = "geocoder:"
# Columns added after the first tables were written: their absence is not reported as a repair.
LATER_COLUMNS: tuple[str, ...] = ("coordinate_source", "serves_countries", "serves_source")
# ISO 3166-1 alpha-2 codes in serves_countries are separated by this.
COUNTRY_LIST_SEPARATOR = ";"
TEXT_COLUMNS: tuple[str, ...] = tuple(
    c for c in CONTRACT_COLUMNS if c not in ("latitude", "longitude", "opened")
)
# Columns a user's table may leave out entirely; they are added empty.
OPTIONAL_COLUMNS: tuple[str, ...] = tuple(c for c in CONTRACT_COLUMNS if c not in REQUIRED_COLUMNS)

MAX_CELL_CHARS = 5_000
