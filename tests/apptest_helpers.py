"""Helpers for Streamlit AppTest: the map component's arguments and the offices it was sent."""

from __future__ import annotations

import json
import re

from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT

APP = str(ROOT / "app.py")


def new_app(page: str | None = None, **query: str) -> AppTest:
    """The whole app (its default page), or one page run on its own (``page="briefing"``)."""
    at = AppTest.from_file(APP, default_timeout=60)
    if page is not None:
        at.switch_page(f"pages/{page}.py")
    for key, value in query.items():
        at.query_params[key] = value
    return at


def map_args(at: AppTest) -> dict:
    """The JSON arguments of the (only) st_folium component on the page."""
    components = at.get("component_instance")
    assert components, "no map component on the page"
    return json.loads(components[0].proto.json_args)


def sent_office_ids(at: AppTest) -> list[str]:
    """The ids of the offices in the feature group sent to the map (unescaped slugs)."""
    layer = map_args(at)["feature_group"]
    rows = json.loads(re.search(r"var rows = (\[.*?\]);\n", layer).group(1))
    # The map page sends the whole table and marks the offices its filters let through
    # (geo.maps.build.BrowserFilter): those are the ones the map draws.
    shown = (layer_config(at).get("filter") or {}).get("shown")
    if shown is not None:
        assert len(shown) == len(rows), "one shown flag per row"
        rows = [row for row, keep in zip(rows, shown, strict=True) if keep]
    return [row[3] for row in rows]


def layer_config(at: AppTest) -> dict:
    """The office layer's config (``var cfg``) as sent to the map."""
    layer = map_args(at)["feature_group"]
    return json.loads(re.search(r"var cfg = (\{.*?\});\n", layer).group(1))


def html_bodies(at: AppTest) -> str:
    return "\n".join(element.proto.body for element in at.get("html"))


def tour_data(at: AppTest) -> dict:
    """The whole tour the briefing page sent to the browser (geo/maps/tour.py), parsed from its layer."""
    layer = map_args(at)["feature_group"]
    match = re.search(r"window\.GsTour\.render\([^,]+,\s*[^,]+,\s*(\{.*\})\);", layer, re.S)
    assert match, "no tour in the map's layer"
    return json.loads(match.group(1))


def layer_parts(layer) -> tuple[dict, list]:
    """The office layer's config (``var cfg``) and rows (``var rows``; None when the rows are in a
    table file), rendered in a bare folium map."""
    from folium import Map

    fmap = Map(tiles=None)
    layer.add_to(fmap)
    script = fmap.get_root().render()
    config = json.loads(re.search(r"var cfg = (\{.*?\});\n", script).group(1))
    rows = json.loads(re.search(r"var rows = (\[.*?\]|null);\n", script).group(1))
    return config, rows
