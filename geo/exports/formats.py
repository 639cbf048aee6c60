"""Downloads of the office table and the map: CSV, GeoJSON, KML, one offline HTML map, a briefing sheet.

Every function is a pure function of an office DataFrame as :func:`geo.offices.table.load_offices` returns
it, possibly filtered, possibly localised (the ``<field>_en`` columns :func:`geo.offices.localise.localise`
adds are never exported) and possibly with rows that have no coordinates (NaN).

Text from the table is data, never markup or a formula: CSV cells that a spreadsheet would run are
prefixed with ``'`` (OWASP CSV injection), XML is built with ElementTree, HTML is escaped with
:func:`html.escape`, and the map page embeds data only as escaped JSON (see :mod:`geo.maps.build`).
"""

from __future__ import annotations

import csv
import html
import io
import json
import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import replace
from datetime import date
from functools import lru_cache
from html.parser import HTMLParser
from itertools import combinations, pairwise

import pandas as pd

from geo.maps import assets
from geo.maps.build import MapOptions, build_office_map, marker_size, marker_svg
from geo.offices.localise import TRANSLATED_FIELDS
from geo.offices.schema import CONTRACT_COLUMNS, TYPE_STYLES, OfficeType

DEFAULT_TITLE = "INTERPOL General Secretariat offices"
DEFAULT_SOURCE = "Source: INTERPOL (interpol.int); outlines: Natural Earth (public domain)"
KML_NAMESPACE = "http://www.opengis.net/kml/2.2"
COORDINATE_DECIMALS = 6
_LOCALISED_COPIES = frozenset(f"{column}_en" for column in TRANSLATED_FIELDS)
_COORDINATES = ("latitude", "longitude")
# OWASP: a cell starting with one of these (after blanks) is read as a formula by spreadsheets.
_FORMULA_START = re.compile("^[ \u00a0]*[=+\\-@\t\r]")
# Characters XML 1.0 cannot carry at all; a hostile table must not make the KML unreadable.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_NAME_PART = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


class ExportError(RuntimeError):
    """An export could not be made as promised (e.g. the map page would still load a URL)."""


# --- shared ----------------------------------------------------------------------------------


def export_filename(kind: str, ext: str, today: date | None = None) -> str:
    """A download name such as ``interpol-gs-offices-2026-11-27.csv`` (``kind`` and ``ext`` are constants)."""
    ext = ext.lstrip(".")
    if not _NAME_PART.fullmatch(kind) or not _NAME_PART.fullmatch(ext):
        raise ValueError(f"kind and ext must be lowercase words joined by '-', got {kind!r} and {ext!r}")
    return f"interpol-gs-{kind}-{(today or date.today()).isoformat()}.{ext}"


def export_columns(offices: pd.DataFrame) -> list[str]:
    """The columns an export writes: the contract columns in schema order, then the table's extra ones.

    Left out: the English copies ``<field>_en`` that :func:`geo.offices.localise.localise` adds, and private
    working columns whose name starts with ``_``.
    """
    extra = [
        c for c in offices.columns
        if c not in CONTRACT_COLUMNS and c not in _LOCALISED_COPIES and not str(c).startswith("_")
    ]
    return list(CONTRACT_COLUMNS) + extra


def _column(offices: pd.DataFrame, name: str) -> pd.Series:
    if name in offices.columns:
        return offices[name]
    return pd.Series([math.nan] * len(offices), index=offices.index, dtype="float64")


def _is_number_column(series: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)


def _plain(value: object) -> object:
    """A cell as a JSON value: None for missing, int/float for numbers, str for the rest."""
    if value is None or (not isinstance(value, str) and pd.api.types.is_scalar(value) and pd.isna(value)):
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) or pd.api.types.is_number(value):
        number = float(value)
        return int(number) if pd.api.types.is_integer(value) else number
    return str(value)


def _records(offices: pd.DataFrame, columns: list[str]) -> list[dict[str, object]]:
    data = {c: [_plain(v) for v in _column(offices, c).tolist()] for c in columns}
    return [{c: data[c][i] for c in columns} for i in range(len(offices))]


