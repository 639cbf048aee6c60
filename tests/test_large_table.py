"""Issue #15, item 3: a table of 60,000 offices in headless Chromium against a real ``streamlit run``.

Over geo.maps.markers.LARGE_TABLE offices the map page draws the clusters of the view, computed by a
Web Worker (geo/maps/web/large.js, large-worker.js) from the table's static file (geo/maps/tablefile.py;
an export hands the rows over as one JSON string), which also applies the sidebar's filters. The
map must draw every office (clusters add up to the table, in tab order west to east), keep the page's main thread free (no long
task over LONG_TASK_BOUND_MS of CPU), zoom in on a cluster's click, open an office's panel from a click on
its marker (the ``office-marker`` + ``data-office-id`` contract), with no page error and no content
security policy violation (the worker comes from the app's own origin).
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator

import pandas as pd
import pytest

import i18n
from bench import synthetic
from dashboard.data import SEARCH_EXTRA_COLUMNS
from geo.maps.build import MapOptions, build_office_map
from geo.maps.markers import LARGE_TABLE, office_rows
from geo.maps.styles import TYPES
from geo.maps.view import origin_of
from geo.offices.filtering import filter_offices
from geo.offices.localise import localise
from geo.offices.table import load_offices
from tests.conftest import MAP_FRAME, start_streamlit, stop_streamlit, wait_for_map, wait_for_offices
from tests.test_browser_filters import HeldServer
from tests.test_hardening_browser import csp_page, violations

OFFICES = 60_000
# Tasks on the pages' main threads (the map's frame runs on the page's), by the thread's own CPU time
# (Chromium's trace: RunTask's "tdur"): a machine shared with other tests stretches a task's wall
# time many times over (a 300 ms task took 2.6 s at a load average of 20 on 2 cores), not its CPU
# time. The goal is issue #15's, 200 ms. Measured: 70-100 ms, now that the rows come from a static
# file, not through the websocket (a 6 MB message was a 390-430 ms task). The test's own evaluate
# calls return nothing: Playwright serialising a returned Leaflet map (setView returns it) was a
# 300 ms task of its own.
LONG_TASK_BOUND_MS = 200
TRACE_CATEGORIES = ["toplevel", "devtools.timeline", "disabled-by-default-devtools.timeline", "__metadata"]


def main_thread_tasks(trace: bytes) -> list[tuple[float, float, str]]:
    """(CPU ms, wall ms, scripts run) of every task over 50 ms CPU on a renderer's main thread, longest first."""
    events = json.loads(trace)
    events = events["traceEvents"] if isinstance(events, dict) else events
    main = {(e["pid"], e["tid"]) for e in events
            if e.get("ph") == "M" and e.get("name") == "thread_name" and e["args"].get("name") == "CrRendererMain"}
    on_main = [e for e in events if e.get("ph") == "X" and (e.get("pid"), e.get("tid")) in main]
    scripts = [(e["ts"], (e.get("args", {}).get("data") or {}).get("url", "")) for e in on_main
               if e.get("name") in ("FunctionCall", "EvaluateScript", "TimerFire", "EventDispatch")]
    tasks = []
    for e in on_main:
        if e.get("name") == "RunTask" and e.get("tdur", 0) > 50_000:
            ran = {url.rsplit("/", 1)[-1][:40] for ts, url in scripts if e["ts"] <= ts <= e["ts"] + e["dur"] and url}
            tasks.append((e["tdur"] / 1000, e["dur"] / 1000, " ".join(sorted(ran))))
    return sorted(tasks, reverse=True)


HOSTILE = "</script><script>alert(1)</script> {{ 7*7 }} {% if 1 %}x{% endif %} & \u2028 'q\" back\\slash"


def js_unquote(literal: str) -> str:
    """The text of a single-quoted JavaScript string literal (the escapes geo.maps.markers.js_string writes)."""
    assert literal[0] == literal[-1] == "'" and not re.search(r"(?<!\\)(\\\\)*'", literal[1:-1])
    simple = {"\\": "\\", "'": "'", "n": "\n", "r": "\r"}
    return re.sub(r"\\(u[0-9a-fA-F]{4}|[\\'nr])",
                  lambda m: chr(int(m.group(1)[1:], 16)) if len(m.group(1)) == 5 else simple[m.group(1)], literal[1:-1])


