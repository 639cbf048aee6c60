"""Briefing, directory and about pages through AppTest: filters respected, tour order, URL state."""

from __future__ import annotations

import re

import pytest

from geo.filtering import briefing_order
from geo.table import load_offices
from tests.apptest_helpers import html_bodies, map_args, new_app, sent_office_ids
from tests.conftest import ROOT

pytestmark = pytest.mark.filterwarnings("ignore")
TOUR = list(briefing_order(load_offices(ROOT / "data" / "offices.csv"))["id"])


def card_office(at) -> str | None:
    match = re.search(r'class="tour-card" data-step="(\d+)"(?: data-office-id="([^"]+)")?', html_bodies(at))
    assert match, "no tour card"
    return match.group(2)


def test_tour_order_is_type_then_west_to_east():
    assert TOUR[:2] == ["hq-lyon", "igci-singapore"]
    assert TOUR[2:8] == ["rb-san-salvador", "rb-buenos-aires", "rb-abidjan", "rb-yaounde", "rb-harare",
                         "rb-nairobi"]
    assert TOUR[8:11] == ["sro-united-nations", "sro-european-union", "sro-african-union"]
    assert TOUR[11:] == ["lo-caribbean", "lo-europol", "lo-unodc"]


def test_tour_starts_with_the_overview_and_steps_through_every_office_in_order():
    at = new_app("briefing").run()
    assert not at.exception
    assert card_office(at) is None  # step 0: the overview
    assert "14 offices on this tour" in html_bodies(at)
    seen = []
    for _ in TOUR:
        at.button(key="tour_next").click().run()
        assert not at.exception
        seen.append(card_office(at))
        assert f'"selected":"{seen[-1]}"' in map_args(at)["feature_group"]
    assert seen == TOUR
    assert at.button(key="tour_next").disabled
    assert at.query_params["step"] == str(len(TOUR))
    at.button(key="tour_prev").click().run()
    assert card_office(at) == TOUR[-2]


def test_step_is_restored_from_the_url_and_clamped():
    at = new_app("briefing", step="3").run()
    assert card_office(at) == TOUR[2]
    assert "Step 3 of 14" in " ".join(m.value for m in at.markdown)
    at = new_app("briefing", step="99").run()
    assert card_office(at) == TOUR[-1]
    at = new_app("briefing", step="abc").run()
    assert not at.exception and card_office(at) is None


def test_tour_follows_the_filters():
    at = new_app("briefing", type="liaison_office", step="1").run()
    assert card_office(at) == "lo-caribbean"
    assert sorted(sent_office_ids(at)) == ["lo-caribbean", "lo-europol", "lo-unodc"]
    assert "3 offices on this tour" not in html_bodies(at)  # we are on step 1, not the overview


def test_lines_from_headquarters_toggle():
    at = new_app("briefing").run()
    assert '"hub":null' in map_args(at)["feature_group"]
    at.toggle(key="hq_lines").set_value(True).run()
    assert '"hub":[45.74906,4.84789]' in map_args(at)["feature_group"]


def test_tour_card_shows_the_office_fields():
    at = new_app("briefing", step="1").run()
    body = html_bodies(at)
    for text in ("INTERPOL General Secretariat headquarters", "Lyon, France", "Local time",
                 "administrative and logistical centre"):
        assert text in body


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
