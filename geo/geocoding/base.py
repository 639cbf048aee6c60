"""What every geocoder shares: the office it is told about, the point it answers, and its errors."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

Precision = Literal["building", "city"]
Source = Literal["nominatim", "gazetteer", "cache"]


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


class GeocodingRefused(GeocodingError):
    """The service did something this program will not go along with (a redirect to another host,
    a downgrade to http): the run stops, because every later query would meet the same."""


class GeocodingUnavailable(GeocodingError, OSError):
    """The service could not be reached, kept failing or gave an invalid answer; another geocoder
    may still answer."""


class ServiceAbandoned(GeocodingUnavailable):
    """The service failed so often in a row that it is no longer asked during this run."""


class Geocoder(Protocol):
    """Office in, point out; ``None`` when there is no answer. May raise :class:`GeocodingUnavailable`."""

    name: str

    def geocode(self, office: OfficeAddress) -> GeocodeResult | None: ...
