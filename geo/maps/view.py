"""Where a map looks, on a globe: bounds that understand the antimeridian (180°).

Longitudes wrap: Suva (178.44° E) and Taveuni (179.97° W) are 200 km apart, yet their plain
minimum and maximum (-179.97 and 178.44) span the whole world. :func:`longitude_span` finds the
smallest arc holding every longitude (the complement of the widest gap between neighbours, the gap
across 180° included); its west end is the *origin* of the map's frame. Every longitude the map
draws is then moved by whole turns into ``[origin, origin + 360)`` (:func:`unwrap`): Taveuni is drawn
at 180.03, beside Suva, and the view's bounds ``[[s, 178.44], [n, 180.03]]`` are 1.6° wide. Leaflet
takes longitudes beyond ±180 as they are, so markers, lines and bounds agree.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import pairwise

TURN = 360.0


def normalise(lon: float) -> float:
    """The same meridian in ``[-180, 180)`` (a longitude already there is returned exactly)."""
    lon = float(lon)
    return lon if -180.0 <= lon < 180.0 else (lon + 180.0) % TURN - 180.0


def longitude_span(lons: Iterable[float]) -> tuple[float, float] | None:
    """(west, east) of the smallest arc holding every longitude, ``west`` in [-180, 180) and
    ``west <= east < west + 360``; None when there is none. Ties keep the plain west-to-east span."""
    points = sorted({normalise(lon) for lon in lons})
    if not points:
        return None
    # The gap across the antimeridian (last back round to first) is the default: plain min..max.
    west, east = points[0], points[-1]
    widest = points[0] + TURN - points[-1]
    for before, after in pairwise(points):
        if after - before > widest:
            widest = after - before
            west, east = after, before + TURN
    return west, east


def unwrap(lon: float, origin: float) -> float:
    """``lon`` moved by whole turns into ``[origin, origin + 360)`` (unchanged when already there)."""
    lon = float(lon)
    return lon if origin <= lon < origin + TURN else origin + (lon - origin) % TURN


def origin_of(lons: Iterable[float]) -> float:
    """The west end of the offices' arc: where the map's frame of longitudes starts (-180 if none)."""
    span = longitude_span(lons)
    return span[0] if span else -180.0


def fit_bounds(points: Sequence[tuple[float, float]]) -> list[list[float]] | None:
    """``[[south, west], [north, east]]`` around (lat, lon) points, across 180° when that is shorter."""
    span = longitude_span(lon for _lat, lon in points)
    if span is None:
        return None
    lats = [float(lat) for lat, _lon in points]
    return [[round(min(lats), 6), round(span[0], 6)], [round(max(lats), 6), round(span[1], 6)]]
