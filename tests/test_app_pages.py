"""Briefing, directory and about pages through AppTest: filters respected, tour order, URL state."""

from __future__ import annotations

import pandas as pd
import pytest

from geo.offices.filtering import briefing_order
from geo.offices.table import load_offices
from tests.apptest_helpers import html_bodies, map_args, new_app, tour_data
from tests.conftest import ROOT

pytestmark = pytest.mark.filterwarnings("ignore")
TOUR = list(briefing_order(load_offices(ROOT / "data" / "offices.csv"))["id"])


def tour_ids(at) -> list[str | None]:
    return [step["id"] for step in tour_data(at)["steps"]]


def test_tour_order_is_type_then_west_to_east():
    assert TOUR[:2] == ["hq-lyon", "igci-singapore"]
    assert TOUR[2:8] == ["rb-san-salvador", "rb-buenos-aires", "rb-abidjan", "rb-yaounde", "rb-harare",
                         "rb-nairobi"]
    assert TOUR[8:11] == ["sro-united-nations", "sro-european-union", "sro-african-union"]
    assert TOUR[11:] == ["lo-caribbean", "lo-europol", "lo-unodc"]


def test_the_whole_tour_reaches_the_browser_in_one_run():
    at = new_app("briefing").run()
    assert not at.exception
    data = tour_data(at)
    assert tour_ids(at) == [None, *TOUR]  # the overview, then every office in tour order
    assert data["start"] == 0
    assert data["steps"][0]["label"] == "Overview"
    assert [s["label"] for s in data["steps"][1:3]] == ["1 of 14", "2 of 14"]
    assert "14 offices on this tour" in data["steps"][0]["card"]
    for step in data["steps"][1:]:
        assert f"<h1>{step['name']}</h1>" in step["card"]
        assert step["zoom"] >= 4 and -90 <= step["lat"] <= 90 and -180 <= step["lon"] <= 180
    assert data["hub"] == [45.78219, 4.84838]
    assert data["bounds"][0][0] < -30 and data["bounds"][1][1] > 100  # Buenos Aires .. Singapore
    assert not [b for b in at.get("button") if "tour" in str(b.key)]  # steps never wait for a rerun
    assert "tour/tour.js" in " ".join(map_args(at)["js_links"])


def test_step_is_restored_from_the_url_and_clamped():
    at = new_app("briefing", step="3").run()
    assert tour_data(at)["start"] == 3
    assert at.query_params["step"] == "3"
    at = new_app("briefing", step="99").run()
    assert tour_data(at)["start"] == len(TOUR)
    at = new_app("briefing", step="abc").run()
    assert not at.exception and tour_data(at)["start"] == 0


def test_the_server_follows_the_step_the_browser_wrote_into_the_url():
    at = new_app("briefing").run()
    at.query_params["step"] = "5"  # what tour.js does with history.replaceState; sent with the next rerun
    at.run()
    assert at.session_state["step"] == 5
    assert tour_data(at)["start"] == 5
    assert at.query_params["step"] == "5"


def test_tour_follows_the_filters():
    at = new_app("briefing", type="liaison_office", step="1").run()
    assert tour_ids(at) == [None, "lo-caribbean", "lo-europol", "lo-unodc"]
    assert tour_data(at)["start"] == 1
    assert tour_data(at)["hub"] == [45.78219, 4.84838]  # lines still start from Lyon


def test_tour_card_shows_the_office_fields_and_leaves_out_empty_ones():
    at = new_app("briefing", step="1").run()
    card = tour_data(at)["steps"][1]["card"]
    for text in ("INTERPOL General Secretariat headquarters", "Lyon, France", "Local time",
                 "administrative and logistical centre"):
        assert text in card
    assert "not known" not in "".join(s["card"] for s in tour_data(at)["steps"])


def test_tour_in_arabic_is_right_to_left_with_latin_digits():
    at = new_app("briefing", lang="ar").run()
    data = tour_data(at)
    assert data["rtl"] is True and data["lang"] == "ar" and data["locale"] == "ar-u-nu-latn"
    assert "14" in data["steps"][1]["label"]


