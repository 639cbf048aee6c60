"""The downloads: CSV, GeoJSON, KML, the offline map page and the briefing sheet, with hostile tables."""

from __future__ import annotations

import codecs
import html
import io
import json
import math
import re
import xml.etree.ElementTree as ET
from datetime import date

import pandas as pd
import pytest

from geo.exports import geojson as geojson_export
from geo.exports import html_map
from geo.exports import kml as kml_export
from geo.exports import sheet as sheet_export
from geo.exports import table as table_export
from geo.maps.build import MapOptions
from geo.offices.schema import CONTRACT_COLUMNS

KML = "{http://www.opengis.net/kml/2.2}"
LYON = (4.84838, 45.78219)  # longitude, latitude
DAY = date(2026, 11, 27)
SOURCE = "Source: INTERPOL (interpol.int), office data checked on 30 November 2026"
HOSTILE = (
    "<img src=x onerror=alert(1)>",
    "`",
    "${alert(1)}",
    "</script><script>alert(1)</script>",
    "=cmd|' /C calc'!A0",
    "javascript:alert(1)",
)
# The CSV's columns: the contract's, with the countries' names right after their codes (issue #13).
CSV_COLUMNS = [*CONTRACT_COLUMNS[: CONTRACT_COLUMNS.index("serves_countries") + 1], "serves_country_names",
               *CONTRACT_COLUMNS[CONTRACT_COLUMNS.index("serves_countries") + 1 :]]
FORMULAS = ("=cmd|' /C calc'!A0", "  +1+1", "@SUM(A1)", "-2+3+cmd|' /C calc'!A0", "\tx", "\rx")


def hostile_offices(offices: pd.DataFrame) -> pd.DataFrame:
    """The real table with a payload in every text field of the first six offices and an extra column."""
    frame = offices.copy()
    for i, payload in enumerate(HOSTILE):
        for column in ("name", "city", "country", "partner", "address", "description", "opened_note",
                       "serves", "source_url", "timezone"):
            frame.loc[i, column] = payload
    frame["notes"] = [HOSTILE[i % len(HOSTILE)] for i in range(len(frame))]
    return frame


def sheet(frame: pd.DataFrame, **kwargs) -> str:
    arguments = {
        "title": "INTERPOL General Secretariat offices",
        "type_labels": {},
        "column_labels": {},
        "generated": DAY,
        "source": "Source: INTERPOL",
    } | kwargs
    return sheet_export.briefing_sheet_html(frame, **arguments)


def read_csv(data: bytes) -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(data), encoding="utf-8-sig", dtype=str, keep_default_na=False)


# --- names -----------------------------------------------------------------------------------


def test_export_filename_names_the_day():
    assert table_export.export_filename("offices", "csv", DAY) == "interpol-gs-offices-2026-11-27.csv"
    assert table_export.export_filename("map", ".html", DAY) == "interpol-gs-map-2026-11-27.html"
    assert date.today().isoformat() in table_export.export_filename("offices", "geojson")
    with pytest.raises(ValueError, match="kind and ext"):
        table_export.export_filename("../offices", "csv", DAY)


# --- CSV -------------------------------------------------------------------------------------


def test_csv_reads_back_with_the_same_offices_and_a_bom(offices):
    data = table_export.to_csv_bytes(offices)
    assert data.startswith(codecs.BOM_UTF8)
    back = read_csv(data)
    assert list(back.columns) == CSV_COLUMNS
    assert list(back["id"]) == list(offices["id"])
    assert list(back["name"]) == list(offices["name"])
    lyon = back.set_index("id").loc["hq-lyon"]
    assert (lyon["longitude"], lyon["latitude"], lyon["opened"]) == ("4.84838", "45.78219", "1989")
    assert back.set_index("id").loc["rb-buenos-aires", "opened"] == ""  # not "nan", not "<NA>"
    assert "Yaoundé" in back["city"].tolist()  # UTF-8, accents kept


