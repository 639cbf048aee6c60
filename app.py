"""INTERPOL General Secretariat offices: the Streamlit entry point (``streamlit run app.py``).

Thin on purpose: page config, shared set-up and navigation. Each page in ``pages/`` does one
job and draws the shared sidebar (dashboard.sidebar) first.
"""

import streamlit as st

from dashboard.shell import start_run
from i18n import _

start_run()
# Each page in pages/ does one job and calls dashboard.page.start_page() first. The files are
# named *_page.py, not after their URL paths: Streamlit still runs a pages/ folder's scripts
# directly when a URL names them, which would bypass this navigation.
pages = [
    st.Page("pages/map_page.py", title=_("Map"), icon="🗺️", url_path="map", default=True),
    st.Page("pages/briefing_page.py", title=_("Briefing"), icon="🎞️", url_path="briefing"),
    st.Page("pages/directory_page.py", title=_("Directory"), icon="📋", url_path="directory"),
    st.Page("pages/about_page.py", title=_("About"), icon="ℹ️", url_path="about"),
]
page = st.navigation(pages)
st.set_page_config(
    page_title="INTERPOL General Secretariat — offices",
    page_icon="🌍",
    layout="wide",
    # The presenter view keeps chrome minimal: its sidebar starts collapsed.
    initial_sidebar_state="collapsed" if page.url_path == "briefing" else "auto",
)
page.run()
