"""The map page's details, filters, keyboard and phone use (issue #11, points 1, 2, 3 and 6), in
headless Chromium against a real ``streamlit run``, with the internet blocked.

Every wait is a condition (an element, a count, a URL), never a fixed sleep.
"""

from __future__ import annotations

import json
import time

import pandas as pd
import pytest
from playwright.sync_api import expect

from tests.conftest import (
    ARTIFACTS,
    MAP_FRAME,
    ROOT,
    wait_for_map,
    wait_for_offices,
)

pytestmark = pytest.mark.browser

TIMEOUT = 30_000
OFFICES = pd.read_csv(ROOT / "data" / "offices.csv")
LONGITUDE = dict(zip(OFFICES["id"], OFFICES["longitude"], strict=True))
PANEL = "section.office-panel"
SIDEBAR = '[data-testid="stSidebar"]'


@pytest.fixture
def open_page(page_factory):
    """``open_page(width, height)``: a fresh page of that size, no internet, errors collected
    (tests/conftest.py's page_factory)."""

    def make(width: int = 1280, height: int = 720, locale: str = "en-US"):
        return page_factory({"width": width, "height": height}, locale)

    return make


def open_map(pg, url: str, expected: int = 14):
    pg.goto(url)
    frame = wait_for_map(pg)
    wait_for_count(pg, expected)
    return frame


def wait_for_count(pg, n: int) -> None:
    wait_for_offices(pg, n, TIMEOUT)


def map_handle(pg):
    return pg.query_selector(MAP_FRAME).content_frame()


def in_viewport(box: dict, width: int, height: int) -> bool:
    return (box["x"] >= 0 and box["y"] >= 0 and box["x"] + box["width"] <= width + 0.5
            and box["y"] + box["height"] <= height + 0.5)


def marker(frame, office_id: str):
    return frame.locator(f'.office-marker[data-office-id="{office_id}"]')


