"""Issue #15, figure 1 (time to map): the server's share of a map page's first view.

The base map is built on every run of every page with a map (and again on each filter change), so
what it costs is on the way to the map's first delta.
"""

from __future__ import annotations

import folium
import xyzservices

from geo.maps.basemap import TILE_LAYERS
from geo.maps.build import MapOptions, build_base_map


def _layer_script(layer: folium.TileLayer) -> str:
    """The tile layer's part of a rendered map page (its variable name made neutral)."""
    fmap = folium.Map(tiles=None)
    layer.add_to(fmap)
    page = fmap.get_root().render().replace(layer.get_name(), "LAYER").replace(fmap.get_name(), "MAP")
    return page[page.index("var LAYER"):]


def test_tile_layers_are_providers_with_the_same_script_as_their_url():
    # folium looks a URL string up among xyzservices' ~1,000 providers on every TileLayer; a
    # TileProvider skips that and must give the page the very same layer.
    for key, tiles, attribution, max_zoom in TILE_LAYERS:
        assert isinstance(tiles, xyzservices.TileProvider), key
        by_url = folium.TileLayer(tiles=tiles.url, attr=attribution, name=key, overlay=False, show=False,
                                  max_zoom=max_zoom)
        by_provider = folium.TileLayer(tiles=tiles, attr=attribution, name=key, overlay=False, show=False,
                                       max_zoom=max_zoom)
        assert _layer_script(by_provider) == _layer_script(by_url), key
        assert by_provider.tile_name == by_url.tile_name
    urls = {key: tiles.url for key, tiles, _a, _z in TILE_LAYERS}
    assert urls["osm"] == "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    assert urls["dark"] == "https://{s}.basemaps.cartocdn.com/dark_all/{z}/{x}/{y}{r}.png"


def test_the_base_map_never_searches_the_providers(monkeypatch):
    # With URL strings the three layers took 7.5 ms of each run in xyzservices' provider search (the
    # benchmark measures the time; this checks the search is gone).
    def searched(name: str) -> None:
        raise AssertionError(f"folium searched xyzservices' providers for {name!r}")

    monkeypatch.setattr(xyzservices.providers, "query_name", searched)
    html = build_base_map(MapOptions(basemap_url="/app/static/basemap/countries-110m.geojson")).get_root().render()
    assert html.count("L.tileLayer(") == 3
    assert '"https://{s}.basemaps.cartocdn.com/light_all/{z}/{x}/{y}{r}.png"' in html
