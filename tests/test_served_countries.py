"""Countries served by name (issue #13): the directory's column and the KML placemarks name the
countries of ``serves_countries`` in the reader's language (CLDR via Babel), not as codes."""

from __future__ import annotations

import html

import pyogrio
import pytest

from geo.exports import kml
from geo.offices.table import load_offices
from tests.apptest_helpers import new_app
from tests.conftest import ROOT

YAOUNDE = {
    "en": ("INTERPOL Regional Bureau Yaoundé", ["Cameroon", "Central African Republic", "Chad", "Gabon"]),
    "fr": ("Bureau régional d'INTERPOL à Yaoundé", ["Cameroun", "République centrafricaine", "Tchad"]),
    "ar": (None, ["الكاميرون", "تشاد", "الغابون"]),
}


@pytest.mark.parametrize("lang", YAOUNDE)
def test_the_directory_names_the_countries_each_office_serves(lang):
    at = new_app("directory", lang=lang).run()
    assert not at.exception
    table = at.dataframe[0].value
    assert "served" in table.columns
    yaounde = table[table["city"].isin(["Yaoundé", "Yaundé", "ياوندي"])].iloc[0]
    for country in YAOUNDE[lang][1]:
        assert country in yaounde["served"], (lang, yaounde["served"])
    assert len(yaounde["served"].split("، " if lang == "ar" else ", ")) == 8
    # Offices with no sourced list (7 of 14) show nothing rather than a guess.
    assert (table["served"] == "").sum() == 7


def test_kml_descriptions_name_the_served_countries(tmp_path):
    offices = load_offices(ROOT / "data" / "offices.csv")

    def served(cell: object) -> str:
        codes = [c for c in str(cell).split(";") if len(c) == 2]
        return f"serves {len(codes)} countries: " + ", ".join({"CM": "Cameroon", "TD": "Chad"}.get(c, c) for c in codes) if codes else ""

    path = tmp_path / "offices.kml"
    path.write_bytes(kml.to_kml_bytes(offices, source="test", served=served))
    descriptions = {}
    for layer, _geometry in pyogrio.list_layers(path):  # read back as Google Earth users' tools do (GDAL)
        meta, _fids, _geometries, values = pyogrio.raw.read(path, layer=layer)
        for row in zip(*values, strict=True):
            record = dict(zip(meta["fields"], row, strict=True))
            descriptions[record["office_id"]] = record["description"]
    assert "serves 8 countries: Cameroon, CF, Chad" in descriptions["rb-yaounde"]
    assert "serves" not in descriptions["hq-lyon"]


# --- the exports name the countries too (CLDR via geo.offices.countries, in the export's language) ---

YAOUNDE_CODES = ["CM", "CF", "TD", "CG", "CD", "GQ", "GA", "ST"]
NAMES = {  # CLDR's names of Cameroon, Chad and DR Congo
    "en": ("Cameroon", "Chad", "Congo - Kinshasa"),
    "fr": ("Cameroun", "Tchad", "Congo-Kinshasa"),
    "ar": ("الكاميرون", "تشاد", "الكونغو - كينشاسا"),
}


def shown_in(lang: str):
    """The shared table as the directory exports it in ``lang`` (localised, without the *_en copies)."""
    from geo.offices.localise import localise

    frame = localise(load_offices(ROOT / "data" / "offices.csv"), lang)
    return frame[[c for c in frame.columns if not c.endswith("_en")]]


def check_yaounde(cell: str, lang: str) -> None:
    names = cell.split("; ")
    assert len(names) == len(YAOUNDE_CODES), cell
    cameroon, chad, congo = NAMES[lang]
    assert (names[0], names[2], names[4]) == (cameroon, chad, congo), cell  # the codes' order


@pytest.mark.parametrize("lang", NAMES)
def test_csv_names_the_served_countries_beside_the_codes(lang):
    import io

    import pandas as pd

    from geo.exports.table import to_csv_bytes

    table = pd.read_csv(io.BytesIO(to_csv_bytes(shown_in(lang), lang=lang)), encoding="utf-8-sig", dtype=str,
                        keep_default_na=False)
    columns = list(table.columns)
    assert columns[columns.index("serves_countries") + 1] == "serves_country_names"
    rows = table.set_index("id")
    assert rows.loc["rb-yaounde", "serves_countries"].split(";") == YAOUNDE_CODES
    check_yaounde(rows.loc["rb-yaounde", "serves_country_names"], lang)
    assert len(rows.loc["rb-abidjan", "serves_country_names"].split("; ")) == 16
    # No sourced list, no names: nothing is guessed.
    assert (rows["serves_countries"] == "").equals(rows["serves_country_names"] == "")
    assert rows.loc["hq-lyon", "serves_country_names"] == ""


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_geojson_read_back_by_gdal_names_the_served_countries(lang, tmp_path):
    from geo.exports.geojson import to_geojson_bytes

    path = tmp_path / "offices.geojson"
    path.write_bytes(to_geojson_bytes(shown_in(lang), source="test", lang=lang))
    meta, _fids, _geometries, values = pyogrio.raw.read(path)
    fields = list(meta["fields"])
    assert fields.index("serves_country_names") == fields.index("serves_countries") + 1
    records = {row[fields.index("id")]: dict(zip(fields, row, strict=True)) for row in zip(*values, strict=True)}
    assert len(records) == 14
    check_yaounde(records["rb-yaounde"]["serves_country_names"], lang)
    assert records["hq-lyon"]["serves_country_names"] in ("", None)