def save(pg, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    pg.screenshot(path=str(ARTIFACTS / f"{name}.png"))


# --- 1. details where the eye is --------------------------------------------------------------------


def test_enter_on_a_focused_marker_opens_its_panel_inside_the_viewport(streamlit_server, open_page):
    pg = open_page(1280, 720)
    frame = open_map(pg, streamlit_server.url + "/")
    harare = marker(frame, "rb-harare")
    harare.focus()
    pg.keyboard.press("Enter")
    panel = pg.locator(f'{PANEL}[data-office-id="rb-harare"]')
    panel.wait_for(timeout=TIMEOUT)
    assert panel.locator("h2").inner_text() == "INTERPOL Regional Bureau Harare"
    # The whole panel, and the whole map, are in view at 1280x720 without scrolling.
    assert pg.evaluate("() => window.scrollY") == 0
    assert in_viewport(panel.bounding_box(), 1280, 720), panel.bounding_box()
    assert in_viewport(pg.locator(MAP_FRAME).bounding_box(), 1280, 720)
    # The marker is highlighted, labelled, and keeps the keyboard focus after the rerun.
    frame.locator('.office-marker.is-selected[data-office-id="rb-harare"]').wait_for(timeout=TIMEOUT)
    frame.locator(".leaflet-tooltip.office-tip-selected", has_text="Harare").wait_for(timeout=TIMEOUT)
    map_handle(pg).wait_for_function(
        "() => document.activeElement && document.activeElement.getAttribute('data-office-id') === 'rb-harare'",
        timeout=TIMEOUT,
    )
    # Space opens another office the same way.
    marker(frame, "rb-buenos-aires").focus()
    pg.keyboard.press(" ")
    pg.locator(f'{PANEL}[data-office-id="rb-buenos-aires"]').wait_for(timeout=TIMEOUT)
    pg.watch.assert_clean()


@pytest.mark.parametrize("width,height", [(1280, 720), (1920, 1080)])
def test_map_and_panel_side_by_side_map_fills_the_window(streamlit_server, open_page, width, height):
    pg = open_page(width, height)
    frame = open_map(pg, streamlit_server.url + "/")
    marker(frame, "rb-harare").click()
    panel = pg.locator(f'{PANEL}[data-office-id="rb-harare"]')
    panel.wait_for(timeout=TIMEOUT)
    map_box, panel_box = pg.locator(MAP_FRAME).bounding_box(), panel.bounding_box()
    assert in_viewport(map_box, width, height) and in_viewport(panel_box, width, height)
    assert map_box["x"] + map_box["width"] <= panel_box["x"], (map_box, panel_box)  # side by side
    # The map takes about two thirds of what the sidebar leaves (at 1280x720: ~600 of 980 px, not 476).
    sidebar = pg.locator(SIDEBAR).bounding_box()
    assert map_box["width"] >= 0.6 * (width - sidebar["width"]), (map_box, sidebar)
    assert panel_box["y"] < map_box["y"] + map_box["height"]
    # The map fills the window's height below the title (less than 140 px left over).
    assert map_box["height"] >= height - 140, map_box
    # Empty fields are left out, never "not known" (Harare has no partner and no street address).
    text = panel.inner_text()
    assert "not known" not in text and "Partner" not in text and "Address" not in text
    pg.watch.assert_clean()


def test_a_click_keeps_the_view_and_the_list_shows_an_office_in_a_cluster(streamlit_server, open_page):
    pg = open_page(1400, 900)
    frame = open_map(pg, streamlit_server.url + "/")
    handle = map_handle(pg)
    before = handle.evaluate("() => [window.map.getZoom(), window.map.getCenter()]")
    marker(frame, "rb-harare").click()
    pg.locator(f'{PANEL}[data-office-id="rb-harare"]').wait_for(timeout=TIMEOUT)
    frame.locator('.office-marker.is-selected[data-office-id="rb-harare"]').wait_for(timeout=TIMEOUT)
    assert handle.evaluate("() => [window.map.getZoom(), window.map.getCenter()]") == before
    # Lyon is inside the Europe cluster at the world view: choosing it from the list zooms in to it.
    assert marker(frame, "hq-lyon").count() == 0
    pg.locator('[data-testid="stSelectbox"]', has_text="Office").click()
    pg.get_by_role("option", name="INTERPOL General Secretariat headquarters").click()
    frame.locator('.office-marker.is-selected[data-office-id="hq-lyon"]').wait_for(timeout=TIMEOUT)
    pg.locator(f'{PANEL}[data-office-id="hq-lyon"]').wait_for(timeout=TIMEOUT)
    pg.watch.assert_clean()


# --- 2. filters in one move ---------------------------------------------------------------------------


def test_only_in_the_sidebar_isolates_a_type_in_one_move(streamlit_server, open_page):
    pg = open_page(1400, 900)
    open_map(pg, streamlit_server.url + "/")
    pg.locator(".st-key-only_regional_bureau button:visible").click()
    wait_for_count(pg, 6)
    classes = map_handle(pg).evaluate("() => [...document.querySelectorAll('.office-marker')].map(e => e.className)")
    assert classes and all("type-regional_bureau" in c for c in classes)
    pg.wait_for_function("() => new URLSearchParams(location.search).get('type') === 'regional_bureau'")
    pg.watch.assert_clean()


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_each_only_button_is_named_for_its_type(streamlit_server, open_page, lang):
    """Five buttons read "only": each is named (and has the tooltip) "Show only: <type>", in the
    page's language, and keeps its name when the sidebar is drawn again after a filter change."""
    from dashboard.shell import button_names

    names = dict(button_names(lang))
    assert len(set(names.values())) == 5
    pg = open_page(1400, 900)
    open_map(pg, streamlit_server.url + ("/?lang=ar" if lang == "ar" else "/"))
    for selector, name in names.items():
        button = pg.locator(f"{SIDEBAR} {selector}")
        expect(button).to_have_attribute("aria-label", name, timeout=TIMEOUT)
        expect(button).to_have_attribute("title", name)
        expect(pg.get_by_role("button", name=name, exact=True)).to_have_count(1)
    pg.locator(".st-key-only_liaison_office button:visible").click()
    wait_for_count(pg, 3)
    expect(pg.locator(f"{SIDEBAR} .st-key-type_row_regional_bureau input")).not_to_be_checked(timeout=TIMEOUT)
    for selector, name in names.items():
        expect(pg.locator(f"{SIDEBAR} {selector}")).to_have_attribute("aria-label", name, timeout=TIMEOUT)
    pg.watch.assert_clean()


def open_legend(frame) -> None:
    toggle = frame.locator(".office-legend .legend-toggle")
    if toggle.get_attribute("aria-expanded") == "false":
        toggle.click()
    frame.locator(".office-legend .legend-entry").first.wait_for()


def test_legend_entry_toggles_its_type_and_only_isolates_it(streamlit_server, open_page):
    pg = open_page(1400, 900)
    frame = open_map(pg, streamlit_server.url + "/")
    open_legend(frame)
    liaison = frame.locator('.office-legend .legend-entry[data-type="liaison_office"]')
    assert liaison.get_attribute("aria-pressed") == "true"
    liaison.click()
    wait_for_count(pg, 11)
    pg.get_by_text("11 offices shown").wait_for(timeout=TIMEOUT)
    # The count and the checkbox come from the same rerun, not at the same moment: wait for it.
    expect(pg.locator(f"{SIDEBAR} .st-key-type_row_liaison_office input")).not_to_be_checked(timeout=TIMEOUT)
    frame.locator('.office-legend .legend-entry[data-type="liaison_office"][aria-pressed="false"]').wait_for()
    frame.locator('.office-legend .legend-entry[data-type="liaison_office"]').click()  # and back
    wait_for_count(pg, 14)
    frame.locator('.office-legend .legend-only[data-type="special_representative_office"]').click()
    wait_for_count(pg, 3)
    pg.wait_for_function(
        "() => new URLSearchParams(location.search).get('type') === 'special_representative_office'"
    )
    pg.watch.assert_clean()


def test_filter_changes_keep_the_users_view_unless_the_offices_would_leave_it(streamlit_server, open_page):
    pg = open_page(1400, 900)
    open_map(pg, streamlit_server.url + "/")
    handle = map_handle(pg)
    # The user looks at Europe.
    handle.evaluate("() => { window.map.setView([48.5, 8], 5, {animate: false}); }")
    view = handle.evaluate("() => [window.map.getZoom(), window.map.getCenter()]")
    pg.get_by_text("Regional bureau (6)").click()  # no regional bureau in Europe: nothing leaves the view
    # (Counted by the live region: markers far outside the view are not drawn.)
    pg.wait_for_function("() => document.querySelector('[aria-live=polite]').textContent === '8 offices shown'")
    handle.wait_for_function("() => !document.querySelector('.type-regional_bureau')", timeout=TIMEOUT)
    assert handle.evaluate("() => [window.map.getZoom(), window.map.getCenter()]") == view
    # Only the regional bureaus: none of them in this view, so the map fits them.
    pg.locator(".st-key-only_regional_bureau button:visible").click()
    pg.wait_for_function("() => document.querySelector('[aria-live=polite]').textContent === '6 offices shown'")
    handle.wait_for_function(
        """() => { const b = window.map.getBounds();
            return b.contains([-17.83, 31.05]) && b.contains([-34.6, -58.4]) && b.contains([13.7, -89.2]); }""",
        timeout=TIMEOUT,
    )
    pg.watch.assert_clean()


def test_search_as_you_type_opens_a_single_result(streamlit_server, open_page):
    pg = open_page(1400, 900)
    open_map(pg, streamlit_server.url + "/")
    search = pg.locator(f"{SIDEBAR} .st-key-q input")
    search.click()
    started = time.monotonic()
    search.press_sequentially("Harare", delay=60)  # no Enter
    pg.locator(f'{PANEL}[data-office-id="rb-harare"]').wait_for(timeout=TIMEOUT)
    typed_to_panel = time.monotonic() - started
    wait_for_count(pg, 1)
    assert pg.locator('[aria-live="polite"]').inner_text() == "1 office shown"
    pg.wait_for_function("() => new URLSearchParams(location.search).get('office') === 'rb-harare'")
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "map-ux-search.json").write_text(json.dumps({"typed_to_panel_s": round(typed_to_panel, 2)}))
    pg.watch.assert_clean()


