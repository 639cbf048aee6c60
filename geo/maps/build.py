"""Building the Folium map of the offices: a pure function of the office table and options.

The map is split in two parts so the app can update markers without reloading the map:

* :func:`build_base_map` - Leaflet served locally, the offline basemap, optional online tiles in a
  layer control, and the marker CSS. It depends only on the options, so its JavaScript is stable.
* :func:`build_office_layer` - one ``FeatureGroup`` holding every office marker (clustered), the
  legend with counts, optional lines from headquarters, and the view (fit to the offices shown, or
  centred on the selected office). streamlit-folium swaps it in place (``feature_group_to_add``).

:func:`build_office_map` puts both together for exports and tests. The parts live beside this
module, one job each: :mod:`~geo.maps.styles` (how each type looks), :mod:`~geo.maps.frame` (the
map's frame), :mod:`~geo.maps.basemap` (base layers), :mod:`~geo.maps.markers` (the office layer's
data and script), :mod:`~geo.maps.legend`, :mod:`~geo.maps.view` (bounds across 180°).

Every string from the data is HTML-escaped in Python, then embedded as JSON with ``<``, ``>``,
``&`` and line separators escaped (:mod:`geo.markup`), so nothing from a table can end a script or
run as code.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import folium
import pandas as pd
from branca.element import Element

import i18n
from geo.maps import assets
from geo.maps.basemap import BASEMAP_ATTRIBUTION, LAYER_NAMES, TILE_LAYERS, OfflineBasemap, basemap_levels
from geo.maps.frame import MAP_CSS, MapAccessibility, OfficeMap
from geo.maps.legend import LEGEND_ACTION, UI_TEXT, legend_html
from geo.maps.markers import ID_SEPARATOR, LARGE_TABLE, MAP_READY, OfficeMarkers, office_rows
from geo.maps.styles import english_type_labels, marker_types
from geo.maps.tablefile import table_file
from geo.maps.view import fit_bounds, origin_of, unwrap
from geo.markup import esc, js_json
from geo.offices.filtering import search_haystack

MAX_ZOOM = 18
# Shown in the map when a large table's file cannot be fetched (ui_text["load_failed"] translates it).
LOAD_FAILED = "The offices could not be loaded. Reload the page to try again."
CLUSTER_LABEL: dict[str, str] = {"one": "{n} office: {names}", "other": "{n} offices: {names}"}
_COLOUR = re.compile(r"#[0-9A-Fa-f]{6}")


@dataclass(frozen=True)
class MapOptions:
    """Everything about the map that is not the office table. Labels arrive translated."""

    type_labels: Mapping[str, str] = field(
        default_factory=english_type_labels
    )
    legend_title: str = "Office types"
    layer_names: Mapping[str, str] = field(
        default_factory=lambda: dict(LAYER_NAMES)
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
    # A CSS selector in the page holding the map: once the map has drawn its offices for the first
    # time, if nothing in that page matches it, the map sends geo.maps.markers.MAP_READY as a click
    # (the map page draws its sidebar's filters in the run this click starts); "" never sends it.
    ready_unless: str = ""


def view_for(offices: pd.DataFrame, options: MapOptions) -> dict[str, object]:
    """Where the map looks: the selected office, or the bounds of the offices shown.

    Bounds cross 180° when that is shorter (Suva and Taveuni: 1.6° wide, not the world); their
    longitudes, like the markers', are in the frame that starts at the offices' west end
    (:func:`geo.maps.view.origin_of`).
    """
    placed = offices.dropna(subset=["latitude", "longitude"])
    origin = origin_of(placed["longitude"])
    if options.selected_id is not None:
        chosen = placed[placed["id"] == options.selected_id]
        if len(chosen):
            row = chosen.iloc[0]
            centre = [float(row["latitude"]), round(unwrap(row["longitude"], origin), 6)]
            return {"center": centre, "zoom": options.selected_zoom}
    bounds = fit_bounds(list(zip(placed["latitude"], placed["longitude"], strict=True)))
    if bounds is None:
        return {}
    (south, west), (north, east) = bounds
    if math.isclose(south, north) and math.isclose(west, east):
        return {"center": [south, west], "zoom": options.selected_zoom}
    return {"bounds": bounds}


def _coverage_for_map(coverage: Mapping[str, object] | None) -> dict[str, object] | None:
    """Only what the map draws: shapes, each with its colour and escaped ids (no free text)."""
    if not coverage:
        return None
    features = [
        {
            "type": "Feature",
            "properties": {
                "colour": colour if _COLOUR.fullmatch(colour := str(f["properties"]["colour"])) else "#555555",
                "office_id": esc(f["properties"].get("office_id", "")),
                "country": esc(f["properties"].get("country", "")),
            },
            "geometry": f["geometry"],
        }
        for f in coverage.get("features", [])  # type: ignore[union-attr]
    ]
    return {"type": "FeatureCollection", "features": features}


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


def _layer_config(offices: pd.DataFrame, options: MapOptions, origin: float) -> dict[str, object]:
    """What web/markers.js gets besides the rows: styles, texts, legend, view (all escaped)."""
    hub = [options.hub[0], round(unwrap(options.hub[1], origin), 6)] if options.hub else None
    return {
        "types": marker_types(),
        "cluster": options.cluster,
        "selected": esc(options.selected_id) if options.selected_id else None,
        "dir": ' dir="rtl"' if options.rtl else ' dir="ltr"',
        "rtl": options.rtl,
        "sep": ID_SEPARATOR,
        "legend": legend_html(offices, options),
        "hub": hub,
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
        "readyUnless": options.ready_unless,
        "readyText": MAP_READY if options.ready_unless else "",
        "loadFailed": esc(options.ui_text.get("load_failed", LOAD_FAILED)),
    }


@dataclass(frozen=True)
class BrowserFilter:
    """The map page's filters, so the browser applies a change at once (before the server's answer).

    The layer then holds every office of ``table`` (the whole table the filters choose from), each
    with its region and the folded text a search looks in; ``cfg.filter.shown`` marks the offices
    the server's filters let through, which is what the map draws once the server has answered.
    Over :data:`BROWSER_FILTER_MAX` placed offices the table is a static file instead, filtered by
    the map's Web Worker with the same rule (``cfg.filter.large``; see :func:`build_office_layer`).
    """

    table: pd.DataFrame
    types: tuple[str, ...]
    regions: tuple[str, ...]
    query: str
    region_labels: Mapping[str, str] = field(default_factory=dict)  # code -> label, as the sidebar shows it
    search_columns: tuple[str, ...] = ()  # searched besides name, city and country


BROWSER_FILTER_MAX = LARGE_TABLE  # above it, web/large.js's worker fetches the table and filters it


def _filter_state(bf: BrowserFilter) -> dict[str, object]:
    """The server's filter state and the sidebar's region labels, as web/filters.js reads them."""
    return {
        "types": list(bf.types),
        "regions": list(bf.regions),
        "query": esc(bf.query),  # compared only (never drawn as HTML)
        "regionLabels": {str(code): esc(label) for code, label in bf.region_labels.items()},
    }


def _filter_config(drawn: pd.DataFrame, shown: pd.DataFrame, bf: BrowserFilter) -> dict[str, object]:
    """What web/markers.js needs to filter ``drawn`` (its placed rows, in order) like the server."""
    shown_ids = set(shown["id"])
    return {
        "shown": [1 if office_id in shown_ids else 0 for office_id in drawn["id"]],
        "region": [str(r) for r in drawn["region"]],
        # Escaped like every string from the data; web/filters.js escapes the search words the same way.
        "text": [esc(text) for text in search_haystack(drawn, bf.search_columns)],
        **_filter_state(bf),
    }


def build_office_layer(
    offices: pd.DataFrame, options: MapOptions | None = None, browser_filter: BrowserFilter | None = None
) -> folium.FeatureGroup:
    """One FeatureGroup with every placed office of ``offices`` (already filtered) and the legend.

    With ``browser_filter`` (the map page) the layer holds the whole table and filters it in the
    browser (see :class:`BrowserFilter`). Over :data:`BROWSER_FILTER_MAX` placed offices the table
    goes to the browser as a static file (:mod:`geo.maps.tablefile`), written once per table, and
    the layer carries only the filter state: a filter change or a selection re-sends no rows.
    """
    options = options or MapOptions()
    origin = origin_of(offices.dropna(subset=["latitude", "longitude"])["longitude"])
    config = _layer_config(offices, options, origin)
    group = folium.FeatureGroup(name="offices", control=False)
    if browser_filter is not None:
        table = browser_filter.table.dropna(subset=["latitude", "longitude"])
        if len(table) > BROWSER_FILTER_MAX:
            written = table_file(browser_filter.table, browser_filter.search_columns, base_url=options.asset_base_url)
            config["filter"] = {**_filter_state(browser_filter), "large": True}
            markers = OfficeMarkers(js_json(config), None, options.asset_base_url, table_url=written.url)
            group.add_child(markers, name="office_markers")
            return group
        config["filter"] = _filter_config(table, offices, browser_filter)
        offices = table
    markers = OfficeMarkers(js_json(config), office_rows(offices, origin), options.asset_base_url)
    group.add_child(markers, name="office_markers")
    return group


def build_office_map(offices: pd.DataFrame, options: MapOptions | None = None) -> OfficeMap:
    """The complete map: :func:`build_base_map` with :func:`build_office_layer` added."""
    options = options or MapOptions()
    fmap = build_base_map(options)
    build_office_layer(offices, options).add_to(fmap)
    return fmap
