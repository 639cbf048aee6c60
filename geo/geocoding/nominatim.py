"""OpenStreetMap's Nominatim through geopy: its settings, the client and the cached geocoder.

- :class:`NominatimClient` sends free-form queries through geopy's ``Nominatim``, over the guarded
  transport of :mod:`geo.geocoding.transport` (one origin, a total deadline per request, a size cap),
  rate-limited and retried by :class:`geo.geocoding.limiter.RetryingLimiter`. A point out of range
  is an invalid answer for that query, refused before geopy sees it (not retried).
- :class:`NominatimGeocoder` asks each of an office's queries of the cache first, then of the client.
"""

from __future__ import annotations

import functools
import logging
import math
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from geopy.exc import ConfigurationError, GeocoderParseError, GeopyError
from geopy.geocoders import Nominatim

from geo.geocoding.base import (
    GeocodeResult,
    GeocodingConfigError,
    GeocodingRefused,
    GeocodingUnavailable,
    OfficeAddress,
    Precision,
    ServiceAbandoned,
)
from geo.geocoding.cache import GeocodeCache, query_key
from geo.geocoding.limiter import RetryingLimiter, describe_error
from geo.geocoding.transport import MAX_ANSWER_BYTES, GuardedAdapter, RedirectRefused, RefusedAnswer

logger = logging.getLogger(__name__)

DEFAULT_NOMINATIM_URL = "https://nominatim.openstreetmap.org"
PUBLIC_NOMINATIM_HOST = "nominatim.openstreetmap.org"
# The public server allows one request a second (https://operations.osmfoundation.org/policies/nominatim/).
PUBLIC_MIN_DELAY_SECONDS = 1.0

# Default and sample user agents that Nominatim's usage policy refuses (geopy's samples among them);
# any "geopy/..." agent is refused too.
REFUSED_USER_AGENTS: frozenset[str] = frozenset(
    {"my-application", "my_app/1", "my_user_agent/1.0", "specify_your_app_name_here"}
)

# A Nominatim answer whose class, type or address type is one of these locates a building.
BUILDING_WORDS = frozenset({"building", "house", "amenity", "office"})


def check_user_agent(user_agent: str | None) -> str:
    """The user agent, stripped; refuses geopy's default and sample user agents as geopy does."""
    agent = (user_agent or "").strip()
    fix = 'pass --user-agent "your-app/1.0 (you@example.org)" naming your application'
    if not agent:
        raise GeocodingConfigError(f"Nominatim's usage policy requires a user agent; {fix}")
    if agent in REFUSED_USER_AGENTS or agent.startswith("geopy/"):
        raise GeocodingConfigError(
            f"the user agent \"{agent}\" is geopy's default or a sample one, which Nominatim's usage "
            f"policy refuses; {fix}"
        )
    return agent


def parse_service_url(url: str) -> tuple[str, str]:
    """``(scheme, domain)`` for geopy from a service address such as ``http://127.0.0.1:8080``.

    A path is kept (``https://example.org/nominatim``); a trailing ``/search`` is dropped.
    """
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as err:
        raise GeocodingConfigError(f"{url!r} is not a valid geocoder URL ({err})") from err
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise GeocodingConfigError(
            f"{url!r} is not a geocoder URL; expected http(s)://HOST[:PORT][/PATH], "
            "e.g. https://nominatim.openstreetmap.org"
        )
    if parts.query or parts.fragment or parts.username or parts.password:
        raise GeocodingConfigError(f"{url!r}: the geocoder URL may not contain a query, fragment or password")
    path = parts.path.rstrip("/")
    if path.endswith("/search"):
        path = path[: -len("/search")]
    return parts.scheme, parts.netloc + path


def precision_of(place: Mapping[str, Any]) -> Precision:
    """``building`` when Nominatim's class/category, type or addresstype names a building."""
    words = {str(place.get(k, "")).lower() for k in ("class", "category", "type", "addresstype")}
    return "building" if words & BUILDING_WORDS else "city"


# --- the client ----------------------------------------------------------------------------------


