"""The directory page through AppTest: time zones as people say them, unknown years, one search that
filters, a compact table (name, type, city) for phones."""

from __future__ import annotations

import pytest

from tests.apptest_helpers import html_bodies, new_app


def full_table(at):
    return at.dataframe[0]


def compact_table(at):
    return at.dataframe[1]


def row(table, office_name: str):
    frame = table.value
    return frame[frame["name"] == office_name].iloc[0]


@pytest.mark.parametrize(
    ("lang", "name", "lyon", "yaounde", "nairobi", "new_york"),
    [
        ("en", "INTERPOL Regional Bureau Yaoundé", "Central European Time", "West Africa Time",
         "East Africa Time", "Eastern Time"),
        ("fr", "Bureau régional d'INTERPOL à Yaoundé", "heure d’Europe centrale", "heure d’Afrique de l’Ouest",
         "heure normale d’Afrique de l’Est", "heure de l’Est nord-américain"),
        ("es", "Oficina Regional de INTERPOL en Yaundé", "hora de Europa central", "hora de África occidental",
         "hora de África oriental", "hora oriental"),
    ],
)
def test_time_zones_are_named_as_people_say_them(lang, name, lyon, yaounde, nairobi, new_york):
    at = new_app("directory", lang=lang).run()
    assert not at.exception
    zones = dict(zip(full_table(at).value["city"], full_table(at).value["timezone"], strict=True))
    assert row(full_table(at), name)["timezone"] == yaounde
    assert lyon in zones.values() and nairobi in zones.values() and new_york in zones.values()
    assert not any("/" in zone for zone in zones.values()), zones  # no raw IANA ids


def test_arabic_time_zones_are_arabic():
    at = new_app("directory", lang="ar").run()
    zones = list(full_table(at).value["timezone"])
    assert "توقيت وسط أوروبا" in zones
    assert all(zone and "/" not in zone and not any("a" <= c.lower() <= "z" for c in zone) for zone in zones), zones


def test_unknown_years_are_written_and_sort_after_the_years():
    at = new_app("directory").run()
    opened = list(full_table(at).value["opened"])
    known = [v for v in opened if v.isdigit()]
    unknown = [v for v in opened if not v.isdigit()]
    assert len(known) == 11 and set(unknown) == {"not known"}
    # The table sorts text columns the browser's way (String.localeCompare): letters after digits.
    # The browser test clicks the header; here the same order with Python's ordering of ASCII.
    assert sorted(opened)[-len(unknown):] == unknown


def test_the_page_search_filters_the_table_and_is_the_shared_search():
    at = new_app("directory").run()
    assert len(full_table(at).value) == 14
    at.text_input(key="directory_q").input("nairobi").run()
    assert not at.exception
    assert list(full_table(at).value["city"]) == ["Nairobi"]
    assert list(compact_table(at).value["city"]) == ["Nairobi"]
    assert at.session_state["q"] == "nairobi"  # the sidebar's search and the share link's q
    # A search from a share link (or the sidebar) shows in the page's box.
    at = new_app("directory", q="europol").run()
    assert at.text_input(key="directory_q").value == "europol"
    assert list(full_table(at).value["name"]) == ["INTERPOL Liaison Office at Europol"]


def test_the_sidebar_copy_of_the_search_and_the_grid_search_are_hidden():
    at = new_app("directory").run()
    css = html_bodies(at)
    assert '[data-testid="stSidebar"] .st-key-q { display: none; }' in css
    assert '[data-testid="stElementToolbar"] [aria-label="Search"]' in css


def test_the_compact_table_shows_name_type_and_city():
    at = new_app("directory").run()
    compact = compact_table(at).proto
    assert list(compact.column_order) == ["name", "type", "city"]
    full = full_table(at).proto
    assert list(full.column_order)[:3] == ["name", "type", "city"]
    css = html_bodies(at)
    assert "@media (max-width: 640px) { .st-key-directory_full { display: none; } }" in css
    assert "@media (min-width: 641px) { .st-key-directory_compact { display: none; } }" in css


def test_each_page_names_itself_in_the_browser_tab():
    """AppTest keeps no page config: the title's text here, the browser tests read the tabs."""
    import i18n
    from dashboard.page import page_title

    i18n.set_language("fr")
    try:
        assert page_title("Directory") == "Annuaire · Secrétariat général d'INTERPOL\u00a0: les bureaux dans le monde"
        assert page_title(None) == "Secrétariat général d'INTERPOL\u00a0: les bureaux dans le monde"
    finally:
        i18n.set_language("en")
