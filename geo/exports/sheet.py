"""The printable briefing sheet as one HTML page (A4 or US Letter): title, date, outline map,
legend, table of offices and the source line.

Text from the table is escaped with :func:`html.escape` before it becomes HTML. The search for
crowded offices (the close-up beside the legend) grows with the table, not with its square: it
looks only at the edges of a Delaunay triangulation (matplotlib's), which hold every office's
nearest neighbour and the shortest links between groups.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping
from datetime import date
from functools import lru_cache
from itertools import pairwise

import numpy as np
import pandas as pd
from matplotlib.tri import Triangulation

from geo.exports.table import is_placed, records, type_label
from geo.maps import assets
from geo.maps.styles import marker_size, marker_svg
from geo.offices.schema import OfficeType

# The sheet's map: equirectangular, latitudes 80..-60, in tenths of a degree (integers in the SVG).
MAP_NORTH, MAP_SOUTH = 80, -60
MAP_WIDTH, MAP_HEIGHT = 3600, (MAP_NORTH - MAP_SOUTH) * 10
SHEET_WIDTH_MM = 186  # A4 (210 mm) and US Letter (215.9 mm) less two 12 mm margins
UNITS_PER_MM = MAP_WIDTH / SHEET_WIDTH_MM
INSET_MM = (88.0, 46.0)  # the close-up of crowded offices, beside the legend
_OVERLAP_MM = 5.0  # two markers closer than this hide each other
_NEIGHBOUR_MM = 9.0  # offices this close to a crowded one join its close-up
_INSET_PAD_DEGREES = 2.5
SHEET_COLUMNS = ("name", "office_type", "city", "country", "partner", "opened")
_DEFAULT_COLUMN_LABELS = {
    "name": "Office", "office_type": "Type", "city": "City", "country": "Country",
    "partner": "Partner", "opened": "Opened",
}

_SHEET_CSS = """
@page { margin: 12mm; }
* { box-sizing: border-box; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { margin: 0; color: #111827; background: #fff;
  font: 8.5pt/1.3 "Noto Sans", "Noto Sans Arabic", "DejaVu Sans", Arial, sans-serif; }
.sheet { max-width: 186mm; margin: 0 auto; }
@media screen { body { background: #e5e7eb; }
  .sheet { max-width: 210mm; padding: 12mm; margin: 6mm auto; background: #fff; box-shadow: 0 1px 6px #0003; } }
h1 { margin: 0; font-size: 15pt; line-height: 1.2; }
.meta { margin: 1mm 0 2.5mm; color: #374151; }
svg { display: block; }
.world { width: 100%; height: auto; border: 0.3mm solid #9ca3af; }
.below { display: flex; gap: 4mm; align-items: flex-start; margin: 2.5mm 0; }
.legend { list-style: none; margin: 0; padding: 0; flex: 1; }
.legend li { display: flex; align-items: center; gap: 1.5mm; margin: 0.6mm 0; }
.legend .count { margin-inline-start: auto; font-weight: 700; font-variant-numeric: tabular-nums; }
.mk { width: 3.6mm; height: 3.6mm; flex: none; }
.inset { width: 88mm; height: 46mm; flex: none; border: 0.3mm solid #9ca3af; }
table { width: 100%; border-collapse: collapse; font-size: 7.5pt; }
th, td { padding: 0.5mm 1mm; text-align: start; vertical-align: top; border-bottom: 0.2mm solid #d1d5db; }
th { background: #f3f4f6; font-weight: 700; }
tr { break-inside: avoid; }
td.n, th.n { text-align: end; font-variant-numeric: tabular-nums; width: 5mm; }
td.type, td.nowrap { white-space: nowrap; }
td.type svg { display: inline-block; vertical-align: -0.6mm; width: 3mm; height: 3mm; margin-inline-end: 1mm; }
.source { margin: 2.5mm 0 0; color: #374151; font-size: 7.5pt; }
text.label { font: 700 46px sans-serif; fill: #111827; stroke: #fff; stroke-width: 12px;
  paint-order: stroke; stroke-linejoin: round; }
"""


def _x(lon: float) -> float:
    return (lon + 180) * 10


def _y(lat: float) -> float:
    return (MAP_NORTH - lat) * 10


@lru_cache(maxsize=1)
def land_path() -> str:
    """The country outlines as one SVG path in map units, rounded to 0.1 degree, relative moves."""
    if not assets.BASEMAP_PATH.exists():
        return ""
    basemap = json.loads(assets.BASEMAP_PATH.read_text(encoding="utf-8"))
    parts = []
    for feature in basemap["features"]:
        geometry = feature.get("geometry") or {}
        polygons = geometry.get("coordinates", [])
        if geometry.get("type") == "Polygon":
            polygons = [polygons]
        for ring in (ring for polygon in polygons for ring in polygon):
            if all(lat < MAP_SOUTH for _, lat in ring) or all(lat > MAP_NORTH for _, lat in ring):
                continue  # wholly outside the sheet (Antarctica)
            points = [(round(_x(lon)), round(_y(lat))) for lon, lat in ring]
            kept = [points[0]]
            kept.extend(p for prev, p in pairwise(points) if p != prev)
            if kept[-1] == kept[0]:
                kept.pop()  # "z" closes the ring
            if len(kept) < 3:
                continue
            steps = " ".join(f"{x - px} {y - py}" for (px, py), (x, y) in pairwise(kept))
            parts.append(f"M{kept[0][0]} {kept[0][1]}l{steps}z".replace(" -", "-"))
    return "".join(parts)


def _marker_units(office_type: str) -> float:
    """Marker size in map units: about 4.6 mm for headquarters and the complex, 3.5 mm for the rest."""
    return round(marker_size(office_type) * 0.135 * UNITS_PER_MM)


def _links(points: np.ndarray) -> np.ndarray:
    """Pairs of rows of ``points`` (distinct (longitude, latitude)) that hold each point's nearest
    neighbour and a minimum spanning tree: the edges of their Delaunay triangulation, or of the
    line through them when they all lie on one line (qhull cannot triangulate that)."""
    if len(points) >= 3:
        try:
            return Triangulation(points[:, 0], points[:, 1]).edges
        except (RuntimeError, ValueError):
            pass
    order = np.lexsort((points[:, 1], points[:, 0]))
    return np.column_stack([order[:-1], order[1:]])


def _components(count: int, edges: np.ndarray) -> np.ndarray:
    """The connected component of each of ``count`` nodes linked by ``edges``, as the id of a root."""
    parent = list(range(count))

    def root(node: int) -> int:
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for a, b in edges.tolist():
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return np.array([root(node) for node in range(count)], dtype=int)


def _crowded_group(numbers: np.ndarray, lonlat: np.ndarray) -> np.ndarray | None:
    """A mask of the largest group of offices that overlap on the world map (a group: offices
    linked by steps shorter than :data:`_NEIGHBOUR_MM`, one pair of them closer than
    :data:`_OVERLAP_MM`); on a tie, the group of the lowest-numbered overlapping office."""
    mm = 10 / UNITS_PER_MM  # millimetres per degree
    sites, site_of = np.unique(lonlat, axis=0, return_inverse=True)
    site_of = site_of.ravel()
    edges = _links(sites) if len(sites) > 1 else np.zeros((0, 2), dtype=int)
    length = np.hypot(*(sites[edges[:, 0]] - sites[edges[:, 1]]).T) * mm if len(edges) else np.zeros(0)
    overlapping = np.bincount(site_of, minlength=len(sites)) > 1  # two offices at one place
    overlapping[edges[length < _OVERLAP_MM].ravel()] = True
    group = _components(len(sites), edges[length < _NEIGHBOUR_MM])[site_of]
    crowded = overlapping[site_of]
    if not crowded.any():
        return None
    candidates = {}
    for g, n in zip(group[crowded].tolist(), numbers[crowded].tolist(), strict=True):
        candidates[g] = min(n, candidates.get(g, n))
    sizes = np.bincount(group)
    best = min(candidates, key=lambda g: (-sizes[g], candidates[g]))
    return group == best


def _crowded_box(placed: list[tuple[int, float, float, str]]) -> tuple[float, float, float, float] | None:
    """(west, south, east, north) of the largest group of offices that overlap on the world map.

    Time and memory grow with the number of offices (n log n), not with the number of pairs.
    """
    if len(placed) < 2:
        return None
    numbers = np.array([n for n, *_ in placed], dtype=int)
    lonlat = np.array([(lon, lat) for _, lat, lon, _ in placed], dtype=float)
    best = _crowded_group(numbers, lonlat)
    if best is None:
        return None
    return inset_box(lonlat[best, 0], lonlat[best, 1])


def inset_box(lons: np.ndarray, lats: np.ndarray) -> tuple[float, float, float, float]:
    """(west, south, east, north) around these points, padded, then widened or heightened to the
    close-up's shape."""
    west, east = float(lons.min()) - _INSET_PAD_DEGREES, float(lons.max()) + _INSET_PAD_DEGREES
    south, north = float(lats.min()) - _INSET_PAD_DEGREES, float(lats.max()) + _INSET_PAD_DEGREES
    aspect = INSET_MM[0] / INSET_MM[1]
    if (east - west) / (north - south) < aspect:  # widen or heighten to the inset's shape
        grow = (north - south) * aspect - (east - west)
        west, east = west - grow / 2, east + grow / 2
    else:
        grow = (east - west) / aspect - (north - south)
        south, north = south - grow / 2, north + grow / 2
    return west, south, east, north


def _marker_uses(
    placed: list[tuple[int, float, float, str]], scale: float, labelled: set[int], titles: dict[int, str]
) -> str:
    """<use> of each type's symbol at each office, drawn small types first so headquarters is on top."""
    out = []
    for n, lat, lon, office_type in sorted(placed, key=lambda p: -list(OfficeType).index(OfficeType(p[3]))):
        size = _marker_units(office_type) * scale
        x, y = _x(lon), _y(lat)
        out.append(
            f'<use href="#mk-{office_type}" x="{x - size / 2:.0f}" y="{y - size / 2:.0f}" '
            f'width="{size:.0f}" height="{size:.0f}"><title>{titles[n]}</title></use>'
        )
        if n in labelled:
            out.append(
                f'<text class="label" x="{x + size / 2 + 6 * scale:.0f}" y="{y + 16 * scale:.0f}"'
                f' style="font-size:{46 * scale:.0f}px;stroke-width:{12 * scale:.0f}px">{n}</text>'
            )
    return "".join(out)


def _sheet_maps(records: list[dict[str, object]], title: str) -> tuple[str, str]:
    """The world map SVG and, when offices crowd together, the close-up SVG (else "")."""
    placed = [
        (n, float(r["latitude"]), float(r["longitude"]), str(r["office_type"]))
        for n, r in enumerate(records, start=1)
        if is_placed(r)
    ]
    titles = {n: html.escape(str(r.get("name") or "")) for n, r in enumerate(records, start=1)}
    box = _crowded_box(placed)
    in_box = set()
    if box:
        west, south, east, north = box
        in_box = {n for n, lat, lon, _ in placed if west <= lon <= east and south <= lat <= north}
    symbols = "".join(
        f'<symbol id="mk-{t.value}" viewBox="0 0 28 28">{marker_svg(t.value, 28)}</symbol>' for t in OfficeType
    )
    land = f'<path id="land" d="{land_path()}" fill="#eceae4" stroke="#8a9aa9" stroke-linejoin="round"/>'
    world = [
        f'<svg class="world" viewBox="0 0 {MAP_WIDTH} {MAP_HEIGHT}" role="img" aria-label="{html.escape(title)}"'
        f' xmlns="http://www.w3.org/2000/svg"><defs>{symbols}{land}</defs>',
        f'<rect width="{MAP_WIDTH}" height="{MAP_HEIGHT}" fill="#dcebf5"/>',
        '<use href="#land" stroke-width="2.5"/>',
    ]
    inset = ""
    if box:
        west, south, east, north = box
        x0, y0, width, height = _x(west), _y(north), (east - west) * 10, (north - south) * 10
        world.append(
            f'<rect x="{x0:.0f}" y="{y0:.0f}" width="{width:.0f}" height="{height:.0f}" fill="none"'
            ' stroke="#111827" stroke-width="5" stroke-dasharray="14 10"/>'
        )
        scale = width / (INSET_MM[0] * UNITS_PER_MM)  # inset units per world unit on paper
        inset = (
            f'<svg class="inset" viewBox="{x0:.1f} {y0:.1f} {width:.1f} {height:.1f}" role="img"'
            f' aria-label="{html.escape(title)}" xmlns="http://www.w3.org/2000/svg">'
            f'<rect x="{x0:.1f}" y="{y0:.1f}" width="{width:.1f}" height="{height:.1f}" fill="#dcebf5"/>'
            f'<use href="#land" stroke-width="{2.5 * scale:.2f}"/>'
            + _marker_uses([p for p in placed if p[0] in in_box], scale, in_box, titles)
            + "</svg>"
        )
    outside = {n for n, *_ in placed} - in_box
    world.append(_marker_uses(placed, 1.0, outside, titles))
    world.append("</svg>")
    return "".join(world), inset


_TYPES = frozenset(t.value for t in OfficeType)


def _table_row(n: int, record: Mapping[str, object], type_labels: Mapping[str, str]) -> str:
    """One office's row of the sheet's table, every cell escaped."""
    esc = html.escape
    cells = []
    for column in SHEET_COLUMNS:
        value = record.get(column)
        text = "" if value is None else str(value)
        if column == "office_type":
            icon = f'<svg viewBox="0 0 28 28" aria-hidden="true"><use href="#mk-{esc(text)}"/></svg>' if text in _TYPES else ""
            cells.append(f'<td class="type">{icon}{esc(type_label(text, type_labels))}</td>')
        else:
            nowrap = ' class="nowrap"' if column in ("city", "country") and len(text) <= 16 else ""
            cells.append(f"<td{nowrap}>{esc(text)}</td>")
    return f'<tr><td class="n">{n}</td>{"".join(cells)}</tr>'


def briefing_sheet_html(
    offices: pd.DataFrame,
    *,
    title: str,
    type_labels: Mapping[str, str],
    column_labels: Mapping[str, str],
    generated: date,
    source: str,
    rtl: bool = False,
    lang: str = "en",
) -> str:
    """A one-page printable sheet (A4 or US Letter): title, date, outline map, legend, table, source.

    The map is inline SVG (equirectangular, latitudes -60..80) with each office drawn as the map's
    shape and colour and numbered as in the table; offices that would hide each other are shown again
    in a close-up beside the legend. ``column_labels`` is keyed by column name (see
    :data:`SHEET_COLUMNS`); missing labels fall back to English.
    """
    esc = html.escape
    rows = records(offices, list(dict.fromkeys((*SHEET_COLUMNS, "latitude", "longitude"))))
    world, inset = _sheet_maps(rows, title)
    labels = {**_DEFAULT_COLUMN_LABELS, **column_labels}
    counts = pd.Series([r["office_type"] for r in rows], dtype="object").value_counts()
    legend = "".join(
        f'<li><svg class="mk" viewBox="0 0 28 28" aria-hidden="true"><use href="#mk-{t.value}"/></svg>'
        f'<span>{esc(type_label(t.value, type_labels))}</span>'
        f'<span class="count">{int(counts.get(t.value, 0))}</span></li>'
        for t in OfficeType
    )
    head = "".join(f"<th>{esc(labels[c])}</th>" for c in SHEET_COLUMNS)
    body = "\n".join(_table_row(n, record, type_labels) for n, record in enumerate(rows, start=1))
    when = generated.isoformat()
    return (
        f'<!DOCTYPE html>\n<html lang="{esc(lang)}" dir="{"rtl" if rtl else "ltr"}">\n<head>\n'
        f'<meta charset="utf-8">\n<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{esc(title)} {when}</title>\n<style>{_SHEET_CSS}</style>\n</head>\n<body>\n"
        f'<main class="sheet">\n<h1>{esc(title)}</h1>\n'
        f'<p class="meta"><time datetime="{when}">{when}</time></p>\n'
        f"{world}\n"
        f'<div class="below"><ul class="legend">{legend}</ul>{inset}</div>\n'
        f'<table>\n<thead><tr><th class="n">#</th>{head}</tr></thead>\n'
        f"<tbody>\n{body}\n</tbody>\n</table>\n"
        f'<p class="source">{esc(source)}</p>\n</main>\n</body>\n</html>\n'
    )