def test_csv_neutralises_formulas_but_not_numbers(offices):
    frame = offices.head(len(FORMULAS)).copy()
    frame["name"] = list(FORMULAS)
    frame["partner"] = ["-34.6", "+33 4 72 44 70 00", "@home", "plain", "", "a=b"]
    back = read_csv(table_export.to_csv_bytes(frame))
    assert back["name"].tolist() == ["'" + f for f in FORMULAS]
    assert back["partner"].tolist() == ["'-34.6", "'+33 4 72 44 70 00", "'@home", "plain", "", "a=b"]
    # Negative coordinates are numbers, written as such.
    buenos_aires = read_csv(table_export.to_csv_bytes(offices)).set_index("id").loc["rb-buenos-aires"]
    assert (buenos_aires["latitude"], buenos_aires["longitude"]) == ("-34.61315", "-58.37723")


def test_csv_rounds_coordinates_and_leaves_unplaced_rows_empty(offices):
    frame = offices.head(3).copy()
    frame.loc[0, "latitude"] = 45.123456789
    frame.loc[1, ["latitude", "longitude"]] = math.nan
    frame.loc[2, "longitude"] = -0.0000001
    back = read_csv(table_export.to_csv_bytes(frame))
    assert back["latitude"].tolist()[:2] == ["45.123457", ""]
    assert back["longitude"].tolist()[1:] == ["", "0"]


def test_csv_keeps_extra_columns_and_drops_the_localised_copies(localised_offices):
    frame = localised_offices("fr")
    frame["room"] = "B12"
    assert "name_en" in frame.columns
    back = read_csv(table_export.to_csv_bytes(frame))
    assert list(back.columns) == [*CSV_COLUMNS, "room"]
    assert not any(c.endswith("_en") for c in back.columns)


# --- GeoJSON ---------------------------------------------------------------------------------


def test_geojson_is_a_feature_collection_with_longitude_first(offices):
    collection = geojson_export.to_geojson(offices, source=SOURCE)
    assert collection["type"] == "FeatureCollection"
    assert len(collection["features"]) == 14
    lyon = next(f for f in collection["features"] if f["id"] == "hq-lyon")
    assert lyon["type"] == "Feature"
    assert lyon["geometry"] == {"type": "Point", "coordinates": list(LYON)}
    assert lyon["properties"]["id"] == "hq-lyon"
    assert lyon["properties"]["opened"] == 1989 and isinstance(lyon["properties"]["opened"], int)
    assert "latitude" not in lyon["properties"] and "longitude" not in lyon["properties"]
    nairobi = next(f for f in collection["features"] if f["id"] == "rb-nairobi")
    assert nairobi["properties"]["opened"] is None  # NA -> null
    for feature in collection["features"]:
        lon, lat = feature["geometry"]["coordinates"]
        assert -180 <= lon <= 180 and -90 <= lat <= 90


def test_geojson_unplaced_office_has_null_geometry(offices):
    frame = offices.copy()
    frame.loc[frame["id"] == "rb-harare", ["latitude", "longitude"]] = math.nan
    frame.loc[0, "latitude"] = 45.1234567891
    features = {f["id"]: f for f in geojson_export.to_geojson(frame, source=SOURCE)["features"]}
    assert features["rb-harare"]["geometry"] is None
    assert features["rb-harare"]["properties"]["name"] == "INTERPOL Regional Bureau Harare"
    assert features["hq-lyon"]["geometry"]["coordinates"][1] == 45.123457


def test_geojson_bytes_are_strict_json_of_the_same_collection(offices):
    frame = offices.copy()
    frame.loc[1, ["latitude", "longitude"]] = math.nan

    def no_constants(name):
        raise AssertionError(f"{name} is not JSON")

    data = geojson_export.to_geojson_bytes(frame, source=SOURCE)
    assert json.loads(data, parse_constant=no_constants) == geojson_export.to_geojson(frame, source=SOURCE)


# --- KML -------------------------------------------------------------------------------------