def test_a_polite_live_region_announces_the_count(streamlit_server, open_page):
    pg = open_page(1400, 900)
    open_map(pg, streamlit_server.url + "/")
    live = pg.locator('[aria-live="polite"]')
    assert live.count() == 1 and live.inner_text() == "14 offices shown"
    handle = live.element_handle()
    pg.get_by_text("Liaison office (3)").click()
    wait_for_count(pg, 11)
    pg.wait_for_function("() => document.querySelector('[aria-live=\"polite\"]').textContent === '11 offices shown'")
    # The same element (a live region announces changes to itself, not a new element).
    assert handle.evaluate("e => e.isConnected && e.textContent") == "11 offices shown"
    pg.watch.assert_clean()


# --- 3. keyboard --------------------------------------------------------------------------------------


def test_a_focused_cluster_has_a_name_and_opens_on_enter(streamlit_server, open_page):
    pg = open_page(1400, 900)
    frame = open_map(pg, streamlit_server.url + "/")
    handle = map_handle(pg)
    cluster = frame.locator(".office-cluster", has_text="4").first
    label = cluster.get_attribute("aria-label")
    assert label.startswith("4 offices: ") and "INTERPOL General Secretariat headquarters" in label, label
    assert cluster.get_attribute("role") == "button" and cluster.get_attribute("tabindex") == "0"
    zoom = handle.evaluate("() => window.map.getZoom()")
    cluster.focus()
    pg.keyboard.press("Enter")
    handle.wait_for_function(f"() => window.map.getZoom() > {zoom}", timeout=TIMEOUT)
    # Focus moves to the first (westernmost) office or cluster of what was opened.
    handle.wait_for_function(
        """() => { const a = document.activeElement;
            return a && (a.classList.contains('office-marker') || a.classList.contains('office-cluster')); }""",
        timeout=TIMEOUT,
    )
    pg.watch.assert_clean()