def _format_coordinate(value: float) -> str:
    text = f"{value:.{COORDINATE_DECIMALS}f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _placed(record: Mapping[str, object]) -> bool:
    lat, lon = record.get("latitude"), record.get("longitude")
    return isinstance(lat, float | int) and isinstance(lon, float | int) and math.isfinite(lat + lon)


def _type_label(office_type: str, type_labels: Mapping[str, str] | None) -> str:
    if type_labels and office_type in type_labels:
        return type_labels[office_type]
    try:
        return TYPE_STYLES[OfficeType(office_type)].label
    except ValueError:
        return office_type


# --- CSV -------------------------------------------------------------------------------------


def neutralise_formula(text: str) -> str:
    """``text`` with a leading ``'`` when a spreadsheet would read it as a formula."""
    return "'" + text if _FORMULA_START.match(text) else text


def _csv_cells(series: pd.Series, name: str) -> list[str]:
    if name in _COORDINATES:
        return ["" if pd.isna(v) else _format_coordinate(float(v)) for v in series.tolist()]
    if _is_number_column(series):  # numbers (e.g. opened) are written as numbers, never quoted
        return ["" if pd.isna(v) else str(_plain(v)) for v in series.tolist()]
    return ["" if _plain(v) is None else neutralise_formula(str(v)) for v in series.tolist()]


def to_csv_bytes(offices: pd.DataFrame) -> bytes:
    """The table as UTF-8 CSV with a byte-order mark (so Excel reads the accents), formulas neutralised."""
    columns = export_columns(offices)
    cells = [_csv_cells(_column(offices, c), c) for c in columns]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([neutralise_formula(str(c)) for c in columns])  # a column name may start with =
    writer.writerows(zip(*cells, strict=True))
    return out.getvalue().encode("utf-8-sig")


# --- GeoJSON ---------------------------------------------------------------------------------


def to_geojson(offices: pd.DataFrame) -> dict[str, object]:
    """An RFC 7946 FeatureCollection: one Point feature per office ([longitude, latitude]), null if unplaced."""
    columns = export_columns(offices)
    features = []
    for record in _records(offices, columns):
        geometry = None
        if _placed(record):
            geometry = {
                "type": "Point",
                "coordinates": [
                    round(float(record["longitude"]), COORDINATE_DECIMALS),
                    round(float(record["latitude"]), COORDINATE_DECIMALS),
                ],
            }
        properties = {c: v for c, v in record.items() if c not in _COORDINATES}
        features.append({"type": "Feature", "id": record["id"], "geometry": geometry, "properties": properties})
    return {"type": "FeatureCollection", "features": features}


def to_geojson_bytes(offices: pd.DataFrame) -> bytes:
    """:func:`to_geojson` as UTF-8 JSON; ``<``, ``>`` and ``&`` are written as \\u escapes (same data)."""
    text = json.dumps(to_geojson(offices), ensure_ascii=False, allow_nan=False, indent=1)
    for char, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(char, escaped)
    return (text + "\n").encode("utf-8")


# --- KML -------------------------------------------------------------------------------------

# Google Earth's own icons closest to each shape; white, so IconStyle's colour tints them.
_KML_ICONS = {
    "star": "https://maps.google.com/mapfiles/kml/shapes/star.png",
    "hexagon": "https://maps.google.com/mapfiles/kml/shapes/polygon.png",
    "circle": "https://maps.google.com/mapfiles/kml/shapes/placemark_circle.png",
    "square": "https://maps.google.com/mapfiles/kml/shapes/square.png",
    "triangle": "https://maps.google.com/mapfiles/kml/shapes/triangle.png",
}


def kml_colour(hex_colour: str, alpha: str = "ff") -> str:
    """``#RRGGBB`` as KML's ``aabbggrr``."""
    rgb = hex_colour.lstrip("#").lower()
    return f"{alpha}{rgb[4:6]}{rgb[2:4]}{rgb[0:2]}"


def _xml_text(value: object) -> str:
    return _NOT_XML.sub("", "" if value is None else str(value))


def _sub(parent: ET.Element, tag: str, text: object = None, **attrib: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attrib)
    if text is not None:
        element.text = _xml_text(text)
    return element