def test_kml_has_one_placemark_per_office_with_lon_lat(offices):
    root = ET.fromstring(kml_export.to_kml_bytes(offices, source=SOURCE))
    assert root.tag == f"{KML}kml"
    document = root.find(f"{KML}Document")
    placemarks = document.findall(f".//{KML}Placemark")
    assert len(placemarks) == 14
    lyon = next(p for p in placemarks if p.get("id") == "office-hq-lyon")
    assert lyon.findtext(f"{KML}name") == "INTERPOL General Secretariat headquarters"
    assert lyon.findtext(f"{KML}Point/{KML}coordinates") == "4.84838,45.78219"
    assert lyon.findtext(f"{KML}styleUrl") == "#type-headquarters"
    data = {d.get("name"): d.findtext(f"{KML}value") for d in lyon.iter(f"{KML}Data")}
    assert data["city"] == "Lyon" and data["opened"] == "1989" and "latitude" not in data
    assert data["office_id"] == "hq-lyon" and not {"id", "name", "description"} & set(data)
    styles = {s.get("id"): s.findtext(f"{KML}IconStyle/{KML}color") for s in document.findall(f"{KML}Style")}
    assert styles["type-headquarters"] == "ff005ed5"  # #D55E00 as aabbggrr
    assert len(styles) == 5
    folders = [f.findtext(f"{KML}name") for f in document.findall(f"{KML}Folder")]
    assert folders == ["Headquarters", "Global Complex for Innovation", "Regional bureau",
                       "Special representative office", "Liaison office"]


def test_kml_skips_unplaced_offices_uses_labels_and_drops_invalid_characters(offices):
    frame = offices.copy()
    frame.loc[frame["id"] == "rb-harare", ["latitude", "longitude"]] = math.nan
    frame.loc[0, "description"] = "bell\x07 and NUL\x00 inside"
    root = ET.fromstring(kml_export.to_kml_bytes(frame, {"headquarters": "Siège"}, source=SOURCE))
    assert len(root.findall(f".//{KML}Placemark")) == 13
    assert root.findtext(f".//{KML}Folder/{KML}name") == "Siège"
    assert "bell and NUL inside" in root.findtext(f".//{KML}Placemark/{KML}description")


# --- the offline map page --------------------------------------------------------------------


def test_map_html_loads_nothing_from_outside(offices):
    page = html_map.map_html(offices, generated=DAY, source=SOURCE)
    assert html_map.references_loaded(page) == []
    # Outside the inline scripts (whose URLs load nothing by themselves), no tag but <a> has a URL.
    markup = re.sub(r"<script>.*?</script>", "", page, flags=re.DOTALL)
    assert "<script" not in markup  # every script was inlined: none has a src
    for tag in re.findall(r"<[a-zA-Z][^>]*\b(?:src|href)\s*=\s*[\"']?(?!data:|#)[^>]*>", markup):
        assert tag.lower().startswith("<a "), tag
    assert not re.search(r"url\(\s*['\"]?(?:https?:)?//", markup)
    assert "/app/static" not in page  # the vendored files are inline, not linked
    assert "L.markerClusterGroup" in page and "leaflet" in page.lower()
    assert '<meta charset="utf-8">' in page
    assert "<title>INTERPOL General Secretariat offices</title>" in page
    assert '<html lang="en" dir="ltr">' in page
    assert "2026-11-27" in page
    # The outlines are in the page itself (the basemap script can fetch them when a page gives it a URL;
    # test_export_browser opens this page with every request refused and checks none is made).
    assert '{"type":"Feature","properties":{"name":"Fiji"' in page


def test_map_html_online_layers_stay_hidden_until_chosen(offices):
    page = html_map.map_html(offices, MapOptions(online_tiles=True), source=SOURCE)
    names = re.findall(r"var (tile_layer_\w+) = L\.tileLayer", page)
    assert len(names) == 3
    for name in names:
        assert f"{name}.addTo(" not in page  # in the layer control only
    assert re.search(r"var (offline_basemap_\w+) = L\.geoJSON", page)
    assert re.search(r"offline_basemap_\w+\.addTo\(map_\w+\)", page)


def test_reference_scanner_finds_what_a_browser_would_fetch():
    page = (
        '<html><head><script src="https://cdn.example/leaflet.js"></script>'
        '<link rel="stylesheet" href="//cdn.example/x.css"><style>a{background:url(http://x/y.png)}'
        "@import 'z.css';</style></head><body><img src=x><a href=\"https://example.org\">ok</a>"
        '<div style="background:url(data:image/png;base64,AA)"></div><svg><use href="#m"/></svg>'
        "<script>var s = '<img src=\"https://inside.a.string\">';</script></body></html>"
    )
    found = html_map.references_loaded(page)
    assert len(found) == 5, found
    assert any("cdn.example/leaflet.js" in f for f in found)
    assert not any("example.org" in f or "inside.a.string" in f for f in found)