def test_large_layer_sends_the_rows_as_one_escaped_json_string():
    rows = synthetic.generate_rows(LARGE_TABLE + 1)
    rows[7]["name"] = HOSTILE
    offices = pd.DataFrame(rows)
    offices["latitude"] = offices["latitude"].astype(float)
    offices["longitude"] = offices["longitude"].astype(float)
    page = build_office_map(offices, MapOptions()).get_root().render()
    literal = re.search(r"var rows = ('[^\n]*');\n", page).group(1)
    # Nothing from the data can end the script or be read as a template: no <, >, & or template openers.
    assert not re.search(r"[<>&\u2028]|\{\{|\{%", literal)
    sent = json.loads(js_unquote(literal))
    assert sent == json.loads(json.dumps(office_rows(offices, origin_of(offices["longitude"]))))
    assert sent[7][4] == "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt; " \
        "{{ 7*7 }} {% if 1 %}x{% endif %} &amp; \u2028 &#x27;q&quot; back\\slash"
    config = re.search(r"cfg.largeTable = (\{[^\n]*\});\n", page).group(1)
    assert json.loads(config)["worker"].startswith("/app/static/map/large-worker-all.js?v=")  # with Supercluster
    # At the threshold the layer is the small one: the rows as an array literal, no worker.
    small = build_office_map(offices.head(LARGE_TABLE), MapOptions()).get_root().render()
    assert "var rows = [[" in small and "cfg.largeTable = null;" in small


@pytest.fixture(scope="module")
def large_server(tmp_path_factory) -> Iterator:
    folder = tmp_path_factory.mktemp("large")
    table = synthetic.write_table(OFFICES, folder)
    server = start_streamlit(folder, {"OFFICES_CSV": str(table)})
    server.table = table
    with table.open(encoding="utf-8", newline="") as handle:
        server.rows = list(csv.DictReader(handle))
    yield server
    stop_streamlit(server)


def map_frame(page):
    return page.query_selector(MAP_FRAME).content_frame()


