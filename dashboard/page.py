"""What every page does first and last: the sidebar, the shared-link office, notices, the URL."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

import i18n
from dashboard import data
from dashboard.process import freeze_warm_heap
from dashboard.shell import page_css, start_run
from dashboard.sidebar import draw_sidebar, prepare_sidebar
from dashboard.state import Filters, add_notice, share_params, show_notices, write_query_params
from i18n import N_, _


@dataclass(frozen=True)
class PageData:
    filters: Filters
    offices: pd.DataFrame  # the session's whole table, localised
    shown: pd.DataFrame  # the offices the filters let through
    sidebar: DeltaGenerator  # the shared sidebar's place, filled by finish_page


def page_title(title: str | None = None) -> str:
    """The browser tab's title: the page's own name first, then the site's, both translated.

    ``title`` is an English msgid (marked with ``N_`` where it is written); it is translated here,
    once the run's language is known.
    """
    site = _("INTERPOL General Secretariat: offices worldwide")
    return f"{_(title)} · {site}" if title else site


def start_page(sidebar: str = "auto", title: str | None = None, css: str = "") -> PageData:
    """Set up the run, draw the shared sidebar, apply a share link's ``office`` once, show notices.

    ``sidebar="collapsed"`` starts the page with its sidebar closed (the presenter view).
    ``title`` names the page in the browser tab (an English msgid such as ``N_("Directory")``).
    ``css`` is the page's own style (``<style>...</style>``), drawn with the shared one.
    """
    start_run()  # the language first: the browser tab's title is translated too
    st.set_page_config(
        page_title=page_title(title),
        page_icon="🌍",
        layout="wide",
        initial_sidebar_state=sidebar,
    )
    page_css(css)
    # The shared sidebar keeps its place at the top of the sidebar but is drawn last (finish_page):
    # the map reaches the browser before the sidebar's widgets (dashboard.sidebar.prepare_sidebar).
    sidebar = st.sidebar.container()
    filters = prepare_sidebar()
    # A table that cannot be read stops the page: the sidebar is drawn first, so another can be uploaded.
    offices = data.localised_offices(before_stop=lambda: draw_sidebar(sidebar, None))
    shown = data.shown_offices(offices, filters)
    state = st.session_state
    requested = state.pop("_requested_office", None)
    if requested:
        if requested in set(offices["id"]):
            state["office"] = requested
            if requested not in set(shown["id"]):
                add_notice(N_("The office {value} is hidden by the filters."), requested)
        else:
            add_notice(N_("Ignored the unknown office {value}."), requested)
    show_notices(filters)
    return PageData(filters, offices, shown, sidebar)


def finish_page(page: PageData, extra: dict[str, str] | None = None) -> None:
    """Draw the shared sidebar and write the state into the URL, so the address bar is always a
    share link. Every page calls it last."""
    draw_sidebar(page.sidebar, page.offices)
    office = st.session_state.get("office")
    if office not in set(page.shown["id"]):
        office = None
    write_query_params(share_params(page.filters, office, extra))
    freeze_warm_heap(i18n.language())