def test_map_html_header_and_title_are_escaped(offices):
    page = html_map.map_html(offices, title=HOSTILE[0], source=HOSTILE[3], lang='en" onload="x')
    assert HOSTILE[0] not in page and HOSTILE[3] not in page
    assert f"<title>{html.escape(HOSTILE[0])}</title>" in page
    assert f"<span>{html.escape(HOSTILE[3])}</span>" in page
    assert '<html lang="en&quot; onload=&quot;x" dir="ltr">' in page


# --- hostile tables in every export ----------------------------------------------------------


def test_hostile_strings_are_inert_in_csv(offices):
    back = read_csv(table_export.to_csv_bytes(hostile_offices(offices)))
    for column in back.columns:
        for value in back[column]:
            assert not value.lstrip(" \u00a0").startswith(("=", "+", "@", "\t", "\r")), (column, value)
            assert not value.startswith("-") or column in ("latitude", "longitude"), (column, value)
    assert "'=cmd|' /C calc'!A0" in back["name"].tolist()
    assert HOSTILE[0] in back["name"].tolist()  # text stays text: a CSV is not markup


def test_hostile_strings_are_inert_in_geojson(offices):
    frame = hostile_offices(offices)
    data = geojson_export.to_geojson_bytes(frame, source=SOURCE)
    for payload in ("<img", "</script", "<script"):
        assert payload.encode() not in data
    names = [f["properties"]["name"] for f in json.loads(data)["features"]]
    assert names[: len(HOSTILE)] == list(HOSTILE)  # same data once parsed
    assert json.loads(data)["features"][0]["properties"]["notes"] == HOSTILE[0]


def test_hostile_strings_are_inert_in_kml(offices):
    data = kml_export.to_kml_bytes(hostile_offices(offices), {"headquarters": HOSTILE[3]}, source=SOURCE)
    assert b"<img" not in data and b"<script" not in data and b"</script" not in data
    root = ET.fromstring(data)
    placemarks = root.findall(f".//{KML}Placemark")
    assert len(placemarks) == 14
    first = next(p for p in placemarks if p.findtext(f"{KML}name") == HOSTILE[0])
    # The description is shown as HTML by Google Earth: it stays escaped after XML parsing.
    description = first.findtext(f"{KML}description")
    assert "<img" not in description and html.escape(HOSTILE[0], quote=False) in description
    data_values = {d.get("name"): d.findtext(f"{KML}value") for d in first.iter(f"{KML}Data")}
    assert data_values["office_name"] == HOSTILE[0]  # the data itself is intact
    assert root.findtext(f".//{KML}Style/{KML}BalloonStyle/{KML}text") == "$[description]"


def test_hostile_strings_are_inert_in_the_map_page(offices):
    page = html_map.map_html(hostile_offices(offices), title=HOSTILE[3], source=HOSTILE[0])
    assert html_map.references_loaded(page) == []
    for payload in ("<img src=x", "</script><script>alert(1)", "onerror=alert(1)>"):
        assert payload not in page
    assert 'href="javascript:' not in page.lower()
    assert f"<span>{html.escape(HOSTILE[0])}</span>" in page  # shown as text in the header


def test_hostile_strings_are_inert_in_the_briefing_sheet(offices):
    page = sheet(
        hostile_offices(offices),
        title=HOSTILE[3],
        source=HOSTILE[0],
        type_labels={"headquarters": HOSTILE[0]},
        column_labels={"name": HOSTILE[3]},
        lang='ar" onload="alert(1)',
    )
    for payload in ("<img src=x", "</script><script>alert(1)", 'onload="alert(1)"', "<script"):
        assert payload not in page
    assert html.escape(HOSTILE[0]) in page and html.escape(HOSTILE[3]) in page
    assert html_map.references_loaded(page) == []


def test_an_empty_selection_still_exports(offices):
    empty = offices.iloc[0:0]
    assert read_csv(table_export.to_csv_bytes(empty)).columns.tolist() == CSV_COLUMNS
    assert geojson_export.to_geojson(empty, source=SOURCE) == {"type": "FeatureCollection", "source": SOURCE, "features": []}
    assert ET.fromstring(kml_export.to_kml_bytes(empty, source=SOURCE)).find(f".//{KML}Placemark") is None
    assert html_map.references_loaded(html_map.map_html(empty, source=SOURCE)) == []
    assert "<tbody>\n\n</tbody>" in sheet(empty)


