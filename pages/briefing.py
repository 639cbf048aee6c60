"""Presenter view: the map and a large card fill the window; the tour steps in the browser.

Step 0 is the overview; steps 1..n follow headquarters, the global complex, regional bureaus,
representative and liaison offices, each group west to east. Keys follow PowerPoint's (see
geo/maps/web/tour.js); the step is in the URL (``step=N``), written by the browser, read here.
"""

import streamlit as st

from dashboard.pack import pack_downloads
from dashboard.page import finish_page, start_page
from dashboard.tour import show_tour_map, step_from_url
from geo.offices.filtering import briefing_order
from i18n import N_, _

page = start_page(sidebar="collapsed", title=N_("Briefing"))
state = st.session_state
tour = briefing_order(page.shown.dropna(subset=["latitude", "longitude"]))
last = len(tour)
pack_downloads(page.shown)  # slides, map pictures and the PDF sheet, in the sidebar

state.pop("_requested_step", None)  # dashboard.state checked the share link's step; the URL has it
state["step"] = step_from_url(last)  # the browser keeps the address bar's step= current

if tour.empty:
    st.info(_("No office matches these filters. Tick more office types, choose other regions or clear the search."),
            icon="🔎")
else:
    show_tour_map(tour, page.offices, state["step"])

finish_page(page, {"step": str(state["step"])} if state["step"] else None)
