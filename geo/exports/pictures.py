"""Map pictures drawn on the server from the offline basemap: PNG (slides) and SVG (print).

Two pictures, each a pure function of an office table and translated texts:

* :func:`world_picture` - every office given (the current filters) on the world, with the legend
  (type, shape, colour and count), a label per office, a scale bar and the attribution.
* :func:`region_picture` - one office in its surroundings (the per-office slide): the office ringed
  and named, its neighbours labelled with their city.

Renderer: matplotlib (Agg for PNG, its SVG backend with text as paths), chosen by measuring (see
the commit that added this file): a 2400 x 947 px world picture takes 0.3-0.8 s and about 480 kB
(SVG 0.2 s, 480-530 kB), a region picture 0.2-0.6 s and 250 kB, on 2 loaded cores; it needs no
browser and no system library, and the same drawing goes into the PDF sheet (:mod:`geo.exports.pdfsheet`).

Labels never cover a marker and never collide: each label's size is measured once, then it takes
the first free place of a ring of candidates around its marker, further out with a leader line if
the near ones are taken; a label with no free place is left out (the legend and the slides still
name the office). Arabic is shaped and ordered by matplotlib itself (libraqm, since 3.11: see
:func:`visual`); Noto Sans Arabic is the fallback font.
"""

from __future__ import annotations

import io
import json
import math
import re
import textwrap
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache

import matplotlib
import matplotlib.patches
import numpy as np
import pandas as pd
from matplotlib import font_manager, patheffects
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.lines import Line2D
from matplotlib.path import Path as MplPath

from geo.maps import assets
from geo.offices.schema import TYPE_STYLES, OfficeType

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
_TYPE_INDEX = {t.value: i for i, t in enumerate(OfficeType)}

_ARABIC = re.compile("[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]")
# Control characters, and the bidi embeddings, overrides, isolates and marks a table might carry:
# a name must not reorder or hide the text around it.
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff\ufffe\uffff]")
_SPACES = re.compile(r"\s+")
_RENDER_LOCK = threading.Lock()  # matplotlib's rcParams (font types at save time) are process-wide