def test_directory_lists_what_the_filters_show():
    at = new_app("directory", type="regional_bureau").run()
    assert not at.exception
    table = at.dataframe[0].value
    assert len(table) == 6
    assert set(table["city"]) == {"Buenos Aires", "Yaoundé", "Abidjan", "San Salvador", "Nairobi", "Harare"}
    labels = [b.label for b in at.get("download_button")]
    assert any("CSV" in label for label in labels) and any("HTML" in label for label in labels)


def test_directory_search():
    at = new_app("directory", q="europol").run()
    assert list(at.dataframe[0].value["name"]) == ["INTERPOL Liaison Office at Europol"]


def test_about_page_has_sourced_dated_facts_and_the_current_secretary_general():
    at = new_app("about").run()
    assert not at.exception
    body = html_bodies(at)
    assert "Valdecy Urquiza" in body
    assert body.count('class="fact-source"') >= 5
    assert "as of" in body
    assert "Secretary General since 7 November 2024" in body
    # The source page's stale "currently Jürgen Stock" appears only in the note saying it is out of date.
    assert body.count("currently Jürgen Stock") == body.count("out of date")
    text = " ".join(m.value for m in at.markdown)
    assert "last checked" in text


@pytest.mark.parametrize("page", [None, "briefing", "directory", "about"])
def test_every_page_runs_with_filters_and_an_office(page):
    at = new_app(page, type="regional_bureau,liaison_office", region="Africa", office="rb-harare").run()
    assert not at.exception


def test_every_session_shares_one_unchanged_copy_of_the_table():
    """The shared table is one object per server (st.cache_resource): no page may change it in place."""
    from dashboard import data

    path = data.table_path()
    before = data._load_table(str(path), *data._stat_key(path))
    pristine = before.copy(deep=True)
    for page, query in ((None, {"office": "rb-nairobi"}), ("briefing", {"step": "4"}), ("directory", {"q": "a"}),
                        ("about", {}), (None, {"lang": "ar", "type": "regional_bureau"})):
        at = new_app(page, **query).run()
        assert not at.exception
    after = data._load_table(str(path), *data._stat_key(path))
    assert after is before  # the same object for everyone
    pd.testing.assert_frame_equal(after, pristine)


@pytest.mark.parametrize("page", [None, "briefing", "directory", "about"])
def test_the_shared_sidebar_keeps_its_order_on_every_page(page):
    """Every page's sidebar: the pages, the language, the uploader and the filters in that order,
    and a page's own sidebar items (the briefing pack) below them."""
    at = new_app(page, type="regional_bureau").run()
    assert not at.exception
    links = [link.proto.label for link in at.sidebar.get("page_link")]
    assert links == ["Map", "Briefing", "Directory", "About"]
    keys = [w.key for w in (*at.sidebar.selectbox, *at.sidebar.text_input, *at.sidebar.multiselect)]
    assert keys == ["lang", "q", "regions"]
    assert at.sidebar.checkbox(key="type_regional_bureau").value is True
    assert at.sidebar.checkbox(key="type_headquarters").value is False
    # The page's own sidebar items (the briefing pack) come below the shared ones.
    kinds = [e.type for e in at.sidebar]
    has_pack = "download_button" in kinds
    assert has_pack == (page in ("briefing", "directory"))
    if has_pack:
        assert kinds.index("download_button") > max(i for i, k in enumerate(kinds) if k == "checkbox")


def test_a_table_that_cannot_be_read_still_draws_the_sidebar_to_upload_another(monkeypatch, tmp_path):
    """The page stops on a broken shared table, with its sidebar drawn: the pages, the language and
    the uploader (the only way to show another table)."""
    path = tmp_path / "broken.csv"
    path.write_text("id,name\nx,\n", encoding="utf-8")
    monkeypatch.setenv("OFFICES_CSV", str(path))
    at = new_app().run()
    assert not at.exception
    assert any("The office table cannot be used" in e.value for e in at.error)
    assert [link.proto.label for link in at.sidebar.get("page_link")] == ["Map", "Briefing", "Directory", "About"]
    assert at.sidebar.selectbox(key="lang")
    assert at.sidebar.get("file_uploader"), "the uploader is there"
    assert not at.sidebar.checkbox, "no filters without a table"
    assert not at.get("component_instance"), "no map"
