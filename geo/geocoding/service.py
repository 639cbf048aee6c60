"""Geocoding an office: one small interface, three implementations behind it.

An office (:class:`OfficeAddress`: address, city, country, country code) goes in; a
:class:`GeocodeResult` (latitude, longitude, precision ``building``/``city``, source
``nominatim``/``gazetteer``/``cache``) comes out, or ``None`` when the geocoder has no answer.

- :class:`NominatimGeocoder` (:mod:`geo.geocoding.nominatim`): OpenStreetMap's Nominatim through
  geopy, behind the persistent cache of :mod:`geo.geocoding.cache`. Without a client it answers from
  the cache alone.
- :class:`GazetteerGeocoder`: offline GeoNames city coordinates (:mod:`geo.geocoding.gazetteer`), city precision.
- :class:`FallbackGeocoder`: asks each geocoder in turn and moves on when one has no answer or cannot
  be reached.

This module is the package's front: the names of :mod:`geo.geocoding.base` and
:mod:`geo.geocoding.nominatim` that callers need are importable from here.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from geo.geocoding.base import (
    Geocoder,
    GeocodeResult,
    GeocodingConfigError,
    GeocodingError,
    GeocodingRefused,
    GeocodingUnavailable,
    OfficeAddress,
    Precision,
    ServiceAbandoned,
    Source,
)
from geo.geocoding.cache import GeocodeCache
from geo.geocoding.gazetteer import country_code_of, lookup_city
from geo.geocoding.nominatim import (
    DEFAULT_NOMINATIM_URL,
    REFUSED_USER_AGENTS,
    NominatimClient,
    NominatimGeocoder,
    check_user_agent,
    nominatim_queries,
    parse_service_url,
    precision_of,
)

__all__ = [
    "DEFAULT_NOMINATIM_URL",
    "REFUSED_USER_AGENTS",
    "FallbackGeocoder",
    "GazetteerGeocoder",
    "GeocodeResult",
    "Geocoder",
    "GeocodingConfigError",
    "GeocodingError",
    "GeocodingRefused",
    "GeocodingUnavailable",
    "NominatimClient",
    "NominatimGeocoder",
    "OfficeAddress",
    "Precision",
    "ServiceAbandoned",
    "Source",
    "build_geocoder",
    "check_user_agent",
    "nominatim_queries",
    "parse_service_url",
    "precision_of",
]

logger = logging.getLogger(__name__)


class GazetteerGeocoder:
    """City coordinates from the offline GeoNames gazetteer; always city precision."""

    name = "gazetteer"

    def geocode(self, office: OfficeAddress) -> GeocodeResult | None:
        code = office.country_code.strip().upper() or country_code_of(office.country)
        if not code or not office.city.strip():
            return None
        place = lookup_city(office.city, code)
        if place is None:
            return None
        return GeocodeResult(place.latitude, place.longitude, "city", "gazetteer")


class FallbackGeocoder:
    """Asks each geocoder in turn; the first answer wins.

    A geocoder with no answer, or one that cannot be reached (:class:`GeocodingUnavailable`), hands
    over to the next; the hand-over is logged as a warning. :class:`GeocodingRefused` ends the search.
    """

    name = "fallback"

    def __init__(self, geocoders: Sequence[Geocoder]):
        self.geocoders = list(geocoders)

    def geocode(self, office: OfficeAddress) -> GeocodeResult | None:
        for index, geocoder in enumerate(self.geocoders):
            try:
                result = geocoder.geocode(office)
            except GeocodingUnavailable as err:
                following = self.geocoders[index + 1].name if index + 1 < len(self.geocoders) else None
                level = logging.DEBUG if isinstance(err, ServiceAbandoned) else logging.WARNING
                logger.log(
                    level, "%s; %s", err, f"using the {following}" if following else "no other geocoder"
                )
                continue
            if result is not None:
                return result
        return None


def build_geocoder(
    *,
    cache: GeocodeCache | None,
    offline: bool = False,
    user_agent: str | None = None,
    url: str = DEFAULT_NOMINATIM_URL,
    min_delay_seconds: float = 1.0,
    max_retries: int = 3,
    timeout: float = 10.0,
) -> tuple[FallbackGeocoder, NominatimClient | None]:
    """Cache first, then Nominatim (unless ``offline``), then the gazetteer; and the client, if any.

    Raises :class:`GeocodingConfigError` for a refused user agent or a bad URL.
    """
    client = None
    if not offline:
        client = NominatimClient(
            user_agent=user_agent,
            url=url,
            min_delay_seconds=min_delay_seconds,
            max_retries=max_retries,
            timeout=timeout,
        )
    return FallbackGeocoder([NominatimGeocoder(client, cache), GazetteerGeocoder()]), client