# KML's own elements: GDAL's KML driver reads ExtendedData fields of these names as clashing with
# them (it adds empty id2, name2, description2 and loses the balloon text), so they are renamed.
KML_FIELD_NAMES = {"id": "office_id", "name": "office_name", "description": "office_description"}


def _kml_description(record: Mapping[str, object], label: str, separator: str = ", ") -> str:
    """Plain text lines; HTML-escaped too, because Google Earth shows a description as HTML."""
    place = separator.join(str(record[k]) for k in ("city", "country") if record.get(k))
    lines = [str(record.get("name") or ""), label, place]
    for key in ("partner", "opened", "description", "source_url"):
        if record.get(key) not in (None, ""):
            lines.append(str(record[key]))
    return html.escape("\n".join(line for line in lines if line), quote=False)


def to_kml_bytes(
    offices: pd.DataFrame,
    type_labels: Mapping[str, str] | None = None,
    *,
    name: str = DEFAULT_TITLE,
    list_separator: str = ", ",
) -> bytes:
    """KML 2.2: one Style and one Folder per office type, one Placemark per office with coordinates.

    ``name`` (the document's name) and ``list_separator`` (between city and country, e.g. the
    Arabic comma) come in the reader's language.
    """
    columns = export_columns(offices)
    records = [r for r in _records(offices, columns) if _placed(r)]
    kml = ET.Element("kml", xmlns=KML_NAMESPACE)
    document = _sub(kml, "Document")
    _sub(document, "name", name)
    for office_type in OfficeType:
        style = TYPE_STYLES[office_type]
        element = _sub(document, "Style", id=f"type-{office_type.value}")
        icon_style = _sub(element, "IconStyle")
        _sub(icon_style, "color", kml_colour(style.colour))
        _sub(icon_style, "scale", f"{marker_size(office_type) / 26:.2f}")
        _sub(_sub(icon_style, "Icon"), "href", _KML_ICONS[style.shape])
        _sub(icon_style, "hotSpot", x="0.5", y="0.5", xunits="fraction", yunits="fraction")
        # The balloon shows only the escaped description, never a raw value as HTML.
        _sub(_sub(element, "BalloonStyle"), "text", "$[description]")
    for office_type in OfficeType:
        members = [r for r in records if r["office_type"] == office_type.value]
        if not members:
            continue
        label = _type_label(office_type.value, type_labels)
        folder = _sub(document, "Folder")
        _sub(folder, "name", label)
        for record in members:
            placemark = _sub(folder, "Placemark", id=f"office-{record['id']}")
            _sub(placemark, "name", record["name"])
            _sub(placemark, "description", _kml_description(record, label, list_separator))
            _sub(placemark, "styleUrl", f"#type-{office_type.value}")
            extended = _sub(placemark, "ExtendedData")
            for column in columns:
                if column not in _COORDINATES:
                    value = record[column]
                    field = KML_FIELD_NAMES.get(str(column), str(column))
                    _sub(_sub(extended, "Data", name=field), "value", "" if value is None else value)
            point = _sub(placemark, "Point")
            lon = _format_coordinate(float(record["longitude"]))
            lat = _format_coordinate(float(record["latitude"]))
            _sub(point, "coordinates", f"{lon},{lat}")
    ET.indent(kml, space=" ")
    return ET.tostring(kml, encoding="utf-8", xml_declaration=True) + b"\n"


# --- the map as one offline HTML file ----------------------------------------------------------

_PAGE_CSS = """<style>
html, body { height: 100%; margin: 0; }
body { display: flex; flex-direction: column; }
.export-header { flex: none; display: flex; flex-wrap: wrap; align-items: baseline; gap: 4px 16px;
  padding: 6px 12px; background: #1f2937; color: #f9fafb;
  font: 13px/1.4 "Noto Sans", "Noto Sans Arabic", "DejaVu Sans", Arial, sans-serif; }
.export-header h1 { margin: 0; font-size: 15px; font-weight: 700; }
.folium-map { flex: 1 1 auto; min-height: 0; height: auto !important; }
</style>"""
_META_HTTP = '<meta http-equiv="content-type" content="text/html; charset=UTF-8" />'
# Elements and attributes that make a browser fetch something when the page loads.
_LOADING_ATTRIBUTES = {
    "script": ("src",), "img": ("src", "srcset"), "iframe": ("src",), "frame": ("src",),
    "embed": ("src",), "object": ("data",), "source": ("src", "srcset"), "track": ("src",),
    "audio": ("src",), "video": ("src", "poster"), "input": ("src",), "image": ("href", "xlink:href"),
    "link": ("href",), "base": ("href",), "use": ("href", "xlink:href"),
}
_CSS_URL = re.compile(r"url\(\s*['\"]?(?!data:|#)([^'\")]*)|@import", re.IGNORECASE)