@dataclass(frozen=True)
class PictureTexts:
    """The words a picture shows, translated by the caller (English defaults)."""

    type_labels: Mapping[str, str] = field(
        default_factory=lambda: {t.value: TYPE_STYLES[t].label for t in OfficeType}
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


@dataclass(frozen=True)
class Picture:
    """A rendered picture and what was placed on it (for tests and for the PDF's layout)."""

    data: bytes
    fmt: str
    width_px: int
    height_px: int
    labels: tuple[PlacedLabel, ...]
    markers: tuple[tuple[str, tuple[float, float, float, float]], ...]  # (office id, box in pixels)
    obstacles: tuple[tuple[float, float, float, float], ...]  # legend, scale bar, attribution


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


def _marker_path(shape: str) -> tuple[MplPath, float]:
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


def _nice_distance(km: float) -> int:
    """The largest 1, 2 or 5 times a power of ten not above ``km``."""
    power = 10 ** math.floor(math.log10(max(km, 1)))
    return int(max(m * power for m in (1, 2, 5) if m * power <= km))


def _number(n: int) -> str:
    return f"{n:,}"


# --- drawing ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Style:
    """Sizes in points (so PNG, SVG and PDF agree)."""

    marker: float = 15.0  # headquarters and the complex; the others are 0.76 of it (as on the web map)
    label: float = 10.0
    legend: float = 9.5
    small: float = 7.5
    border: float = 0.4


def _placed(offices: pd.DataFrame) -> pd.DataFrame:
    lat = pd.to_numeric(offices["latitude"], errors="coerce")
    lon = pd.to_numeric(offices["longitude"], errors="coerce")
    keep = lat.notna() & lon.notna() & np.isfinite(lat) & np.isfinite(lon)
    return offices[keep].assign(latitude=lat[keep], longitude=lon[keep])


def _marker_points(office_type: str, style: Style) -> float:
    big = office_type in (OfficeType.HEADQUARTERS, OfficeType.GLOBAL_COMPLEX)
    return style.marker if big else style.marker * 26 / 34


def _overlaps(box: np.ndarray, boxes: np.ndarray) -> bool:
    if not len(boxes):
        return False
    return bool(
        np.any((boxes[:, 0] < box[2]) & (boxes[:, 2] > box[0]) & (boxes[:, 1] < box[3]) & (boxes[:, 3] > box[1]))
    )


def _dodge(xy: np.ndarray, radii: np.ndarray, gap: float, rounds: int = 200) -> np.ndarray:
    """Positions (pixels) moved apart until no two discs of ``radii`` overlap, each as little as it can."""
    pos = xy.astype(float).copy()
    n = len(pos)
    need = radii[:, None] + radii[None, :] + gap
    np.fill_diagonal(need, 0)
    # Offices at the very same place part along a fixed direction per pair (never at random).
    tie = np.stack([np.cos(np.arange(n)), np.sin(np.arange(n))], axis=1)
    for _ in range(rounds):
        delta = pos[:, None, :] - pos[None, :, :]
        dist = np.hypot(delta[..., 0], delta[..., 1])
        overlap = np.clip(need - dist, 0, None)
        if overlap.max() < 0.25:
            break
        unit = np.where(dist[..., None] > 1e-6, delta / np.maximum(dist, 1e-6)[..., None],
                        tie[:, None, :] - tie[None, :, :])
        pos += 0.5 * (unit * overlap[..., None] / 2).sum(axis=1)
    return pos


def _box_distance(box: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.hypot(np.maximum.reduce([box[0] - x, np.zeros_like(x), x - box[2]]),
                    np.maximum.reduce([box[1] - y, np.zeros_like(y), y - box[3]]))


def _nearer_other(box: np.ndarray, own: tuple[float, float, float], others: np.ndarray) -> bool:
    """True when another marker's edge is nearer the label than its own marker's edge."""
    if not len(others):
        return False
    mine = _box_distance(box, np.array([own[0]]), np.array([own[1]]))[0] - own[2]
    theirs = _box_distance(box, others[:, 0], others[:, 1]) - others[:, 2]
    return bool(np.any(theirs < mine))


class MapDrawing:
    """One map drawn into ``ax`` (filling it): outlines, markers, legend, scale bar, attribution, labels."""

    def __init__(self, fig: Figure, ax, view: View, texts: PictureTexts, style: Style):
        self.fig, self.ax, self.view, self.texts, self.style = fig, ax, view, texts, style
        self.renderer = FigureCanvasAgg(fig).get_renderer() if fig.canvas is None else fig.canvas.get_renderer()
        self.obstacles: list[tuple[float, float, float, float]] = []
        self.marker_boxes: list[tuple[str, tuple[float, float, float, float]]] = []
        self.labels: list[PlacedLabel] = []
        self.drawn_at: dict[str, tuple[float, float]] = {}  # where each marker is drawn (lon, lat)
        ax.set_xlim(view.west, view.east)
        ax.set_ylim(view.south, view.north)
        ax.set_aspect(1 / math.cos(math.radians(view.lat0)), adjustable="box")
        ax.set_axis_off()
        ax.add_patch(matplotlib.patches.Rectangle((0, 0), 1, 1, transform=ax.transAxes, color=OCEAN, zorder=0))

    def px(self, points: float) -> float:
        return points * self.fig.dpi / 72

    def land(self) -> None:
        shifts = [0.0]
        if self.view.west < -180:
            shifts.append(-360.0)
        if self.view.east > 180:
            shifts.append(360.0)
        view = self.view
        # Only the rings that reach into the view: a region picture draws a few dozen, not 288.
        rings = [
            ring + np.array([shift, 0.0])
            for shift in shifts
            for ring, (west, south, east, north) in zip(land_rings(), ring_bounds(), strict=True)
            if west + shift <= view.east and east + shift >= view.west and south <= view.north and north >= view.south
        ]
        self.ax.add_collection(
            PolyCollection(rings, facecolors=LAND, edgecolors=BORDER, linewidths=self.style.border, zorder=1,
                           joinstyle="round", antialiased=True)
        )

    def markers(self, offices: pd.DataFrame, selected_id: str | None = None, dodge: bool = True) -> None:
        """Smaller types first, so headquarters is on top; the selected office ringed.

        With ``dodge`` (and at most :data:`MAX_LABELS` offices), markers that would hide each other
        are pushed apart just enough to touch, each with a dot at its true place and a line to it.
        """
        radii = np.array([self.px(_marker_points(str(t), self.style)) / 2 for t in offices["office_type"]])
        radii[(offices["id"] == selected_id).to_numpy()] *= 1.9
        true_xy = self.ax.transData.transform(offices[["longitude", "latitude"]].to_numpy(dtype=float))
        xy = _dodge(true_xy, radii, self.px(1.5)) if dodge and 1 < len(offices) <= MAX_LABELS else true_xy
        lonlat = self.ax.transData.inverted().transform(xy) if len(xy) else np.zeros((0, 2))
        moved = np.hypot(*(xy - true_xy).T) > radii * 0.35 if len(xy) else np.zeros(0, dtype=bool)
        for i in np.flatnonzero(moved):
            true_lonlat = offices.iloc[i][["longitude", "latitude"]].to_numpy(dtype=float)
            self.ax.plot([true_lonlat[0], lonlat[i][0]], [true_lonlat[1], lonlat[i][1]], color=INK, lw=0.7,
                         zorder=2.8, solid_capstyle="round")
            self.ax.plot([true_lonlat[0]], [true_lonlat[1]], marker="o", markersize=self.style.marker * 0.18,
                         color=INK, markeredgewidth=0, zorder=2.9)
        kinds = offices["office_type"].to_numpy()
        for office_type in sorted(set(kinds), key=lambda t: -_TYPE_INDEX.get(t, 99)):
            if office_type not in _TYPE_INDEX:
                continue
            mask = kinds == office_type
            shape = TYPE_STYLES[OfficeType(office_type)].shape
            path, relative = _marker_path(shape)
            size = _marker_points(office_type, self.style) * relative
            self.ax.scatter(
                lonlat[mask, 0], lonlat[mask, 1], s=size**2, marker=path,
                c=TYPE_STYLES[OfficeType(office_type)].colour, edgecolors="white",
                linewidths=size / 14, zorder=3 + (5 - _TYPE_INDEX[office_type]) / 10,
            )
        ids = [str(v) for v in offices["id"]]
        if selected_id in ids:
            i = ids.index(selected_id)
            ring = _marker_points(str(kinds[i]), self.style) * 1.9
            self.ax.scatter([lonlat[i][0]], [lonlat[i][1]], s=ring**2, marker="o", c="#ffffffcc",
                            edgecolors=INK, linewidths=2.2, zorder=2.5)
        for office_id, (x, y), radius, point in zip(ids, xy, radii, lonlat, strict=True):
            self.marker_boxes.append((office_id, (x - radius, y - radius, x + radius, y + radius)))
            self.drawn_at[office_id] = (float(point[0]), float(point[1]))

    def _obstacle(self, artist) -> None:
        box = artist.get_window_extent(self.renderer)
        pad = self.px(2)
        self.obstacles.append((box.x0 - pad, box.y0 - pad, box.x1 + pad, box.y1 + pad))

    def legend(self, offices: pd.DataFrame, loc: str = "lower left", counts: bool = True) -> str:
        """The legend of the types present, in the first corner where it hides no office: that corner."""
        present = offices["office_type"].value_counts()
        handles, names = [], []
        for office_type in OfficeType:
            n = int(present.get(office_type.value, 0))
            if not n:
                continue
            path, relative = _marker_path(TYPE_STYLES[office_type].shape)
            handles.append(Line2D([], [], linestyle="none", marker=path,
                                  markersize=_marker_points(office_type.value, self.style) * relative * 0.8,
                                  markerfacecolor=TYPE_STYLES[office_type].colour, markeredgecolor="white",
                                  markeredgewidth=0.8))
            label = plain(self.texts.type_labels.get(office_type.value, TYPE_STYLES[office_type].label), 60)
            names.append(visual(f"{label} ({_number(n)})" if counts else label, self.texts.rtl))
        if not handles:
            return ""
        # The first corner (``loc`` first) where the legend hides no office.
        points = self.ax.transData.transform(offices[["longitude", "latitude"]].to_numpy(dtype=float))
        reach = self.px(self.style.marker)
        corners = [loc] + [c for c in ("lower left", "lower right", "upper left", "upper right") if c != loc]
        for corner in corners:
            legend = self.ax.legend(
                handles, names, loc=corner, bbox_to_anchor=(0, 0.045, 1, 0.91), prop=font(self.style.legend),
                title=visual(plain(self.texts.legend_title), self.texts.rtl),
                title_fontproperties=font(self.style.legend, bold=True), frameon=True, framealpha=0.94,
                edgecolor="#9ca3af", fancybox=True, markerfirst=not self.texts.rtl, borderpad=0.7,
                alignment="right" if self.texts.rtl else "left", handletextpad=0.6,
            )
            box = legend.get_window_extent(self.renderer)
            hidden = ((points[:, 0] > box.x0 - reach) & (points[:, 0] < box.x1 + reach)
                      & (points[:, 1] > box.y0 - reach) & (points[:, 1] < box.y1 + reach))
            if not hidden.any():
                break
        legend.set_zorder(10)
        for text in [*legend.get_texts(), legend.get_title()]:
            text.set_parse_math(False)
        self._obstacle(legend)
        return corner

    def scale_bar(self, loc_x: float, loc_y: float, world: bool, anchor: str = "left") -> None:
        """A bar of a round distance at the standard parallel; its ``anchor`` end at (loc_x, loc_y) in axes
        fractions."""
        view = self.view
        km_per_lon_degree = KM_PER_DEGREE * math.cos(math.radians(view.lat0))
        km = _nice_distance((view.east - view.west) * 0.16 * km_per_lon_degree)
        length = km / km_per_lon_degree / (view.east - view.west)  # in axes fraction
        text = self.texts.distance.format(n=_number(km))
        if world:
            text = self.texts.at_equator.format(distance=text)
        text = visual(plain(text, 60), self.texts.rtl)
        x0 = loc_x - length if anchor == "right" else loc_x
        tick = 0.012
        bar = [
            self.ax.plot([x0, x0 + length], [loc_y, loc_y], transform=self.ax.transAxes, color=INK, lw=2.2,
                         solid_capstyle="butt", zorder=11)[0],
            self.ax.plot([x0, x0], [loc_y - tick, loc_y + tick], transform=self.ax.transAxes, color=INK, lw=1.4,
                         zorder=11)[0],
            self.ax.plot([x0 + length] * 2, [loc_y - tick, loc_y + tick], transform=self.ax.transAxes, color=INK,
                         lw=1.4, zorder=11)[0],
        ]
        label = self.ax.text(x0 + length / 2, loc_y + 0.02, text, transform=self.ax.transAxes, ha="center",
                             va="bottom", fontproperties=font(self.style.small), color=INK, zorder=11,
                             parse_math=False,
                             path_effects=[patheffects.withStroke(linewidth=2.5, foreground="white")])
        for artist in (*bar, label):
            self._obstacle(artist)

    def attribution(self) -> None:
        rtl = self.texts.rtl
        text = self.ax.text(
            0.994, 0.012, visual(plain(self.texts.attribution, 120), rtl),
            transform=self.ax.transAxes, ha="right", va="bottom", fontproperties=font(self.style.small),
            color="#374151", zorder=11, parse_math=False,
            bbox={"boxstyle": "round,pad=0.25", "facecolor": "white", "alpha": 0.85, "edgecolor": "none"},
        )
        self._obstacle(text)

    def place_labels(self, offices: pd.DataFrame, label_of: Callable[[pd.Series], str],
                     bold: Iterable[str] = (), limit: int = MAX_LABELS) -> None:
        """A label for each office (in the table's order, up to ``limit``) where one fits."""
        rtl = self.texts.rtl
        bold = set(bold)
        axes_box = self.ax.get_window_extent(self.renderer)
        inner = (axes_box.x0 + self.px(3), axes_box.y0 + self.px(3), axes_box.x1 - self.px(3), axes_box.y1 - self.px(3))
        markers = {office_id: box for office_id, box in self.marker_boxes}
        discs = np.array([((x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) / 2) for _, (x0, y0, x1, y1) in self.marker_boxes])
        halo = self.px(1.5)
        blocked = [
            (x0 - halo, y0 - halo, x1 + halo, y1 + halo) for _, (x0, y0, x1, y1) in self.marker_boxes
        ] + list(self.obstacles)
        taken = np.asarray(blocked, dtype=float).reshape(-1, 4)
        # Candidate directions, nearest ring first; the first direction is the reading side.
        sides = [(1, 0), (-1, 0), (1, 1), (1, -1), (-1, 1), (-1, -1), (0, 1), (0, -1)]
        if rtl:
            sides = [(-dx, dy) for dx, dy in sides]
        for count, (_, row) in enumerate(offices.iterrows()):
            if count >= limit:
                break
            office_id = str(row["id"])
            if office_id in bold:  # the office of a region picture: its whole name, on up to 3 lines
                lines = textwrap.wrap(plain(label_of(row), 3 * BOLD_LINE_CHARS), BOLD_LINE_CHARS)
                text = "\n".join(visual(line, rtl) for line in lines)
            else:
                text = visual(plain(label_of(row), LABEL_CHARS), rtl)
            if not text or office_id not in markers:
                continue
            prop = font(self.style.label + (1.5 if office_id in bold else 0), bold=office_id in bold)
            probe = self.ax.text(0, 0, text, fontproperties=prop, parse_math=False, transform=None)
            extent = probe.get_window_extent(self.renderer)
            probe.remove()
            width, height = extent.width + 2 * halo, extent.height + 2 * halo
            x0, y0, x1, y1 = markers[office_id]
            cx, cy, radius = (x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) / 2
            others = discs[(discs[:, 0] != cx) | (discs[:, 1] != cy)] if len(discs) else discs
            chosen = None
            for ring, gap in enumerate((self.px(2.5), self.px(12), self.px(26), self.px(44))):
                for dx, dy in sides:
                    reach = radius + gap
                    # The box's nearest edge or corner sits ``reach`` from the marker's centre.
                    bx = cx + dx * reach - (width if dx < 0 else 0 if dx > 0 else width / 2)
                    by = cy + dy * reach * (0.8 if dx else 1) - (height if dy < 0 else 0 if dy > 0 else height / 2)
                    box = np.array([bx, by, bx + width, by + height])
                    if box[0] < inner[0] or box[1] < inner[1] or box[2] > inner[2] or box[3] > inner[3]:
                        continue
                    if _overlaps(box, taken):
                        continue
                    if ring == 0 and _nearer_other(box, (cx, cy, radius), others):
                        continue  # it would read as another office's label: further out, with a line
                    chosen = (box, ring > 0)
                    break
                if chosen:
                    break
            if chosen is None:
                continue
            box, leader = chosen
            taken = np.vstack([taken, box])
            inv = self.fig.dpi_scale_trans.inverted()
            centre = ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2)
            offset = inv.transform((centre[0] - cx, centre[1] - cy)) * 72
            self.ax.annotate(
                text, xy=self.drawn_at[office_id], xytext=tuple(offset), textcoords="offset points",
                ha="center", va="center", multialignment="right" if rtl else "left", fontproperties=prop, color=INK, zorder=8, parse_math=False,
                annotation_clip=False,
                path_effects=[patheffects.withStroke(linewidth=self.style.label * 0.32, foreground="white")],
                arrowprops={"arrowstyle": "-", "color": "#374151", "lw": 0.8, "shrinkA": 2,
                            "shrinkB": self.style.marker * 0.55} if leader else None,
            )
            self.labels.append(PlacedLabel(office_id, text, tuple(float(v) for v in box), leader))


def _save(fig: Figure, fmt: str, dpi: float) -> bytes:
    out = io.BytesIO()
    with matplotlib.rc_context({"svg.fonttype": "path", "pdf.fonttype": 42, "svg.hashsalt": "gs-office-map"}):
        fig.savefig(out, format=fmt, dpi=dpi, facecolor="white",
                    metadata={"Date": None} if fmt == "svg" else ({"CreationDate": None} if fmt == "pdf" else None))
    return out.getvalue()


def _picture(drawing: MapDrawing, fmt: str) -> Picture:
    fig = drawing.fig
    data = _save(fig, fmt, fig.dpi)
    width, height = (round(v) for v in fig.bbox.size)
    return Picture(data, fmt, width, height, tuple(drawing.labels), tuple(drawing.marker_boxes),
                   tuple(drawing.obstacles))


def _check_format(fmt: str) -> str:
    if fmt not in ("png", "svg", "pdf"):
        raise ValueError(f"fmt must be 'png', 'svg' or 'pdf', got {fmt!r}")
    return fmt


def city_label(row: pd.Series) -> str:
    return plain(row.get("city")) or plain(row.get("name"))


def world_picture(
    offices: pd.DataFrame,
    texts: PictureTexts | None = None,
    *,
    fmt: str = "png",
    width_px: int = 2400,
    label_of: Callable[[pd.Series], str] = city_label,
) -> Picture:
    """The offices on the world map (latitudes -58..84), each labelled with its city where it fits.

    Offices are labelled in the table's order (give it in tour order: headquarters first), at
    most :data:`MAX_LABELS`; offices without coordinates are left out.
    """
    texts = texts or PictureTexts()
    _check_format(fmt)
    view = View(*WORLD_VIEW)
    dpi = 200.0
    width_in = width_px / dpi
    fig = Figure(figsize=(width_in, width_in / view.aspect), dpi=dpi)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0, 0, 1, 1))
    placed = _placed(offices)
    with _RENDER_LOCK:
        drawing = MapDrawing(fig, ax, view, texts, Style())
        drawing.land()
        drawing.legend(placed, loc="lower left")
        drawing.scale_bar(0.36, 0.07, world=True)
        drawing.attribution()
        drawing.markers(placed)
        drawing.place_labels(placed, label_of)
        return _picture(drawing, fmt)


