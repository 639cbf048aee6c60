"""The offline basemap's levels (scripts/make_basemap.sh): every office on land at close zoom, sizes,
shapes, and in the browser, that the finer levels are fetched only when the zoom needs them."""

from __future__ import annotations

import csv
import json
import re
from functools import cache
from itertools import pairwise
from pathlib import Path

import pytest

from geo.maps import assets
from geo.maps.basemap import OfflineBasemap, basemap_levels
from geo.maps.build import MapOptions, build_base_map
from tests.conftest import MAP_FRAME, screenshot, wait_for_map

ROOT = Path(__file__).resolve().parent.parent
BASEMAP = ROOT / "data" / "basemap"
CELLS = BASEMAP / "10m"
CELL = 10  # degrees, as in scripts/make_basemap.mjs
REBUILD = "rebuild with scripts/make_basemap.sh"


def cell_name(lon: float, lat: float) -> str:
    w, s = int(lon // CELL * CELL), int(lat // CELL * CELL)
    return f"{'w' if w < 0 else 'e'}{abs(w):03d}{'s' if s < 0 else 'n'}{abs(s):02d}"


@cache
def level(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def office_points() -> list[tuple[str, float, float]]:
    """Every office of the table, and every point of the sourced-coordinates file if there is one."""
    points = []
    for name in ("offices.csv", "sourced_coordinates.csv"):
        path = ROOT / "data" / name
        if path.exists():
            with path.open(encoding="utf-8", newline="") as handle:
                points += [(f"{name}:{r['id']}", float(r["latitude"]), float(r["longitude"]))
                           for r in csv.DictReader(handle) if r.get("latitude") and r.get("longitude")]
    return points


def on_land(lon: float, lat: float, land: dict) -> bool:
    """Even-odd point in polygon over every ring: what Leaflet fills (its SVG paths use evenodd)."""
    inside = False
    for polygon in land["coordinates"]:
        for ring in polygon:
            for (x1, y1), (x2, y2) in pairwise(ring):
                if (y1 > lat) != (y2 > lat) and lon < (x2 - x1) * (lat - y1) / (y2 - y1) + x1:
                    inside = not inside
    return inside


@pytest.mark.parametrize("office,lat,lon", office_points(), ids=lambda v: v if isinstance(v, str) else "")
def test_every_office_is_on_land_in_the_outlines_drawn_at_its_close_zoom(office, lat, lon):
    path = CELLS / f"{cell_name(lon, lat)}.geojson"
    assert path.exists(), f"{office}: no 1:10m cell {path.name}; {REBUILD}"
    land, _borders = level(path)["features"]
    assert on_land(lon, lat, land["geometry"]), f"{office} ({lat}, {lon}) is in the sea in {path.name}"


def test_the_office_cities_are_labelled_in_every_language():
    places = level(BASEMAP / "places.geojson")["features"]
    names = {f["properties"]["name"]["en"]: f["properties"]["name"] for f in places}
    with (ROOT / "data" / "offices.csv").open(encoding="utf-8", newline="") as handle:
        cities = {r["city"] for r in csv.DictReader(handle)}
    assert cities <= set(names), f"cities without a label: {cities - set(names)}; {REBUILD}"
    assert all(set(n) == {"ar", "en", "es", "fr"} and all(n.values()) for n in names.values())
    for f in places:
        lon, lat = f["geometry"]["coordinates"]
        assert on_land(lon, lat, level(CELLS / f"{cell_name(lon, lat)}.geojson")["features"][0]["geometry"])


def test_levels_are_land_and_borders_within_their_box_and_of_sensible_size():
    files = [BASEMAP / "world-50m.geojson", *sorted(CELLS.glob("*.geojson"))]
    assert len(files) > 20
    for path in files:
        data = level(path)
        w, s, e, n = data["bbox"]
        land, borders = data["features"]
        assert (land["properties"], land["geometry"]["type"]) == ({"k": "land"}, "MultiPolygon")
        assert (borders["properties"], borders["geometry"]["type"]) == ({"k": "border"}, "MultiLineString")
        lines = [ring for poly in land["geometry"]["coordinates"] for ring in poly]
        assert all(len(ring) >= 4 and ring[0] == ring[-1] for ring in lines), path.name
        lines += borders["geometry"]["coordinates"]
        for line in lines:
            assert all(w <= x <= e and s <= y <= n for x, y in line), path.name
            assert all(abs(b[0] - a[0]) <= 180 for a, b in pairwise(line)), path.name
    assert (BASEMAP / "world-50m.geojson").stat().st_size < 1_300_000
    sizes = [p.stat().st_size for p in CELLS.glob("*.geojson")]
    assert max(sizes) < 200_000 and sum(sizes) < 3_500_000
    assert (BASEMAP / "places.geojson").stat().st_size < 10_000


def test_every_level_is_served_and_named_in_the_page():
    cells = sorted(p.stem for p in CELLS.glob("*.geojson"))
    assert {f"basemap/10m/{c}.geojson" for c in cells} <= {a.target for a in assets.ASSETS.values()}
    levels = basemap_levels()
    assert [c for c, _v in levels["cells"]] == cells
    assert (levels["z50"], levels["z10"]) == (3, 6) and levels["zPlaces"] > levels["z10"]
    page = build_base_map(MapOptions(basemap_url=assets.asset_url("basemap"), lang="fr")).get_root().render()
    assert '"lang":"fr"' in page and "world-50m.geojson?v=" in page
    assert len(re.search(r'"cells":\[.*?\]\]', page).group(0)) < 30 * len(cells) + 20  # name and hash only
    # The exported page embeds the 1:110m countries only and fetches nothing.
    embedded = build_base_map(MapOptions()).get_root().render()
    assert "world-50m" not in embedded and "fetch(" not in embedded.split("L.geoJSON(null", 1)[1][:3000]
    assert OfflineBasemap.Z50 == 3


FETCHED = """() => performance.getEntriesByType('resource').map(e => e.name)
    .filter(n => n.includes('/basemap/')).map(n => n.split('/basemap/')[1].split('?')[0])"""


@pytest.mark.browser
def test_finer_levels_are_fetched_only_when_the_zoom_needs_them(streamlit_server, page):
    page.goto(streamlit_server.url + "/")
    wait_for_map(page)
    frame = page.query_selector(MAP_FRAME).content_frame()
    frame.wait_for_function("() => document.querySelectorAll('.leaflet-gs-base-pane path').length > 100")
    assert frame.evaluate(FETCHED) == ["countries-110m.geojson"]  # the world view: nothing more
    frame.evaluate("() => { window.map.setView([45.76, 4.84], 4, {animate: false}); }")
    frame.wait_for_function(f"() => ({FETCHED})().includes('world-50m.geojson')")
    frame.evaluate("() => { window.map.setView([1.29, 103.85], 12, {animate: false}); }")
    frame.wait_for_function(f"() => ({FETCHED})().includes('10m/e100n00.geojson')")
    frame.wait_for_function("() => document.querySelectorAll('.gs-place').length > 0")
    fetched = frame.evaluate(FETCHED)
    assert fetched.count("world-50m.geojson") == 1 and "places.geojson" in fetched
    assert len([f for f in fetched if f.startswith("10m/")]) <= 4  # only the cells in view
    # Singapore's label, over land drawn from the 1:10m cell (its sea painted over the coarser level).
    frame.wait_for_function("() => document.querySelectorAll('.leaflet-gs-land-pane path').length > 0")
    assert "Singapore" in frame.evaluate("() => [...document.querySelectorAll('.gs-place')].map(e => e.textContent)")
    screenshot(page, "basemap-singapore-z12")
    page.watch.assert_clean()
