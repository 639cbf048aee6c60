"""The map: every office shown by the filters, a list to choose one, and its detail panel.

Wide screens show the map (as tall as the window) and the panel side by side; on a phone the
panel is a bottom sheet over the map. A click on a marker, Enter or Space on a focused marker, or a
choice in the list opens an office; a search that leaves exactly one office opens it.
A session's first view draws the map first and the sidebar's controls in the run the map starts
once drawn (dashboard.sidebar.render_sidebar).
"""

import streamlit as st

from dashboard import data
from dashboard.mapview import browser_filter, map_options, office_map
from dashboard.page import finish_page, start_page
from dashboard.panel import show_panel
from dashboard.sidebar import CONTROLS_SELECTOR, TYPE_ACTION_KEY, queue_type_action
from geo.maps.coverage import coverage_geojson
from geo.maps.markers import LARGE_TABLE
from geo.markup import esc
from i18n import N_, _

# The map frame's top edge is about this far below the window's top (title and count above it);
# the frame fills the rest of the window's height.
MAP_TOP_WIDE = 100
MAP_TOP_NARROW = 232
# The map and the panel beside it: two thirds of the width for the map (at 1280x720 with the sidebar
# open, 610 px of map and a 300 px panel; the map was 476 px with [3, 2] and Streamlit's margins).
COLUMNS = [2, 1]
PAGE_CSS = f"""
<style>
.st-key-map_area iframe[title="streamlit_folium.st_folium"] {{
  height: calc(100vh - {MAP_TOP_WIDE}px) !important; height: calc(100dvh - {MAP_TOP_WIDE}px) !important;
  min-height: 360px; }}
/* The map takes the width: the page's side margins are narrow (Streamlit's wide layout keeps 5rem). */
@media (min-width: 641px) {{
  [data-testid="stMainBlockContainer"] {{ padding-left: 1.5rem; padding-right: 1.5rem; }} }}
.st-key-map_page_head h3 {{ padding: 0; font-size: 1.35rem; line-height: 1.35; }}
.st-key-map_page_head p.office-count {{ margin: 0; line-height: 1.4; }}
/* The panel beside the map stays in view: it scrolls inside, not the page. */
.st-key-office_sheet {{ position: relative; max-height: calc(100vh - {MAP_TOP_WIDE}px); overflow-y: auto; }}
/* The close button sits in the panel's corner (it takes no line of its own). */
.st-key-close_office {{ position: absolute; top: 6px; inset-inline-end: 6px; z-index: 1; width: auto; }}
.st-key-close_office button {{ min-height: 36px; min-width: 36px; padding: 0 6px; }}
/* Only the cross shows; "Close" stays the button's name for screen readers. */
.st-key-close_office button [data-testid="stMarkdownContainer"] {{ position: absolute; width: 1px; height: 1px;
  overflow: hidden; clip-path: inset(50%); white-space: nowrap; }}
.st-key-office_sheet .office-panel h2 {{ padding-inline-end: 2.2rem; }}
@media (max-width: 640px) {{
  .st-key-map_area iframe[title="streamlit_folium.st_folium"] {{
    height: calc(100vh - {MAP_TOP_NARROW}px) !important; height: calc(100dvh - {MAP_TOP_NARROW}px) !important;
    min-height: 300px; }}
  /* The panel is a bottom sheet over the lower part of the map. */
  .st-key-office_sheet {{ position: fixed; left: 0; right: 0; bottom: 0; z-index: 99; max-height: 50dvh;
    overflow-y: auto; background: #fff; padding: 6px 12px 16px; border-radius: 14px 14px 0 0;
    box-shadow: 0 -4px 18px rgba(0,0,0,.28); }}
  .st-key-close_office button {{ min-height: 44px; min-width: 44px; }}
}}
</style>
"""

# Run once in the page by the map's frame (MapOptions.host_script): on a phone the sidebar closes
# after a filter change (a type ticked, "only", or Enter in the search), so the map is seen at once.
SIDEBAR_CLOSER_JS = r"""
var win = window, doc = document;
if (win.__gsSidebarCloser) { return; }
win.__gsSidebarCloser = true;
var close = function () {
  if (!win.matchMedia("(max-width: 640px)").matches) { return; }
  setTimeout(function () {
    var button = doc.querySelector('[data-testid="stSidebarCollapseButton"] button');
    if (button) { button.click(); }
  }, 120);
};
var inSidebar = function (e, selector) {
  return e.target && e.target.closest && e.target.closest('[data-testid="stSidebar"] ' + selector);
};
// A type ticked (its label or box) or "only": Streamlit's checkbox reacts to the click itself.
doc.addEventListener("click", function (e) {
  if (inSidebar(e, ".st-key-type_filters label") || inSidebar(e, ".st-key-type_filters button")) { close(); }
}, true);
doc.addEventListener("keydown", function (e) {
  if (e.key === "Enter" && inSidebar(e, ".st-key-q input")) { close(); }
}, true);
"""