@pytest.mark.browser
def test_large_table_draws_clusters_and_an_office_click_opens_its_panel(large_server, page):
    assert OFFICES > LARGE_TABLE
    messages = csp_page(page)
    large_server.held = HeldServer()
    page.route_web_socket("**/_stcore/stream", large_server.held)
    browser = page.context.browser
    browser.start_tracing(page=page, categories=TRACE_CATEGORIES)
    try:
        page.goto(large_server.url + "/")
        wait_for_map(page, timeout=120_000)
        wait_for_offices(page, OFFICES, timeout=180_000)  # the clusters of the view add up to every office
        frame = map_frame(page)
        clusters = frame.evaluate("() => document.querySelectorAll('.office-cluster').length")
        assert 0 < clusters < 1_000, clusters  # clusters of the view, never 60,000 elements
        assert frame.evaluate("() => document.querySelectorAll('.leaflet-marker-icon').length") < 1_000
        # Every type's small shape shows in some cluster (colour and shape per type, as the small table).
        kinds = frame.evaluate("() => document.querySelectorAll('.office-cluster span svg').length")
        assert kinds >= 5
        # Tab order west to east, as for a small table: the markers' elements in order of their x.
        xs = frame.evaluate("""() => [...document.querySelectorAll('.leaflet-marker-pane > .leaflet-marker-icon')]
            .map(el => el.getBoundingClientRect().x + el.getBoundingClientRect().width / 2)""")
        assert len(xs) > 1 and xs == sorted(xs)

        # A cluster's click zooms in (to where it splits).
        zoom = frame.evaluate("() => window.map.getZoom()")
        page.frame_locator(MAP_FRAME).locator(".office-cluster").first.click()
        # Then wait for the zoom's animation to end (Leaflet ignores a setView while one runs).
        idle = "!document.querySelector('.leaflet-zoom-anim')"
        frame.wait_for_function(f"() => window.map.getZoom() > {zoom} && {idle}", timeout=30_000)

        # Close up, one office is a marker of its own; its click opens its panel.
        office = large_server.rows[123]
        at = f"[{office['latitude']}, {office['longitude']}]"
        frame.evaluate(f"() => {{ window.map.setView({at}, 18, {{animate: false}}); }}")
        marker = page.frame_locator(MAP_FRAME).locator(f'.office-marker[data-office-id="{office["id"]}"]')
        marker.wait_for(timeout=60_000)
        assert f"type-{office['office_type']}" in marker.get_attribute("class")
        assert marker.get_attribute("aria-label") == office["name"]
        marker.click()
        heading = page.locator("section.office-panel h2")
        heading.wait_for(timeout=60_000)
        assert heading.inner_text() == office["name"]
        page.wait_for_function(f"() => location.search.includes('office={office['id']}')", timeout=30_000)

        # Filters changed in the sidebar are applied by the worker, before the server answers, with the
        # server's rule; the server's answer then re-sends no rows (the layer names the same table file).
        frame = map_frame(page)
        frame.evaluate("() => { window.map.setView([20, 10], 0, {animate: false}); }")
        table = localise(load_offices(large_server.table, require_coordinates=False), "en")
        types = [t for t in table["office_type"].unique() if t != "liaison_office"]
        word = table[table["office_type"] != "liaison_office"]["city"].iloc[321].split()[0]
        expected = [len(filter_offices(table, types=types, extra_search_columns=SEARCH_EXTRA_COLUMNS)),
                    len(filter_offices(table, types=types, query=word.upper(), extra_search_columns=SEARCH_EXTRA_COLUMNS))]
        assert OFFICES > expected[0] > expected[1] > 0
        shown = int(page.locator("p.office-count").get_attribute("data-count"))
        large_server.held.hold()
        page.locator(".st-key-type_liaison_office label").first.click()
        wait_for_offices(page, expected[0], timeout=60_000)
        search = page.locator(".st-key-q input")
        search.click()
        page.keyboard.type(word.upper())
        wait_for_offices(page, expected[1], timeout=60_000)
        assert int(page.locator("p.office-count").get_attribute("data-count")) == shown, "the server answered"
        # The legend's counts are the worker's, written as the server writes them (grouped: "14,959").
        searched = filter_offices(table, types=types, query=word.upper(), extra_search_columns=SEARCH_EXTRA_COLUMNS)
        legend = [i18n.number(int((searched["office_type"] == t.value).sum()), "en") for t in TYPES]
        assert frame.locator(".office-legend .count").all_inner_texts() == legend
        bytes_before = large_server.held.received
        large_server.held.release()
        page.wait_for_function(f"() => document.querySelector('p.office-count').dataset.count === '{expected[1]}'",
                               timeout=60_000)
        wait_for_offices(page, expected[1], timeout=60_000)
        assert large_server.held.received - bytes_before < 200_000, "the server's answers re-sent the rows"
    finally:
        trace = browser.stop_tracing()
    tasks = main_thread_tasks(trace)
    assert not tasks or tasks[0][0] <= LONG_TASK_BOUND_MS, f"main-thread tasks (CPU ms, wall ms): {tasks[:6]}"
    assert violations(page, messages) == []
    page.watch.assert_clean()


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["en", "ar"])
def test_a_table_file_that_cannot_be_fetched_is_said_on_the_map(large_server, page, lang):
    """The table's file gone (pruned, a replica without it) or refused: the map says so and how to
    recover, in the page's language, instead of staying empty."""
    refused = []
    page.context.route("**/app/static/tables/*.json", lambda route: (refused.append(route.request.url),
                                                                      route.fulfill(status=404, body="")))
    page.goto(large_server.url + f"/?lang={lang}")
    wait_for_map(page, timeout=120_000)
    note = page.frame_locator(MAP_FRAME).locator(".office-load-failed[role=alert]")
    note.wait_for(timeout=60_000)
    expected = {"en": "The offices could not be loaded. Reload the page to try again.",
                "ar": "تعذّر تحميل المكاتب. أعد تحميل الصفحة للمحاولة مرة أخرى."}[lang]
    assert note.inner_text() == expected and refused
    assert note.get_attribute("dir") == ("rtl" if lang == "ar" else "ltr")
    # The failed fetch is logged (the console, the 404) and nothing else went wrong.
    logged = page.watch.errors + page.watch.failed
    assert all("office layer" in entry or "/app/static/tables/" in entry for entry in logged), logged
    page.watch.clear()
