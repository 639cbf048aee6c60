"""Two offices either side of the antimeridian in a real browser (issue #17): the map page and the
presenter's overview fit a small view across 180°, with both markers in it, not the whole world."""

from __future__ import annotations

import pytest

from tests.conftest import (
    MAP_FRAME,
    screenshot,
    start_streamlit,
    stop_streamlit,
    wait_for_map,
    wait_for_offices,
)

pytestmark = pytest.mark.browser

TABLE = """id,name,office_type,city,country,country_code,region,latitude,longitude,geocode_precision,timezone
lo-suva,Liaison office Suva,liaison_office,Suva,Fiji,FJ,Asia-Pacific,-18.14161,178.44149,city,Pacific/Fiji
lo-taveuni,Liaison office Taveuni,liaison_office,Taveuni,Fiji,FJ,Asia-Pacific,-16.85,-179.97,city,Pacific/Fiji
"""

# The Leaflet map of the frame, its view's west and east edges, and each marker's box in the frame.
VIEW_JS = """() => {
    const map = Object.values(window).find(v => v && v instanceof L.Map);
    const b = map.getBounds(), box = map.getContainer().getBoundingClientRect();
    const markers = [...document.querySelectorAll('.office-marker')].map(el => {
        const r = el.getBoundingClientRect();
        return {id: el.getAttribute('data-office-id'), x: r.left + r.width / 2, y: r.top + r.height / 2};
    });
    return {west: b.getWest(), east: b.getEast(), zoom: map.getZoom(), markers: markers,
            width: box.width, height: box.height};
}"""


@pytest.fixture(scope="module")
def fiji_server(tmp_path_factory):
    directory = tmp_path_factory.mktemp("antimeridian")
    table = directory / "fiji.csv"
    table.write_text(TABLE, encoding="utf-8")
    server = start_streamlit(directory, {"OFFICES_CSV": str(table)})
    yield server
    stop_streamlit(server)


def settled_view(page) -> dict:
    """The view once both markers are drawn and the map has stopped moving (same view twice)."""
    frame = page.query_selector(MAP_FRAME).content_frame()
    frame.wait_for_function(
        """() => {
            const map = Object.values(window).find(v => v && v instanceof L.Map);
            if (!map || document.querySelectorAll('.office-marker').length < 2) { return false; }
            const key = map.getCenter().toString() + map.getZoom();
            const same = window.__antimeridianLast === key;
            window.__antimeridianLast = key;
            return same;
        }""",
        polling=250,
        timeout=30_000,
    )
    return frame.evaluate(VIEW_JS)


def assert_small_view_with_both_markers(view: dict) -> None:
    # Zoom 4 or 5 (the views' maximum) in a 500 to 1400 px map: 20° to 80°; the old view was 360° or more.
    assert view["east"] - view["west"] < 120, view
    assert view["west"] < 180 < view["east"], view  # the view spans the date line
    assert view["zoom"] >= 4, view
    assert sorted(m["id"] for m in view["markers"]) == ["lo-suva", "lo-taveuni"]
    for marker in view["markers"]:  # both inside the map, not at its opposite edges
        assert 0.2 * view["width"] < marker["x"] < 0.8 * view["width"], view
        assert 0 < marker["y"] < view["height"], view
    xs = sorted(m["x"] for m in view["markers"])
    assert xs[1] - xs[0] < view["width"] / 3, view  # side by side: 200 km apart


def test_map_page_fits_a_small_view_across_the_date_line(fiji_server, page):
    page.goto(fiji_server.url + "/")
    wait_for_map(page)
    wait_for_offices(page, 2)
    assert_small_view_with_both_markers(settled_view(page))
    screenshot(page, "antimeridian-map")
    page.watch.assert_clean()


def test_briefing_overview_fits_a_small_view_across_the_date_line(fiji_server, page):
    page.goto(fiji_server.url + "/briefing")
    wait_for_map(page)
    assert_small_view_with_both_markers(settled_view(page))
    screenshot(page, "antimeridian-briefing")
    page.watch.assert_clean()