def region_picture(
    offices: pd.DataFrame,
    office_id: str,
    texts: PictureTexts | None = None,
    *,
    fmt: str = "png",
    width_px: int = 1800,
    aspect: float = 4 / 3,
) -> Picture:
    """One office in its surroundings: ringed and named (bold), its neighbours labelled by city.

    Raises ``KeyError`` if the office is not in the table or has no coordinates.
    """
    texts = texts or PictureTexts()
    _check_format(fmt)
    placed = _placed(offices)
    chosen = placed[placed["id"] == office_id]
    if chosen.empty:
        raise KeyError(f"no office with coordinates has the id {office_id!r}")
    row = chosen.iloc[0]
    view = region_view(float(row["latitude"]), float(row["longitude"]), aspect)
    lon = placed["longitude"]
    near = placed[(lon >= view.west) & (lon <= view.east) & (placed["latitude"] >= view.south)
                  & (placed["latitude"] <= view.north)]
    # The office first, so its label gets the best place; then its neighbours.
    near = pd.concat([chosen.iloc[:1], near[near["id"] != office_id]])
    # Drawn at the size the slide shows it (geo/exports/slides.py), so its points are the slide's points.
    width_in = REGION_INCHES
    dpi = width_px / width_in
    fig = Figure(figsize=(width_in, width_in / aspect), dpi=dpi)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0, 0, 1, 1))
    with _RENDER_LOCK:
        drawing = MapDrawing(fig, ax, view, texts, Style(marker=18, label=13, legend=10.5, small=8, border=0.5))
        drawing.land()
        start, end = ("right", "left") if texts.rtl else ("left", "right")
        corner = drawing.legend(near, loc=f"lower {start}", counts=False)
        # The scale bar at the top of the reading side, unless the legend had to go there.
        side = end if corner == f"upper {start}" else start
        drawing.scale_bar(0.95 if side == "right" else 0.05, 0.93, world=False, anchor=side)
        drawing.attribution()
        drawing.markers(near, selected_id=office_id)

        def label(r: pd.Series) -> str:
            return plain(r.get("name")) if r["id"] == office_id else city_label(r)

        drawing.place_labels(near, label, bold=[office_id])
        return _picture(drawing, fmt)


__all__ = [
    "MapDrawing", "Picture", "PictureTexts", "PlacedLabel", "Style", "View", "city_label", "font", "has_arabic",
    "plain", "region_picture", "region_view", "visual", "world_picture",
]
