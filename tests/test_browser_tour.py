"""The presenter view in headless Chromium: keys, full screen, layout, labels, phone, offline basemap.

The tour lives in the map's frame (geo/maps/web/tour.js); these tests press real keys in the page and in
the frame, and measure what a presenter sees. Screenshots: test-artifacts/tour-*.png.
"""

from __future__ import annotations

import json

import pytest

from geo.offices.filtering import briefing_order
from geo.offices.table import load_offices
from tests.conftest import MAP_FRAME, ROOT, screenshot

pytestmark = pytest.mark.browser

TOUR = list(briefing_order(load_offices(ROOT / "data" / "offices.csv"))["id"])
LAST = len(TOUR)
PROJECTOR = {"width": 1280, "height": 720}
FULL_HD = {"width": 1920, "height": 1080}
PHONE = {"width": 390, "height": 844}
TIMEOUT = 30_000

# Boxes of every marker and label in the frame, and which overlap or leave the map.
OVERLAPS_JS = """() => {
    const R = n => n.getBoundingClientRect();
    const hit = (a, b) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
    const map = R(document.getElementById('map_div'));
    const markers = [...document.querySelectorAll('.office-marker')];
    const labels = [...document.querySelectorAll('.tour-label')];
    const legend = document.querySelector('.tour-legend');
    const problems = [];
    for (const l of labels) {
        const a = R(l);
        if (a.left < map.left || a.right > map.right || a.top < map.top || a.bottom > map.bottom)
            problems.push('label off the map: ' + l.dataset.officeId);
        for (const m of markers) if (hit(a, R(m))) problems.push(l.dataset.officeId + ' label covers ' + m.dataset.officeId);
    }
    if (legend && legend.offsetParent) {
        const g = R(legend);
        for (const m of markers) if (hit(g, R(m))) problems.push('legend covers ' + m.dataset.officeId);
    }
    return {problems, labels: labels.length, markers: markers.length};
}"""


def open_tour(page, url: str):
    """Open the briefing page; return its map frame once the tour is drawn and settled."""
    page.goto(url)
    page.wait_for_selector(MAP_FRAME, timeout=TIMEOUT)
    frame = page.query_selector(MAP_FRAME).content_frame()
    frame.wait_for_function("() => window.__tour && document.querySelectorAll('.office-marker').length > 0",
                            timeout=TIMEOUT)
    settle(frame)
    return frame


# True once the tour has been settled (still, labels placed for this view) for longer than one
# round of its label watch (200 ms, geo/maps/web/tour.js watchLabels), which would re-place them.
HELD_SETTLED_JS = """() => { const now = performance.now();
    if (!window.__tour.settled()) { window.__settledSince = null; return false; }
    if (window.__settledSince == null) { window.__settledSince = now; return false; }
    return now - window.__settledSince >= 250; }"""


PRESSED_JS = "(v) => document.querySelector('.tour-full').getAttribute('aria-pressed') === v"


def settle(frame) -> None:
    """Wait until the map has stopped flying and the labels are placed, and they stay so."""
    frame.evaluate("() => { window.__settledSince = null; }")
    frame.wait_for_function(HELD_SETTLED_JS, timeout=TIMEOUT, polling=50)


def step_of(frame) -> int:
    return int(frame.evaluate("() => document.querySelector('.tour-card').dataset.step"))


def wait_step(frame, step: int) -> None:
    frame.wait_for_function(f"() => document.querySelector('.tour-card').dataset.step === '{step}'", timeout=TIMEOUT)


def focus_page(page) -> None:
    """Focus the page itself (not a widget, not the map)."""
    page.evaluate("() => { document.activeElement && document.activeElement.blur(); document.body.focus(); }")


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_powerpoint_keys_work_in_every_language_from_the_page_and_from_the_map(streamlit_server, page_factory, lang):
    page = page_factory(PROJECTOR)
    frame = open_tour(page, f"{streamlit_server.url}/briefing?lang={lang}")
    assert step_of(frame) == 0
    focus_page(page)
    for key, expected in [
        ("ArrowRight", 1), ("PageDown", 2), ("ArrowDown", 3), ("Space", 4), ("Enter", 5),
        ("ArrowLeft", 4), ("PageUp", 3), ("ArrowUp", 2), ("Backspace", 1),
        ("End", LAST), ("Home", 0),
    ]:
        page.keyboard.press(key)
        wait_step(frame, expected)
    for digit in "12":
        page.keyboard.press(digit)
    page.keyboard.press("Enter")  # a number then Enter goes to that step
    wait_step(frame, 12)
    assert frame.evaluate("() => document.querySelector('.tour-card').dataset.officeId") == TOUR[11]

    # B blanks the screen; any key brings it back and does nothing else.
    page.keyboard.press("b")
    frame.wait_for_selector(".tour-blank.is-on", timeout=TIMEOUT)
    assert page.evaluate("() => !!document.querySelector('.gs-tour-blank')")
    page.keyboard.press("ArrowRight")
    frame.wait_for_selector(".tour-blank:not(.is-on)", state="attached", timeout=TIMEOUT)
    assert not page.evaluate("() => !!document.querySelector('.gs-tour-blank')")
    assert step_of(frame) == 12

    # The same keys with the focus inside the map's frame.
    frame.locator(".tour-card h1").click()
    page.keyboard.press("ArrowRight")
    wait_step(frame, 13)
    page.keyboard.press("PageUp")
    wait_step(frame, 12)
    frame.locator(".office-marker").first.focus()  # a focused marker keeps Enter for itself
    page.keyboard.press("ArrowLeft")
    wait_step(frame, 11)
    page.watch.assert_clean()