def test_tab_reaches_markers_west_to_east(streamlit_server, open_page):
    pg = open_page(1400, 900)
    frame = open_map(pg, streamlit_server.url + "/")
    handle = map_handle(pg)
    first = handle.evaluate(
        """() => [...document.querySelectorAll('.leaflet-marker-pane [tabindex="0"]')][0].className"""
    )
    # Markers (26-34 px) and clusters (48 px) differ in size: compare their centres, as the map
    # orders them, and start once the map has settled (clusters are built in chunks on a busy machine).
    centres_js = """() => [...document.querySelectorAll('.leaflet-marker-pane [tabindex="0"]')]
        .map(el => { const r = el.getBoundingClientRect(); return r.left + r.width / 2; })"""
    settled = "() => { const xs = (" + centres_js + ")(); return xs.length >= 5 && xs.every((x, i) => i === 0 || xs[i - 1] <= x); }"
    handle.wait_for_function(settled, timeout=TIMEOUT)
    frame.locator(".leaflet-marker-pane [tabindex='0']").first.focus()
    xs = []
    for _ in range(handle.evaluate("() => document.querySelectorAll('.leaflet-marker-pane [tabindex=\"0\"]').length")):
        xs.append(handle.evaluate("() => { const r = document.activeElement.getBoundingClientRect(); "
                                  "return r.left + r.width / 2; }"))
        pg.keyboard.press("Tab")
    assert len(xs) >= 5 and xs == sorted(xs), (first, xs)
    pg.watch.assert_clean()


# --- 6. phone -------------------------------------------------------------------------------------------


