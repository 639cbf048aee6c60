"""Countries served by name (issue #13): the directory's column and the KML placemarks name the
countries of ``serves_countries`` in the reader's language (CLDR via Babel), not as codes."""

from __future__ import annotations

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
    # Offices with no sourced list (9 of 14) show nothing rather than a guess.
    assert (table["served"] == "").sum() == 9


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
