"""Issue #15, item 3: a table of 60,000 offices in headless Chromium against a real ``streamlit run``.

Over geo.maps.markers.LARGE_TABLE offices the map page draws the clusters of the view, computed by a
Web Worker (geo/maps/web/large.js, large-worker.js) from rows handed over as one JSON string. The
map must draw every office (clusters add up to the table), keep the page's main thread free (no long
task over LONG_TASK_BOUND_MS), zoom in on a cluster's click, open an office's panel from a click on
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

from bench import synthetic
from geo.maps.build import MapOptions, build_office_map
from geo.maps.markers import LARGE_TABLE, office_rows
from geo.maps.view import origin_of
from tests.conftest import MAP_FRAME, start_streamlit, stop_streamlit, wait_for_map, wait_for_offices
from tests.test_hardening_browser import csp_page, violations

OFFICES = 60_000
# The goal is 200 ms on a quiet machine (bench/results/large.md has the measured figure: the
# longest task at 100,000 offices). Here the test shares 2 cores with a Streamlit server parsing
# the table and with other tests, which stretches any task ~2x; the old layer's tasks at this size
# took seconds (3.0-3.6 s at 100,000), so 400 ms still fails the layer that froze the tab.
LONG_TASK_BOUND_MS = 400
# Every long task the top page saw (its frames run on the same thread): [start ms, duration ms, culprit].
LONG_TASKS_INIT = """(() => { if (window !== window.top) return; window.__longTasks = [];
  new PerformanceObserver(list => { for (const e of list.getEntries()) window.__longTasks.push([Math.round(e.startTime),
    Math.round(e.duration), (e.attribution || []).map(a => a.containerType + " " + (a.containerSrc || "").slice(-40)).join()]); })
  .observe({type: "longtask", buffered: true}); })();"""


HOSTILE = "</script><script>alert(1)</script> {{ 7*7 }} {% if 1 %}x{% endif %} & \u2028 'q\""


def test_large_layer_sends_the_rows_as_one_escaped_json_string():
    rows = synthetic.generate_rows(LARGE_TABLE + 1)
    rows[7]["name"] = HOSTILE
    offices = pd.DataFrame(rows)
    offices["latitude"] = offices["latitude"].astype(float)
    offices["longitude"] = offices["longitude"].astype(float)
    page = build_office_map(offices, MapOptions()).get_root().render()
    literal = re.search(r"var rows = (\"[^\n]*\");\n", page).group(1)
    # Nothing from the data can end the script or be read as a template: no <, >, & or template openers.
    assert not re.search(r"[<>&\u2028]|\{\{|\{%", literal)
    assert json.loads(json.loads(literal)) == json.loads(json.dumps(office_rows(offices, origin_of(offices["longitude"]))))
    assert json.loads(json.loads(literal))[7][4] == "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt; " \
        "{{ 7*7 }} {% if 1 %}x{% endif %} &amp; \u2028 &#x27;q&quot;"
    config = re.search(r"cfg.largeTable = (\{[^\n]*\});\n", page).group(1)
    assert json.loads(config)["worker"].startswith("/app/static/map/large-worker.js?v=")
    # At the threshold the layer is the small one: the rows as an array literal, no worker.
    small = build_office_map(offices.head(LARGE_TABLE), MapOptions()).get_root().render()
    assert "var rows = [[" in small and "cfg.largeTable = null;" in small


@pytest.fixture(scope="module")
def large_server(tmp_path_factory) -> Iterator:
    folder = tmp_path_factory.mktemp("large")
    table = synthetic.write_table(OFFICES, folder)
    server = start_streamlit(folder, {"OFFICES_CSV": str(table)})
    with table.open(encoding="utf-8", newline="") as handle:
        server.rows = list(csv.DictReader(handle))
    yield server
    stop_streamlit(server)


def long_tasks(page) -> list[list]:
    return sorted(page.evaluate("() => window.__longTasks"), key=lambda task: -task[1])


def map_frame(page):
    return page.query_selector(MAP_FRAME).content_frame()


@pytest.mark.browser
def test_large_table_draws_clusters_and_an_office_click_opens_its_panel(large_server, page):
    assert OFFICES > LARGE_TABLE
    messages = csp_page(page)
    page.context.add_init_script(LONG_TASKS_INIT)
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

    # A cluster's click zooms in (to where it splits).
    zoom = frame.evaluate("() => window.map.getZoom()")
    page.frame_locator(MAP_FRAME).locator(".office-cluster").first.click()
    # Then wait for the zoom's animation to end (Leaflet ignores a setView while one runs).
    frame.wait_for_function(f"() => window.map.getZoom() > {zoom} && !document.querySelector('.leaflet-zoom-anim')",
                            timeout=30_000)

    # Close up, one office is a marker of its own; its click opens its panel.
    office = large_server.rows[123]
    frame.evaluate(f"() => window.map.setView([{office['latitude']}, {office['longitude']}], 18, {{animate: false}})")
    marker = page.frame_locator(MAP_FRAME).locator(f'.office-marker[data-office-id="{office["id"]}"]')
    marker.wait_for(timeout=60_000)
    assert f"type-{office['office_type']}" in marker.get_attribute("class")
    assert marker.get_attribute("aria-label") == office["name"]
    marker.click()
    heading = page.locator("section.office-panel h2")
    heading.wait_for(timeout=60_000)
    assert heading.inner_text() == office["name"]
    page.wait_for_function(f"() => location.search.includes('office={office['id']}')", timeout=30_000)

    tasks = long_tasks(page)
    assert not tasks or tasks[0][1] <= LONG_TASK_BOUND_MS, f"main-thread tasks over 50 ms, longest first: {tasks[:6]}"
    assert violations(page, messages) == []
    page.watch.assert_clean()