class _LoadScanner(HTMLParser):
    """Collects every reference in a page that the browser would fetch at load."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.fetched: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for name in _LOADING_ATTRIBUTES.get(tag, ()):
            value = (values.get(name) or "").strip()
            if value and not value.startswith(("data:", "#")):
                self.fetched.append(f"<{tag} {name}={value[:120]!r}>")
        if tag == "meta" and (values.get("http-equiv") or "").lower() == "refresh":
            self.fetched.append("<meta http-equiv=refresh>")
        self._check_css(values.get("style") or "", f"<{tag} style>")
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self._check_css(data, "<style>")

    def _check_css(self, css: str, where: str) -> None:
        self.fetched.extend(f"{where} {match.group(0)[:120]!r}" for match in _CSS_URL.finditer(css))


def references_loaded(page: str) -> list[str]:
    """Every script, style sheet, image, frame or CSS ``url()`` that ``page`` would fetch when opened.

    Links (``<a href>``) are not fetched and are not listed; neither are URLs inside scripts that
    run only on demand (the online tile layers, which are hidden until chosen).
    """
    scanner = _LoadScanner()
    scanner.feed(page)
    scanner.close()
    return scanner.fetched


def _inline_assets(page: str, base_url: str) -> tuple[str, str]:
    """The page with each vendored <script src> inlined and each style sheet <link> removed, and
    those style sheets as <style> elements, to go first in <head> so the map's own CSS overrides them."""
    inline: dict[str, str] = {}
    styles = []
    for name, url in assets.js_links(base_url):
        inline[f'<script src="{url}"></script>'] = f"<script>{assets.inline_js(name)}</script>"
    for name, url in assets.css_links(base_url):
        css = assets.inline_css(name)
        if re.search("</style", css, re.IGNORECASE):
            raise ExportError(f"the style sheet {name} cannot be inlined: it contains '</style'")
        inline[f'<link rel="stylesheet" href="{url}"/>'] = ""
        styles.append(f"<style>{css}</style>")
    missing = [tag for tag in inline if tag not in page]
    if missing:
        raise ExportError(f"the map page does not load the vendored assets as expected: {missing}")
    pattern = re.compile("|".join(re.escape(tag) for tag in inline))
    # One pass, so the inserted code is never searched again.
    return pattern.sub(lambda match: inline[match.group(0)], page), "\n".join(styles)


def _insert_after(page: str, marker: str, text: str) -> str:
    index = page.find(marker)
    if index < 0:
        raise ExportError(f"the map page has no {marker!r}")
    cut = index + len(marker)
    return page[:cut] + text + page[cut:]


def map_html(
    offices: pd.DataFrame,
    options: MapOptions | None = None,
    *,
    title: str = DEFAULT_TITLE,
    generated: date | None = None,
    source: str = DEFAULT_SOURCE,
    lang: str = "en",
) -> str:
    """The current map as ONE self-contained HTML file that works from a USB stick with no internet.

    Leaflet, jQuery, markercluster, their CSS and images and the country outlines are inlined; the
    offline outlines are the base layer shown. The online tile layers stay in the layer control
    but are requested only if the reader chooses one. Raises :class:`ExportError` if anything
    would still be fetched at load.
    """
    options = replace(options or MapOptions(), basemap_url=None)
    fmap = build_office_map(offices, options)
    page = fmap.get_root().render()
    page, vendor_css = _inline_assets(page, options.asset_base_url)
    direction = "rtl" if options.rtl else "ltr"
    head = f'<meta charset="utf-8">\n<title>{html.escape(title)}</title>\n{vendor_css}\n{_PAGE_CSS}\n'
    if _META_HTTP in page:
        page = page.replace(_META_HTTP, head, 1)
    else:
        page = _insert_after(page, "<head>", "\n" + head)
    if "<html>" not in page:
        raise ExportError("the map page has no '<html>'")
    page = page.replace("<html>", f'<html lang="{html.escape(lang)}" dir="{direction}">', 1)
    when = (generated or date.today()).isoformat()
    header = (
        f'\n<header class="export-header" dir="{direction}"><h1>{html.escape(title)}</h1>'
        f'<time datetime="{when}">{when}</time><span>{html.escape(source)}</span></header>'
    )
    page = _insert_after(page, "<body>", header)
    fetched = references_loaded(page)
    if fetched:
        raise ExportError("the exported map would fetch at load: " + "; ".join(fetched))
    return page


