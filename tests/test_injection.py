"""Injection without a browser: hostile table text and URL parameters through every surface the server makes.

The hostile table (tests/hostile.py) passes the validator; what must hold everywhere:

* the map's JavaScript carries data only inside two JSON literals (``var cfg``/``var rows``), with
  names HTML-escaped and ``<``, ``>``, ``&`` written as ``\\u`` escapes; nothing from the data is
  left anywhere else in the script, and folium's Jinja2 templates never see it as template text;
* every HTML fragment the app draws (panel, tour card, about, count line) parses to the app's own
  elements only: no element or event handler that data created, each value shown as its text;
* Markdown (notices, errors) never turns data into links or images;
* the downloads: CSV cells a spreadsheet would run start with ``'``, the HTML files are inert.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
import xml.etree.ElementTree as ET
from datetime import date

import pandas as pd
import pytest

import i18n
from dashboard.panel import panel_html
from dashboard.shell import page_script
from geo.exports import geojson as geojson_export
from geo.exports import html_map
from geo.exports import kml as kml_export
from geo.exports import sheet as sheet_export
from geo.exports import table as table_export
from geo.maps import assets
from geo.maps.build import MapOptions, build_base_map, build_office_layer, build_office_map
from geo.offices.localise import localise
from geo.offices.table import parse_offices
from tests.apptest_helpers import map_args, new_app, tour_data
from tests.hostile import (
    EXTRA_COLUMNS,
    FORMULA_LIKE,
    FREE_TEXT_COLUMNS,
    MARKERS,
    PAYLOADS,
    URL_PAYLOADS,
    breaker_table_bytes,
    broken_table_bytes,
    escaped,
    hostile_csv_bytes,
    hostile_offices,
    inspect_html,
    markdown_problems,
    raw_payloads_in,
    shown_lines,
)
from tests.test_exports import SOURCE

pytestmark = pytest.mark.filterwarnings("ignore")

JINJA = re.compile(r"\{[{%#]")
CFG = re.compile(r"^[ \t]*var cfg = (?P<json>.*);[ \t]*$", re.MULTILINE)
ROWS = re.compile(r"^[ \t]*var rows = (?P<json>.*);[ \t]*$", re.MULTILINE)
# The number-only columns of the CSV export (negative coordinates are numbers, not formulas).
NUMBER_COLUMNS = {"latitude", "longitude", "opened"}
NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
FORMULA_START = tuple("=+-@\t\r")


@pytest.fixture(scope="module")
def offices() -> pd.DataFrame:
    return hostile_offices()


@pytest.fixture(scope="module")
def hostile_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("hostile") / "hostile-offices.csv"
    path.write_bytes(hostile_csv_bytes())
    return path


@pytest.fixture
def hostile_env(monkeypatch, hostile_path):
    monkeypatch.setenv("OFFICES_CSV", str(hostile_path))
    return hostile_path


def export_rows(offices: pd.DataFrame) -> pd.DataFrame:
    """What the directory page exports: the table shown, without the English copies."""
    shown = localise(offices, "en")
    return shown[[c for c in shown.columns if not c.endswith("_en")]]


# --- checkers ----------------------------------------------------------------------------------


def has_template_syntax(text: str) -> bool:
    return bool(JINJA.search(text))


def split_map_script(script: str) -> tuple[dict, list, str, str]:
    """The office layer's config and rows (decoded), their JSON text, and the script without them."""
    cfgs, rows = list(CFG.finditer(script)), list(ROWS.finditer(script))
    assert len(cfgs) == 1 and len(rows) == 1, "expected one office layer in the map script"
    json_text = cfgs[0].group("json") + rows[0].group("json")
    rest = script
    for match in sorted((cfgs[0], rows[0]), key=lambda m: -m.start("json")):
        rest = rest[: match.start("json")] + "null" + rest[match.end("json"):]
    return json.loads(cfgs[0].group("json")), json.loads(rows[0].group("json")), json_text, rest


