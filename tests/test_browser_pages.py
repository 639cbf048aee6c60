"""Briefing, directory and about pages in headless Chromium against a real ``streamlit run``."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import MAP_FRAME, next_frames, screenshot, wait_for_map, wait_until_steady

pytestmark = pytest.mark.browser


def test_tour_moves_the_map_and_changes_the_card_on_next_and_on_the_keyboard(streamlit_server, page):
    page.goto(streamlit_server.url + "/briefing?step=1")
    frame = wait_for_map(page)
    frame.locator('.tour-card[data-office-id="hq-lyon"]').wait_for(timeout=20_000)
    handle = page.query_selector(MAP_FRAME).content_frame()
    handle.evaluate("() => { window.__sameMap = true; }")
    handle.wait_for_function("() => Math.abs(window.map.getCenter().lat - 45.75) < 1")
    screenshot(page, "tour-step-1")

    frame.get_by_role("button", name="Next").click()
    frame.locator('.tour-card[data-office-id="igci-singapore"]').wait_for(timeout=20_000)
    handle.wait_for_function(
        "() => { const c = window.map.getCenter(); return Math.abs(c.lat - 1.29) < 1 && Math.abs(c.lng - 103.85) < 1; }",
        timeout=20_000,
    )
    page.wait_for_function("() => location.search.includes('step=2')")

    page.evaluate("() => document.activeElement && document.activeElement.blur()")  # the page, not the map
    page.keyboard.press("ArrowRight")
    frame.locator('.tour-card[data-office-id="rb-san-salvador"]').wait_for(timeout=20_000)
    handle.wait_for_function("() => Math.abs(window.map.getCenter().lat - 13.69) < 1", timeout=20_000)
    page.keyboard.press("PageDown")
    frame.locator('.tour-card[data-office-id="rb-buenos-aires"]').wait_for(timeout=20_000)
    page.keyboard.press("ArrowLeft")
    frame.locator('.tour-card[data-office-id="rb-san-salvador"]').wait_for(timeout=20_000)
    assert handle.evaluate("() => window.__sameMap === true"), "the map iframe was reloaded"
    screenshot(page, "tour-step-3")
    page.watch.assert_clean()


def test_briefing_sidebar_is_collapsed_and_the_legend_is_large(streamlit_server, page):
    page.goto(streamlit_server.url + "/briefing")
    frame = wait_for_map(page)
    sidebar = page.locator('[data-testid="stSidebar"]')
    assert sidebar.get_attribute("data-collapsed") == "true"
    size = frame.locator(".tour-legend").evaluate("(el) => parseFloat(getComputedStyle(el).fontSize)")
    assert size >= 16
    screenshot(page, "tour-overview")
    page.watch.assert_clean()


def download(page, name: str):
    with page.expect_download(timeout=30_000) as info:
        page.get_by_role("button", name=name).click()
    return info.value


def test_directory_downloads_parse(streamlit_server, page, tmp_path):
    page.goto(streamlit_server.url + "/directory?type=regional_bureau,liaison_office")
    page.get_by_text("9 offices shown").wait_for(timeout=30_000)
    screenshot(page, "directory")

    csv_path = tmp_path / "offices.csv"
    item = download(page, "Table (CSV)")
    assert item.suggested_filename.startswith("interpol-gs-offices-") and item.suggested_filename.endswith(".csv")
    item.save_as(csv_path)
    table = pd.read_csv(csv_path, encoding="utf-8-sig")
    assert len(table) == 9 and set(table["office_type"]) == {"regional_bureau", "liaison_office"}

    item = download(page, "Map data (GeoJSON)")
    assert item.suggested_filename.endswith(".geojson")
    geojson = json.loads(Path(item.path()).read_text(encoding="utf-8"))
    assert geojson["type"] == "FeatureCollection" and len(geojson["features"]) == 9
    harare = next(f for f in geojson["features"] if f["properties"]["city"] == "Harare")
    assert harare["geometry"] == {"type": "Point", "coordinates": [31.05337, -17.82772]}

    item = download(page, "Google Earth (KML)")
    root = ET.parse(item.path()).getroot()
    placemarks = root.findall(".//{http://www.opengis.net/kml/2.2}Placemark")
    assert len(placemarks) == 9
    harare_kml = next(p for p in placemarks if p.get("id") == "office-rb-harare")
    # The countries served, named in the page's language (issue #13), in the balloon text.
    assert "serves 16 countries: Angola, Botswana" in harare_kml.findtext("{http://www.opengis.net/kml/2.2}description")

    item = download(page, "Download map (HTML, works offline)")
    html = Path(item.path()).read_text(encoding="utf-8")
    assert "leaflet" in html.lower() and "rb-harare" in html
    page.watch.assert_clean()


def test_choosing_a_directory_row_shows_the_office_on_the_map(streamlit_server, page):
    page.goto(streamlit_server.url + "/directory?q=harare")
    page.get_by_text("1 office shown").wait_for(timeout=30_000)
    grid = page.locator('.st-key-directory_full [data-testid="stDataFrame"]')
    grid.wait_for()
    # The grid draws on a canvas after the element appears: wait for its rows and for it to stand still.
    grid.locator("tbody tr").first.wait_for(state="attached", timeout=30_000)
    wait_until_steady(page, '.st-key-directory_full [data-testid="stDataFrame"] canvas')
    box = grid.bounding_box()
    # The row selector sits at the far left of the first data row (below the header row).
    x, y = box["x"] + 16, box["y"] + 35 + 17
    # The grid is a canvas: click the row marker until the selection reaches the server.
    for _attempt in range(4):
        page.mouse.move(x, y)
        next_frames(page)  # the grid has drawn the hovered row's chooser
        page.mouse.click(x, y)
        try:
            page.wait_for_function("() => location.search.includes('office=rb-harare')", timeout=6_000)
            break
        except Exception:
            continue
    page.locator("section.office-panel h2").wait_for(timeout=20_000)
    assert page.locator("section.office-panel h2").inner_text() == "INTERPOL Regional Bureau Harare"
    frame = wait_for_map(page)
    frame.locator(".office-rb-harare.is-selected").wait_for(timeout=20_000)
    screenshot(page, "directory-chosen")
    page.locator('[data-testid="stSidebar"] a[href=""]').first.click()  # the map opens on the same office
    page.locator("section.office-panel h2").wait_for(timeout=20_000)
    page.wait_for_function("() => !location.pathname.includes('directory')")
    assert page.locator("section.office-panel h2").inner_text() == "INTERPOL Regional Bureau Harare"
    page.watch.assert_clean()


def test_about_page(streamlit_server, page):
    page.goto(streamlit_server.url + "/about")
    page.get_by_text("Valdecy Urquiza", exact=False).first.wait_for(timeout=30_000)
    screenshot(page, "about")
    page.watch.assert_clean()