def check_points(data: Any) -> None:
    """Refuse an answer holding a point out of range (lat 91): before geopy parses it, which would
    warn and raise a bare ValueError."""
    places = data if isinstance(data, list) else [data] if isinstance(data, Mapping) else []
    for place in places:
        if not isinstance(place, Mapping) or "lat" not in place or "lon" not in place:
            continue
        try:
            latitude, longitude = float(place["lat"]), float(place["lon"])
        except (TypeError, ValueError):
            raise RefusedAnswer(
                f"the point ({place['lat']!r}, {place['lon']!r}) is not a pair of numbers"
            ) from None
        if (
            not (math.isfinite(latitude) and math.isfinite(longitude))
            or abs(latitude) > 90
            or abs(longitude) > 180
        ):
            raise RefusedAnswer(f"the point ({latitude:g}, {longitude:g}) is out of range")


def _answer_from(location: Any) -> dict[str, Any] | None:
    """The cacheable part of a geopy Location; raises GeocoderParseError on a nonsensical answer."""
    if location is None:
        return None
    raw = location.raw if isinstance(location.raw, Mapping) else {}
    try:
        latitude, longitude = float(raw["lat"]), float(raw["lon"])
    except (KeyError, TypeError, ValueError) as err:
        raise GeocoderParseError(f"the answer has no usable lat/lon: {err}") from err
    return {
        "latitude": latitude,
        "longitude": longitude,
        "precision": precision_of(raw),
        "display_name": str(raw.get("display_name", "")),
    }


def _check_settings(domain: str, min_delay_seconds: float, max_retries: int, timeout: float) -> None:
    if not (min_delay_seconds >= 0 and math.isfinite(min_delay_seconds)):
        raise GeocodingConfigError(
            f"the minimum delay must be a number of seconds >= 0, not {min_delay_seconds}"
        )
    if domain.split("/")[0].lower() == PUBLIC_NOMINATIM_HOST and min_delay_seconds < PUBLIC_MIN_DELAY_SECONDS:
        raise GeocodingConfigError(
            f"the public Nominatim server allows one request a second; --min-delay {min_delay_seconds:g} is too short"
        )
    if max_retries < 0:
        raise GeocodingConfigError(f"the number of retries must be >= 0, not {max_retries}")
    if not (timeout > 0 and math.isfinite(timeout)):
        raise GeocodingConfigError(f"the timeout must be a number of seconds > 0, not {timeout}")