def check_map_script(script: str, offices: pd.DataFrame, exact_names: bool = True) -> None:
    """Data only inside the escaped JSON literals, names HTML-escaped, the legend the app's own HTML."""
    cfg, rows, json_text, rest = split_map_script(script)
    for char in "<>&\u2028\u2029":
        assert char not in json_text, f"unescaped {char!r} in the map's JSON"
    leaked = [m for m in MARKERS if m in rest]
    assert not leaked, f"data outside the JSON literals of the map script: {leaked}"
    assert not raw_payloads_in(script), raw_payloads_in(script)
    placed = offices.dropna(subset=["latitude", "longitude"])
    names = dict(zip(placed["id"], placed["name"], strict=True))
    assert sorted(r[3] for r in rows) == sorted(escaped(i) for i in names)
    for row in rows:
        name = names[row[3]]  # ids are slugs: escaping leaves them as they are
        if exact_names or not has_template_syntax(name):
            assert row[4] == escaped(name), (row[4], name)
    # The map page's legend has the app's own buttons (toggle a type, "only"); data makes none.
    problems, _ = inspect_html(cfg["legend"], allowed_extra={"button"})
    assert not problems, problems


def all_elements(node):
    children = getattr(node, "children", None)
    if isinstance(children, dict):
        for child in children.values():
            yield from all_elements(child)
    else:
        yield node


# dashboard/shell.py's script, exactly as each language sends it: any other <script> is a finding.
APP_PAGE_SCRIPTS = frozenset(page_script(lang).strip() for lang in i18n.LANGUAGES)


def page_problems(at, markdown: bool = True) -> list[str]:
    """What hostile data did to an AppTest page: exceptions, HTML it created, Markdown links."""
    problems = [f"exception: {e.value}" for e in at.exception]
    for element in all_elements(at._tree):
        proto = getattr(element, "proto", None)
        kind = type(element).__name__
        if kind == "Html":
            body = proto.body.strip()
            # The app's own page script (lang, dir, Streamlit's strings: fixed text, no data) ends the
            # element that holds the page's style; what comes before it is inspected as any HTML.
            own = next((script for script in APP_PAGE_SCRIPTS if body.endswith(script)), None)
            if own is not None:
                body = body[: -len(own)]
            found, _ = inspect_html(body)
            problems += [f"html: {p}" for p in found] + [f"html raw: {k}" for k in raw_payloads_in(body)]
        elif proto is not None and hasattr(proto, "body") and isinstance(getattr(proto, "body", None), str):
            if getattr(proto, "allow_html", False):
                found, _ = inspect_html(proto.body)
                problems += [f"markdown html: {p}" for p in found]
                problems += [f"markdown raw: {k}" for k in raw_payloads_in(proto.body)]
            if markdown:
                problems += [f"{kind}: {p}" for p in markdown_problems(proto.body)]
    return problems


def html_text(at) -> str:
    return "\n".join(inspect_html(el.proto.body)[1] for el in at.get("html"))


# --- the table -----------------------------------------------------------------------------------


def test_hostile_table_passes_the_validator_with_every_payload_in_every_text_column(offices):
    assert len(offices) == 28
    assert offices.attrs["extra_columns"] == list(EXTRA_COLUMNS)
    for key, payload in PAYLOADS.items():
        for column in (*FREE_TEXT_COLUMNS, EXTRA_COLUMNS[0], EXTRA_COLUMNS[1]):
            assert offices[column].str.contains(payload, regex=False).any(), (key, column)
        assert offices["name"].str.contains(payload, regex=False).any(), key  # so the map shows each one


# --- the map builder -----------------------------------------------------------------------------

OPTION_CASES = {
    "default": MapOptions(),
    "selected-large-hub": MapOptions(selected_id="rb-harare", large_text=True, hub=(45.74906, 4.84789)),
    "rtl-unclustered": MapOptions(rtl=True, cluster=False, selected_id="lo-europol-copy"),
}