def test_phone_touch_targets_legend_and_sidebar(streamlit_server, open_page):
    pg = open_page(390, 844)
    frame = open_map(pg, streamlit_server.url + "/")
    handle = map_handle(pg)
    sizes = handle.evaluate(
        """() => [...document.querySelectorAll(['.office-marker', '.office-cluster', '.leaflet-control-zoom a',
                   '.leaflet-control-layers-toggle', '.office-legend .legend-toggle'].join(', '))]
            .map(e => [e.className, e.getBoundingClientRect().width, e.getBoundingClientRect().height])"""
    )
    small = [s for s in sizes if s[1] < 43.9 or s[2] < 43.9]  # (sub-pixel layout)
    assert len(sizes) >= 8 and not small, small
    # The whole map is on the screen, and its attribution and scale bar do not overlap.
    assert in_viewport(pg.locator(MAP_FRAME).bounding_box(), 390, 844)
    boxes = handle.evaluate(
        """() => ['.leaflet-control-attribution', '.leaflet-control-scale'].map((s) => {
            const r = document.querySelector(s).getBoundingClientRect();
            return [r.left, r.top, r.right, r.bottom]; })"""
    )
    (a_left, a_top, a_right, a_bottom), (s_left, s_top, s_right, s_bottom) = boxes
    assert a_right <= s_left or s_right <= a_left or a_bottom <= s_top or s_bottom <= a_top, boxes
    # The legend starts folded: one 44 px button; a tap opens it.
    legend = frame.locator(".office-legend")
    assert "is-collapsed" in legend.get_attribute("class")
    assert frame.locator(".office-legend .legend-toggle").get_attribute("aria-expanded") == "false"
    assert not frame.locator(".office-legend ul").is_visible()
    frame.locator(".office-legend .legend-toggle").click()
    frame.locator(".office-legend ul").wait_for()
    entries = handle.evaluate(
        "() => [...document.querySelectorAll('.office-legend button')].map(e => e.getBoundingClientRect().height)"
    )
    assert min(entries) >= 43.9, entries
    # The sidebar: filter rows of 44 px; it closes after a filter change.
    pg.locator('[data-testid="stExpandSidebarButton"]').click()
    pg.wait_for_function(f"() => document.querySelector('{SIDEBAR}').getAttribute('data-collapsed') === 'false'")
    rows = pg.locator(f"{SIDEBAR} .st-key-type_filters label")
    heights = [rows.nth(i).bounding_box()["height"] for i in range(rows.count())]
    buttons = pg.locator(f"{SIDEBAR} .st-key-type_filters button:visible")
    button_sizes = [(b["width"], b["height"]) for b in (buttons.nth(i).bounding_box() for i in range(buttons.count()))]
    assert len(heights) == 5 and min(heights) >= 43.9, heights
    assert len(button_sizes) == 5 and all(w >= 43.9 and h >= 43.9 for w, h in button_sizes), button_sizes
    save(pg, "map-ux-phone-sidebar")
    pg.get_by_text("Liaison office (3)").click()
    pg.wait_for_function(f"() => document.querySelector('{SIDEBAR}').getAttribute('data-collapsed') === 'true'",
                         timeout=TIMEOUT)
    wait_for_count(pg, 11)
    pg.watch.assert_clean()


def test_phone_panel_is_a_bottom_sheet_and_the_office_stays_above_it(streamlit_server, open_page):
    pg = open_page(390, 844)
    frame = open_map(pg, streamlit_server.url + "/")
    marker(frame, "rb-harare").click()
    sheet = pg.locator(".st-key-office_sheet")
    pg.locator(f'{PANEL}[data-office-id="rb-harare"]').wait_for(timeout=TIMEOUT)
    box = sheet.bounding_box()
    assert abs(box["y"] + box["height"] - 844) < 2 and box["width"] >= 388 and box["height"] <= 844 * 0.5 + 1, box
    # The selected office is drawn above the sheet.
    frame.locator('.office-marker.is-selected[data-office-id="rb-harare"]').wait_for(timeout=TIMEOUT)
    pg.wait_for_function(
        """([sel, top]) => { const f = document.querySelector(sel).getBoundingClientRect();
            const m = document.querySelector(sel).contentDocument
                .querySelector('.office-marker.is-selected').getBoundingClientRect();
            return f.top + m.bottom <= top; }""",
        arg=[MAP_FRAME, box["y"]],
        timeout=TIMEOUT,
    )
    # Close gives the map back.
    pg.locator(".st-key-close_office button").click()
    sheet.wait_for(state="detached", timeout=TIMEOUT)
    pg.watch.assert_clean()


# --- look at it ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_screenshots_of_a_clicked_office(streamlit_server, open_page, lang):
    """test-artifacts/map-ux-<lang>-<size>.png: a clicked office at three sizes (looked at by eye)."""
    for width, height in ((1280, 720), (1920, 1080), (390, 844)):
        pg = open_page(width, height)
        frame = open_map(pg, f"{streamlit_server.url}/?lang={lang}")
        marker(frame, "rb-harare").click()
        panel = pg.locator(f'{PANEL}[data-office-id="rb-harare"]')
        panel.wait_for(timeout=TIMEOUT)
        frame.locator('.office-marker.is-selected[data-office-id="rb-harare"]').wait_for(timeout=TIMEOUT)
        pg.evaluate("() => document.fonts.ready")
        if width > 640:
            assert in_viewport(panel.bounding_box(), width, height)
        assert panel.get_attribute("dir") == ("rtl" if lang == "ar" else "ltr")
        save(pg, f"map-ux-{lang}-{width}x{height}")
        pg.watch.assert_clean()
