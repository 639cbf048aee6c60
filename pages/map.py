"""The map: every office shown by the filters, a list to choose one, and its detail panel."""

import streamlit as st

from dashboard import data
from dashboard.mapview import map_options, office_map
from dashboard.page import finish_page, start_page
from dashboard.panel import show_panel
from i18n import _

page = start_page()
shown = page.shown
state = st.session_state

st.subheader(_("INTERPOL General Secretariat: offices worldwide"))
st.markdown(
    f'<p class="office-count" data-count="{len(shown)}">{data.count_line(len(shown))}</p>',
    unsafe_allow_html=True,
)

ids = list(shown.sort_values("name")["id"])
if state.get("office") not in ids:
    state["office"] = None
if shown.empty:
    st.info(
        _("No office matches these filters. Tick more office types, choose other regions or clear the search."),
        icon="🔎",
    )
else:
    clicked = office_map(shown, map_options(selected=state.get("office")))
    if clicked in ids and clicked != state.get("office"):
        state["office"] = clicked
        st.rerun()

    names = dict(zip(shown["id"], shown["name"], strict=True))
    st.selectbox(
        _("Office"),
        options=ids,
        index=None,
        format_func=lambda office_id: names.get(office_id, office_id),
        placeholder=_("Choose an office…"),
        key="office",
    )
    chosen = state.get("office")
    if chosen:
        show_panel(shown[shown["id"] == chosen].iloc[0], page.offices.attrs.get("extra_columns", []))
    else:
        st.caption(_("Click a marker or choose an office to see its details."))

finish_page(page)
