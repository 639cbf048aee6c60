"""Building the Folium map of the offices: a pure function of the office table and options.

The map is split in two parts so the app can update markers without reloading the map:

* :func:`build_base_map` - Leaflet served locally, the offline basemap, optional online tiles in a
  layer control, and the marker CSS. It depends only on the options, so its JavaScript is stable.
* :func:`build_office_layer` - one ``FeatureGroup`` holding every office marker (clustered), the
  legend with counts, optional lines from headquarters, and the view (fit to the offices shown, or
  centred on the selected office). streamlit-folium swaps it in place (``feature_group_to_add``).

:func:`build_office_map` puts both together for exports and tests.

Every string from the data is HTML-escaped in Python, then embedded as JSON with ``<``, ``>``,
``&`` and line separators escaped, so nothing from a table can end a script or run as code.
"""

from __future__ import annotations

import html
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache

import folium
import pandas as pd
from branca.element import Element, MacroElement
from folium.map import Layer
from folium.template import Template

import i18n
from geo.maps import assets
from geo.offices.schema import TYPE_STYLES, OfficeType
from i18n import N_

# Tooltips carry the office id after this invisible separator so a click names the office exactly.
ID_SEPARATOR = "\u2063"
TYPES: tuple[OfficeType, ...] = tuple(OfficeType)

TILE_LAYERS = (
    # (key, url template, attribution, max zoom)
    (
        "osm",
        "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors',
        19,
    ),
    (
        "light",
        "https://{s}.basemaps.cartocdn.com/light_all/{z}/{x}/{y}{r}.png",
        '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors '
        '&copy; <a href="https://carto.com/attributions">CARTO</a>',
        20,
    ),
    (
        "dark",
        "https://{s}.basemaps.cartocdn.com/dark_all/{z}/{x}/{y}{r}.png",
        '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors '
        '&copy; <a href="https://carto.com/attributions">CARTO</a>',
        20,
    ),
)
BASEMAP_ATTRIBUTION = (
    'Outlines: <a href="https://www.naturalearthdata.com/">Natural Earth</a> (public domain)'
)
MAX_ZOOM = 18


_TEMPLATE_OPENER = re.compile(r"\{(?=[{%#])")


def js_json(value: object) -> str:
    """JSON that is safe inside an HTML <script> and as a JavaScript expression."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    for char, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(char, escaped)
    # branca renders each element's script again as a Jinja template, so "{{", "{%" and "{#"
    # from the data would be compiled on the server. JSON's own braces are never followed by
    # one of those characters, so every such "{" is inside a string, where \u007b is the same.
    text = _TEMPLATE_OPENER.sub(r"\\u007b", text)
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def esc(value: object) -> str:
    """HTML-escape any value from the data (quotes included)."""
    return html.escape("" if value is None else str(value), quote=True)


# Words the map itself shows (English defaults; the app passes them translated).
UI_TEXT: dict[str, str] = {
    "only": "only",
    "only_label": "Show only: {type}",
}
CLUSTER_LABEL: dict[str, str] = {"one": "{n} office: {names}", "other": "{n} offices: {names}"}
LEGEND_ACTION = "legend:"  # a legend click's "tooltip": LEGEND_ACTION + "toggle:<type>" or "only:<type>"
LEGEND_VERBS = ("toggle", "only")


@dataclass(frozen=True)
class MapOptions:
    """Everything about the map that is not the office table. Labels arrive translated."""

    type_labels: Mapping[str, str] = field(
        default_factory=lambda: {t.value: TYPE_STYLES[t].label for t in OfficeType}
    )
    legend_title: str = "Office types"
    layer_names: Mapping[str, str] = field(
        default_factory=lambda: {
            "offline": "Country outlines (offline)",
            "osm": "OpenStreetMap (needs a network)",
            "light": "Light map (needs a network)",
            "dark": "Dark map (needs a network)",
        }
    )
    rtl: bool = False
    selected_id: str | None = None
    selected_zoom: int = 6
    cluster: bool = True
    hub: tuple[float, float] | None = None  # draw lines from here (headquarters) when set
    # "Countries served": a GeoJSON FeatureCollection (geo.maps.coverage.coverage_geojson) shaded in each
    # office type's colour, and the legend's line about it (HTML, escaped by the caller).
    coverage: Mapping[str, object] | None = None
    coverage_note: str = ""
    online_tiles: bool = True
    basemap_url: str | None = None  # fetch the outlines from here; None embeds them in the page
    asset_base_url: str = assets.STATIC_URL
    large_text: bool = False  # briefing: bigger tooltips and legend
    basemap_attribution: str = BASEMAP_ATTRIBUTION  # HTML; the caller escapes any text it adds
    lang: str | None = None  # the map frame's language; None: the current run's (i18n.language())
    # The map page: keep the user's view when the offices change; move only when they would leave
    # it (or the view is still the one the map chose itself), and only as far as a new selection needs.
    keep_view: bool = False
    # Legend entries are buttons: one toggles its type, "only" isolates it, and the title folds the
    # legend away. The choice goes to the server as a click (see :func:`legend_action_from_tooltip`).
    legend_actions: bool = False
    active_types: tuple[str, ...] | None = None  # the types ticked in the filters (None: all)
    ui_text: Mapping[str, str] = field(default_factory=lambda: dict(UI_TEXT))
    # A cluster's accessible name by CLDR plural category; "{n}" is the count, "{names}" the offices.
    cluster_label: Mapping[str, str] = field(default_factory=lambda: dict(CLUSTER_LABEL))
    list_separator: str = ", "
    fill_frame: bool = False  # the map fills its frame, however the page sizes the frame (map page)
    # The app's own JavaScript (never data) that the map frame runs once in the page holding it
    # (same origin), so the page needs no script element of its own; "" for none.
    host_script: str = ""


# --- marker shapes ---------------------------------------------------------------------------

_SHAPES = {
    "star": '<polygon points="14,1.5 17.6,10 26.8,10.6 19.8,16.6 22,25.6 14,20.7 6,25.6 8.2,16.6 1.2,10.6 10.4,10"/>',
    "hexagon": '<polygon points="14,1.5 25,7.75 25,20.25 14,26.5 3,20.25 3,7.75"/>',
    "circle": '<circle cx="14" cy="14" r="10.5"/>',
    "square": '<rect x="4" y="4" width="20" height="20" rx="2.5"/>',
    "triangle": '<polygon points="14,2.5 26,24.5 2,24.5"/>',
}


def marker_svg(office_type: str, size: int = 28) -> str:
    """The SVG drawn for an office type: its shape filled with its colour, outlined in white."""
    style = TYPE_STYLES[OfficeType(office_type)]
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 28 28" width="{size}" height="{size}" '
        f'aria-hidden="true" focusable="false"><g fill="{style.colour}" stroke="#ffffff" '
        f'stroke-width="2" stroke-linejoin="round">{_SHAPES[style.shape]}</g></svg>'
    )


def marker_size(office_type: str) -> int:
    return 34 if office_type in (OfficeType.HEADQUARTERS, OfficeType.GLOBAL_COMPLEX) else 26


MAP_CSS = """
<style>
/* The frame's <html> follows the language (dir="rtl" in Arabic); the map itself stays left-to-right. */
.leaflet-container { direction: ltr; }
html[dir="rtl"] .leaflet-control-attribution { direction: rtl; }  /* "الحدود: Natural Earth", not ":الحدود" */
.gs-map-title { position: absolute; width: 1px; height: 1px; margin: -1px; padding: 0; border: 0;
  overflow: hidden; clip: rect(0 0 0 0); clip-path: inset(50%); white-space: nowrap; }