# --- the briefing sheet ----------------------------------------------------------------------


def test_briefing_sheet_lists_every_office_on_a_map(offices):
    page = sheet(offices)
    assert page.count("<svg") >= 2 and '<svg class="world"' in page
    for name in offices["name"]:
        assert f"<td>{html.escape(name)}</td>" in page
        assert f"<title>{html.escape(name)}</title>" in page  # its marker
    assert "@page { margin: 12mm; }" in page and "max-width: 186mm" in page
    assert "2026-11-27" in page and "Source: INTERPOL" in page
    assert '<html lang="en" dir="ltr">' in page
    assert page.count('<use href="#mk-') >= 14 + 14 + 5  # markers, table, legend
    assert '<svg class="inset"' in page  # Lyon, Brussels and The Hague would hide each other
    assert html_map.references_loaded(page) == []


def test_briefing_sheet_is_small_and_its_map_is_rounded(offices):
    outlines = sheet_export.land_path()
    assert len(outlines.encode()) < 60_000
    assert not re.search(r"\d\.\d", outlines)  # whole tenths of a degree
    assert len(sheet(offices).encode()) < 100_000


def test_briefing_sheet_labels_rtl_and_unplaced_offices(offices):
    frame = offices.copy()
    frame.loc[frame["id"] == "rb-harare", ["latitude", "longitude"]] = math.nan
    page = sheet(
        frame,
        rtl=True,
        lang="ar",
        type_labels={"headquarters": "المقر"},
        column_labels={"name": "المكتب", "opened": "الافتتاح"},
    )
    assert '<html lang="ar" dir="rtl">' in page
    assert "<th>المكتب</th>" in page and "<th>الافتتاح</th>" in page and "<th>City</th>" in page
    assert "المقر" in page
    assert "INTERPOL Regional Bureau Harare</td>" in page  # in the table, not on the map
    assert page.count("<title>INTERPOL Regional Bureau Harare</title>") == 0


def test_briefing_sheet_without_crowding_has_no_inset(offices):
    page = sheet(offices[offices["region"] == "Americas"])
    assert '<svg class="inset"' not in page
    assert page.count("<title>") == 1 + 4  # the page title and four markers


def test_kml_read_back_by_gdal_has_no_clashing_fields_and_keeps_the_balloon_text(offices, tmp_path):
    """GDAL's KML driver (pyogrio): ExtendedData named id/name/description would clash with KML's own."""
    pyogrio = pytest.importorskip("pyogrio")
    path = tmp_path / "offices.kml"
    path.write_bytes(kml_export.to_kml_bytes(offices, name="مكاتب", list_separator="، ", source=SOURCE))
    rows = []
    for layer, _geometry in pyogrio.list_layers(path):  # GDAL makes one layer per folder (office type)
        meta, _fids, _geometries, values = pyogrio.raw.read(path, layer=layer)
        fields = list(meta["fields"])
        assert not {"id2", "name2", "description2", "Name2", "Description2"} & set(fields), fields
        rows += [dict(zip(fields, row, strict=True)) for row in zip(*values, strict=True)]
    assert len(rows) == 14
    lyon = next(r for r in rows if r["office_id"] == "hq-lyon")
    assert lyon["Name"] == "INTERPOL General Secretariat headquarters"
    assert "Lyon، France" in lyon["description"]  # the balloon text, with the reader's list separator
    root = ET.fromstring(path.read_bytes())
    assert root.findtext(f"{KML}Document/{KML}name") == "مكاتب"


def test_the_offline_map_speaks_the_readers_language(offices):
    page = html_map.map_html(offices, MapOptions(rtl=True), title="مكاتب الأمانة العامة", lang="ar",
                            source="المصدر: الإنتربول", generated=DAY)
    assert '<html lang="ar" dir="rtl">' in page
    assert "<title>مكاتب الأمانة العامة</title>" in page and "<h1>مكاتب الأمانة العامة</h1>" in page
    assert '<header class="export-header" dir="rtl">' in page and "المصدر: الإنتربول" in page