PENDING_OFFICE = "_pending_office"  # a marker click, taken before the list (its widget) is drawn


# The callbacks are module functions and the page's work is one function: Streamlit keeps a session's
# callbacks until its next run, and a function defined at the script's top level would keep every
# name of the script with it (the shown table, the office list: ~2.8 MB per session at 10,000
# offices, bench/memtrace.py, issue #15).
def select_office(office_id: str) -> None:
    st.session_state[PENDING_OFFICE] = office_id


def close_office() -> None:
    st.session_state["office"] = None


def main() -> None:
    page = start_page(title=N_("Map"), css=PAGE_CSS, after_map=True)
    shown = page.shown
    state = st.session_state
    query = page.filters.query

    ids = list(shown.sort_values("name")["id"])
    pending = state.pop(PENDING_OFFICE, None)
    if pending in ids:
        state["office"] = pending
    # A search that leaves exactly one office opens it (once for each search text, so it can be closed).
    if query and len(ids) == 1:
        if state.get("_search_opened") != (query, ids[0]):
            state["_search_opened"] = (query, ids[0])
            state["office"] = ids[0]
    else:
        state["_search_opened"] = None
    if state.get("office") not in ids:
        state["office"] = None

    # The title and count above the map, the list of offices above the panel: the map and the panel
    # below them start at the same height and both fit in a 1280x720 window.
    head_column, list_column = st.columns(COLUMNS, gap="medium", vertical_alignment="bottom")
    with head_column, st.container(key="map_page_head", gap="small"):
        # The title and a polite live region (screen readers say the new count after each filter
        # change) in one element: each element of a first run costs the browser time (issue #15).
        st.markdown(
            f'<h3 class="map-title">{esc(_("INTERPOL General Secretariat: offices worldwide"))}</h3>'
            f'<p class="office-count" data-count="{len(shown)}" role="status" aria-live="polite">'
            f"{esc(data.count_line(len(shown)))}</p>",
            unsafe_allow_html=True,
        )
    with list_column:
        # Over LARGE_TABLE offices the list holds only the chosen one (the search narrows the map): a
        # list of 100,000 options froze the page for seconds (issue #15).
        listed = ids if len(ids) <= LARGE_TABLE else [i for i in ids if i == state.get("office")]
        chosen_rows = shown if len(listed) == len(ids) else shown[shown["id"].isin(listed)]
        names = dict(zip(chosen_rows["id"], chosen_rows["name"], strict=True))
        st.selectbox(
            _("Office"),
            options=listed,
            index=None,
            format_func=lambda office_id: names.get(office_id, office_id),
            placeholder=_("Choose an office…"),
            key="office",
            label_visibility="collapsed",  # the placeholder says it; the label stays for screen readers
        )

    map_column, side_column = st.columns(COLUMNS, gap="medium")
    with map_column:
        if shown.empty:
            st.info(
                _("No office matches these filters. Tick more office types, choose other regions or clear the search."),
                icon="🔎",
            )
        with st.container(key="map_area"):
            # Drawn even when no office matches, so the map and its view stay while the user types.
            options = map_options(
                selected=state.get("office"),
                keep_view=True,
                legend_actions=True,
                active_types=page.filters.types,
                fill_frame=True,
                host_script=SIDEBAR_CLOSER_JS,
                ready_unless=CONTROLS_SELECTOR,  # the sidebar's filters follow the map (a first view)
                coverage=coverage_geojson(shown) if state.get("coverage") else None,
            )
            clicked = office_map(shown, options, on_select=select_office, on_legend=queue_type_action,
                                 filters=browser_filter(page.offices, page.filters))
        if clicked or state.get(TYPE_ACTION_KEY):
            st.rerun()  # a click the change callback did not see (AppTest): draw it now

    with side_column:
        chosen = state.get("office")
        if chosen:
            with st.container(key="office_sheet", gap="small"):
                st.button(_("Close"), key="close_office", on_click=close_office, icon=":material/close:",
                          type="tertiary")
                show_panel(shown[shown["id"] == chosen].iloc[0], page.offices.attrs.get("extra_columns", []))
        else:
            st.caption(_("Click a marker or choose an office to see its details."))

    finish_page(page)


main()
