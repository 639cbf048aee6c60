"""Filters applied in the browser at once (issue #15): the map page's map redraws on a filter change
before Streamlit's rerun answers, with the server's own rule, and the server's answer has the last word.

The proof that the map does not wait for the server: the test holds every message from the server
(Playwright's WebSocket route between the page and ``streamlit run``) while it ticks, types and
chooses; the map must show the new offices while the count line above it still shows the old
number. Then the messages are let through and both agree.
"""

from __future__ import annotations

import threading

import pytest
from playwright.sync_api import expect

from dashboard.data import SEARCH_EXTRA_COLUMNS
from geo.offices.filtering import filter_offices
from tests.conftest import MAP_FRAME, count_offices_drawn, wait_for_map, wait_for_offices

pytestmark = pytest.mark.browser

ALL_TYPES = ["headquarters", "global_complex", "regional_bureau", "special_representative_office", "liaison_office"]


class HeldServer:
    """Forwards the app's websocket both ways; while ``held``, the server's messages wait."""

    def __init__(self) -> None:
        self.held = False
        self.received = 0  # bytes the server has sent
        self.waiting: list = []
        self.route = None
        self.lock = threading.Lock()

    def __call__(self, ws) -> None:
        server = ws.connect_to_server()
        self.route = ws
        ws.on_message(lambda message: server.send(message))

        def from_server(message) -> None:
            with self.lock:
                self.received += len(message)
                if self.held:
                    self.waiting.append(message)
                    return
            ws.send(message)

        server.on_message(from_server)

    def hold(self) -> None:
        with self.lock:
            self.held = True

    def release(self) -> None:
        with self.lock:
            self.held = False
            waiting, self.waiting = self.waiting, []
        for message in waiting:
            self.route.send(message)


def count_line(page) -> str:
    return page.locator("p.office-count").inner_text()


def wait_for_answer(page, count: int, query: str = "") -> None:
    """Until the server's whole answer is in: the count line says ``count`` and the map has drawn
    the layer of that run (its filter state has ``query``), so holding now holds nothing of it."""
    page.wait_for_function(f"() => document.querySelector('p.office-count').dataset.count === '{count}'",
                           timeout=60_000)
    page.wait_for_function(
        """([sel, count, query]) => { const f = document.querySelector(sel);
            const ux = f && f.contentWindow.__officeUx; const c = ux && ux.current;
            return !!c && c.cfg.filter.query === query && c.cfg.filter.shown.filter(Boolean).length === count
                && !ux.filterLocal; }""",
        arg=[MAP_FRAME, count, query], timeout=60_000)


def test_sidebar_and_legend_changes_redraw_the_map_before_the_server_answers(streamlit_server, page):
    held = HeldServer()
    page.route_web_socket("**/_stcore/stream", held)
    page.goto(streamlit_server.url + "/")
    frame = wait_for_map(page)
    wait_for_offices(page, 14)
    assert count_line(page) == "14 offices shown"
    wait_for_answer(page, 14)

    held.hold()
    page.locator(".st-key-type_liaison_office label").first.click()
    wait_for_offices(page, 11)  # the three liaison offices gone, with the server's answer held
    assert count_line(page) == "14 offices shown", "the server answered: the test proves nothing"

    page.locator(".st-key-only_regional_bureau button").first.click()
    wait_for_offices(page, 6)
    frame.locator('.office-legend .legend-entry[data-type="regional_bureau"]').click()  # untick in the legend
    wait_for_offices(page, 0)
    frame.locator('.office-legend .legend-only[data-type="headquarters"]').click()
    wait_for_offices(page, 1)
    assert frame.locator(".office-marker").get_attribute("data-office-id") == "hq-lyon"
    legend_counts = [int(x) for x in frame.locator(".office-legend .count").all_inner_texts()]
    assert legend_counts == [1, 0, 0, 0, 0]
    assert count_line(page) == "14 offices shown"

    held.release()  # the server's answers, in order: the last one is the user's last choice
    page.wait_for_function("() => document.querySelector('p.office-count').dataset.count === '1'", timeout=60_000)
    wait_for_offices(page, 1)
    assert frame.locator(".office-marker").get_attribute("data-office-id") == "hq-lyon"
    # The count and the checkboxes come from the same rerun, not at the same moment: wait for them.
    expect(page.locator(".st-key-type_headquarters input")).to_be_checked(timeout=30_000)
    expect(page.locator(".st-key-type_regional_bureau input")).not_to_be_checked(timeout=30_000)

    # A search typed and a region chosen, again with the server held.
    page.locator(".st-key-only_regional_bureau button").first.click()
    wait_for_answer(page, 6)
    held.hold()
    search = page.locator(".st-key-q input")
    search.click()
    page.keyboard.type("yaounde")  # no accent: Yaoundé is found, as on the server
    wait_for_offices(page, 1)
    assert frame.locator(".office-marker").get_attribute("data-office-id") == "rb-yaounde"
    assert page.locator("p.office-count").get_attribute("data-count") == "6"
    held.release()
    page.wait_for_function("() => document.querySelector('p.office-count').dataset.count === '1'", timeout=60_000)
    search.fill("")
    wait_for_answer(page, 6)
    held.hold()
    page.locator(".st-key-regions input").click()
    page.get_by_role("option", name="Americas").click()
    wait_for_offices(page, 2)  # Buenos Aires and San Salvador
    assert page.locator("p.office-count").get_attribute("data-count") == "6"
    held.release()
    page.wait_for_function("() => document.querySelector('p.office-count').dataset.count === '2'", timeout=60_000)
    wait_for_offices(page, 2)
    page.watch.assert_clean()


QUERIES = ["", "yaounde", "YAOUNDÉ", "cote", "côte d'ivoire", "lyon headquarters", "Siège", "new york", "bureau",
           "  liaison   office ", "o'", "&", "amp", "quot", "x27", "<", "é", "zzz", "ab", "a b c", "Ä", "ß", "İ"]
STATES = [
    {"types": ALL_TYPES, "regions": [], "query": q} for q in QUERIES
] + [
    {"types": ["regional_bureau"], "regions": ["Africa"], "query": ""},
    {"types": ["regional_bureau", "liaison_office"], "regions": ["Americas", "Europe"], "query": "o"},
    {"types": [], "regions": [], "query": ""},
    {"types": ALL_TYPES, "regions": ["Asia-Pacific"], "query": "singapore"},
]


@pytest.mark.parametrize("lang", ["en", "fr", "ar"])
def test_the_browser_filters_like_the_server(streamlit_server, page, localised_offices, lang):
    """web/filters.js's rule against geo.offices.filtering's, on the same states and the same rows."""
    page.goto(streamlit_server.url + f"/?lang={lang}")
    wait_for_map(page)
    wait_for_offices(page, 14)
    frame = page.query_selector(MAP_FRAME).content_frame()
    kept = frame.evaluate(
        """(states) => { const c = window.__officeUx.current;
            return states.map(s => { const keep = window.GsOfficeFilters.keep(c, s);
                return c.all.filter((r, i) => keep[i]).map(r => r[3]).sort(); }); }""",
        STATES,
    )
    table = localised_offices(lang)
    # The language's own text, and the search's extra columns in English.
    for state, browser_ids in zip(STATES, kept, strict=True):
        server = filter_offices(table, types=state["types"], regions=state["regions"] or None,
                                query=state["query"], extra_search_columns=SEARCH_EXTRA_COLUMNS)
        assert browser_ids == sorted(server["id"]), (lang, state)
    assert count_offices_drawn(page) == 14
    page.watch.assert_clean()
