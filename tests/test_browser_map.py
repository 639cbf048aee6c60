"""The map page in headless Chromium against a real ``streamlit run``, with the internet blocked."""

from __future__ import annotations

import urllib.request

import pytest

from geo.maps import assets
from tests.conftest import MAP_FRAME, count_offices_drawn, screenshot, wait_for_map, wait_for_offices

pytestmark = pytest.mark.browser


def open_map(page, url: str, expected: int):
    page.goto(url)
    frame = wait_for_map(page)
    wait_for_offices(page, expected)
    return frame


def test_vendored_assets_are_served_as_scripts_and_styles(streamlit_server):
    urls = [(name, assets.asset_url(name), expected) for name, expected in (
        ("leaflet_js", "javascript"), ("markercluster_js", "javascript"), ("leaflet_css", "text/css"),
        ("markercluster_css", "text/css"), ("basemap", "json"))]
    # The one script file every map loads (JS_ORDER's files joined), at its content-hashed URL.
    urls += [(name, url, "javascript") for name, url in assets.js_links()]
    for name, url, expected in urls:
        with urllib.request.urlopen(streamlit_server.url + url) as response:
            assert response.status == 200
            assert expected in response.headers["Content-Type"], (name, response.headers["Content-Type"])
            if name == assets.BUNDLE:
                assert response.read().decode("utf-8") == assets.inline_js(assets.BUNDLE).replace("<\\/script", "</script")


def test_all_offices_drawn_offline_with_legend(streamlit_server, page):
    open_map(page, streamlit_server.url + "/", 14)
    assert count_offices_drawn(page) == 14
    frame = page.frame_locator(MAP_FRAME)
    toggle = frame.locator(".office-legend .legend-toggle")
    if toggle.get_attribute("aria-expanded") == "false":  # folded on a map narrower than 520 px
        toggle.click()
    legend = frame.locator(".office-legend").inner_text()
    for label, count in (("Headquarters", 1), ("Regional bureau", 6), ("Liaison office", 3)):
        assert label in legend
    assert [int(x) for x in frame.locator(".office-legend .count").all_inner_texts()] == [1, 1, 6, 3, 3]
    # The offline basemap is drawn (country outlines as SVG paths).
    assert frame.locator("path").count() > 100
    assert page.get_by_text("14 offices shown").is_visible()
    screenshot(page, "map-world")
    page.watch.assert_clean()


def test_share_link_type_shows_exactly_the_six_regional_bureaus(streamlit_server, page):
    open_map(page, streamlit_server.url + "/?type=regional_bureau", 6)
    handle = page.query_selector(MAP_FRAME).content_frame()
    classes = handle.evaluate("() => [...document.querySelectorAll('.office-marker')].map(e => e.className)")
    assert all("type-regional_bureau" in c for c in classes)
    assert page.get_by_text("6 offices shown").is_visible()
    page.watch.assert_clean()


def test_clicking_a_marker_opens_its_panel(streamlit_server, page):
    frame = open_map(page, streamlit_server.url + "/", 14)
    marker = frame.locator(".office-rb-harare")
    assert marker.get_attribute("data-office-id") == "rb-harare"
    marker.click()
    heading = page.locator("section.office-panel h2")
    heading.wait_for(timeout=20_000)
    assert heading.inner_text() == "INTERPOL Regional Bureau Harare"
    panel = page.locator("section.office-panel").inner_text()
    assert "Harare, Zimbabwe" in panel and "Southern Africa" in panel and "Local time" in panel
    page.wait_for_function("() => location.search.includes('office=rb-harare')")
    screenshot(page, "map-panel-harare")
    page.watch.assert_clean()


def test_unticking_a_type_removes_its_markers_without_reloading_the_map(streamlit_server, page):
    open_map(page, streamlit_server.url + "/", 14)
    handle = page.query_selector(MAP_FRAME).content_frame()
    handle.evaluate("() => { window.__sameMap = true; }")
    page.get_by_text("Liaison office (3)").click()
    wait_for_offices(page, 11, 20_000)
    handle = page.query_selector(MAP_FRAME).content_frame()
    assert handle.evaluate("() => window.__sameMap === true"), "the map iframe was reloaded"
    assert handle.evaluate("() => document.querySelectorAll('.type-liaison_office').length") == 0
    page.wait_for_function("() => location.search.includes('type=')")
    assert page.get_by_text("11 offices shown").is_visible()
    page.watch.assert_clean()


def test_office_link_centres_on_the_office_and_unknown_values_give_a_notice(streamlit_server, page):
    page.goto(streamlit_server.url + "/?office=lo-europol&type=bogus&region=Mars")
    frame = wait_for_map(page)
    frame.locator(".office-lo-europol.is-selected").wait_for(timeout=20_000)
    page.locator("section.office-panel h2").wait_for(timeout=20_000)
    assert page.locator("section.office-panel h2").inner_text() == "INTERPOL Liaison Office at Europol"
    assert frame.locator(".office-lo-europol.is-selected").count() == 1
    handle = page.query_selector(MAP_FRAME).content_frame()
    zoom = handle.evaluate("() => window.map.getZoom()")
    centre = handle.evaluate("() => window.map.getCenter()")
    assert zoom >= 5 and abs(centre["lat"] - 52.08) < 0.5 and abs(centre["lng"] - 4.30) < 0.5
    body = page.locator("[data-testid='stMain']").inner_text()
    assert "bogus" in body and "Mars" in body
    page.watch.assert_clean()


def test_empty_result_says_so(streamlit_server, page):
    page.goto(streamlit_server.url + "/?q=zzzz-no-such-office")
    page.get_by_text("No office matches these filters").wait_for(timeout=30_000)
    page.get_by_text("0 offices shown").wait_for()
    # The map stays, with no office on it (its view is kept while the user types the search again).
    wait_for_map(page)
    wait_for_offices(page, 0)
    assert count_offices_drawn(page) == 0
    page.watch.assert_clean()