# --- the printable briefing sheet ----------------------------------------------------------------

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


def _crowded_box(placed: list[tuple[int, float, float, str]]) -> tuple[float, float, float, float] | None:
    """(west, south, east, north) of the largest group of offices that overlap on the world map."""
    mm = 10 / UNITS_PER_MM  # millimetres per degree
    near: dict[int, set[int]] = {n: set() for n, *_ in placed}
    overlapping: set[int] = set()
    for (a, lat_a, lon_a, _), (b, lat_b, lon_b, _) in combinations(placed, 2):
        distance = math.hypot(lat_a - lat_b, lon_a - lon_b) * mm
        if distance < _NEIGHBOUR_MM:
            near[a].add(b)
            near[b].add(a)
        if distance < _OVERLAP_MM:
            overlapping.update((a, b))
    best: set[int] = set()
    seen: set[int] = set()
    for start in sorted(overlapping):
        if start in seen:
            continue
        group, todo = set(), [start]
        while todo:
            n = todo.pop()
            if n not in group:
                group.add(n)
                todo.extend(near[n] - group)
        seen |= group
        best = max(best, group, key=len)
    if not best:
        return None
    lats = [lat for n, lat, _, _ in placed if n in best]
    lons = [lon for n, _, lon, _ in placed if n in best]
    west, east = min(lons) - _INSET_PAD_DEGREES, max(lons) + _INSET_PAD_DEGREES
    south, north = min(lats) - _INSET_PAD_DEGREES, max(lats) + _INSET_PAD_DEGREES
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
        if _placed(r)
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
    records = _records(offices, export_columns(offices))
    world, inset = _sheet_maps(records, title)
    labels = {**_DEFAULT_COLUMN_LABELS, **column_labels}
    counts = pd.Series([r["office_type"] for r in records], dtype="object").value_counts()
    legend = "".join(
        f'<li><svg class="mk" viewBox="0 0 28 28" aria-hidden="true"><use href="#mk-{t.value}"/></svg>'
        f'<span>{esc(_type_label(t.value, type_labels))}</span>'
        f'<span class="count">{int(counts.get(t.value, 0))}</span></li>'
        for t in OfficeType
    )
    head = "".join(f"<th>{esc(labels[c])}</th>" for c in SHEET_COLUMNS)
    rows = []
    for n, record in enumerate(records, start=1):
        cells = []
        for column in SHEET_COLUMNS:
            value = record.get(column)
            text = "" if value is None else str(value)
            if column == "office_type":
                icon = (
                    f'<svg viewBox="0 0 28 28" aria-hidden="true"><use href="#mk-{esc(text)}"/></svg>'
                    if text in {t.value for t in OfficeType} else ""
                )
                cells.append(f'<td class="type">{icon}{esc(_type_label(text, type_labels))}</td>')
            else:
                nowrap = ' class="nowrap"' if column in ("city", "country") and len(text) <= 16 else ""
                cells.append(f"<td{nowrap}>{esc(text)}</td>")
        rows.append(f'<tr><td class="n">{n}</td>{"".join(cells)}</tr>')
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
        f"<tbody>\n{chr(10).join(rows)}\n</tbody>\n</table>\n"
        f'<p class="source">{esc(source)}</p>\n</main>\n</body>\n</html>\n'
    )
