"""The map page through Streamlit's AppTest: filters, share links, panel, notices."""

from __future__ import annotations

import json
import re

import pytest

from tests.apptest_helpers import html_bodies, map_args, new_app, sent_office_ids

pytestmark = pytest.mark.filterwarnings("ignore")


def test_default_page_sends_all_fourteen_offices_with_local_assets():
    at = new_app().run()
    assert not at.exception
    assert len(sent_office_ids(at)) == 14
    args = map_args(at)
    assert args["js_links"] and all(link.startswith("/app/static/") for link in args["js_links"])
    assert all(link.startswith("/app/static/") for link in args["css_links"])
    assert set(args["returned_objects"]) == {"last_object_clicked_tooltip", "last_object_clicked_count"}
    assert any("14 offices shown" in m.value for m in at.markdown)


def test_type_checkbox_changes_what_the_map_receives():
    at = new_app().run()
    at.checkbox(key="type_liaison_office").uncheck().run()
    ids = sent_office_ids(at)
    assert len(ids) == 11 and not any(i.startswith("lo-") for i in ids)
    assert at.query_params["type"] == "headquarters,global_complex,regional_bureau,special_representative_office"


def test_region_and_search_filters():
    at = new_app().run()
    at.multiselect(key="regions").select("Europe").run()
    assert sorted(sent_office_ids(at)) == ["hq-lyon", "lo-europol", "lo-unodc", "sro-european-union"]
    at.text_input(key="q").input("vienna").run()
    assert sent_office_ids(at) == ["lo-unodc"]
    assert at.query_params["q"] == "vienna" and at.query_params["region"] == "Europe"


def test_search_ignores_case_and_accents():
    at = new_app(q="YAOUNDE").run()
    assert sent_office_ids(at) == ["rb-yaounde"]


def test_share_link_restores_types_and_counts_in_checkbox_labels():
    at = new_app(type="regional_bureau").run()
    assert not at.exception
    assert sorted(sent_office_ids(at)) == sorted(
        ["rb-buenos-aires", "rb-yaounde", "rb-abidjan", "rb-san-salvador", "rb-nairobi", "rb-harare"]
    )
    assert at.checkbox(key="type_regional_bureau").value is True
    assert at.checkbox(key="type_headquarters").value is False
    assert "(6)" in at.checkbox(key="type_regional_bureau").label


def test_office_link_opens_the_panel_and_centres():
    at = new_app(office="rb-nairobi").run()
    assert not at.exception
    body = html_bodies(at)
    assert "INTERPOL Regional Bureau Nairobi" in body and "Mazingira House" in body
    assert '"selected":"rb-nairobi"' in map_args(at)["feature_group"]
    assert '"center":[-1.28333,36.81667]' in map_args(at)["feature_group"]


def test_choosing_from_the_list_shows_every_field():
    at = new_app().run()
    at.selectbox(key="office").select("hq-lyon").run()
    body = html_bodies(at)
    for text in ("INTERPOL General Secretariat headquarters", "Lyon, France", "200 Quai Charles de Gaulle",
                 "1989", "Local time", "45.78219, 4.84838", "precision", "building",
                 "https://www.interpol.int/fr/Actualites-et-evenements"):
        assert text in body, text
    assert at.query_params["office"] == "hq-lyon"


def test_unknown_values_are_ignored_with_a_notice():
    at = new_app(type="nope,regional_bureau", region="Atlantis", office="ghost", lang="xx").run()
    assert not at.exception
    warnings = " ".join(w.value for w in at.warning)
    for value in ("nope", "Atlantis", "ghost", "xx"):
        assert value in warnings
    assert len(sent_office_ids(at)) == 6


def test_empty_result_shows_a_message_and_keeps_an_empty_map():
    # The map stays (with no office) so its view survives a search typed letter by letter.
    at = new_app(q="no-such-place").run()
    assert not at.exception
    assert sent_office_ids(at) == []
    assert any("No office matches" in i.value for i in at.info)


def test_simulated_marker_click_selects_the_office():
    at = new_app().run()
    component = at.get("component_instance")[0]
    value = {"last_object_clicked_tooltip": "INTERPOL Regional Bureau Harare\u2063rb-harare",
             "last_object_clicked_count": 1}
    at.session_state[component.proto.id.rsplit("-", 1)[-1]] = value  # the st_folium key
    at.run()
    assert not at.exception
    assert at.session_state["office"] == "rb-harare"


def click_map(at, tooltip: str, count: int):
    """What streamlit-folium returns for a click (a marker's tooltip, or a legend button's action)."""
    component = at.get("component_instance")[0]
    at.session_state[component.proto.id.rsplit("-", 1)[-1]] = {
        "last_object_clicked_tooltip": tooltip, "last_object_clicked_count": count,
    }
    return at.run()


def test_only_button_in_the_sidebar_isolates_a_type():
    at = new_app().run()
    at.button(key="only_regional_bureau").click().run()
    assert not at.exception
    assert len(sent_office_ids(at)) == 6 and all(i.startswith("rb-") for i in sent_office_ids(at))
    assert at.query_params["type"] == "regional_bureau"
    assert at.checkbox(key="type_headquarters").value is False


def map_config(at) -> dict:
    return json.loads(re.search(r"var cfg = (\{.*?\});\n", map_args(at)["feature_group"]).group(1))


def test_legend_buttons_toggle_a_type_and_isolate_one():
    at = new_app().run()
    assert 'class="legend-entry" data-type="liaison_office" aria-pressed="true"' in map_config(at)["legend"]
    click_map(at, "\u2063legend:toggle:liaison_office", 1)
    assert not at.exception
    assert len(sent_office_ids(at)) == 11 and at.checkbox(key="type_liaison_office").value is False
    assert 'data-type="liaison_office" aria-pressed="false"' in map_config(at)["legend"]
    click_map(at, "\u2063legend:only:special_representative_office", 2)
    assert sorted(sent_office_ids(at)) == ["sro-african-union", "sro-european-union", "sro-united-nations"]
    # Anything else that looks like an action is ignored.
    for n, bogus in enumerate(("\u2063legend:only:<b>x</b>", "\u2063legend:drop:headquarters", "\u2063legend:"), 3):
        click_map(at, bogus, n)
        assert not at.exception and len(sent_office_ids(at)) == 3


def test_a_search_that_leaves_one_office_opens_it_once():
    at = new_app().run()
    at.text_input(key="q").input("harare").run()
    assert at.session_state["office"] == "rb-harare"
    assert "INTERPOL Regional Bureau Harare" in html_bodies(at)
    at.button(key="close_office").click().run()
    assert at.session_state["office"] is None  # closed: the same search does not open it again
    at.run()
    assert at.session_state["office"] is None


def test_panel_leaves_empty_fields_out_and_the_map_keeps_the_view():
    at = new_app(office="rb-harare").run()
    body = html_bodies(at)
    assert "INTERPOL Regional Bureau Harare" in body
    assert "not known" not in body and "Partner" not in body and "Address" not in body
    config = map_config(at)
    assert config["keep"] is True and config["fill"] is True and config["selected"] == "rb-harare"
    assert config["clusterLabel"]["other"] == "{n} offices: {names}"
