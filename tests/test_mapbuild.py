"""Unit tests of map building: markers per type, colours and shapes, legend counts, escaping, view."""

from __future__ import annotations

import json
import re

import pytest

from geo.maps import assets
from geo.maps.build import MapOptions, build_base_map, build_office_layer, build_office_map, view_for
from geo.maps.legend import legend_html
from geo.maps.markers import ID_SEPARATOR, office_id_from_tooltip, office_rows
from geo.maps.styles import TYPE_STYLES, marker_svg
from geo.markup import js_json
from geo.offices.schema import OfficeType
from tests.apptest_helpers import layer_parts

HOSTILE = "<img src=x onerror=alert(1)> ` ${alert(1)} </script><script>alert(2)</script> {{7*7}}"


def test_one_marker_row_per_office_with_its_type(offices):
    config, rows = layer_parts(build_office_layer(offices))
    assert len(rows) == 14
    kinds = [config["types"][r[2]]["key"] for r in rows]
    assert kinds.count("regional_bureau") == 6 and kinds.count("headquarters") == 1
    assert kinds.count("special_representative_office") == 3 and kinds.count("liaison_office") == 3
    lyon = next(r for r in rows if r[3] == "hq-lyon")
    assert lyon[:2] == [45.78219, 4.84838]


def test_each_type_has_its_own_colour_and_shape():
    colours = {TYPE_STYLES[t].colour for t in OfficeType}
    shapes = {TYPE_STYLES[t].shape for t in OfficeType}
    assert len(colours) == 5 and len(shapes) == 5  # never colour alone
    # Okabe-Ito colour-blind-safe palette
    assert colours <= {"#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#000000"}
    for office_type in OfficeType:
        svg = marker_svg(office_type.value)
        assert TYPE_STYLES[office_type].colour in svg and svg.startswith("<svg")
    assert "<polygon" in marker_svg("headquarters") and "<circle" in marker_svg("regional_bureau")
    assert "<rect" in marker_svg("special_representative_office")


def test_legend_counts_the_offices_shown(offices):
    html = legend_html(offices[offices["office_type"] != "liaison_office"], MapOptions())
    counts = re.findall(r'<li class="legend-(\w+)[^"]*">.*?<span class="count">(\d+)</span>', html)
    assert dict(counts) == {"headquarters": "1", "global_complex": "1", "regional_bureau": "6",
                            "special_representative_office": "3", "liaison_office": "0"}
    assert "is-empty" in html  # a type with none shown is greyed, not hidden


def test_markers_carry_the_office_marker_class_and_id(offices):
    fmap = build_office_map(offices)
    page = fmap.get_root().render()
    # The page loads the office layer's script from the app (after Leaflet) and hands it the data.
    # One file, the bundle of JS_ORDER (streamlit-folium loads a frame's scripts one after another).
    assert [name for name, _url in fmap.default_js] == [assets.BUNDLE]
    assert assets.JS_ORDER.index("markers_js") > assets.JS_ORDER.index("markercluster_js")
    assert assets.js_links()[0][1] in page and "window.GsOfficeMarkers.render(map_" in page
    bundle = assets.inline_js(assets.BUNDLE)
    assert bundle.index("GsOfficeMarkers") > bundle.index("markerClusterGroup")
    script = assets.ASSETS["markers_js"].source.read_text(encoding="utf-8")
    assert '"office-marker office-" + r[3]' in script
    assert 'el.setAttribute("data-office-id", this.options.officeId)' in script


def test_the_map_scripts_are_never_templates():
    # Served as files, never rendered by Jinja: no "{{", "{%" or "{#" that a template would eat.
    for name in ("markers_js", "basemap_js"):
        text = assets.ASSETS[name].source.read_text(encoding="utf-8")
        assert not re.search(r"\{[{%#]", text), name
        assert name in assets.JS_ORDER  # loaded by every map, and inlined by the HTML export
    # The frame's style goes into the page through a branca Element, itself a Jinja template.
    assert not re.search(r"\{[{%#]", assets.web_text("map.css"))


def test_hostile_names_are_escaped_everywhere(offices):
    frame = offices.copy()
    frame.loc[0, "name"] = HOSTILE
    html = build_office_map(frame, MapOptions(legend_title=HOSTILE)).get_root().render()
    assert "<img src=x" not in html and "<script>alert" not in html
    assert "{{7*7}}" not in html  # never a Jinja template on the server
    # Backticks and ${...} stay inside a JSON double-quoted string (never a template literal).
    assert json.loads(re.search(r"var rows = (\[.*?\]);\n", html).group(1))[0][4].count("`") == 1
    rows = office_rows(frame)
    assert rows[0][4] == "&lt;img src=x onerror=alert(1)&gt; ` ${alert(1)} &lt;/script&gt;&lt;script&gt;alert(2)&lt;/script&gt; {{7*7}}"
    assert "</" not in js_json(rows) and "{{" not in js_json(rows)


def test_view_fits_the_offices_or_centres_on_the_selected_one(offices):
    bounds = view_for(offices, MapOptions())["bounds"]
    assert bounds[0][0] == pytest.approx(-34.61315) and bounds[1][0] == pytest.approx(52.0928)
    view = view_for(offices, MapOptions(selected_id="lo-europol"))
    assert view == {"center": [52.0928, 4.2815], "zoom": 6}
    config, _rows = layer_parts(build_office_layer(offices, MapOptions(selected_id="lo-europol")))
    assert config["selected"] == "lo-europol"


def test_base_map_uses_local_assets_and_an_offline_base_layer():
    fmap = build_base_map(MapOptions(basemap_url="/app/static/basemap/countries-110m.geojson"))
    html = fmap.get_root().render()
    assert all(url.startswith("/app/static/") for _, url in fmap.default_js + fmap.default_css)
    assert "cdn" not in " ".join(url for _, url in fmap.default_js + fmap.default_css)
    assert 'window.GsBasemap.load(offline_basemap_' in html
    assert '"/app/static/basemap/countries-110m.geojson", {"u50":' in html
    assert "maxZoom" in html  # markercluster needs it on the map when there are no tiles
    assert html.count("L.tileLayer(") == 3  # online layers offered, none shown by default
    embedded = build_base_map(MapOptions()).get_root().render()
    assert '"FeatureCollection"' in embedded and assets.BASEMAP_PATH.exists()


def test_tooltip_carries_the_id_for_clicks():
    assert office_id_from_tooltip(f"INTERPOL Liaison Office at Europol{ID_SEPARATOR}lo-europol") == "lo-europol"
    assert office_id_from_tooltip("a cluster tooltip") is None
    assert office_id_from_tooltip(None) is None


def test_hub_lines_and_large_text(offices):
    config, _ = layer_parts(build_office_layer(offices, MapOptions(hub=(45.74906, 4.84789), large_text=True)))
    assert config["hub"] == [45.74906, 4.84789] and config["large"] is True
    assert "liaison_office" in config["legend"]
    config, _ = layer_parts(build_office_layer(offices[offices["office_type"] == "headquarters"],
                                               MapOptions(large_text=True)))
    assert "liaison_office" not in config["legend"]  # the presenter legend lists what is shown


def test_rows_without_coordinates_are_left_out(offices):
    frame = offices.copy()
    frame.loc[0, ["latitude", "longitude"]] = float("nan")
    assert len(office_rows(frame)) == 13
