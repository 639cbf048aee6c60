"""The office directory: a sortable table of the offices shown, one search that filters it, and
downloads.

The search box here is the shared search (``q``, the sidebar's and the share link's): the sidebar's
copy is hidden on this page so there is one. The table's own toolbar search (which only
highlights) is hidden. On a phone (narrow screens) a compact table shows name, type and city;
choosing a row shows the office's details either way.
"""

import json
from dataclasses import replace
from datetime import date
from functools import partial

import pandas as pd
import streamlit as st
from babel.dates import get_timezone, get_timezone_location, get_timezone_name

import i18n
from dashboard import data
from dashboard.labels import region_label, translated_type_labels, type_label
from dashboard.mapview import map_options, office_map
from dashboard.pack import pack_downloads
from dashboard.page import finish_page, start_page
from dashboard.panel import served_country_names, show_panel
from dashboard.sidebar import SEARCH_PAUSE
from geo.exports import geojson, html_map, kml, sheet
from geo.exports import table as exports
from geo.maps.styles import type_glyph
from geo.offices.countries import served_line
from i18n import N_, _

COMPACT_MAX_WIDTH = 640  # px: below this the compact table (name, type, city) is shown
SEARCH_KEY = "directory_q"


def timezone_name(zone: object, lang: str | None = None) -> str:
    """The time zone as people say it, in the language (CLDR via Babel): its generic metazone name
    ("Central European Time"), else its standard one ("West Africa Time", "East Africa Time"), else
    the place ("Singapore Time"). Unknown ids are shown as they are; blanks stay blank."""
    if not isinstance(zone, str) or not zone.strip():
        return ""
    loc = i18n.locale(lang)
    try:
        tz = get_timezone(zone.strip())
        place = get_timezone_location(tz, locale=loc)
        for variant in ("generic", "standard"):
            name = get_timezone_name(tz, width="long", locale=loc, zone_variant=variant)
            if name and name != place:
                return name
        return place
    except (LookupError, ValueError):
        return zone


SCROLL_SCRIPT = """<script>
(function bring(office, tries) {  // office: a new choice is a new script, so it runs again
  const box = document.querySelector(".st-key-directory_detail");
  if (box) { box.scrollIntoView({ behavior: "smooth", block: "start" }); return; }
  if (tries > 0) setTimeout(() => bring(office, tries - 1), 100);
})(__OFFICE__, 30);
</script>"""


def copy_search() -> None:
    """The page's search box writes the shared search (the sidebar's key, and the share link's)."""
    st.session_state["q"] = st.session_state.get(SEARCH_KEY, "")


page = start_page(title=N_("Directory"))
state = st.session_state
shown = page.shown.sort_values(["name"])

st.subheader(_("Office directory"))
# Hide the sidebar's copy of the search (this page has its own, the same filter) and the table
# toolbar's search, which highlights cells instead of filtering rows. Compact or full table by width.
toolbar_search = ", ".join(
    f'[data-testid="stElementToolbar"] [aria-label={json.dumps(label)}]'
    for label in dict.fromkeys(("Search", _("Search")))
)
st.html(
    "<style>"
    '[data-testid="stSidebar"] .st-key-q { display: none; }'
    f"{toolbar_search} {{ display: none; }}"
    ".st-key-directory_scroll { display: none; }"
    ".st-key-directory_detail { scroll-margin-top: 4.5rem; }"  # below Streamlit's header
    f"@media (max-width: {COMPACT_MAX_WIDTH}px) {{ .st-key-directory_full {{ display: none; }} }}"
    f"@media (min-width: {COMPACT_MAX_WIDTH + 1}px) {{ .st-key-directory_compact {{ display: none; }} }}"
    "</style>"
)
if state.get(SEARCH_KEY) != state.get("q", ""):
    state[SEARCH_KEY] = state.get("q", "")
st.text_input(
    _("Search the directory"),
    key=SEARCH_KEY,
    placeholder=_("Name, city or country"),
    max_chars=200,
    live=SEARCH_PAUSE,  # filters as the user types, like the sidebar's search
    on_change=copy_search,
    help=_("Filters the table, the map and the downloads; the sidebar's filters apply too."),
)
st.markdown(data.count_line(len(shown)))

COLUMNS = {
    "name": _("Name"),
    "type": _("Type"),
    "city": _("City"),
    "country": _("Country"),
    "region": _("Region"),
    "partner": _("Partner"),
    "opened": _("Opened"),
    "timezone": _("Time zone"),
    "served": _("Countries served"),
}
COMPACT = ("name", "type", "city")
# Column widths in px: the compact table fits a phone (about 360 px with the row chooser, text
# wrapped); the full one keeps the first three columns readable on a laptop.
WIDTHS = {"name": 400, "type": 210, "city": 110, "country": 130, "region": 110, "partner": 110,
          "opened": 100, "timezone": 240, "served": 320}
COMPACT_WIDTHS = {"name": 130, "type": 104, "city": 90}
NOT_KNOWN = _("not known")
lang = i18n.language()
table = pd.DataFrame(
    {
        "name": shown["name"],
        "type": [f"{type_glyph(t)} {type_label(t)}" for t in shown["office_type"]],
        "city": shown["city"],
        "country": shown["country"],
        "region": [region_label(r) for r in shown["region"]],
        "partner": shown["partner"],
        # The table sorts on the text: a blank cell would sort before every year (Streamlit compares
        # it as the smallest value), a word sorts after the digits, so unknown years come last.
        "opened": [NOT_KNOWN if pd.isna(v) else str(int(v)) for v in shown["opened"]],
        "timezone": [timezone_name(z, lang) for z in shown["timezone"]],
        "served": [i18n.list_separator().join(served_country_names(c))
                   for c in (shown["serves_countries"] if "serves_countries" in shown else [""] * len(shown))],
    }
).reset_index(drop=True)


