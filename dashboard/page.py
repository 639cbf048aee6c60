"""What every page does first and last: the sidebar, the shared-link office, notices, the URL."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import streamlit as st

import i18n
from dashboard import data
from dashboard.process import freeze_warm_heap
from dashboard.shell import page_css, start_run
from dashboard.sidebar import render_sidebar
from dashboard.state import Filters, add_notice, share_params, show_notices, write_query_params
from i18n import N_, _


@dataclass(frozen=True)
class PageData:
    filters: Filters
    offices: pd.DataFrame  # the session's whole table, localised
    shown: pd.DataFrame  # the offices the filters let through


def page_title(title: str | None = None) -> str:
    """The browser tab's title: the page's own name first, then the site's, both translated.

    ``title`` is an English msgid (marked with ``N_`` where it is written); it is translated here,
    once the run's language is known.
    """
    site = _("INTERPOL General Secretariat: offices worldwide")
    return f"{_(title)} · {site}" if title else site


def start_page(sidebar: str = "auto", title: str | None = None, css: str = "", after_map: bool = False) -> PageData:
    """Set up the run, draw the shared sidebar, apply a share link's ``office`` once, show notices.

    ``sidebar="collapsed"`` starts the page with its sidebar closed (the presenter view).
    ``title`` names the page in the browser tab (an English msgid such as ``N_("Directory")``).
    ``css`` is the page's own style (``<style>...</style>``), drawn with the shared one.
    ``after_map``: the page's map draws first, the sidebar's controls follow (see
    :func:`dashboard.sidebar.render_sidebar`); the page's map passes ``ready_unless``.
    """
    start_run()  # the language first: the browser tab's title is translated too
    st.set_page_config(
        page_title=page_title(title),
        page_icon="🌍",
        layout="wide",
        initial_sidebar_state=sidebar,
    )
    page_css(css)
    filters = render_sidebar(after_map=after_map)
    offices = data.localised_offices()
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
    return PageData(filters, offices, shown)


def finish_page(page: PageData, extra: dict[str, str] | None = None) -> None:
    """Write the state into the URL so the address bar is always a share link."""
    office = st.session_state.get("office")
    if office not in set(page.shown["id"]):
        office = None
    write_query_params(share_params(page.filters, office, extra))
    freeze_warm_heap(i18n.language())
