"""The office directory: a sortable, searchable table of the offices shown, and downloads."""

from datetime import date
from functools import partial

import pandas as pd
import streamlit as st

import i18n
from dashboard import data
from dashboard.labels import region_label, translated_type_labels, type_glyph, type_label
from dashboard.mapview import map_options, office_map
from dashboard.page import finish_page, start_page
from dashboard.panel import show_panel
from geo import exports
from i18n import _

page = start_page()
shown = page.shown.sort_values(["name"])
state = st.session_state

st.subheader(_("Office directory"))
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
}
table = pd.DataFrame(
    {
        "name": shown["name"],
        "type": [f"{type_glyph(t)} {type_label(t)}" for t in shown["office_type"]],
        "city": shown["city"],
        "country": shown["country"],
        "region": [region_label(r) for r in shown["region"]],
        "partner": shown["partner"],
        "opened": ["" if pd.isna(v) else str(int(v)) for v in shown["opened"]],
        "timezone": shown["timezone"],
    }
).reset_index(drop=True)

if shown.empty:
    st.info(_("No office matches these filters. Tick more office types, choose other regions or clear the search."),
            icon="🔎")
else:
    st.caption(_("Click a column header to sort; choose a row to see the office on the map."))
    selection = st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        on_select="rerun",
        selection_mode="single-row",
        key="directory_table",
        column_config={key: st.column_config.TextColumn(label) for key, label in COLUMNS.items()},
    )
    rows = selection.selection.rows if selection else []
    if rows:
        state["office"] = shown.iloc[rows[0]]["id"]
    chosen = state.get("office")
    if chosen in set(shown["id"]):
        # The chosen office on the map, right here; the Map page opens on it too.
        map_column, panel_column = st.columns([3, 2])
        with map_column:
            office_map(shown, map_options(selected=chosen), key="directory_map", height=420)
        with panel_column:
            show_panel(shown[shown["id"] == chosen].iloc[0], page.offices.attrs.get("extra_columns", []))

st.markdown(f"#### {_('Downloads')}")
today = date.today()
# What is shown, in the language shown; the English originals (*_en) are not exported.
export_rows = shown[[c for c in shown.columns if not c.endswith("_en")]]
type_labels = translated_type_labels()
options = map_options()
sheet_args = {
    "title": _("INTERPOL General Secretariat: offices worldwide"),
    "type_labels": type_labels,
    "column_labels": {**COLUMNS, "office_type": COLUMNS["type"]},
    "generated": today,
    "source": _("Source: {source}").format(source=data.table_path().name),
    "rtl": i18n.is_rtl(),
    "lang": i18n.language(),
}
# Files are made when a button is clicked (deferred), not on every rerun.
c1, c2, c3 = st.columns(3)
c1.download_button(_("Table (CSV)"), partial(exports.to_csv_bytes, export_rows),
                   file_name=exports.export_filename("offices", "csv", today), mime="text/csv",
                   key="dl_csv", on_click="ignore", width="stretch")
c2.download_button(_("Map data (GeoJSON)"), partial(exports.to_geojson_bytes, export_rows),
                   file_name=exports.export_filename("offices", "geojson", today),
                   mime="application/geo+json", key="dl_geojson", on_click="ignore", width="stretch")
c3.download_button(_("Google Earth (KML)"), partial(exports.to_kml_bytes, export_rows, type_labels),
                   file_name=exports.export_filename("offices", "kml", today),
                   mime="application/vnd.google-earth.kml+xml", key="dl_kml", on_click="ignore",
                   width="stretch")

st.markdown(f"#### {_('For briefings')}")
c4, c5 = st.columns(2)
c4.download_button(
    _("Download map (HTML, works offline)"),
    lambda: exports.map_html(export_rows, options).encode("utf-8"),
    file_name=exports.export_filename("map", "html", today),
    mime="text/html",
    key="dl_map_html",
    on_click="ignore",
    width="stretch",
)
c5.download_button(
    _("Printable briefing sheet (HTML, A4 or Letter)"),
    lambda: exports.briefing_sheet_html(export_rows, **sheet_args).encode("utf-8"),
    file_name=exports.export_filename("briefing-sheet", "html", today),
    mime="text/html",
    key="dl_sheet",
    on_click="ignore",
    width="stretch",
)
st.caption(_("Open the sheet in a browser and print it (Ctrl+P); it fits one A4 or US Letter page."))
finish_page(page)
