"""What map pictures share: their texts (plain one-line text, right-to-left, fonts), the offline
basemap's rings, the views a picture shows, marker shapes and sizes (see :mod:`geo.exports.pictures`).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import pandas as pd
from matplotlib import font_manager
from matplotlib.font_manager import FontProperties
from matplotlib.path import Path as MplPath

from geo.maps import assets
from geo.maps.styles import english_type_labels
from geo.offices.schema import OfficeType

FONT_DIR = "/usr/share/fonts/truetype/noto"
FONT_FILES = ("NotoSans-Regular.ttf", "NotoSans-Bold.ttf", "NotoSansArabic-Regular.ttf", "NotoSansArabic-Bold.ttf")
# Latin first, Arabic as the per-glyph fallback (matplotlib >= 3.6), DejaVu (matplotlib's own) last.
FONT_FAMILY = ["Noto Sans", "Noto Sans Arabic", "DejaVu Sans"]
OCEAN, LAND, BORDER, INK = "#dcebf5", "#eceae4", "#8a9aa9", "#111827"
KM_PER_DEGREE = 111.32
WORLD_VIEW = (-180.0, 180.0, -58.0, 84.0)  # west, east, south, north: Antarctica left out
REGION_HALF_WIDTH = 14.0  # degrees of longitude either side of the office: its capital region and neighbours
REGION_INCHES = 6.6  # a region picture's printed width: half a 16:9 slide
MAX_LABELS = 60  # beyond this many offices, only the first ones (tour order) are labelled
LABEL_CHARS = 48  # longer labels are cut with an ellipsis (the slide's text has the whole name)
BOLD_LINE_CHARS = 30  # the office of a region picture: its name wrapped at this width

# The marker shapes of geo/maps/build.py (28-unit box, y down), as matplotlib paths centred on 0.
_SHAPE_POINTS = {
    "star": [(14, 1.5), (17.6, 10), (26.8, 10.6), (19.8, 16.6), (22, 25.6), (14, 20.7), (6, 25.6), (8.2, 16.6),
             (1.2, 10.6), (10.4, 10)],
    "hexagon": [(14, 1.5), (25, 7.75), (25, 20.25), (14, 26.5), (3, 20.25), (3, 7.75)],
    "square": [(4, 4), (24, 4), (24, 24), (4, 24)],
    "triangle": [(14, 2.5), (26, 24.5), (2, 24.5)],
}
_CIRCLE_RADIUS = 10.5
TYPE_INDEX = {t.value: i for i, t in enumerate(OfficeType)}

_ARABIC = re.compile("[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]")
# Control characters, and the bidi embeddings, overrides, isolates and marks a table might carry:
# a name must not reorder or hide the text around it.
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff\ufffe\uffff]")
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class PictureTexts:
    """The words a picture shows, translated by the caller (English defaults)."""

    type_labels: Mapping[str, str] = field(
        default_factory=english_type_labels
    )
    legend_title: str = "Office types"
    attribution: str = "Outlines: Natural Earth (public domain)"
    distance: str = "{n} km"  # the scale bar's length
    at_equator: str = "{distance} at the equator"  # the world map's scale is true only there
    rtl: bool = False


@dataclass(frozen=True)
class PlacedLabel:
    """A label drawn on a picture: its office, text and box in pixels (x0, y0, x1, y1, y up)."""

    office_id: str
    text: str
    box: tuple[float, float, float, float]
    leader: bool  # drawn away from its marker, with a line to it



# --- text ------------------------------------------------------------------------------------


def plain(value: object, limit: int | None = None) -> str:
    """A cell as one line of plain text: no control or bidi-override characters, blanks collapsed,
    cut to ``limit`` characters with an ellipsis. Missing values are ""."""
    if value is None or (not isinstance(value, str) and pd.api.types.is_scalar(value) and pd.isna(value)):
        return ""
    text = _SPACES.sub(" ", _CONTROLS.sub(" ", str(value))).strip()
    if limit and len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text


def has_arabic(text: str) -> bool:
    return bool(_ARABIC.search(text))


def visual(text: str, rtl: bool = False) -> str:
    """``text`` as matplotlib must be given it. matplotlib 3.11 lays text out with libraqm (HarfBuzz
    shaping, FriBiDi ordering): Arabic is given in logical order, as stored; joining and ordering
    it beforehand (arabic-reshaper, python-bidi) reversed it twice (measured). In a right-to-left
    picture a right-to-left mark first makes the line right-to-left even when it starts in Latin."""
    return "\u200f" + text if rtl and text else text


@lru_cache(maxsize=1)
def register_fonts() -> tuple[str, ...]:
    """Add the Noto fonts to matplotlib's font list (once); the paths found."""
    found = []
    for name in FONT_FILES:
        path = f"{FONT_DIR}/{name}"
        try:
            font_manager.fontManager.addfont(path)
            found.append(path)
        except (OSError, RuntimeError):
            continue  # DejaVu Sans (matplotlib's own) draws Latin text; Arabic needs fonts-noto-core
    return tuple(found)