def test_full_screen_in_and_out_with_the_button_and_the_f_key(streamlit_server, page_factory):
    page = page_factory(PROJECTOR)
    frame = open_tour(page, f"{streamlit_server.url}/briefing?step=2")
    frame.locator(".tour-full").click()
    frame.wait_for_function("() => document.fullscreenElement === document.documentElement", timeout=TIMEOUT)
    # The button follows on the fullscreenchange event, which comes after fullscreenElement is set.
    frame.wait_for_function(PRESSED_JS, arg="true", timeout=TIMEOUT)
    frame.wait_for_function(
        "() => document.getElementById('map_div').getBoundingClientRect().height >= screen.height - 2",
        timeout=TIMEOUT,
    )
    page.keyboard.press("ArrowRight")  # keys still step in full screen
    wait_step(frame, 3)
    page.keyboard.press("f")
    frame.wait_for_function("() => document.fullscreenElement === null", timeout=TIMEOUT)
    frame.wait_for_function(PRESSED_JS, arg="false", timeout=TIMEOUT)
    focus_page(page)
    page.keyboard.press("F")
    frame.wait_for_function("() => document.fullscreenElement !== null", timeout=TIMEOUT)
    frame.evaluate("() => document.exitFullscreen()")  # what the browser does on Esc
    frame.wait_for_function("() => document.fullscreenElement === null", timeout=TIMEOUT)
    settle(frame)
    assert frame.evaluate(
        "() => Math.abs(document.getElementById('map_div').getBoundingClientRect().height - innerHeight) < 2")
    page.watch.assert_clean()


@pytest.mark.parametrize("lang", ["en", "fr", "es", "ar"])
def test_no_page_scroll_and_nothing_covered_on_any_step(streamlit_server, page_factory, lang):
    page = page_factory(PROJECTOR)
    frame = open_tour(page, f"{streamlit_server.url}/briefing?lang={lang}")
    focus_page(page)
    for step in range(LAST + 1):
        if step:
            page.keyboard.press("ArrowRight")
            wait_step(frame, step)
            settle(frame)
        scroll = page.evaluate("() => document.scrollingElement.scrollHeight - innerHeight")
        assert scroll <= 0, (lang, step, scroll)
        found = frame.evaluate(OVERLAPS_JS)
        if found["problems"]:
            screenshot(page, f"tour-{lang}-overlap-{step}")
            (ROOT / "test-artifacts" / f"tour-{lang}-overlap-{step}.json").write_text(
                json.dumps({"problems": found["problems"], "log": frame.evaluate("() => window.__tourLog")}))
        assert not found["problems"], (lang, step, found["problems"], frame.evaluate("() => window.__tourLog"))
        if step:
            assert found["labels"] == 1, (lang, step, "the office's label is not shown")
        # Title, body, Next: in view at 1280x720, with the sizes a room can read.
        sizes = frame.evaluate("""() => {
            const card = document.querySelector('.tour-card'), next = document.querySelector('.tour-next');
            const r = next.getBoundingClientRect();
            return {title: parseFloat(getComputedStyle(card.querySelector('h1')).fontSize),
                    body: parseFloat(getComputedStyle(card).fontSize),
                    nextInView: r.bottom <= innerHeight && r.top >= 0,
                    label: document.querySelector('.tour-label') ?
                        parseFloat(getComputedStyle(document.querySelector('.tour-label')).fontSize) : 99};
        }""")
        assert sizes["title"] >= 32 and sizes["body"] >= 20 and sizes["label"] >= 18, (lang, step, sizes)
        assert sizes["nextInView"], (lang, step)
        if step in (0, 10, 3):
            screenshot(page, f"tour-{lang}-1280-step-{step}")
    page.watch.assert_clean()


