"""The map page's first view draws the map before the sidebar's controls (issue #15, figure 1).

A session's first run of the map page, in a browser, draws the sidebar's navigation only; the run
that the map starts once it has drawn its offices (streamlit-folium's first value, or the map's own
``MAP_READY`` click) draws the language, table and filter controls. If the map cannot be drawn, a
timer (a fragment's ``run_every``) draws them. AppTest runs (no browser, no headers) draw it all at
once, as every other page does.
"""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.mapview import map_options
from dashboard.sidebar import CONTROLS_FALLBACK, CONTROLS_SELECTOR
from geo.maps.build import _layer_config
from geo.maps.legend import legend_action_from_tooltip
from geo.maps.markers import MAP_READY, is_map_ready, office_id_from_tooltip
from tests.conftest import MAP_FRAME, ROOT, wait_for_offices

CHECKBOXES = f"{CONTROLS_SELECTOR} input[type=checkbox]"

# Installed in every document before its scripts: the top page records, at each animation frame,
# when the map's frame first shows an office and when the sidebar's type filters first appear.
RECORD_JS = """
if (window.top === window) {
  window.__firsts = {map: null, controls: null};
  const look = () => {
    const now = performance.now(), f = window.__firsts;
    const frame = document.querySelector(FRAME);
    const doc = frame && frame.contentDocument;
    if (f.map === null && doc && doc.querySelector('.office-marker, .office-cluster')) { f.map = now; }
    if (f.controls === null && document.querySelector(CONTROLS)) { f.controls = now; }
    if (f.map === null || f.controls === null) { requestAnimationFrame(look); }
  };
  requestAnimationFrame(look);
}
""".replace("FRAME", json.dumps(MAP_FRAME)).replace("CONTROLS", json.dumps(CHECKBOXES))


# --- the signal, without a browser -----------------------------------------------------------------

def test_the_drawn_signal_names_no_office_and_no_legend_action():
    assert is_map_ready(MAP_READY)
    assert office_id_from_tooltip(MAP_READY) is None
    assert legend_action_from_tooltip(MAP_READY) is None
    assert not is_map_ready(None) and not is_map_ready("") and not is_map_ready("lyon")


def test_only_a_map_asked_for_it_sends_the_signal(localised_offices):
    # The layer's configuration, which web/markers.js reads (cfg.readyUnless, cfg.readyText).
    table = localised_offices("en")
    plain = _layer_config(table, map_options(), 0.0)
    asked = _layer_config(table, map_options(ready_unless=CONTROLS_SELECTOR), 0.0)
    assert plain["readyUnless"] == "" and plain["readyText"] == ""
    assert asked["readyUnless"] == CONTROLS_SELECTOR and asked["readyText"] == MAP_READY


def test_a_script_run_without_a_browser_draws_the_whole_sidebar_at_once():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not at.exception
    keys = {cb.key for cb in at.sidebar.checkbox}
    assert {"type_headquarters", "type_liaison_office", "coverage"} <= keys
    assert at.sidebar.selectbox(key="lang") is not None


# --- in a browser --------------------------------------------------------------------------------

def _open(page_factory, path: str = "/", block_map: bool = False):
    pg = page_factory({"width": 1280, "height": 720})
    pg.add_init_script(RECORD_JS)
    sent: list[str] = []
    pg.on("websocket", lambda ws: ws.on("framesent", lambda payload: sent.append(
        payload.decode("latin-1") if isinstance(payload, bytes) else payload)))
    if block_map:
        pg.route("**/map/map.js*", lambda route: route.abort())
    return pg, sent


@pytest.mark.browser
def test_the_first_view_draws_the_map_then_the_controls(streamlit_server, page_factory):
    pg, sent = _open(page_factory)
    pg.goto(streamlit_server.url + "/?type=regional_bureau,liaison_office")
    wait_for_offices(pg, 9)
    pg.wait_for_selector(CHECKBOXES, timeout=30_000)
    pg.wait_for_function("() => window.__firsts.map !== null && window.__firsts.controls !== null")
    firsts = pg.evaluate("window.__firsts")
    assert firsts["map"] <= firsts["controls"], firsts
    # The controls take the share link's state: the map and the sidebar agree.
    checked = pg.eval_on_selector_all(
        CHECKBOXES, "els => els.map(e => [e.closest('[class*=st-key-type_]').className.match(/st-key-(type_\\w+)/)[1], e.checked])")
    assert dict(checked) == {"type_headquarters": False, "type_global_complex": False, "type_regional_bureau": True,
                             "type_special_representative_office": False, "type_liaison_office": True}
    assert pg.locator(".st-key-lang").count() == 1
    assert pg.get_by_text("Use your own table").count() == 1
    # One rerun for the controls, and no timer left running: the page sends nothing more.
    settled = len(sent)
    pg.wait_for_timeout(6_000)
    assert len(sent) == settled, sent[settled:]
    pg.watch.assert_clean()


@pytest.mark.browser
def test_without_the_map_the_timer_draws_the_controls(streamlit_server, page_factory):
    pg, _sent = _open(page_factory, block_map=True)
    pg.goto(streamlit_server.url + "/")
    pg.wait_for_selector(CHECKBOXES, timeout=30_000)
    firsts = pg.evaluate("window.__firsts")
    assert firsts["map"] is None  # the map's script never came
    assert firsts["controls"] >= float(CONTROLS_FALLBACK.rstrip("s")) * 1000 * 0.5, firsts
    assert pg.locator(".st-key-lang").count() == 1
    # The blocked script is the only failure.
    failed = [f for f in pg.watch.failed if "map/map.js" not in f]
    assert not failed and not pg.watch.dialogs


@pytest.mark.browser
def test_the_other_pages_and_later_views_draw_the_controls_with_the_page(streamlit_server, page_factory):
    pg, _sent = _open(page_factory)
    pg.goto(streamlit_server.url + "/directory")
    pg.wait_for_selector(CHECKBOXES, timeout=30_000)
    # Back to the map in the same session: its sidebar is there when the map is drawn.
    pg.get_by_role("link", name="Map").click()
    pg.wait_for_function(
        f"""() => {{ const f = document.querySelector('{MAP_FRAME}'); const d = f && f.contentDocument;
                   return d && d.querySelector('.office-marker, .office-cluster'); }}""", timeout=30_000)
    assert pg.locator(CHECKBOXES).count() == 5
    pg.watch.assert_clean()
