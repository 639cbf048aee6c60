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

import numpy as np

TURN = 360.0


def normalise(lon: float) -> float:
    """The same meridian in ``[-180, 180)`` (a longitude already there is returned exactly)."""
    lon = float(lon)
    return lon if -180.0 <= lon < 180.0 else (lon + 180.0) % TURN - 180.0


def longitude_span(lons: Iterable[float]) -> tuple[float, float] | None:
    """(west, east) of the smallest arc holding every longitude, ``west`` in [-180, 180) and
    ``west <= east < west + 360``; None when there is none. Ties keep the plain west-to-east span."""
    raw = np.fromiter(lons, dtype=float)
    # normalise(), for the whole array at once (numpy's % has Python's sign): 100,000 offices in ms.
    points = np.unique(np.where((raw >= -180.0) & (raw < 180.0), raw, np.mod(raw + 180.0, TURN) - 180.0))
    if not len(points):
        return None
    # The gap across the antimeridian (last back round to first) is the default: plain min..max.
    west, east = float(points[0]), float(points[-1])
    if len(points) > 1:
        gaps = np.diff(points)
        at = int(np.argmax(gaps))  # the first widest gap between neighbours
        if gaps[at] > points[0] + TURN - points[-1]:
            west, east = float(points[at + 1]), float(points[at]) + TURN
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
