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
from dataclasses import dataclass, field

import folium
import pandas as pd
from branca.element import Element, MacroElement
from folium.map import Layer
from folium.template import Template

import i18n
from geo import assets
from geo.schema import TYPE_STYLES, OfficeType
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
            "osm": "OpenStreetMap (online)",
            "light": "Light (online)",
            "dark": "Dark (online)",
        }
    )
    rtl: bool = False
    selected_id: str | None = None
    selected_zoom: int = 6
    cluster: bool = True
    hub: tuple[float, float] | None = None  # draw lines from here (headquarters) when set
    online_tiles: bool = True
    basemap_url: str | None = None  # fetch the outlines from here; None embeds them in the page
    asset_base_url: str = assets.STATIC_URL
    large_text: bool = False  # briefing: bigger tooltips and legend
    basemap_attribution: str = BASEMAP_ATTRIBUTION  # HTML; the caller escapes any text it adds
    lang: str | None = None  # the map frame's language; None: the current run's (i18n.language())


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
.gs-map-title { position: absolute; width: 1px; height: 1px; margin: -1px; padding: 0; border: 0;
  overflow: hidden; clip: rect(0 0 0 0); clip-path: inset(50%); white-space: nowrap; }
.leaflet-container { background: #cfe3f1; font-family: "Noto Sans", "Noto Sans Arabic", "DejaVu Sans", sans-serif; }
.office-marker { background: none; border: none; }
.office-marker svg { display: block; filter: drop-shadow(0 1px 1.5px rgba(0,0,0,.55)); }
.office-marker:focus { outline: 3px solid #111; outline-offset: 2px; border-radius: 50%; }
.office-marker.is-selected svg { transform: scale(1.35); filter: drop-shadow(0 0 3px #000); }
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
.office-legend h4 { margin: 0 0 4px; font-size: 13px; font-weight: 700; }
.office-legend ul { list-style: none; margin: 0; padding: 0; }
.office-legend li { display: flex; align-items: center; gap: 6px; margin: 2px 0; }
.office-legend li.is-empty { opacity: .45; }
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
    """Country outlines drawn as a base layer; embedded in the page or fetched from a URL."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.geoJSON(null, {
            interactive: false,
            attribution: {{ this.attribution_json }},
            style: {color: "#8a9aa9", weight: 0.7, fillColor: "#f7f5ef", fillOpacity: 1}
        });
        {% if this.url_json %}
        fetch({{ this.url_json }}).then(function (r) { return r.json(); })
            .then(function (d) { {{ this.get_name() }}.addData(d); {{ this.get_name() }}.bringToBack(); })
            .catch(function (e) { console.warn("basemap not loaded", e); });
        {% else %}
        {{ this.get_name() }}.addData({{ this.data_json }});
        {% endif %}
        {% endmacro %}
        """
    )

    def __init__(self, name: str, url: str | None, attribution: str = BASEMAP_ATTRIBUTION):
        super().__init__(name=name, overlay=False, control=True, show=True)
        self._name = "OfflineBasemap"
        self.attribution_json = js_json(attribution)
        self.url_json = js_json(url) if url else ""
        self.data_json = "" if url else _basemap_json()


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
    OfflineBasemap(options.layer_names["offline"], options.basemap_url, options.basemap_attribution).add_to(fmap)
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
            var plain = function (s) {  // text of an escaped name, for aria-label (never parsed as HTML)
                return new DOMParser().parseFromString(s, "text/html").documentElement.textContent;
            };
            var layer = cfg.cluster ? L.markerClusterGroup({
                chunkedLoading: true, showCoverageOnHover: false, maxClusterRadius: 40,
                spiderfyOnMaxZoom: true, zoomToBoundsOnClick: true,
                iconCreateFunction: function (c) {
                    // The count, and one small shape per office type inside: a cluster never hides
                    // that it holds, say, the headquarters.
                    var present = {};
                    c.getAllChildMarkers().forEach(function (m) { present[m.options.officeType] = true; });
                    var glyphs = cfg.types.filter(function (t, i) { return present[i]; })
                        .map(function (t) { return t.mini; }).join("");
                    return L.divIcon({html: "<div><b>" + c.getChildCount() + "</b><span>" + glyphs + "</span></div>",
                        className: "office-cluster", iconSize: [48, 48]});
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
            var makeMarker = function (r) {
                var t = cfg.types[r[2]];
                var selected = r[3] === cfg.selected;
                var m = L.marker([r[0], r[1]], {
                    icon: L.divIcon({html: t.svg, iconSize: [t.size, t.size], iconAnchor: [t.size / 2, t.size / 2],
                        className: "office-marker office-" + r[3] + " type-" + t.key + (selected ? " is-selected" : "")}),
                    keyboard: true, riseOnHover: true, zIndexOffset: selected ? 1000 : t.z,
                    officeId: r[3], officeName: r[4], officeType: r[2]
                });
                m.bindTooltip('<div class="office-tip"' + cfg.dir + ">" + r[4] +
                    '<span hidden>' + cfg.sep + r[3] + "</span></div>",
                    {direction: "top", offset: [0, -t.size / 2], permanent: selected});
                m.on("add", function () {
                    var el = this.getElement();
                    if (el) {
                        el.setAttribute("data-office-id", this.options.officeId);
                        el.setAttribute("role", "button");
                        el.setAttribute("aria-label", plain(this.options.officeName));
                    }
                });
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
            if (cfg.hub) {
                for (var j = 0; j < rows.length; j++) {
                    if (rows[j][0] === cfg.hub[0] && rows[j][1] === cfg.hub[1]) continue;
                    L.polyline([cfg.hub, [rows[j][0], rows[j][1]]], {color: "#1f2937", weight: 1.5,
                        opacity: 0.7, dashArray: "4 6", interactive: false, className: "hub-line"}).addTo(group);
                }
            }
            if (window.__officeLegend) { window.__officeLegend.remove(); }
            var legend = L.control({position: "bottomright"});
            legend.onAdd = function () {
                var div = L.DomUtil.create("div", "office-legend");
                div.setAttribute("dir", cfg.rtl ? "rtl" : "ltr");
                div.innerHTML = cfg.legend;
                L.DomEvent.disableClickPropagation(div);
                return div;
            };
            legend.addTo(map);
            window.__officeLegend = legend;
            if (cfg.large) { map.getContainer().classList.add("large-text"); }
            else { map.getContainer().classList.remove("large-text"); }
            if (cfg.view.center) {
                map.setView(cfg.view.center, cfg.view.zoom);
            } else if (cfg.view.bounds) {
                map.fitBounds(cfg.view.bounds, {padding: [40, 40], maxZoom: 5});
            }
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
    """The legend: each type's shape, colour, label and number of offices shown."""
    counts = offices["office_type"].value_counts() if len(offices) else pd.Series(dtype=int)
    items = []
    for office_type in TYPES:
        count = int(counts.get(office_type.value, 0))
        if not count and options.large_text:
            continue  # the presenter's legend lists only what is on the map
        label = options.type_labels.get(office_type.value, TYPE_STYLES[office_type].label)
        items.append(
            f'<li class="legend-{office_type.value}{" is-empty" if not count else ""}">'
            f"{marker_svg(office_type.value, 18)}<span>{esc(label)}</span>"
            f'<span class="count">{count}</span></li>'
        )
    return f"<h4>{esc(options.legend_title)}</h4><ul>{''.join(items)}</ul>"


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
        "large": options.large_text,
        "view": view_for(offices, options),
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


def office_id_from_tooltip(text: str | None) -> str | None:
    """The office id carried by a clicked marker's tooltip text (see :data:`ID_SEPARATOR`)."""
    if not text or ID_SEPARATOR not in text:
        return None
    return html.unescape(text.rsplit(ID_SEPARATOR, 1)[1].strip()) or None
