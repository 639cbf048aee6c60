"""The map page through Streamlit's AppTest: filters, share links, panel, notices."""

from __future__ import annotations

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
    assert "INTERPOL Regional Bureau Nairobi" in body and "Kiambu Road" in body
    assert '"selected":"rb-nairobi"' in map_args(at)["feature_group"]
    assert '"center":[-1.28333,36.81667]' in map_args(at)["feature_group"]


def test_choosing_from_the_list_shows_every_field():
    at = new_app().run()
    at.selectbox(key="office").select("hq-lyon").run()
    body = html_bodies(at)
    for text in ("INTERPOL General Secretariat headquarters", "Lyon, France", "200 Quai Charles de Gaulle",
                 "1989", "Local time", "45.74906, 4.84789", "precision", "city",
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
