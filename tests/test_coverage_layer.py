"""The "Countries served" layer: sidebar switch → shaded countries in the map and a legend line."""

from __future__ import annotations

import json
import re

import pytest

from tests.apptest_helpers import map_args, new_app
from tests.conftest import MAP_FRAME, screenshot, wait_for_map

pytestmark = pytest.mark.filterwarnings("ignore")
CFG = re.compile(r"^[ \t]*var cfg = (?P<json>.*);[ \t]*$", re.MULTILINE)


def map_config(at) -> dict:
    return json.loads(CFG.search(map_args(at)["feature_group"]).group("json"))


def test_countries_served_are_shaded_only_when_asked():
    at = new_app().run()
    assert map_config(at)["coverage"] is None
    at.checkbox(key="coverage").check().run()
    assert not at.exception
    coverage = map_config(at)["coverage"]
    served = {(f["properties"]["office_id"], f["properties"]["country"]) for f in coverage["features"]}
    assert ("rb-yaounde", "CM") in served and ("rb-san-salvador", "SV") in served
    colours = {(f["properties"]["office_id"][:3], f["properties"]["colour"]) for f in coverage["features"]}
    assert colours == {("rb-", "#009E73"), ("lo-", "#E69F00")}  # each type's colour: the bureaus, the Caribbean office
    assert "Shaded: the countries the offices shown serve" in map_config(at)["legend"]


def test_the_layer_follows_the_filters():
    at = new_app(type="liaison_office").run()
    at.checkbox(key="coverage").check().run()
    offices = {f["properties"]["office_id"] for f in map_config(at)["coverage"]["features"]}
    assert offices <= {"lo-caribbean", "lo-europol", "lo-unodc"}


@pytest.mark.browser
def test_africa_with_its_bureaus_countries_shaded(streamlit_server, page):
    page.goto(streamlit_server.url + "/?region=Africa")
    wait_for_map(page)
    page.locator('[data-testid="stSidebar"]').get_by_text("Countries served").click()
    frame = page.frame_locator(MAP_FRAME)
    frame.locator("path.coverage-area").first.wait_for(timeout=30_000)
    assert frame.locator("path.coverage-area").count() >= 30
    screenshot(page, "coverage-africa")
    page.watch.assert_clean()
