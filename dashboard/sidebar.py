"""The shared sidebar: language, filters (type with counts, region, search) and the user's own table."""

from __future__ import annotations

import logging

import streamlit as st

import i18n
from dashboard import data
from dashboard.labels import region_label, type_glyph, type_label
from dashboard.state import TYPE_KEYS, Filters, current_filters, md_literal, type_widget_key
from geo.filtering import filter_offices
from geo.schema import REGIONS
from geo.table import OfficeTableError
from i18n import N_, _

UPLOAD_LIMIT_MB = 5
log = logging.getLogger("dashboard")


def language_chooser() -> None:
    st.sidebar.selectbox(
        _("Language"),
        options=list(i18n.LANGUAGES),
        format_func=lambda code: i18n.LANGUAGES[code],
        key="lang",
    )


def filter_controls(offices) -> Filters:
    """Type checkboxes (each with its count under the other filters), region and search."""
    sidebar = st.sidebar
    sidebar.text_input(
        _("Search"), key="q", placeholder=_("Name, city or country"), max_chars=200
    )
    sidebar.multiselect(
        _("Region"),
        options=list(REGIONS),
        format_func=region_label,
        key="regions",
        placeholder=_("All regions"),
    )
    filters = current_filters()
    # Counts under the region and search filters, whatever types are ticked.
    facet = filter_offices(
        offices,
        regions=filters.regions or None,
        query=filters.query,
        extra_search_columns=("name_en", "city_en", "country_en"),
    )
    counts = facet["office_type"].value_counts()
    sidebar.markdown(f"**{_('Office type')}**")
    for office_type in TYPE_KEYS:
        sidebar.checkbox(
            f"{type_glyph(office_type)} {type_label(office_type)} ({i18n.number(int(counts.get(office_type, 0)))})",
            key=type_widget_key(office_type),
        )
    return current_filters()


def _read_upload(upload) -> None:
    from geo.upload import MAX_UPLOAD_BYTES, read_upload

    raw = upload.getvalue()
    progress = st.sidebar.progress(0.0, text=_("Placing offices without coordinates…"))

    def report(done: int, total: int) -> None:
        progress.progress(done / max(total, 1), text=_("Placing offices without coordinates…"))

    try:
        result = read_upload(upload.name, raw, max_bytes=MAX_UPLOAD_BYTES, progress=report)
    except OfficeTableError as err:
        # What was refused, not what it held: the kind of file, its size and how many problems.
        kind = next((k for k in ("csv", "xlsx") if upload.name.lower().endswith("." + k)), "other")
        log.warning("upload rejected: %s file of %d bytes, %d problems", kind, len(raw), len(err.problems))
        progress.empty()
        st.session_state[data.UPLOAD_KEY] = None
        st.session_state["_upload_problems"] = err.problems
        return
    progress.empty()
    st.session_state[data.UPLOAD_KEY] = result.offices
    st.session_state["_upload_notes"] = list(result.notes)
    st.session_state["_upload_unplaced"] = result.unplaced
    st.session_state["_upload_problems"] = []


def upload_control() -> None:
    """Upload a table for this session only; data/offices.csv is never written."""
    with st.sidebar.expander(_("Use your own table")):
        st.caption(
            _("CSV (UTF-8) or Excel, at most {mb} MB, with the columns of data/offices.csv. "
              "It is used for your session only.").format(mb=UPLOAD_LIMIT_MB)
        )
        upload = st.file_uploader(
            _("Office table"), type=["csv", "xlsx"], key="upload", label_visibility="collapsed"
        )
        signature = (upload.name, upload.size) if upload is not None else None
        if signature != st.session_state.get("_upload_signature"):
            st.session_state["_upload_signature"] = signature
            if upload is None:
                for key in (data.UPLOAD_KEY, "_upload_notes", "_upload_unplaced", "_upload_problems"):
                    st.session_state.pop(key, None)
            else:
                _read_upload(upload)
        problems = st.session_state.get("_upload_problems")
        if problems:
            data.show_problems(_("Your table cannot be used; the shared table is shown."), problems)
        for note in st.session_state.get("_upload_notes", []):
            st.info(_("Assumed: {note}").format(note=md_literal(note)))
        unplaced = st.session_state.get("_upload_unplaced")
        if unplaced is not None and len(unplaced):
            st.warning(_("{n} offices could not be placed on the map:").format(n=len(unplaced)))
            st.dataframe(unplaced, hide_index=True)


PAGES = (
    # (script, label marked for translation, icon)
    ("app.py", N_("Map"), "🗺️"),
    ("pages/briefing.py", N_("Briefing"), "🎞️"),
    ("pages/directory.py", N_("Directory"), "📋"),
    ("pages/about.py", N_("About"), "ℹ️"),
)


def navigation() -> None:
    """Links to the pages, in the current language (filters and language carry over)."""
    for script, label, icon in PAGES:
        st.sidebar.page_link(script, label=_(label), icon=icon)
    st.sidebar.divider()


def render_sidebar() -> Filters:
    """The whole shared sidebar; returns the filters it sets."""
    navigation()
    language_chooser()
    upload_control()
    offices = data.localised_offices()
    return filter_controls(offices)
