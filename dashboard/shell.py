"""What every page shares: assets, language, direction, navigation and the sidebar."""

from __future__ import annotations

import streamlit as st

import i18n
from dashboard.state import TYPE_KEYS, init_state, type_widget_key
from geo import assets

PERSISTENT_KEYS = ("lang", "q", "regions", "office", "hq_lines", *(type_widget_key(t) for t in TYPE_KEYS))

RTL_CSS = """
<style>
html, body, .stApp, [data-testid="stSidebar"], [data-testid="stMain"] { direction: rtl; }
[data-testid="stMarkdownContainer"], [data-testid="stCaptionContainer"], .stAlert,
[data-testid="stWidgetLabel"], [data-testid="stDataFrame"] { text-align: right; }
/* Markdown lists: Streamlit aligns and indents them on the left. */
[data-testid="stMarkdownContainer"] :is(ul, ol, li) { text-align: right; }
[data-testid="stMarkdownContainer"] li { margin-left: 0; margin-right: 1.15rem; padding-left: 0; padding-right: .3rem; }
/* The sidebar sits on the right; Streamlit hides a collapsed one by sliding it left, over the page. */
[data-testid="stSidebar"][data-collapsed="true"] { overflow: hidden; }
/* The chevrons that open and close the sidebar point the other way. */
[data-testid="stExpandSidebarButton"] [data-testid="stIconMaterial"],
[data-testid="stSidebarCollapseButton"] [data-testid="stIconMaterial"] { transform: scaleX(-1); }
/* The map stays left-to-right (its legend and tooltips are right-to-left inside it). */
iframe[title="streamlit_folium.st_folium"] { direction: ltr; }
</style>
"""
FONT_CSS = """
<style>
/* Streamlit writes font-family: "Source Sans", sans-serif on each label, heading and widget, and
   Source Sans has no Arabic: Chromium would draw Arabic in DejaVu Sans. Every element but the icon
   ligatures and code gets Noto Sans Arabic (Debian's fonts-noto-core, Regular and Bold) between
   Source Sans and sans-serif, so only Arabic text changes. (Adding Arabic faces to the "Source Sans"
   family instead loses either Source Sans or the bold weight in Chromium.) */
body *:not([data-testid="stIconMaterial"], code, code *, pre, pre *, kbd, samp, .katex, .katex *) {
  font-family: "Source Sans", "Noto Sans Arabic", "Noto Naskh Arabic", sans-serif; }
[data-testid="stMainBlockContainer"] { padding-top: 2.2rem; }
html, body, .stApp { font-family: "Source Sans", "Noto Sans", "Noto Sans Arabic", "Noto Naskh Arabic", sans-serif; }
</style>
"""


@st.cache_resource(show_spinner=False)
def _install_assets() -> list[str]:
    return assets.install_static_assets()


def keep_widget_state() -> None:
    """Carry the shared widgets' values across pages.

    Streamlit drops a widget's value when a run does not draw it, and widgets on another page are
    other widgets; re-assigning the keys at the top of every run keeps them (Streamlit's documented
    way to keep state across pages).
    """
    state = st.session_state
    for key in PERSISTENT_KEYS:
        if key in state:
            state[key] = state[key]


def start_run() -> str:
    """Set up the run: static files, state from the URL, kept widget values, language. Idempotent.

    app.py calls it before the navigation (whose titles are translated) and every page calls it
    again through dashboard.page.start_page, so a page also runs on its own (AppTest, benchmarks).
    """
    _install_assets()
    init_state()
    keep_widget_state()
    return i18n.set_language(st.session_state.get("lang", i18n.DEFAULT_LANGUAGE))


def page_css() -> None:
    """Fonts, and right-to-left layout for Arabic (the map itself stays left-to-right)."""
    st.html(FONT_CSS + (RTL_CSS if i18n.is_rtl() else ""))
