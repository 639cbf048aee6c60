"""The maps' base layers: the offline country outlines (fetched by zoom, or embedded) and online tiles.

:class:`OfflineBasemap` draws Natural Earth outlines with no network: the app fetches the 1:110m
countries at once and the finer levels only when the zoom needs them (``web/basemap.js``); exports
embed the 1:110m in the page. :data:`TILE_LAYERS` are the online maps offered in the layer control.
:data:`LAYER_NAMES` are the English names of every base layer (translated by the caller).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import lru_cache

from folium.map import Layer
from folium.template import Template
from xyzservices import TileProvider

from geo.maps import assets
from geo.markup import js_json
from i18n import N_


def _tiles(key: str, url: str, attribution: str, max_zoom: int) -> tuple[str, TileProvider, str, int]:
    # A TileProvider, not the URL string: folium.TileLayer looks a string up among xyzservices' ~1,000
    # providers first (2.5 ms per layer, three layers, every run of every page that draws a map); the
    # layer's script is the same (tests/test_timetomap_server.py).
    return key, TileProvider(name=key, url=url, attribution=attribution, max_zoom=max_zoom), attribution, max_zoom


TILE_LAYERS = (
    # (key, tiles (its url template), attribution, max zoom): folium.TileLayer(tiles=..., attr=..., max_zoom=...)
    _tiles(
        "osm",
        "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors',
        19,
    ),
    _tiles(
        "light",
        "https://{s}.basemaps.cartocdn.com/light_all/{z}/{x}/{y}{r}.png",
        '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors '
        '&copy; <a href="https://carto.com/attributions">CARTO</a>',
        20,
    ),
    _tiles(
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

# The base layers by key, as the layer control names them (English; the caller translates).
LAYER_NAMES: dict[str, str] = {
    "offline": N_("Country outlines (offline)"),
    "osm": N_("OpenStreetMap (needs a network)"),
    "light": N_("Light map (needs a network)"),
    "dark": N_("Dark map (needs a network)"),
}


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
        window.GsBasemap.load({{ this.get_name() }}, {{ this.url_json }}, {{ this.levels_json }});
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