@pytest.mark.parametrize("lang", NAMES)
def test_offline_map_lists_the_served_countries_in_its_language(lang):
    from geo.exports.html_map import map_html, served_panel

    offices = shown_in(lang)
    page = map_html(offices, source="test", lang=lang)
    panel = served_panel(offices, lang)
    assert panel and panel in page
    assert page.index('class="export-header"') < page.index(panel) < page.index('class="folium-map')
    assert f'dir="{"rtl" if lang == "ar" else "ltr"}"' in panel
    summary = {"en": "Countries served", "fr": "Pays desservis", "ar": "البلدان المشمولة"}[lang]
    assert f"<summary>{summary}</summary>" in panel
    yaounde = offices.set_index("id").loc["rb-yaounde", "name"]
    entry = panel.split(f"<dt>{html.escape(yaounde)}</dt><dd>", 1)[1].split("</dd>", 1)[0]
    assert all(html.escape(name) in entry for name in NAMES[lang]), entry
    # Seven offices list their countries (six bureaus, the Caribbean office); the others are not in the panel.
    assert panel.count("<dt>") == 7
    assert html.escape(offices.set_index("id").loc["hq-lyon", "name"]) not in panel


def test_offline_map_panel_escapes_names_and_codes_from_the_table():
    from geo.exports.html_map import served_panel

    offices = shown_in("en").reset_index(drop=True)
    offices.loc[0, "name"] = "<img src=x onerror=alert(1)>"
    offices.loc[0, "serves_countries"] = "CM;<script>alert(1)</script>"
    panel = served_panel(offices, "en")
    assert "<img" not in panel and "<script" not in panel
    assert "&lt;img src=x onerror=alert(1)&gt;" in panel
    assert "serves 2 countries: Cameroon, &lt;SCRIPT&gt;ALERT(1)&lt;/SCRIPT&gt;" in panel  # an unknown code stays a code
    assert served_panel(offices[offices["serves_countries"] == ""], "en") == ""


def test_country_names_helper_keeps_unknown_codes_and_refuses_unknown_languages():
    from geo.offices.countries import served_country_names, served_names_text

    assert served_country_names(" cm ;TD;;QQ", "fr") == ["Cameroun", "Tchad", "QQ"]
    assert served_country_names(float("nan"), "en") == []
    assert served_names_text("CM;TD", "ar") == "الكاميرون; تشاد"
    with pytest.raises(ValueError, match="unknown language 'xx-nope'"):
        served_country_names("CM", "xx-nope")


def test_kml_made_outside_the_page_run_names_the_countries_in_the_readers_language(tmp_path):
    """The directory's downloads are deferred: Streamlit makes them in a worker thread whose context is
    not the page run's, where i18n.language() is English. The page passes its language instead."""
    import contextvars
    from functools import partial

    import i18n
    from geo.offices.countries import served_line

    offices = shown_in("fr")
    i18n.set_language("fr")
    try:
        elsewhere = contextvars.Context()  # a context the page run never set, like the download's thread
        assert elsewhere.run(i18n.language) == "en"
        data = elsewhere.run(partial(kml.to_kml_bytes, offices, source="test", served=partial(served_line, lang="fr")))
    finally:
        i18n.set_language("en")
    path = tmp_path / "offices.kml"
    path.write_bytes(data)
    descriptions = {}
    for layer, _geometry in pyogrio.list_layers(path):
        meta, _fids, _geometries, values = pyogrio.raw.read(path, layer=layer)
        for row in zip(*values, strict=True):
            record = dict(zip(meta["fields"], row, strict=True))
            descriptions[record["office_id"]] = record["description"]
    assert "dessert 8 pays: Cameroun, République centrafricaine, Tchad" in descriptions["rb-yaounde"]
    assert "serves" not in " ".join(descriptions.values())


def test_served_line_in_arabic_uses_the_arabic_comma_and_plural():
    from geo.offices.countries import served_line

    line = served_line("CM;TD;GA", "ar")
    assert line.endswith(": الكاميرون، تشاد، الغابون"), line
    assert served_line("", "ar") == "" and served_line(None, "fr") == ""