def column_config(compact: bool) -> dict:
    widths = COMPACT_WIDTHS if compact else WIDTHS
    return {key: st.column_config.TextColumn(label, width=widths.get(key)) for key, label in COLUMNS.items()}


if shown.empty:
    st.info(_("No office matches these filters. Tick more office types, choose other regions or clear the search."),
            icon="🔎")
else:
    st.caption(_("Click a column header to sort; choose a row to see the office on the map."))
    rows: list[int] = []
    for variant, compact in (("directory_full", False), ("directory_compact", True)):
        with st.container(key=variant):
            selection = st.dataframe(
                table,
                hide_index=True,
                width="stretch",
                on_select="rerun",
                selection_mode="single-row",
                key="directory_table" if not compact else "directory_table_compact",
                column_order=COMPACT if compact else list(COLUMNS),
                column_config=column_config(compact),
                row_height=96 if compact else None,  # > 4rem: Streamlit wraps text
                # Every row at once up to 15 (Streamlit's default shows 10 and scrolls the rest; on a
                # phone the page scrolls, not a box inside it).
                height=min(len(table), 15) * (96 if compact else 35) + 55,
            )
        rows = rows or (selection.selection.rows if selection else [])
    just_chosen = None
    if rows:
        picked = shown.iloc[rows[0]]["id"]
        if picked != state.get("_directory_picked"):
            just_chosen = picked
        state["office"] = state["_directory_picked"] = picked
    else:
        state.pop("_directory_picked", None)
    chosen = state.get("office")
    if chosen in set(shown["id"]):
        # The chosen office on the map, right here; the Map page opens on it too.
        with st.container(key="directory_detail"):
            map_column, panel_column = st.columns([3, 2])
            with map_column:
                office_map(shown, map_options(selected=chosen), key="directory_map", height=420)
            with panel_column:
                show_panel(shown[shown["id"] == chosen].iloc[0], page.offices.attrs.get("extra_columns", []))
        if just_chosen:
            # The details are below the table: bring them into view when a row is chosen.
            with st.container(key="directory_scroll"):
                office_json = json.dumps(just_chosen).replace("<", "\\u003c")
                st.html(SCROLL_SCRIPT.replace("__OFFICE__", office_json), unsafe_allow_javascript=True)

st.markdown(f"#### {_('Downloads')}")
today = date.today()
# What is shown, in the language shown; the English originals (*_en) are not exported.
export_rows = shown[[c for c in shown.columns if not c.endswith("_en")]]
type_labels = translated_type_labels()
options = replace(map_options(), lang=i18n.language())  # the offline map's language
sheet_args = {
    "title": _("INTERPOL General Secretariat: offices worldwide"),
    "type_labels": type_labels,
    "column_labels": {**COLUMNS, "office_type": COLUMNS["type"]},
    "generated": today,
    "source": data.source_line(),
    "rtl": i18n.is_rtl(),
    "lang": i18n.language(),
}
# Files are made when a button is clicked (deferred), not on every rerun.
c1, c2, c3 = st.columns(3)
c1.download_button(_("Table (CSV)"), partial(exports.to_csv_bytes, export_rows, lang=i18n.language()),
                   file_name=exports.export_filename("offices", "csv", today), mime="text/csv",
                   key="dl_csv", on_click="ignore", width="stretch")
c2.download_button(_("Map data (GeoJSON)"),
                   partial(geojson.to_geojson_bytes, export_rows, source=sheet_args["source"], lang=i18n.language()),
                   file_name=exports.export_filename("offices", "geojson", today),
                   mime="application/geo+json", key="dl_geojson", on_click="ignore", width="stretch")
c3.download_button(_("Google Earth (KML)"),
                   partial(kml.to_kml_bytes, export_rows, type_labels, source=sheet_args["source"],
                           name=sheet_args["title"], list_separator=i18n.list_separator(),
                           served=partial(served_line, lang=i18n.language())),
                   file_name=exports.export_filename("offices", "kml", today),
                   mime="application/vnd.google-earth.kml+xml", key="dl_kml", on_click="ignore",
                   width="stretch")

st.markdown(f"#### {_('For briefings')}")
c4, c5 = st.columns(2)
c4.download_button(
    _("Download map (HTML, works offline)"),
    lambda: html_map.map_html(export_rows, options, title=sheet_args["title"], generated=today,
                             source=sheet_args["source"], lang=i18n.language()).encode("utf-8"),
    file_name=exports.export_filename("map", "html", today),
    mime="text/html",
    key="dl_map_html",
    on_click="ignore",
    width="stretch",
)
c5.download_button(
    _("Printable briefing sheet (HTML, A4 or Letter)"),
    lambda: sheet.briefing_sheet_html(export_rows, **sheet_args).encode("utf-8"),
    file_name=exports.export_filename("briefing-sheet", "html", today),
    mime="text/html",
    key="dl_sheet",
    on_click="ignore",
    width="stretch",
)
st.caption(_("Open the sheet in a browser and print it (Ctrl+P); it fits one A4 or US Letter page."))
pack_downloads(page.shown, sheet_args["source"])  # slides, map pictures and the PDF sheet, in the sidebar
finish_page(page)