def font(size: float, bold: bool = False) -> FontProperties:
    register_fonts()
    return FontProperties(family=FONT_FAMILY, size=size, weight="bold" if bold else "normal")


# --- basemap ---------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def land_rings() -> tuple[np.ndarray, ...]:
    """Every ring of the offline outlines as an (n, 2) array of (longitude, latitude)."""
    basemap = json.loads(assets.BASEMAP_PATH.read_text(encoding="utf-8"))
    rings = []
    for feature in basemap["features"]:
        geometry = feature.get("geometry") or {}
        polygons = geometry.get("coordinates", [])
        if geometry.get("type") == "Polygon":
            polygons = [polygons]
        rings.extend(np.asarray(ring, dtype=float) for polygon in polygons for ring in polygon)
    return tuple(rings)


@lru_cache(maxsize=1)
def ring_bounds() -> tuple[tuple[float, float, float, float], ...]:
    """(west, south, east, north) of each ring of :func:`land_rings`."""
    return tuple((*ring.min(axis=0), *ring.max(axis=0)) for ring in land_rings())


def marker_path(shape: str) -> tuple[MplPath, float]:
    """The shape as a path in a box of 1 (y up) and its size relative to the 28-unit drawing."""
    if shape == "circle":
        return MplPath.unit_circle(), _CIRCLE_RADIUS * 2 / 28
    points = np.asarray(_SHAPE_POINTS[shape], dtype=float)
    points = (points - 14.0) * [1, -1]
    extent = float(np.abs(points).max())
    # matplotlib scales a custom marker to its largest coordinate: keep the drawing's proportions.
    return MplPath(np.vstack([points, points[:1]]) / extent, closed=True), extent * 2 / 28


# --- views -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class View:
    """What a picture shows: (west, east, south, north) in degrees, drawn equirectangular with
    its standard parallel at ``lat0`` (x stretched by cos(lat0), so shapes near it are true)."""

    west: float
    east: float
    south: float
    north: float
    lat0: float = 0.0

    @property
    def aspect(self) -> float:
        """Width over height on paper."""
        return (self.east - self.west) * math.cos(math.radians(self.lat0)) / (self.north - self.south)


def region_view(lat: float, lon: float, aspect: float = 4 / 3, half_width: float = REGION_HALF_WIDTH) -> View:
    """The office at the centre, ``half_width`` degrees of longitude either side."""
    lat0 = max(-70.0, min(70.0, lat))
    half_height = half_width * math.cos(math.radians(lat0)) / aspect
    south, north = lat - half_height, lat + half_height
    if north > 85:
        south, north = south - (north - 85), 85.0
    if south < -85:
        south, north = -85.0, north + (-85 - south)
    return View(lon - half_width, lon + half_width, south, north, lat0)


def nice_distance(km: float) -> int:
    """The largest 1, 2 or 5 times a power of ten not above ``km``."""
    power = 10 ** math.floor(math.log10(max(km, 1)))
    return int(max(m * power for m in (1, 2, 5) if m * power <= km))


def number_text(n: int) -> str:
    return f"{n:,}"


@dataclass(frozen=True)
class Style:
    """Sizes in points (so PNG, SVG and PDF agree)."""

    marker: float = 15.0  # headquarters and the complex; the others are 0.76 of it (as on the web map)
    label: float = 10.0
    legend: float = 9.5
    small: float = 7.5
    border: float = 0.4