.leaflet-container { background: #cfe3f1; font-family: "Noto Sans", "Noto Sans Arabic", "DejaVu Sans", sans-serif; }
.office-marker { background: none; border: none; display: flex; align-items: center; justify-content: center; }
.office-marker svg { display: block; position: relative; filter: drop-shadow(0 1px 1.5px rgba(0,0,0,.55)); }
.office-marker:focus-visible, .office-cluster:focus-visible { outline: 3px solid #111; outline-offset: 2px; border-radius: 50%; }
.office-marker.is-selected svg { transform: scale(1.35); filter: drop-shadow(0 0 3px #000); }
/* The selected office: a ring behind its shape, and its name in a dark label that stays open. */
.office-marker.is-selected::before { content: ""; position: absolute; left: 50%; top: 50%; width: 46px; height: 46px;
  transform: translate(-50%, -50%); border-radius: 50%; background: rgba(255,255,255,.7);
  border: 3px solid #111827; box-shadow: 0 0 0 2px #fff, 0 1px 6px rgba(0,0,0,.45); }
.leaflet-tooltip.office-tip-selected { background: #111827; color: #fff; border-color: #111827; }
.leaflet-tooltip-top.office-tip-selected::before { border-top-color: #111827; }
.leaflet-tooltip.office-tip-selected .office-tip { font-size: 15px; }
/* The map page: the map fills its frame, and the frame the window (pages/map.py sizes the frame). */
html.fill-frame, html.fill-frame body { height: 100%; margin: 0; overflow: hidden; }
html.fill-frame #root, html.fill-frame #parent, html.fill-frame .float-child:first-child { height: 100%; }
html.fill-frame #map_div { height: 100% !important; }
/* Phones and touch screens: targets of at least 44 x 44 px (markers keep their drawing inside). */
.gs-touch .leaflet-bar a, .gs-touch .leaflet-bar a:first-child, .gs-touch .leaflet-bar a:last-child {
  width: 44px; height: 44px; line-height: 44px; font-size: 22px; }
.gs-touch .leaflet-control-layers-toggle { width: 44px; height: 44px; }
.office-tip { font-size: 14px; font-weight: 600; }
.office-tip[dir="rtl"] { text-align: right; }
.office-cluster { background: none; border: none; }
.office-cluster div { width: 44px; height: 44px; border-radius: 50%; background: #ffffff;
  border: 3px solid #1f2937; box-shadow: 0 1px 4px rgba(0,0,0,.5); display: flex; flex-direction: column;
  align-items: center; justify-content: center; font: 700 15px/1 sans-serif; color: #111827; }
.office-cluster span { display: flex; gap: 1px; margin-top: 2px; }
.office-cluster svg { display: block; }
.office-legend { background: rgba(255,255,255,.95); padding: 8px 10px; border-radius: 6px;
  box-shadow: 0 1px 5px rgba(0,0,0,.4); font-size: 13px; line-height: 1.35; color: #111827; max-width: 320px; }
.office-legend .coverage-note { display: flex; align-items: center; gap: 6px; margin: 4px 0 0; max-width: 260px; }
.office-legend .coverage-swatch { flex: none; width: 16px; height: 12px; border: 1px solid #009E73;
  background: rgba(0, 158, 115, .3); }
.office-legend h4 { margin: 0 0 4px; font-size: 13px; font-weight: 700; }
.office-legend ul { list-style: none; margin: 0; padding: 0; }
.office-legend li { display: flex; align-items: center; gap: 6px; margin: 2px 0; }
.office-legend li.is-empty { opacity: .45; }
.office-legend .legend-title { margin: 0; }
.office-legend button { font: inherit; color: inherit; background: none; border: 0; margin: 0; cursor: pointer; }
.office-legend button:focus-visible { outline: 2px solid #0b4a8b; outline-offset: 1px; border-radius: 4px; }
.office-legend .legend-toggle { display: flex; align-items: center; gap: 8px; width: 100%; min-height: 28px;
  padding: 0 2px; font-weight: 700; text-align: start; }
.office-legend .legend-toggle::after { content: ""; margin-inline-start: auto; width: 7px; height: 7px;
  border: solid #111827; border-width: 0 2px 2px 0; transform: rotate(45deg); margin-bottom: 3px; }
.office-legend.is-collapsed .legend-toggle::after { transform: rotate(-135deg); margin: 3px 0 0; }
.office-legend.is-collapsed ul { display: none; }
.office-legend li.has-actions { gap: 4px; margin: 1px 0; }
.office-legend .legend-entry { display: flex; align-items: center; gap: 6px; flex: 1; min-height: 28px;
  padding: 0 4px; border-radius: 4px; text-align: start; }
.office-legend .legend-entry:hover { background: #e5edf6; }
.office-legend .legend-entry[aria-pressed="false"] svg { opacity: .3; }
.office-legend .legend-entry[aria-pressed="false"] .name { text-decoration: line-through; color: #4b5563; }
.office-legend .legend-only { min-height: 24px; padding: 0 7px; border: 1px solid #6b7280; border-radius: 12px;
  font-size: 12px; color: #1f2937; }
.office-legend .legend-only:hover { background: #e5edf6; }
.gs-touch .office-legend .legend-toggle, .gs-touch .office-legend .legend-entry,
.gs-touch .office-legend .legend-only { min-height: 44px; }
.gs-touch .office-legend .legend-only { min-width: 44px; }
.office-legend .count { margin-inline-start: auto; padding-inline-start: 10px; font-variant-numeric: tabular-nums; font-weight: 700; }
.office-legend[dir="rtl"] { text-align: right; }
.large-text .office-tip { font-size: 22px; }
.large-text .office-legend { font-size: 16px; max-width: 360px; }
.large-text .office-legend h4 { font-size: 17px; }
</style>
"""


# folium's template forbids zooming the page (user-scalable=no, maximum-scale=1): a barrier for
# people who zoom to read (WCAG 1.4.4). This one lets them.
VIEWPORT_META = '<meta name="viewport" content="width=device-width, initial-scale=1" />'
_FOLIUM_VIEWPORT = re.compile(r'<meta\s+name="viewport"[^>]*>', re.IGNORECASE)


class _RawHTML(Element):
    """Header text rendered once already (no second pass through Jinja)."""

    def __init__(self, text: str):
        super().__init__()
        self.text = text

    def render(self, **kwargs: object) -> str:
        return self.text


class OfficeMap(folium.Map):
    """A folium Map whose Leaflet, jQuery and markercluster come from the app, not a CDN, and whose
    page can be zoomed (folium's viewport meta is replaced)."""

    default_js: list[tuple[str, str]] = []  # noqa: RUF012 - set per instance below
    default_css: list[tuple[str, str]] = []  # noqa: RUF012

    def __init__(self, *args: object, asset_base_url: str = assets.STATIC_URL, **kwargs: object):
        super().__init__(*args, **kwargs)
        self.default_js = assets.js_links(asset_base_url)
        self.default_css = assets.css_links(asset_base_url)

    def render(self, **kwargs: object) -> None:
        super().render(**kwargs)
        header = self.get_root().header
        element = header._children.get(self.get_name())
        if element is not None:
            header._children[self.get_name()] = _RawHTML(_FOLIUM_VIEWPORT.sub(VIEWPORT_META, element.render()))


# Leaflet's own English strings, marked for the catalogues (the frame's script puts them in place).
MAP_STRINGS = {
    "title": N_("Map of the offices"),
    "zoomIn": N_("Zoom in"),
    "zoomOut": N_("Zoom out"),
    "layers": N_("Layers"),
    "leaflet": N_("A JavaScript library for interactive maps"),
}


class MapAccessibility(MacroElement):
    """The map frame in the page's language: ``<html lang dir>``, a main landmark with a (visually
    hidden) h1, and Leaflet's zoom, layer and attribution titles translated."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function (map, t) {
            var root = document.documentElement;
            root.setAttribute("lang", t.lang);
            root.setAttribute("dir", t.dir);
            var box = map.getContainer();
            box.setAttribute("role", "main");
            if (!box.querySelector(".gs-map-title")) {
                var h1 = document.createElement("h1");
                h1.className = "gs-map-title";
                h1.textContent = t.title;
                box.insertBefore(h1, box.firstChild);
            }
            function name(selector, text) {
                box.querySelectorAll(selector).forEach(function (a) {
                    a.setAttribute("title", text);
                    a.setAttribute("aria-label", text);
                });
            }
            name(".leaflet-control-zoom-in", t.zoomIn);
            name(".leaflet-control-zoom-out", t.zoomOut);
            name(".leaflet-control-layers-toggle", t.layers);
            var credit = map.attributionControl;
            if (credit && typeof credit.options.prefix === "string") {
                credit.setPrefix(credit.options.prefix.replace(
                    'title="A JavaScript library for interactive maps"', 'title="' + t.leafletAttr + '"'));
            }
        })({{ this._parent.get_name() }}, {{ this.texts_json }});
        {% endmacro %}
        """
    )

    def __init__(self, lang: str):
        super().__init__()
        self._name = "MapAccessibility"
        translate = i18n.translations(lang).gettext
        texts = {key: translate(message) for key, message in MAP_STRINGS.items()}
        texts["leafletAttr"] = html.escape(texts.pop("leaflet"), quote=True)
        texts["lang"] = lang
        texts["dir"] = "rtl" if i18n.is_rtl(lang) else "ltr"
        self.texts_json = js_json(texts)


class OfflineBasemap(Layer):
    """Country outlines drawn as a base layer; embedded in the page or fetched from a URL.

    Fetched (the app): the 1:110m countries at once, then by zoom and only when first needed, the
    1:50m land and borders from zoom ``Z50``, the 1:10m cells in view from zoom ``Z10`` (where they
    exist: around the offices; elsewhere the 1:50m stays) and the offices' city names from zoom
    ``ZPLACES`` (``levels``, see :func:`basemap_levels`). Embedded (exports): the 1:110m only.
    """

    Z50, Z10, ZPLACES = 3, 6, 8

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.geoJSON(null, {
            interactive: false,
            attribution: {{ this.attribution_json }},
            style: {color: "#8a9aa9", weight: 0.7, fillColor: "#f7f5ef", fillOpacity: 1}
        });
        {% if this.url_json %}
        L.stamp({{ this.get_name() }});  // before its parts: map.eachLayer meets the whole basemap first
        (function (base, cfg) {
            var LAND = "#f7f5ef", SEA = "#cfe3f1";
            var COAST = {color: "#7b91a6", weight: 1, opacity: 1, interactive: false};
            var BORDER = {color: "#9b8fa6", weight: 1, opacity: 1, dashArray: "5 3", interactive: false};
            var PANES = [["gs-base", 210], ["gs-sea", 220], ["gs-land", 230], ["gs-lines", 240], ["gs-places", 450]];
            var map = null, state = {};
            var l110 = L.geoJSON(null, {pane: "gs-base", interactive: false,
                style: {color: "#8a9aa9", weight: 0.7, fillColor: LAND, fillOpacity: 1}});
            var l50 = L.layerGroup(), cells = L.layerGroup(), places = L.layerGroup();
            var toggle = function (layer, on) {
                if (on && !base.hasLayer(layer)) { base.addLayer(layer); }
                if (!on && base.hasLayer(layer)) { base.removeLayer(layer); }
            };
            var get = function (url, draw) {  // once per URL; the view is updated when it arrives
                if (state[url]) { return; }
                state[url] = "loading";
                fetch(url).then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
                    .then(function (d) { draw(d); state[url] = "ok"; update(); })
                    .catch(function (e) { state[url] = "failed"; console.warn("basemap part not loaded", url, e); });
            };
            // One level: land filled (no stroke), the coast (its rings less the edges on the bbox, where
            // it was cut), the borders; a 1:10m cell also paints its sea over the coarser level.
            var drawLevel = function (d, group, cell) {
                var b = d.bbox, coast = [];
                var cut = function (p, q) {
                    return (p[0] === q[0] && (p[0] === b[0] || p[0] === b[2])) ||
                        (p[1] === q[1] && (p[1] === b[1] || p[1] === b[3]));
                };
                d.features[0].geometry.coordinates.forEach(function (poly) {
                    poly.forEach(function (ring) {
                        var run = [ring[0]];
                        for (var i = 1; i < ring.length; i++) {
                            if (cut(ring[i - 1], ring[i])) { if (run.length > 1) { coast.push(run); } run = [ring[i]]; }
                            else { run.push(ring[i]); }
                        }
                        if (run.length > 1) { coast.push(run); }
                    });
                });
                if (cell) {
                    group.addLayer(L.rectangle([[b[1], b[0]], [b[3], b[2]]],
                        {pane: "gs-sea", stroke: false, fillColor: SEA, fillOpacity: 1, interactive: false}));
                }
                group.addLayer(L.geoJSON(d.features[0], {pane: cell ? "gs-land" : "gs-base", interactive: false,
                    style: {stroke: false, fillColor: LAND, fillOpacity: 1}}));
                group.addLayer(L.geoJSON({type: "MultiLineString", coordinates: coast},
                    {pane: cell ? "gs-lines" : "gs-base", interactive: false, style: COAST}));
                group.addLayer(L.geoJSON(d.features[1], {pane: cell ? "gs-lines" : "gs-base",
                    interactive: false, style: BORDER}));
            };
            var drawPlaces = function (d) {
                d.features.forEach(function (f) {
                    var text = document.createElement("span"), c = f.geometry.coordinates;
                    text.textContent = f.properties.name[cfg.lang] || f.properties.name.en;
                    var m = L.marker([c[1], c[0]], {pane: "gs-places", interactive: false, keyboard: false,
                        icon: L.divIcon({className: "gs-place", html: text, iconSize: null})});
                    m.on("add", function () { m.getElement().setAttribute("aria-hidden", "true"); });
                    places.addLayer(m);
                });
            };
            var cellList = cfg.cells.map(function (c) {
                var m = /^([ew])(\\d{3})([ns])(\\d{2})$/.exec(c[0]);
                var w = (m[1] === "w" ? -1 : 1) * +m[2], s = (m[3] === "s" ? -1 : 1) * +m[4];
                return {url: cfg.cellBase + c[0] + ".geojson?v=" + c[1],
                        bounds: L.latLngBounds([s, w], [s + cfg.size, w + cfg.size])};
            });
            var update = function () {
                if (!map || !map.hasLayer(base)) { return; }
                var z = map.getZoom();
                if (z >= cfg.z50) { get(cfg.u50, function (d) { drawLevel(d, l50, false); }); }
                var fine = z >= cfg.z50 && state[cfg.u50] === "ok";
                toggle(l50, fine);
                toggle(l110, !fine);
                if (z >= cfg.z10) {
                    var view = map.getBounds().pad(0.25);
                    cellList.forEach(function (c) {
                        if (view.intersects(c.bounds)) {
                            get(c.url, function (d) { var g = L.layerGroup(); drawLevel(d, g, true); cells.addLayer(g); });
                        }
                    });
                }
                toggle(cells, z >= cfg.z10);
                if (z >= cfg.zPlaces) { get(cfg.places, drawPlaces); }
                toggle(places, z >= cfg.zPlaces);
            };
            base.on("add", function () {
                if (!map) {
                    map = base._map;
                    PANES.forEach(function (p) { if (!map.getPane(p[0])) { map.createPane(p[0]).style.zIndex = p[1]; } });
                    map.getPane("gs-places").style.pointerEvents = "none";
                    var css = document.createElement("style");
                    css.textContent = ".gs-place{width:0;height:0}" +
                        ".gs-place span{position:absolute;left:0;top:19px;transform:translateX(-50%);white-space:nowrap;" +
                        "font:600 13px/1.2 'Noto Sans','Noto Sans Arabic','DejaVu Sans',sans-serif;color:#2f3a48;" +
                        "text-shadow:0 0 2px #fff,0 0 2px #fff,0 0 3px #fff,0 0 4px #fff}";
                    document.head.appendChild(css);
                    base.addLayer(l110);
                    map.on("zoomend moveend", update);
                }
                update();
            });
            fetch({{ this.url_json }}).then(function (r) { return r.json(); })
                .then(function (d) { l110.addData(d); })
                .catch(function (e) { console.warn("basemap not loaded", e); });
        })({{ this.get_name() }}, {{ this.levels_json }});
        {% else %}
        {{ this.get_name() }}.addData({{ this.data_json }});
        {% endif %}
        {% endmacro %}
        """
    )

    def __init__(
        self,
        name: str,
        url: str | None,
        attribution: str = BASEMAP_ATTRIBUTION,
        levels: Mapping[str, object] | None = None,
    ):
        super().__init__(name=name, overlay=False, control=True, show=True)
        self._name = "OfflineBasemap"
        self.attribution_json = js_json(attribution)
        self.url_json = js_json(url) if url else ""
        self.levels_json = js_json(dict(levels or basemap_levels())) if url else ""
        self.data_json = "" if url else _basemap_json()


@lru_cache(maxsize=4)
def _basemap_level_urls(base_url: str) -> tuple[str, str, tuple[tuple[str, str], ...]]:
    cells = tuple(  # (cell name, content hash): the page carries ~20 bytes per cell
        (name.removeprefix("basemap_10m_"), assets.asset_url(name, base_url).rpartition("?v=")[2])
        for name in assets.ASSETS
        if name.startswith("basemap_10m_")
    )
    return assets.asset_url("basemap_50m", base_url), assets.asset_url("basemap_places", base_url), cells


def basemap_levels(base_url: str = assets.STATIC_URL, lang: str = "en") -> dict[str, object]:
    """What the fetched basemap loads by zoom: the URLs of the finer levels and the zooms."""
    u50, places, cells = _basemap_level_urls(base_url)
    return {
        "u50": u50, "places": places, "cells": [list(c) for c in cells], "size": 10, "lang": lang,
        "cellBase": f"{base_url.rstrip('/')}/basemap/10m/",
        "z50": OfflineBasemap.Z50, "z10": OfflineBasemap.Z10, "zPlaces": OfflineBasemap.ZPLACES,
    }


def _basemap_json() -> str:
    if not assets.BASEMAP_PATH.exists():
        return '{"type":"FeatureCollection","features":[]}'
    return js_json(json.loads(assets.BASEMAP_PATH.read_text(encoding="utf-8")))


def build_base_map(options: MapOptions | None = None) -> OfficeMap:
    """The map without offices: local assets, offline outlines, optional online tiles, CSS."""
    options = options or MapOptions()
    fmap = OfficeMap(
        location=[20, 10],
        zoom_start=2,
        min_zoom=1,
        max_zoom=MAX_ZOOM,
        maxZoom=MAX_ZOOM,  # reaches L.map itself; markercluster needs it when there are no tiles
        tiles=None,
        world_copy_jump=True,
        control_scale=True,
        asset_base_url=options.asset_base_url,
    )
    fmap.get_root().header.add_child(Element(MAP_CSS), name="office_map_css")
    OfflineBasemap(
        options.layer_names["offline"],
        options.basemap_url,
        options.basemap_attribution,
        basemap_levels(options.asset_base_url, options.lang or i18n.language()) if options.basemap_url else None,
    ).add_to(fmap)
    if options.online_tiles:
        for key, url, attribution, max_zoom in TILE_LAYERS:
            folium.TileLayer(
                tiles=url,
                attr=attribution,
                name=options.layer_names[key],
                overlay=False,
                show=False,
                max_zoom=max_zoom,
            ).add_to(fmap)
        folium.LayerControl(position="topright", collapsed=True).add_to(fmap)
    MapAccessibility(options.lang or i18n.language()).add_to(fmap)  # last: it names the controls
    return fmap


# --- the office layer ------------------------------------------------------------------------


class OfficeMarkers(MacroElement):
    """Every office as a clustered DivIcon marker, the legend, optional hub lines, and the view."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var map = {{ this._parent._parent.get_name() }};
            var group = {{ this._parent.get_name() }};
            var cfg = {{ this.config_json }};
            var rows = {{ this.rows_json }};
            // What outlives one office layer (the frame keeps its map while the filters change).
            var ux = window.__officeUx || (window.__officeUx = {});
            var box = map.getContainer();
            var plain = function (s) {  // text of an escaped name, for aria-label (never parsed as HTML)
                return new DOMParser().parseFromString(s, "text/html").documentElement.textContent;
            };
            var fill = function (template, n, names) {  // split/join: no "$&" patterns from the data
                return template.split("{n}").join(String(n)).split("{names}").join(names);
            };
            var byLng = function (a, b) { return a.getLatLng().lng - b.getLatLng().lng; };
            var topWidth = function () {
                try { return window.top.innerWidth; } catch (e) { return window.innerWidth; }
            };
            var touch = topWidth() <= 640 || !!(window.matchMedia && window.matchMedia("(pointer: coarse)").matches);
            if (cfg.hostScript) {  // once per page, in the page's own realm (it outlives this frame)
                try {
                    var host = window.parent;
                    if (host && host !== window && !host.__gsHostScript) {
                        host.__gsHostScript = true;
                        new host.Function(cfg.hostScript)();
                    }
                } catch (e) { /* a page of another origin: nothing to do */ }
            }
            box.classList.toggle("gs-touch", touch);
            if (cfg.fill && !document.documentElement.classList.contains("fill-frame")) {
                document.documentElement.classList.add("fill-frame");
                map.invalidateSize();
            }
            var plural = null;
            try { plural = new Intl.PluralRules(cfg.lang); } catch (e) { plural = null; }
            // A DivIcon that carries attributes (office id, accessible name) on its element.
            var LabelledIcon = L.DivIcon.extend({
                createIcon: function (old) {
                    var el = L.DivIcon.prototype.createIcon.call(this, old);
                    var o = this.options;
                    if (o.officeId) { el.setAttribute("data-office-id", this.options.officeId); }
                    if (o.label) { el.setAttribute("aria-label", o.label()); }
                    if (o.current) { el.setAttribute("aria-current", "true"); } else { el.removeAttribute("aria-current"); }
                    return el;
                }
            });
            var layer = cfg.cluster ? L.markerClusterGroup({
                chunkedLoading: true, showCoverageOnHover: false, maxClusterRadius: 40,
                spiderfyOnMaxZoom: true, zoomToBoundsOnClick: true,
                iconCreateFunction: function (c) {
                    // The count, and one small shape per office type inside: a cluster never hides
                    // that it holds, say, the headquarters. Its name lists the offices west to east.
                    var children = c.getAllChildMarkers(), present = {};
                    children.forEach(function (m) { present[m.options.officeType] = true; });
                    var glyphs = cfg.types.filter(function (t, i) { return present[i]; })
                        .map(function (t) { return t.mini; }).join("");
                    var n = c.getChildCount();
                    return new LabelledIcon({html: "<div><b>" + n + "</b><span>" + glyphs + "</span></div>",
                        className: "office-cluster", iconSize: [48, 48],
                        label: function () {
                            var sorted = children.slice().sort(byLng);
                            var names = sorted.slice(0, 8).map(function (m) { return plain(m.options.officeName); });
                            var text = names.join(cfg.listSep) + (sorted.length > 8 ? cfg.listSep + "…" : "");
                            var category = plural ? plural.select(n) : (n === 1 ? "one" : "other");
                            return fill(cfg.clusterLabel[category] || cfg.clusterLabel.other, n, text);
                        }});
                }
            }) : L.featureGroup();
            if (cfg.cluster) {
                layer.on("clustermouseover", function (e) {
                    if (e.layer.getTooltip()) { e.layer.openTooltip(); return; }
                    var names = e.layer.getAllChildMarkers().map(function (m) { return m.options.officeName; });
                    names.sort();
                    var more = names.length > 8 ? "<br>… +" + (names.length - 8) : "";
                    e.layer.bindTooltip('<div class="office-tip"' + cfg.dir + ">" +
                        names.slice(0, 8).join("<br>") + more + "</div>", {direction: "top"}).openTooltip();
                });
            }
            var markers = {};
            // streamlit-folium sends a click 250 ms after it happens (a debounce meant for panning);
            // the map page sends it at once, the same value, and marks it sent so it goes only once.
            var sendNow = function () {
                var gd = window.__GLOBAL_DATA__, S = window.Streamlit;
                var order = ["last_object_clicked_count", "last_object_clicked_tooltip"];  // its key order
                if (!cfg.keep || !gd || !S || !S.setComponentValue || !gd.returned_objects) { return; }
                if (gd.returned_objects.some(function (k) { return order.indexOf(k) < 0; })) { return; }
                var data = {};
                order.forEach(function (k) { if (gd.returned_objects.indexOf(k) >= 0) { data[k] = gd[k]; } });
                if (JSON.stringify(gd.previous_data) === JSON.stringify(data)) { return; }
                gd.previous_data = data;
                S.setComponentValue(data);
            };
            var highlight = function (marker) {  // at once, before the server answers
                box.querySelectorAll(".office-marker.is-selected").forEach(function (el) {
                    if (el !== marker.getElement()) { el.classList.remove("is-selected"); }
                });
                var el = marker.getElement();
                if (el) { el.classList.add("is-selected"); }
                ux.clicked = marker.options.officeId;
            };
            var makeMarker = function (r) {
                var t = cfg.types[r[2]];
                var selected = r[3] === cfg.selected;
                var hit = touch ? Math.max(44, t.size) : t.size;  // the element is the hit area
                var m = L.marker([r[0], r[1]], {
                    icon: new LabelledIcon({html: t.svg, iconSize: [hit, hit], iconAnchor: [hit / 2, hit / 2],
                        className: "office-marker office-" + r[3] + " type-" + t.key + (selected ? " is-selected" : ""),
                        officeId: r[3], current: selected, label: function () { return plain(r[4]); }}),
                    keyboard: true, riseOnHover: true, zIndexOffset: selected ? 1000 : t.z,
                    officeId: r[3], officeName: r[4], officeType: r[2]
                });
                m.bindTooltip('<div class="office-tip"' + cfg.dir + ">" + r[4] +
                    '<span hidden>' + cfg.sep + r[3] + "</span></div>",
                    {direction: "top", offset: [0, -t.size / 2], permanent: selected,
                     className: selected ? "office-tip-selected" : ""});
                m.on("click", function () { highlight(this); setTimeout(sendNow, 0); });
                markers[r[3]] = m;
                return m;
            };
            // Markers are made in slices so a very large table never freezes the tab.
            var CHUNK = 2000, next = 0;
            var addSlice = function () {
                var end = Math.min(next + CHUNK, rows.length), batch = [];
                for (; next < end; next++) { batch.push(makeMarker(rows[next])); }
                if (cfg.cluster) { layer.addLayers(batch); } else { batch.forEach(function (m) { layer.addLayer(m); }); }
                if (next < rows.length) { setTimeout(addSlice, 0); }
            };
            addSlice();
            group.addLayer(layer);
            ux.layer = layer;
            if (cfg.coverage && cfg.coverage.features.length) {  // the countries the offices serve
                L.geoJSON(cfg.coverage, {interactive: false, style: function (f) {
                    return {color: f.properties.colour, weight: 1, opacity: 0.9, fillColor: f.properties.colour,
                            fillOpacity: 0.3, className: "coverage-area"};
                }}).addTo(group);
            }
            if (cfg.hub) {
                for (var j = 0; j < rows.length; j++) {
                    if (rows[j][0] === cfg.hub[0] && rows[j][1] === cfg.hub[1]) continue;
                    L.polyline([cfg.hub, [rows[j][0], rows[j][1]]], {color: "#1f2937", weight: 1.5,
                        opacity: 0.7, dashArray: "4 6", interactive: false, className: "hub-line"}).addTo(group);
                }
            }

            // --- the legend: counts; on the map page also buttons (toggle a type, only this type) ---
            if (window.__officeLegend) { window.__officeLegend.remove(); }
            var legend = L.control({position: "bottomright"});
            var legendDiv = null;
            // A legend choice reaches the server the way a marker click does: streamlit-folium
            // returns the "tooltip" of the clicked layer, here a fixed text naming the action.
            var send = function (verb, key) {
                var known = cfg.types.some(function (t) { return t.key === key; });
                if (!known) { return; }
                var text = cfg.sep + cfg.legendPrefix + verb + ":" + key;
                group.fire("click", {sourceTarget: {
                    getTooltip: function () { return {getContent: function () { return text; }}; },
                    _tooltip: {_content: text}
                }});
                sendNow();
            };
            var setOpen = function (open) {
                if (!legendDiv) { return; }
                legendDiv.classList.toggle("is-collapsed", !open);
                var toggle = legendDiv.querySelector(".legend-toggle");
                if (toggle) { toggle.setAttribute("aria-expanded", open ? "true" : "false"); }
            };
            legend.onAdd = function () {
                var div = L.DomUtil.create("div", "office-legend");
                div.setAttribute("dir", cfg.rtl ? "rtl" : "ltr");
                div.innerHTML = cfg.legend;
                L.DomEvent.disableClickPropagation(div);
                L.DomEvent.disableScrollPropagation(div);
                div.addEventListener("click", function (e) {
                    var button = e.target.closest ? e.target.closest("button") : null;
                    if (!button || !div.contains(button)) { return; }
                    var key = button.getAttribute("data-type");
                    if (button.classList.contains("legend-toggle")) {
                        ux.legendOpen = div.classList.contains("is-collapsed");
                        setOpen(ux.legendOpen);
                    } else if (button.classList.contains("legend-entry")) {
                        button.setAttribute("aria-pressed", button.getAttribute("aria-pressed") === "true" ? "false" : "true");
                        send("toggle", key);
                    } else if (button.classList.contains("legend-only")) {
                        div.querySelectorAll(".legend-entry").forEach(function (b) {
                            b.setAttribute("aria-pressed", b.getAttribute("data-type") === key ? "true" : "false");
                        });
                        send("only", key);
                    }
                });
                legendDiv = div;
                return div;
            };
            legend.addTo(map);
            window.__officeLegend = legend;
            if (legendDiv.querySelector(".legend-toggle")) {
                // Open unless the map is small (a phone, or a narrow column): then one tap opens it.
                setOpen(ux.legendOpen === undefined ? (!touch && box.clientWidth >= 520) : ux.legendOpen);
            }
            if (cfg.large) { box.classList.add("large-text"); }
            else { box.classList.remove("large-text"); }

            // --- keyboard: Enter or Space opens a focused office or cluster (installed once) ---
            var focusFirst = function (ids) {
                var lyr = ux.layer;
                for (var i = 0; i < ids.length; i++) {
                    var m = ux.markers && ux.markers[ids[i]];
                    if (!m) { continue; }
                    var shown = lyr && lyr.getVisibleParent ? lyr.getVisibleParent(m) : m;
                    var el = shown && shown.getElement ? shown.getElement() : null;
                    if (el && map.getBounds().contains(shown.getLatLng())) { el.focus({preventScroll: true}); return; }
                }
            };
            var orderMarkers = function () {
                // Tab order follows the map west to east: the marker pane's children are kept sorted.
                var pane = map.getPane("markerPane");
                var items = Array.prototype.filter.call(pane.children, function (el) {
                    return el.classList.contains("office-marker") || el.classList.contains("office-cluster");
                });
                var pos = function (el) { return el._leaflet_pos || {x: 0, y: 0}; };
                var sorted = items.slice().sort(function (a, b) { return pos(a).x - pos(b).x || pos(a).y - pos(b).y; });
                if (sorted.every(function (el, i) { return el === items[i]; })) { return; }
                var active = document.activeElement;
                sorted.forEach(function (el) { pane.appendChild(el); });
                if (active && pane.contains(active) && document.activeElement !== active) { active.focus({preventScroll: true}); }
            };
            var orderSoon = function () { clearTimeout(ux.orderTimer); ux.orderTimer = setTimeout(orderMarkers, 30); };
            ux.markers = markers;
            if (!ux.installed) {
                ux.installed = true;
                box.addEventListener("keydown", function (e) {
                    if (e.key !== "Enter" && e.key !== " " && e.key !== "Spacebar") { return; }
                    var el = e.target;
                    if (!el || !el.classList) { return; }
                    var isMarker = el.classList.contains("office-marker"), isCluster = el.classList.contains("office-cluster");
                    if (!isMarker && !isCluster) { return; }
                    var target = map._targets && map._targets[L.Util.stamp(el)];
                    if (!target) { return; }
                    e.preventDefault();
                    e.stopPropagation();
                    if (isMarker) {  // the same click streamlit-folium reports for a pointer
                        target.fire("click", {latlng: target.getLatLng(), originalEvent: e}, true);
                        return;
                    }
                    var ids = target.getAllChildMarkers().slice().sort(byLng)
                        .map(function (m) { return m.options.officeId; });
                    var done = function () {
                        map.off("moveend", done); ux.layer.off("spiderfied", done);
                        setTimeout(function () { orderMarkers(); focusFirst(ids); }, 60);
                    };
                    map.on("moveend", done);
                    ux.layer.on("spiderfied", done);
                    target.fire("click", {latlng: target.getLatLng()}, true);  // zooms in, or spiderfies
                });
                box.addEventListener("focusin", function (e) {
                    var el = e.target;
                    if (el.classList && el.classList.contains("office-marker")) {
                        ux.focus = {marker: el.getAttribute("data-office-id")};
                    } else if (el.closest && el.closest(".office-legend") && el.tagName === "BUTTON") {
                        var kind = ["legend-toggle", "legend-entry", "legend-only"].filter(function (c) {
                            return el.classList.contains(c);
                        })[0];
                        ux.focus = kind ? {legend: kind, type: el.getAttribute("data-type")} : null;
                    } else {
                        ux.focus = null;
                    }
                });
                map.on("zoomend moveend", orderSoon);
            }
            layer.on("animationend spiderfied unspiderfied", orderSoon);

            // Focus lost because the layer was swapped (a rerun) goes back to the same office or button.
            var restoreFocus = function () {
                var f = ux.focus;
                var active = document.activeElement;
                if (!f || (active && active !== document.body && active !== document.documentElement)) { return; }
                try { if (window.parent.document.activeElement !== window.frameElement) { return; } } catch (e) { /* alone */ }
                var el = null;
                if (f.marker) {
                    var m = markers[f.marker];
                    el = m ? m.getElement() : null;
                } else if (f.legend && legendDiv) {
                    legendDiv.querySelectorAll("." + f.legend).forEach(function (b) {
                        if (!el && (f.type === null || b.getAttribute("data-type") === f.type)) { el = b; }
                    });
                }
                if (el) { el.focus({preventScroll: true}); }
            };

            // --- the view ---
            var sameView = function (v) {
                if (!v || v.z !== map.getZoom()) { return false; }
                var a = map.latLngToContainerPoint(v.c), b = map.latLngToContainerPoint(map.getCenter());
                return a.distanceTo(b) < 3;
            };
            var fitTo = function (view) {
                if (view.center) { map.setView(view.center, view.zoom); }
                else if (view.bounds) { map.fitBounds(view.bounds, {padding: [40, 40], maxZoom: 5}); }
                else { return; }
                ux.auto = null;
                map.once("moveend", function () { ux.auto = {c: map.getCenter(), z: map.getZoom()}; });
            };
            var anyInView = function () {
                var b = map.getBounds();
                return rows.some(function (r) { return b.contains([r[0], r[1]]); });
            };
            var keepView = function () {  // the map page, after its first view: fit only when needed
                if (cfg.selected && cfg.selected !== ux.selected && markers[cfg.selected]) {
                    // A new selection: move only as far as needed to show it (pan, zoom into its cluster).
                    var m = markers[cfg.selected];
                    if (cfg.selected === ux.clicked && map.getBounds().contains(m.getLatLng())) { /* clicked: in view */ }
                    else if (cfg.cluster && m.__parent) { layer.zoomToShowLayer(m); }
                    else if (!map.getBounds().contains(m.getLatLng())) { map.panTo(m.getLatLng()); }
                } else if (!sameView(ux.auto) && anyInView()) {
                    /* the user's own view still shows offices: keep it */
                } else if (cfg.fit) {
                    fitTo(cfg.fit);
                }
            };
            // On a phone the panel is a sheet over the map's lower half: lift a new selection above it.
            var liftSelected = function () {
                var m = cfg.selected && markers[cfg.selected];
                if (!m || topWidth() > 640) { return; }
                var lift = function () {
                    var p = map.latLngToContainerPoint(m.getLatLng()), h = map.getSize().y;
                    var top = 0, host = h / 0.5;
                    try { top = window.frameElement.getBoundingClientRect().top; host = window.parent.innerHeight; }
                    catch (e) { /* alone: the whole frame */ }
                    var visible = Math.max(80, Math.min(h, host * 0.5 - top));  // the sheet takes the lower half
                    if (p.y > visible - 24 || p.y < 40) { map.panBy([0, p.y - visible * 0.62]); }
                };
                if (map._animatingZoom || (map._panAnim && map._panAnim._inProgress)) { map.once("moveend", lift); }
                else { lift(); }
            };
            var first = !cfg.keep || !ux.viewed;
            var newSelection = !!cfg.selected && (first || cfg.selected !== ux.selected);
            if (first) {  // the first view (and every view of a map that does not keep it): at once
                ux.viewed = true;
                fitTo(cfg.view);
            }
            setTimeout(function () {  // once the layer is on the map (streamlit-folium adds it after this script)
                if (!first) { keepView(); }
                if (cfg.keep && newSelection) { liftSelected(); }
                ux.selected = cfg.selected;
                ux.clicked = null;
                orderMarkers();
                restoreFocus();
            }, 0);
        })();
        {% endmacro %}
        """
    )

    def __init__(self, config_json: str, rows_json: str):
        super().__init__()
        self._name = "OfficeMarkers"
        self.config_json = config_json
        self.rows_json = rows_json


def legend_html(offices: pd.DataFrame, options: MapOptions) -> str:
    """The legend: each type's shape, colour, label and number of offices shown.

    With ``options.legend_actions`` each entry is a button that toggles its type (``aria-pressed``
    says whether it is ticked), with an "only" button beside it, and the title is a button that
    folds the legend away.
    """
    counts = offices["office_type"].value_counts() if len(offices) else pd.Series(dtype=int)
    active = set(options.active_types) if options.active_types is not None else {t.value for t in TYPES}
    only_text = esc(options.ui_text.get("only", UI_TEXT["only"]))
    only_label = options.ui_text.get("only_label", UI_TEXT["only_label"])
    items = []
    for office_type in TYPES:
        count = int(counts.get(office_type.value, 0))
        if not count and options.large_text:
            continue  # the presenter's legend lists only what is on the map
        label = options.type_labels.get(office_type.value, TYPE_STYLES[office_type].label)
        if not options.legend_actions:
            items.append(
                f'<li class="legend-{office_type.value}{" is-empty" if not count else ""}">'
                f"{marker_svg(office_type.value, 18)}<span>{esc(label)}</span>"
                f'<span class="count">{count}</span></li>'
            )
            continue
        on = office_type.value in active
        items.append(
            f'<li class="has-actions legend-{office_type.value}{"" if on else " is-off"}">'
            f'<button type="button" class="legend-entry" data-type="{office_type.value}" '
            f'aria-pressed="{"true" if on else "false"}">'
            f'{marker_svg(office_type.value, 18)}<span class="name">{esc(label)}</span>'
            f'<span class="count">{count}</span></button>'
            f'<button type="button" class="legend-only" data-type="{office_type.value}" '
            f'aria-label="{esc(only_label.replace("{type}", label))}">{only_text}</button></li>'
        )
    if options.legend_actions:
        title = (
            f'<h4 class="legend-title"><button type="button" class="legend-toggle" aria-expanded="true" '
            f'aria-controls="office-legend-items">{esc(options.legend_title)}</button></h4>'
        )
        return f'{title}<ul id="office-legend-items">{"".join(items)}</ul>{_coverage_note(options)}'
    return f"<h4>{esc(options.legend_title)}</h4><ul>{''.join(items)}</ul>{_coverage_note(options)}"


def _coverage_note(options: MapOptions) -> str:
    if not options.coverage or not options.coverage_note:
        return ""
    return f'<p class="coverage-note"><span class="coverage-swatch" aria-hidden="true"></span>{options.coverage_note}</p>'



def office_rows(offices: pd.DataFrame) -> list[list[object]]:
    """Compact marker rows: [lat, lon, type index, escaped id, escaped name]; unplaced rows skipped."""
    type_index = {t.value: i for i, t in enumerate(TYPES)}
    placed = offices.dropna(subset=["latitude", "longitude"])
    return [
        [round(float(lat), 6), round(float(lon), 6), type_index[kind], esc(office_id), esc(name)]
        for lat, lon, kind, office_id, name in zip(
            placed["latitude"], placed["longitude"], placed["office_type"], placed["id"], placed["name"],
            strict=True,
        )
    ]


def view_for(offices: pd.DataFrame, options: MapOptions) -> dict[str, object]:
    """Where the map looks: the selected office, or the bounds of the offices shown."""
    placed = offices.dropna(subset=["latitude", "longitude"])
    if options.selected_id is not None:
        chosen = placed[placed["id"] == options.selected_id]
        if len(chosen):
            row = chosen.iloc[0]
            return {"center": [float(row["latitude"]), float(row["longitude"])], "zoom": options.selected_zoom}
    if not len(placed):
        return {}
    south, north = float(placed["latitude"].min()), float(placed["latitude"].max())
    west, east = float(placed["longitude"].min()), float(placed["longitude"].max())
    if math.isclose(south, north) and math.isclose(west, east):
        return {"center": [south, west], "zoom": options.selected_zoom}
    return {"bounds": [[south, west], [north, east]]}


def _coverage_for_map(coverage: Mapping[str, object] | None) -> dict[str, object] | None:
    """Only what the map draws: shapes, each with its colour and escaped ids (no free text)."""
    if not coverage:
        return None
    features = [
        {
            "type": "Feature",
            "properties": {
                "colour": str(f["properties"]["colour"]) if re.fullmatch(r"#[0-9A-Fa-f]{6}", str(f["properties"]["colour"]))
                else "#555555",
                "office_id": esc(f["properties"].get("office_id", "")),
                "country": esc(f["properties"].get("country", "")),
            },
            "geometry": f["geometry"],
        }
        for f in coverage.get("features", [])  # type: ignore[union-attr]
    ]
    return {"type": "FeatureCollection", "features": features}


def build_office_layer(offices: pd.DataFrame, options: MapOptions | None = None) -> folium.FeatureGroup:
    """One FeatureGroup with every placed office of ``offices`` (already filtered) and the legend."""
    options = options or MapOptions()
    direction = ' dir="rtl"' if options.rtl else ' dir="ltr"'
    types = [
        {
            "key": t.value,
            "svg": marker_svg(t.value, marker_size(t.value)),
            "size": marker_size(t.value),
            "mini": marker_svg(t.value, 11),
            "z": (len(TYPES) - i) * 100,
        }
        for i, t in enumerate(TYPES)
    ]
    config = {
        "types": types,
        "cluster": options.cluster,
        "selected": esc(options.selected_id) if options.selected_id else None,
        "dir": direction,
        "rtl": options.rtl,
        "sep": ID_SEPARATOR,
        "legend": legend_html(offices, options),
        "hub": list(options.hub) if options.hub else None,
        "coverage": _coverage_for_map(options.coverage),
        "large": options.large_text,
        "view": view_for(offices, options),
        "keep": options.keep_view,
        "fit": view_for(offices, replace(options, selected_id=None)) if options.keep_view else None,
        "fill": options.fill_frame,
        "lang": options.lang or i18n.language(),
        "clusterLabel": dict(options.cluster_label),
        "listSep": options.list_separator,
        "legendPrefix": LEGEND_ACTION,
        "hostScript": options.host_script,
    }
    group = folium.FeatureGroup(name="offices", control=False)
    group.add_child(OfficeMarkers(js_json(config), js_json(office_rows(offices))), name="office_markers")
    return group


def build_office_map(offices: pd.DataFrame, options: MapOptions | None = None) -> OfficeMap:
    """The complete map: :func:`build_base_map` with :func:`build_office_layer` added."""
    options = options or MapOptions()
    fmap = build_base_map(options)
    build_office_layer(offices, options).add_to(fmap)
    return fmap


def legend_action_from_tooltip(text: str | None) -> tuple[str, str] | None:
    """("toggle" or "only", office type) when a click came from a legend button, else None."""
    value = office_id_from_tooltip(text)
    if not value or not value.startswith(LEGEND_ACTION):
        return None
    verb, _sep, office_type = value[len(LEGEND_ACTION):].partition(":")
    if verb not in LEGEND_VERBS or office_type not in {t.value for t in TYPES}:
        return None
    return verb, office_type


def office_id_from_tooltip(text: str | None) -> str | None:
    """The office id carried by a clicked marker's tooltip text (see :data:`ID_SEPARATOR`)."""
    if not text or ID_SEPARATOR not in text:
        return None
    return html.unescape(text.rsplit(ID_SEPARATOR, 1)[1].strip()) or None
