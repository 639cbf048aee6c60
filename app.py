"""INTERPOL General Secretariat offices: the Streamlit entry point (``streamlit run app.py``).

Thin on purpose: page config, shared set-up and navigation. Each page in ``pages/`` does one
job and draws the shared sidebar (dashboard.sidebar) first.
"""

import streamlit as st

from dashboard.shell import start_run
from i18n import _

st.set_page_config(
    page_title="INTERPOL General Secretariat — offices",
    page_icon="🌍",
    layout="wide",
    initial_sidebar_state="auto",
)
start_run()
# Each page in pages/ does one job and calls dashboard.page.start_page() first.
pages = [
    st.Page("pages/map.py", title=_("Map"), icon="🗺️", url_path="map", default=True),
    st.Page("pages/briefing.py", title=_("Briefing"), icon="🎞️", url_path="briefing"),
    st.Page("pages/directory.py", title=_("Directory"), icon="📋", url_path="directory"),
    st.Page("pages/about.py", title=_("About"), icon="ℹ️", url_path="about"),
]
page = st.navigation(pages)
if page.url_path == "briefing":
    st.set_page_config(initial_sidebar_state="collapsed")  # the presenter view keeps chrome minimal
page.run()
