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
import threading
from collections.abc import Callable
from dataclasses import dataclass

import matplotlib
import matplotlib.patches
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from geo.exports.cartography import (
    REGION_INCHES,
    WORLD_VIEW,
    PictureTexts,
    PlacedLabel,
    Style,
    View,
    plain,
    region_view,
)
from geo.exports.drawing import MapDrawing, placed_offices

RENDER_LOCK = threading.Lock()  # matplotlib's rcParams (font types at save time) are process-wide


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



def save_figure(fig: Figure, fmt: str, dpi: float) -> bytes:
    out = io.BytesIO()
    with matplotlib.rc_context({"svg.fonttype": "path", "pdf.fonttype": 42, "svg.hashsalt": "gs-office-map"}):
        fig.savefig(out, format=fmt, dpi=dpi, facecolor="white",
                    metadata={"Date": None} if fmt == "svg" else ({"CreationDate": None} if fmt == "pdf" else None))
    return out.getvalue()


def _picture(drawing: MapDrawing, fmt: str) -> Picture:
    fig = drawing.fig
    data = save_figure(fig, fmt, fig.dpi)
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
    placed = placed_offices(offices)
    with RENDER_LOCK:
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
    placed = placed_offices(offices)
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
    with RENDER_LOCK:
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
