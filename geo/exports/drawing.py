"""One map drawn with matplotlib: outlines, markers moved apart where they would hide each other,
legend, scale bar, attribution and labels that never cover a marker or each other.

Labels: each label's size is measured once, then it takes the first free place of a ring of
candidates around its marker, further out with a leader line if the near ones are taken; a label
with no free place is left out (the legend and the slides still name the office).
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Callable, Iterable

import matplotlib
import matplotlib.patches
import numpy as np
import pandas as pd
from matplotlib import patheffects
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from geo.exports.cartography import (
    BOLD_LINE_CHARS,
    BORDER,
    INK,
    KM_PER_DEGREE,
    LABEL_CHARS,
    LAND,
    MAX_LABELS,
    OCEAN,
    TYPE_INDEX,
    PictureTexts,
    PlacedLabel,
    Style,
    View,
    font,
    land_rings,
    marker_path,
    nice_distance,
    number_text,
    plain,
    ring_bounds,
    visual,
)
from geo.maps.styles import TYPE_STYLES
from geo.offices.schema import OfficeType


def placed_offices(offices: pd.DataFrame) -> pd.DataFrame:
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
        for office_type in sorted(set(kinds), key=lambda t: -TYPE_INDEX.get(t, 99)):
            if office_type not in TYPE_INDEX:
                continue
            mask = kinds == office_type
            shape = TYPE_STYLES[OfficeType(office_type)].shape
            path, relative = marker_path(shape)
            size = _marker_points(office_type, self.style) * relative
            self.ax.scatter(
                lonlat[mask, 0], lonlat[mask, 1], s=size**2, marker=path,
                c=TYPE_STYLES[OfficeType(office_type)].colour, edgecolors="white",
                linewidths=size / 14, zorder=3 + (5 - TYPE_INDEX[office_type]) / 10,
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
            path, relative = marker_path(TYPE_STYLES[office_type].shape)
            handles.append(Line2D([], [], linestyle="none", marker=path,
                                  markersize=_marker_points(office_type.value, self.style) * relative * 0.8,
                                  markerfacecolor=TYPE_STYLES[office_type].colour, markeredgecolor="white",
                                  markeredgewidth=0.8))
            label = plain(self.texts.type_labels.get(office_type.value, TYPE_STYLES[office_type].label), 60)
            names.append(visual(f"{label} ({number_text(n)})" if counts else label, self.texts.rtl))
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
        km = nice_distance((view.east - view.west) * 0.16 * km_per_lon_degree)
        length = km / km_per_lon_degree / (view.east - view.west)  # in axes fraction
        text = self.texts.distance.format(n=number_text(km))
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

    def _label_text(self, row: pd.Series, label_of: Callable[[pd.Series], str], bold: bool) -> str:
        rtl = self.texts.rtl
        if bold:  # the office of a region picture: its whole name, on up to 3 lines
            lines = textwrap.wrap(plain(label_of(row), 3 * BOLD_LINE_CHARS), BOLD_LINE_CHARS)
            return "\n".join(visual(line, rtl) for line in lines)
        return visual(plain(label_of(row), LABEL_CHARS), rtl)

    def _free_box(self, marker: tuple[float, float, float, float], size: tuple[float, float],
                  taken: np.ndarray, others: np.ndarray, inner: tuple[float, float, float, float]):
        """The first free place (box, leader) for a label of ``size`` around ``marker``, or None."""
        # Candidate directions, nearest ring first; the first direction is the reading side.
        sides = [(1, 0), (-1, 0), (1, 1), (1, -1), (-1, 1), (-1, -1), (0, 1), (0, -1)]
        if self.texts.rtl:
            sides = [(-dx, dy) for dx, dy in sides]
        width, height = size
        x0, y0, x1, y1 = marker
        cx, cy, radius = (x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) / 2
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
                return box, ring > 0
        return None

    def _annotate(self, office_id: str, text: str, prop, box: np.ndarray, leader: bool) -> None:
        x0, y0, x1, y1 = dict(self.marker_boxes)[office_id]
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        inv = self.fig.dpi_scale_trans.inverted()
        centre = ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2)
        offset = inv.transform((centre[0] - cx, centre[1] - cy)) * 72
        self.ax.annotate(
            text, xy=self.drawn_at[office_id], xytext=tuple(offset), textcoords="offset points",
            ha="center", va="center", multialignment="right" if self.texts.rtl else "left", fontproperties=prop,
            color=INK, zorder=8, parse_math=False, annotation_clip=False,
            path_effects=[patheffects.withStroke(linewidth=self.style.label * 0.32, foreground="white")],
            arrowprops={"arrowstyle": "-", "color": "#374151", "lw": 0.8, "shrinkA": 2,
                        "shrinkB": self.style.marker * 0.55} if leader else None,
        )
        self.labels.append(PlacedLabel(office_id, text, tuple(float(v) for v in box), leader))

    def place_labels(self, offices: pd.DataFrame, label_of: Callable[[pd.Series], str],
                     bold: Iterable[str] = (), limit: int = MAX_LABELS) -> None:
        """A label for each office (in the table's order, up to ``limit``) where one fits."""
        bold = set(bold)
        axes_box = self.ax.get_window_extent(self.renderer)
        inner = (axes_box.x0 + self.px(3), axes_box.y0 + self.px(3), axes_box.x1 - self.px(3), axes_box.y1 - self.px(3))
        markers = dict(self.marker_boxes)
        discs = np.array([((x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) / 2) for _, (x0, y0, x1, y1) in self.marker_boxes])
        halo = self.px(1.5)
        blocked = [
            (x0 - halo, y0 - halo, x1 + halo, y1 + halo) for _, (x0, y0, x1, y1) in self.marker_boxes
        ] + list(self.obstacles)
        taken = np.asarray(blocked, dtype=float).reshape(-1, 4)
        for count, (_, row) in enumerate(offices.iterrows()):
            if count >= limit:
                break
            office_id = str(row["id"])
            text = self._label_text(row, label_of, office_id in bold)
            if not text or office_id not in markers:
                continue
            prop = font(self.style.label + (1.5 if office_id in bold else 0), bold=office_id in bold)
            probe = self.ax.text(0, 0, text, fontproperties=prop, parse_math=False, transform=None)
            extent = probe.get_window_extent(self.renderer)
            probe.remove()
            x0, y0, x1, y1 = markers[office_id]
            cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
            others = discs[(discs[:, 0] != cx) | (discs[:, 1] != cy)] if len(discs) else discs
            size = (extent.width + 2 * halo, extent.height + 2 * halo)
            chosen = self._free_box(markers[office_id], size, taken, others, inner)
            if chosen is None:
                continue
            taken = np.vstack([taken, chosen[0]])
            self._annotate(office_id, text, prop, *chosen)