@pytest.mark.parametrize("case", OPTION_CASES)
def test_office_layer_script_keeps_every_payload_in_escaped_json(offices, case):
    """The script streamlit-folium sends for the layer (its macro, rendered once)."""
    options = OPTION_CASES[case]
    base = build_base_map(options)
    layer = build_office_layer(offices, options)
    layer.add_to(base)
    markers = layer._children["office_markers"]
    script = markers._template.module.script(markers)
    check_map_script(script, offices)
    base_page = build_base_map(options).get_root().render()
    assert not [m for m in MARKERS if m in base_page]


@pytest.mark.parametrize("case", OPTION_CASES)
def test_whole_map_page_keeps_every_payload_in_escaped_json(offices, case):
    page = build_office_map(offices, OPTION_CASES[case]).get_root().render()
    check_map_script(page, offices, exact_names=False)  # exact names: see the Jinja tests below


def test_map_page_does_not_run_template_text_from_the_data(offices):
    page = build_office_map(offices).get_root().render()
    check_map_script(page, offices, exact_names=True)  # "{{7*7}}" must not become "49"
    _, _, json_text, _ = split_map_script(page)
    assert not has_template_syntax(json_text)


def test_map_builds_with_text_that_is_not_a_valid_template():
    offices = parse_offices(breaker_table_bytes())
    layer = build_office_layer(offices)
    layer.add_to(build_base_map())
    layer.render()  # what st_folium does with feature_group_to_add
    check_map_script(build_office_map(offices).get_root().render(), offices)


# --- the detail panel ----------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_panel_shows_every_field_as_text(offices, lang):
    i18n.set_language(lang)
    try:
        for _, row in offices.iterrows():
            fragment = panel_html(row, offices.attrs["extra_columns"])
            problems, text = inspect_html(fragment)
            assert not problems, (row["id"], problems)
            assert not raw_payloads_in(fragment), (row["id"], raw_payloads_in(fragment))
            for column in (*FREE_TEXT_COLUMNS, "source_url", *EXTRA_COLUMNS):
                for line in shown_lines(row[column]):
                    assert line in text, (row["id"], column, line)
            for column in EXTRA_COLUMNS:
                assert column in text
    finally:
        i18n.set_language(i18n.DEFAULT_LANGUAGE)


# --- the pages (AppTest) -------------------------------------------------------------------------


def test_map_page_panel_of_every_office(hostile_env, offices):
    at = new_app().run()
    assert not page_problems(at), page_problems(at)
    check_map_script(map_args(at)["feature_group"], offices)
    assert any("28 offices shown" in m.value for m in at.markdown)
    for office_id, name in zip(offices["id"], offices["name"], strict=True):
        at.selectbox(key="office").select(office_id).run()
        assert not page_problems(at), (office_id, page_problems(at))
        assert name in html_text(at)
        args = map_args(at)
        assert f'"selected":"{office_id}"' in args["feature_group"]
        check_map_script(args["feature_group"], offices)
        assert not [m for m in MARKERS if m in args["script"]]


@pytest.mark.parametrize("lang", ["fr", "ar"])
def test_map_page_in_other_languages(hostile_env, offices, lang):
    at = new_app(lang=lang, office="rb-harare-copy").run()
    assert not page_problems(at), page_problems(at)
    assert offices.set_index("id").loc["rb-harare-copy", "name"] in html_text(at)


def test_briefing_tour_card_of_every_step(hostile_env, offices):
    at = new_app("briefing").run()
    assert not page_problems(at), page_problems(at)
    layer = map_args(at)["feature_group"]
    assert not raw_payloads_in(layer), raw_payloads_in(layer)
    start = layer.index("window.GsTour.render(")
    json_text = layer[layer.index("{", start): layer.rindex("}") + 1]
    for char in "<>&\u2028\u2029":
        assert char not in json_text, f"unescaped {char!r} in the tour's JSON"
    data = tour_data(at)
    by_id = offices.set_index("id")
    seen = set()
    for step in data["steps"]:
        problems, text = inspect_html(step["card"])
        assert not problems, (step["id"], problems)
        if step["id"] is None:
            continue
        office = by_id.loc[html.unescape(step["id"])]
        seen.add(html.unescape(step["id"]))
        assert step["name"] == escaped(office["name"]) or has_template_syntax(office["name"])
        for column in ("name", "city", "partner", "serves", "description"):
            for line in shown_lines(office[column]):
                assert line in text, (step["id"], column, line)
    problems, _ = inspect_html(data["legend"])
    assert not problems, problems
    assert seen == set(offices["id"])