class NominatimClient:
    """Sends queries to a Nominatim server through geopy, rate-limited and retried.

    ``timeout`` bounds each HTTP request in total; an answer over ``max_answer_bytes`` is refused.
    ``requests_sent`` counts HTTP requests (retries included). After ``give_up_after`` queries in a
    row that failed even after their retries, the server is no longer asked (:class:`ServiceAbandoned`).
    """

    def __init__(
        self,
        *,
        user_agent: str | None,
        url: str = DEFAULT_NOMINATIM_URL,
        min_delay_seconds: float = 1.0,
        max_retries: int = 3,
        timeout: float = 10.0,
        error_wait_seconds: float | None = None,
        give_up_after: int = 3,
        max_answer_bytes: int = MAX_ANSWER_BYTES,
    ):
        agent = check_user_agent(user_agent)
        scheme, domain = parse_service_url(url)
        _check_settings(domain, min_delay_seconds, max_retries, timeout)
        adapter = functools.partial(GuardedAdapter, max_bytes=max_answer_bytes, check=check_points)
        try:
            self._geolocator = Nominatim(
                user_agent=agent, domain=domain, scheme=scheme, timeout=timeout, adapter_factory=adapter
            )
        except ConfigurationError as err:
            raise GeocodingConfigError(str(err)) from err
        self.url = f"{scheme}://{domain}"
        self.limiter = RetryingLimiter(
            self._send,
            min_delay_seconds=min_delay_seconds,
            max_retries=max_retries,
            # 2, 4, 8 s with the default one-second delay; proportionally less in tests.
            error_wait_seconds=2 * min_delay_seconds if error_wait_seconds is None else error_wait_seconds,
        )
        self.requests_sent = 0
        self.give_up_after = give_up_after
        self._failures_in_a_row = 0

    def _send(self, query: str, country_code: str) -> dict[str, Any] | None:
        self.requests_sent += 1
        try:
            location = self._geolocator.geocode(
                query, exactly_one=True, country_codes=country_code.lower() or None
            )
        except GeopyError:
            raise
        except (TypeError, ValueError, KeyError, IndexError, AttributeError) as err:
            # geopy could not make sense of a well-formed JSON answer (say, a dict with no lat/lon).
            raise GeocoderParseError(f"unexpected answer: {err}") from err
        return _answer_from(location)

    @property
    def abandoned(self) -> bool:
        """Whether the server failed ``give_up_after`` queries in a row and is no longer asked."""
        return self.give_up_after > 0 and self._failures_in_a_row >= self.give_up_after

    def search(self, query: str, country_code: str = "") -> dict[str, Any] | None:
        """The best answer for a free-form query, or None when Nominatim definitely has none.

        The answer is ``{"latitude", "longitude", "precision", "display_name"}``. Raises
        :class:`GeocodingUnavailable` when the server cannot be reached, keeps failing or gives an
        invalid answer, and :class:`GeocodingRefused` when it redirects elsewhere.
        """
        if self.abandoned:
            raise ServiceAbandoned(
                f"Nominatim not asked for {query!r}: it failed {self._failures_in_a_row} queries in a row"
            )
        try:
            answer = self.limiter(query, country_code)
        except RedirectRefused as err:
            raise GeocodingRefused(f"the geocoder at {err}") from err
        except RefusedAnswer as err:
            raise GeocodingUnavailable(f"Nominatim gave an invalid answer for {query!r}: {err}") from err
        except GeopyError as err:
            self._failures_in_a_row += 1
            if self.abandoned:
                logger.warning(
                    "Nominatim at %s failed %d queries in a row; not asking it again in this run",
                    self.url,
                    self._failures_in_a_row,
                )
            raise GeocodingUnavailable(f"Nominatim failed for {query!r}: {describe_error(err)}") from err
        self._failures_in_a_row = 0
        return answer

    def close(self) -> None:
        self._geolocator.adapter.__exit__(None, None, None)


# --- the geocoder --------------------------------------------------------------------------------


def nominatim_queries(office: OfficeAddress) -> list[tuple[str, Precision]]:
    """The free-form queries to try in order, each with the best precision it can give.

    With an address: "address, city, country" (building precision if the answer is a building),
    then "city, country" should Nominatim not know the address; without: "city, country".
    """
    city_query = ", ".join(" ".join(p.split()) for p in (office.city, office.country) if p.strip())
    queries: list[tuple[str, Precision]] = []
    address = " ".join(office.address.split())
    if address:
        queries.append((f"{address}, {city_query}", "building"))
    queries.append((city_query, "city"))
    return queries


_ABSENT = object()


class NominatimGeocoder:
    """Nominatim behind the cache: each query is looked up in the cache, then (with a client) asked.

    Every answer received, "no result" included, is stored in the cache before it is used; errors
    are not. Without a client, a query missing from the cache ends the search (``None``), so an
    offline run never takes a cached city answer for an office whose address was never asked.
    """

    name = "nominatim"

    def __init__(self, client: NominatimClient | None, cache: GeocodeCache | None = None):
        self.client = client
        self.cache = cache

    def geocode(self, office: OfficeAddress) -> GeocodeResult | None:
        asked = False
        code = office.country_code.strip()
        for query, best in nominatim_queries(office):
            key = query_key(query, code)
            answer = self.cache.get(key, _ABSENT) if self.cache is not None else _ABSENT
            if answer is _ABSENT:
                if self.client is None:
                    return None
                answer = self.client.search(query, code)
                asked = True
                if self.cache is not None:
                    self.cache.put(key, answer)
            if answer is not None:
                precision: Precision = (
                    "building" if best == "building" and answer["precision"] == "building" else "city"
                )
                source = "nominatim" if asked else "cache"
                return GeocodeResult(float(answer["latitude"]), float(answer["longitude"]), precision, source)
        return None
