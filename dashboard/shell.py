"""What every page shares: assets, language, direction, navigation and the sidebar."""

from __future__ import annotations

import streamlit as st

import i18n
from dashboard.state import init_state
from geo import assets

RTL_CSS = """
<style>
html, body, .stApp, [data-testid="stSidebar"], [data-testid="stMain"] { direction: rtl; }
[data-testid="stMarkdownContainer"], [data-testid="stCaptionContainer"], .stAlert,
[data-testid="stWidgetLabel"], [data-testid="stDataFrame"] { text-align: right; }
iframe[title="streamlit_folium.st_folium"] { direction: ltr; }
</style>
"""
FONT_CSS = """
<style>
[data-testid="stMainBlockContainer"] { padding-top: 2.2rem; }
html, body, .stApp { font-family: "Source Sans", "Noto Sans", "Noto Sans Arabic", "Noto Naskh Arabic", sans-serif; }
</style>
"""


@st.cache_resource(show_spinner=False)
def _install_assets() -> list[str]:
    return assets.install_static_assets()


def start_run() -> str:
    """Set up the run: static files, state from the URL, language and direction. Returns the language."""
    _install_assets()
    init_state()
    lang = i18n.set_language(st.session_state.get("lang", i18n.DEFAULT_LANGUAGE))
    css = FONT_CSS + (RTL_CSS if i18n.is_rtl(lang) else "")
    st.html(css)
    return lang