@pytest.mark.parametrize("step", ["1", "2", "3", "28"])
def test_briefing_step_links(hostile_env, step):
    at = new_app("briefing", step=step).run()
    assert not page_problems(at), page_problems(at)
    assert tour_data(at)["start"] == int(step)


def test_directory_and_about_pages(hostile_env, offices):
    at = new_app("directory").run()
    assert not page_problems(at), page_problems(at)
    table = at.dataframe[0].value
    assert sorted(table["name"]) == sorted(offices["name"])  # shown as text, not dropped
    assert any(b.label == "Download map (HTML, works offline)" for b in at.get("download_button"))
    at = new_app("about").run()
    assert not page_problems(at), page_problems(at)


# --- downloads -------------------------------------------------------------------------------------


def csv_table(offices: pd.DataFrame) -> list[list[str]]:
    return list(csv.reader(io.StringIO(table_export.to_csv_bytes(export_rows(offices)).decode("utf-8-sig"))))


def formula_cells(rows: list[list[str]]) -> list[tuple[int, str, str]]:
    header = rows[0]
    return [
        (n, header[i], cell) for n, row in enumerate(rows[1:], start=2) for i, cell in enumerate(row)
        if cell.startswith(FORMULA_START) and not (header[i] in NUMBER_COLUMNS and NUMBER.fullmatch(cell))
    ]


def test_csv_cells_that_a_spreadsheet_would_run_are_quoted(offices):
    rows = csv_table(offices)
    assert not formula_cells(rows), formula_cells(rows)
    by_id = {row[0]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}
    second = by_id[offices.iloc[1]["id"]]
    for column, value in FORMULA_LIKE.items():
        assert second[column] == "'" + value
    # Everything else comes back unchanged (payloads are data, not altered).
    first = by_id[offices.iloc[0]["id"]]
    for column in FREE_TEXT_COLUMNS:
        assert first[column] == offices.iloc[0][column]


def test_csv_header_cells_that_a_spreadsheet_would_run_are_quoted(offices):
    header = csv_table(offices)[0]
    assert not [c for c in header if c.startswith(FORMULA_START)], header


def without_inlined_assets(page: str) -> str:
    """The exported page without the app's own static scripts it inlines (Leaflet, its plugins, the
    map's scripts): code from the repository, not data, checked as files by the live-page tests."""
    for name, _url in assets.js_links():
        code = assets.inline_js(name)
        assert page.count(code) == 1, f"{name} is not inlined once"
        page = page.replace(code, "")
    return page


def without_served_panel(page: str) -> str:
    """The exported page without its "Countries served" panel (issue #13), once that panel is checked:
    the offices' names in it are escaped text in the page's own elements, never markup."""
    start = page.index('<details class="export-served"')
    end = page.index("</details>", start) + len("</details>")
    problems, _text = inspect_html(page[start:end], allowed_extra={"details", "summary", "dl", "dt", "dd"})
    assert not problems, problems
    assert not raw_payloads_in(page[start:end])
    return page[:start] + page[end:]


def test_exported_map_html_is_inert_and_offline(offices):
    page = without_served_panel(html_map.map_html(export_rows(offices), MapOptions(), source=SOURCE))
    assert html_map.references_loaded(page) == []
    check_map_script(without_inlined_assets(page), export_rows(offices), exact_names=False)


def test_exported_map_html_shows_template_text_as_text(offices):
    page = without_served_panel(html_map.map_html(export_rows(offices), MapOptions(), source=SOURCE))
    check_map_script(without_inlined_assets(page), export_rows(offices), exact_names=True)