def test_the_map_fills_a_full_hd_screen_and_the_headquarters_stands_alone_at_the_overview(streamlit_server, page_factory):
    page = page_factory(FULL_HD)
    frame = open_tour(page, f"{streamlit_server.url}/briefing")
    box = page.query_selector(MAP_FRAME).bounding_box()
    assert box["height"] >= 1080 - 70 and box["width"] >= 1900, box
    assert page.evaluate("() => document.scrollingElement.scrollHeight") <= 1080
    hq = frame.evaluate("""() => {
        const m = document.querySelector('.office-marker[data-office-id="hq-lyon"]');
        const r = m.getBoundingClientRect();
        const top = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
        return {w: r.width, moved: m.classList.contains('is-moved'), mine: m.contains(top),
                clusters: document.querySelectorAll('.office-cluster').length};
    }""")
    assert hq == {"w": 46, "moved": False, "mine": True, "clusters": 0}, hq
    # Every office is its own marker, each with the marker contract.
    ids = frame.evaluate("() => [...document.querySelectorAll('.office-marker')].map(m => m.dataset.officeId)")
    assert sorted(ids) == sorted(TOUR)
    # The European offices are told apart: no two markers overlap.
    found = frame.evaluate("""() => {
        const R = n => n.getBoundingClientRect(), ms = [...document.querySelectorAll('.office-marker')];
        const out = [];
        for (let i = 0; i < ms.length; i++) for (let j = i + 1; j < ms.length; j++) {
            const a = R(ms[i]), b = R(ms[j]);
            if (a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom)
                out.push(ms[i].dataset.officeId + '/' + ms[j].dataset.officeId);
        }
        return out;
    }""")
    assert found == []
    assert frame.evaluate(OVERLAPS_JS)["problems"] == []
    screenshot(page, "tour-en-1920-overview")
    page.keyboard.press("End")
    wait_step(frame, LAST)
    settle(frame)
    screenshot(page, "tour-en-1920-last")
    page.watch.assert_clean()


def test_fast_presses_are_never_lost_and_the_url_follows(streamlit_server, page_factory):
    page = page_factory(PROJECTOR)
    frame = open_tour(page, f"{streamlit_server.url}/briefing")
    focus_page(page)
    for _ in range(6):
        page.keyboard.press("ArrowRight", delay=0)
    wait_step(frame, 6)
    page.wait_for_function("() => new URLSearchParams(location.search).get('step') === '6'", timeout=TIMEOUT)
    greyed = page.evaluate("""() => [...document.querySelectorAll('[data-stale="true"]')].length""")
    assert greyed == 0
    page.watch.assert_clean()
    # The server follows the URL: a reload opens the same step (the reload aborts what was loading).
    page.reload()
    frame = open_tour(page, page.url)
    assert step_of(frame) == 6
    assert not page.watch.errors


def test_phone_shows_map_title_and_next_together_on_every_step(streamlit_server, page_factory):
    page = page_factory(PHONE)
    frame = open_tour(page, f"{streamlit_server.url}/briefing")
    for step in range(LAST + 1):
        if step:
            frame.locator(".tour-next").click()
            wait_step(frame, step)
        seen = frame.evaluate("""() => {
            const inView = el => { const r = el.getBoundingClientRect();
                return r.width > 0 && r.top >= 0 && r.bottom <= innerHeight && r.left >= 0 && r.right <= innerWidth; };
            const title = document.querySelector('.tour-card h1');
            const map = document.getElementById('map_div').getBoundingClientRect();
            return {title: inView(title), next: inView(document.querySelector('.tour-next')), map: map.height >= 250,
                    nextSize: document.querySelector('.tour-next').getBoundingClientRect().height};
        }""")
        assert seen["title"] and seen["next"] and seen["map"] and seen["nextSize"] >= 44, (step, seen)
        if step in (0, 10):
            settle(frame)
            screenshot(page, f"tour-en-phone-step-{step}")
    assert page.evaluate("() => document.scrollingElement.scrollHeight") <= PHONE["height"]
    page.watch.assert_clean()


def test_an_online_basemap_with_no_network_falls_back_to_the_outlines_and_says_so(streamlit_server, page_factory):
    page = page_factory(PROJECTOR)
    frame = open_tour(page, f"{streamlit_server.url}/briefing")
    frame.locator(".leaflet-control-layers").hover()
    names = frame.locator(".leaflet-control-layers-base label").all_inner_texts()
    assert any("needs a network" in n for n in names), names
    frame.locator(".leaflet-control-layers-base label", has_text="OpenStreetMap").click()
    frame.wait_for_selector(".tour-notice.is-on", timeout=TIMEOUT)
    assert "offline" in frame.locator(".tour-notice").inner_text()
    checked = frame.evaluate("""() => [...document.querySelectorAll('.leaflet-control-layers-base input')]
        .findIndex(i => i.checked)""")
    assert checked == 0  # the offline outlines are the base layer again
    assert frame.evaluate("() => document.querySelectorAll('.leaflet-tile-loaded').length") == 0
    assert not page.watch.errors
    screenshot(page, "tour-offline-fallback")