def test_briefing_sheet_html_is_inert(offices):
    sheet = sheet_export.briefing_sheet_html(
        export_rows(offices), title="Offices", type_labels={}, column_labels={}, generated=date(2026, 1, 1),
        source="Source: hostile-offices.csv",
    )
    assert html_map.references_loaded(sheet) == []
    problems, text = inspect_html(sheet, allowed_extra={"meta"})
    assert not problems, problems
    assert not raw_payloads_in(sheet)
    for name in offices["name"]:
        assert name in text


def test_kml_and_geojson_keep_payloads_as_data(offices):
    rows = export_rows(offices)
    kml = ET.fromstring(kml_export.to_kml_bytes(rows, source=SOURCE))
    ns = {"k": "http://www.opengis.net/kml/2.2"}
    descriptions = [d.text or "" for d in kml.iterfind(".//k:Placemark/k:description", ns)]
    assert len(descriptions) == 28
    for description in descriptions:  # Google Earth shows a description as HTML
        problems, _ = inspect_html(description)
        assert not problems and not raw_payloads_in(description, "<>"), description
    names = sorted(n.text for n in kml.iterfind(".//k:Placemark/k:name", ns))
    assert names == sorted(offices["name"])
    raw = geojson_export.to_geojson_bytes(rows, source=SOURCE)
    assert b"<" not in raw and b">" not in raw
    geojson = json.loads(raw)
    assert [f["properties"]["name"] for f in geojson["features"]] == list(rows["name"])


# --- URL parameters --------------------------------------------------------------------------------


def url_payload_pages(payload: str):
    """The map page with the payload in every share-link parameter, and the briefing with it as the step."""
    params = {"type": payload, "region": payload, "q": payload, "office": payload, "lang": payload}
    yield "map", new_app(**params).run()
    yield "briefing", new_app("briefing", step=payload, office=payload).run()


@pytest.mark.parametrize("key", URL_PAYLOADS)
def test_url_parameter_payloads_are_shown_as_text(hostile_env, key):
    payload = URL_PAYLOADS[key]
    for page, at in url_payload_pages(payload):
        problems = page_problems(at, markdown=False)
        assert not problems, (page, problems)
        notices = " ".join(w.value for w in at.warning)
        assert "Ignored the unknown" in notices, (page, notices)
        if page == "map":
            assert at.session_state["q"] == payload[:200]


def test_url_parameter_payloads_make_no_markdown_links_or_images(hostile_env):
    problems = []
    for key in ("md-link", "md-image", "bare-url", "www-url", "md-html-link", "mail-autolink"):
        for page, at in url_payload_pages(URL_PAYLOADS[key]):
            problems += [(key, page, p) for p in page_problems(at)]
    assert not problems, problems


def test_refused_table_quotes_its_cells_without_markdown_links(monkeypatch, tmp_path):
    path = tmp_path / "broken.csv"
    path.write_bytes(broken_table_bytes())
    monkeypatch.setenv("OFFICES_CSV", str(path))
    at = new_app().run()
    errors = " ".join(e.value for e in at.error)
    assert "is not a valid id" in errors
    assert not page_problems(at), page_problems(at)


def test_map_page_survives_text_that_is_not_a_valid_template(monkeypatch, tmp_path):
    path = tmp_path / "breakers.csv"
    path.write_bytes(breaker_table_bytes())
    monkeypatch.setenv("OFFICES_CSV", str(path))
    at = new_app().run()
    assert not at.exception, [e.value for e in at.exception]
    check_map_script(map_args(at)["feature_group"], parse_offices(breaker_table_bytes()))


STEP_VALUES = {
    "superscript-two": "²",
    "circled-one": "①",
    "4400-digits": "9" * 4400,
    "negative": "-1",
    "spaces": " 3 ",
    "arabic-indic-three": "٣",
    "decimal": "3.0",
    "exponent": "1e3",
}


@pytest.mark.parametrize("step", list(STEP_VALUES.values()), ids=list(STEP_VALUES))
def test_step_values_that_are_not_plain_numbers(step):
    for at in (new_app(step=step).run(), new_app("briefing", step=step).run()):
        assert not at.exception, (step[:20], [e.value for e in at.exception])
