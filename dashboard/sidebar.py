"""The shared sidebar: language, filters (type with counts, region, search) and the user's own table."""

from __future__ import annotations

import logging

import streamlit as st

import i18n
from dashboard import data
from dashboard.labels import region_label, type_label
from dashboard.state import TYPE_KEYS, Filters, current_filters, md_literal, type_widget_key
from geo.maps.styles import type_glyph
from geo.offices.filtering import filter_offices
from geo.offices.schema import REGIONS
from geo.offices.table import OfficeTableError
from geo.offices.upload import UPLOAD_TYPES
from i18n import N_, _

log = logging.getLogger("dashboard")


def language_chooser() -> None:
    st.sidebar.selectbox(
        _("Language"),
        options=list(i18n.LANGUAGES),
        format_func=lambda code: i18n.LANGUAGES[code],
        key="lang",
    )


TYPE_ACTION_KEY = "_type_action"  # a legend click waiting for the type checkboxes: (verb, type)
SEARCH_PAUSE = "300ms"  # the search applies after this pause in typing (no Enter needed)

SIDEBAR_CSS = """
<style>
/* Type rows: the checkbox, and its "only" button at the row's end. */
[class*="st-key-type_row_"] { align-items: center; }
[class*="st-key-type_row_"] [data-testid="stCheckbox"] { flex: 1 1 auto; min-width: 0; }
[class*="st-key-only_"] { flex-shrink: 0; }
[class*="st-key-only_"] button { min-height: 0; padding: 0 .55rem; line-height: 1.6; border-radius: 999px; }
/* Phones: touch targets of at least 44 x 44 px (WCAG 2.5.5). */
@media (max-width: 640px) {
  [class*="st-key-type_row_"] label:has(input[type="checkbox"]) { min-height: 44px; align-items: center; }
  [class*="st-key-only_"] button { min-height: 44px; min-width: 44px; }
}
</style>
"""


def only_type(office_type: str) -> None:
    """Tick ``office_type`` alone (the "only" buttons; runs before the script)."""
    for key in TYPE_KEYS:
        st.session_state[type_widget_key(key)] = key == office_type


def queue_type_action(verb: str, office_type: str) -> None:
    """A legend choice ("toggle" or "only"); the type checkboxes take it before they are drawn."""
    st.session_state[TYPE_ACTION_KEY] = (verb, office_type)


def apply_type_action() -> None:
    action = st.session_state.pop(TYPE_ACTION_KEY, None)
    if not action:
        return
    verb, office_type = action
    if office_type not in TYPE_KEYS:
        return
    if verb == "only":
        only_type(office_type)
    elif verb == "toggle":
        key = type_widget_key(office_type)
        st.session_state[key] = not st.session_state.get(key, True)


def filter_controls(offices) -> Filters:
    """Type checkboxes (each with its count under the other filters and an "only" button), region
    and search (applied as the user types, after a short pause)."""
    apply_type_action()
    sidebar = st.sidebar
    sidebar.html(SIDEBAR_CSS)
    sidebar.text_input(
        _("Search"), key="q", placeholder=_("Name, city or country"), max_chars=200, live=SEARCH_PAUSE
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
    with sidebar.container(key="type_filters", gap=None):
        for office_type in TYPE_KEYS:
            label = type_label(office_type)
            row = st.container(
                horizontal=True, key=f"type_row_{office_type}", vertical_alignment="center", gap="small",
                wrap=False,
            )
            row.checkbox(
                f"{type_glyph(office_type)} {label} ({i18n.number(int(counts.get(office_type, 0)))})",
                key=type_widget_key(office_type),
                width="stretch",
                wrap=True,  # the whole label, never cut ("Global Complex for In…")
            )
            row.button(
                _("only"),
                key=f"only_{office_type}",
                on_click=only_type,
                args=(office_type,),
                # Named "Show only: <type>" by the page script (dashboard.shell.button_names).
                type="tertiary",
            )
    sidebar.checkbox(_("Countries served"), key="coverage",
                     help=_("Shade the countries each regional bureau serves (where a source lists them)."))
    return current_filters()


# What the session keeps of its upload, until the user removes it (on any page).
UPLOAD_STATE_KEYS = (data.UPLOAD_KEY, data.UPLOAD_NAME_KEY, "_upload_notes", "_upload_unplaced", "_upload_problems",
                     "_upload_refusal")
UPLOAD_EVENT_KEY = "_upload_event"


def upload_limit_mb() -> int:
    """The upload limit in megabytes of 1,000,000 bytes, as Streamlit's uploader counts in the
    browser (geo.offices.upload, the one home of the limit): the uploader, the caption and the
    refusal agree to the byte."""
    from geo.offices.upload import UPLOAD_LIMIT_MB

    return UPLOAD_LIMIT_MB


TOO_LARGE = N_("This file is larger than {mb} MB, the most a table may be.")


def too_large_message(lang: str | None = None) -> str:
    """The app's own refusal of a file over the limit, in ``lang`` (default: the run's). Streamlit's
    English refusal in the browser is replaced by it (dashboard.shell.page_script_config)."""
    lang = lang or i18n.language()
    return i18n.translations(lang).gettext(TOO_LARGE).format(mb=i18n.number(upload_limit_mb(), lang))


def _forget_upload() -> None:
    for key in UPLOAD_STATE_KEYS:
        st.session_state.pop(key, None)
    st.session_state.pop("_upload_localised", None)


def use_shared_table() -> None:
    """The "Use the shared table again" button: the upload is dropped (the only way besides the
    uploader's own remove button on the page where the file was uploaded)."""
    _forget_upload()


def _upload_changed() -> None:
    """The uploader's value changed by the user's hand (a file chosen, or removed with its cross).
    A page's uploader that is merely empty (the user came from another page) changes nothing."""
    st.session_state[UPLOAD_EVENT_KEY] = True


def _refuse(upload, size: int, problems: list, refusal: str = "") -> None:
    # What was refused, not what it held: the kind of file, its size and how many problems.
    kind = next((k for k in ("csv", "xlsx") if upload.name.lower().endswith("." + k)), "other")
    log.warning("upload rejected: %s file of %d bytes, %d problems", kind, size, len(problems))
    _forget_upload()
    st.session_state["_upload_problems"] = problems
    st.session_state["_upload_refusal"] = refusal


def _read_upload(upload) -> None:
    from geo.offices.upload import MAX_UPLOAD_BYTES, read_upload

    if upload.size > MAX_UPLOAD_BYTES:
        _refuse(upload, upload.size, [], refusal=too_large_message())
        return
    raw = upload.getvalue()
    progress = st.sidebar.progress(0.0, text=_("Placing offices without coordinates…"))

    def report(done: int, total: int) -> None:
        progress.progress(done / max(total, 1), text=_("Placing offices without coordinates…"))

    try:
        result = read_upload(upload.name, raw, max_bytes=MAX_UPLOAD_BYTES, progress=report)
    except OfficeTableError as err:
        progress.empty()
        _refuse(upload, len(raw), err.problems)
        return
    progress.empty()
    _forget_upload()
    st.session_state[data.UPLOAD_KEY] = result.offices
    st.session_state[data.UPLOAD_NAME_KEY] = upload.name
    st.session_state["_upload_notes"] = list(result.notes)
    st.session_state["_upload_unplaced"] = result.unplaced
    st.session_state["_upload_problems"] = []


def upload_control() -> None:
    """Upload a table for this session only; data/offices.csv is never written.

    The table lasts for the session on every page, until the user removes it: with "Use the shared
    table again" (on every page) or the uploader's own cross on the page where it was uploaded. Every
    page says which table it shows.
    """
    state = st.session_state
    with st.sidebar.expander(_("Use your own table")):
        st.caption(
            _("CSV (UTF-8) or Excel, at most {mb} MB, with the columns of data/offices.csv. "
              "It is used for your session only.").format(mb=i18n.number(upload_limit_mb()))
        )
        upload = st.file_uploader(
            _("Office table"), type=list(UPLOAD_TYPES), key="upload", label_visibility="collapsed",
            on_change=_upload_changed, max_upload_size=upload_limit_mb(),
        )
        if state.pop(UPLOAD_EVENT_KEY, False):
            if upload is None:
                _forget_upload()  # removed with the uploader's cross
            else:
                _read_upload(upload)
        if state.get("_upload_refusal"):
            st.error(state["_upload_refusal"], icon="🚫")
        problems = state.get("_upload_problems")
        if problems:
            data.show_problems(_("Your table cannot be used; the shared table is shown."), problems)
        for note in state.get("_upload_notes", []):
            st.info(_("Assumed: {note}").format(note=md_literal(note)))
        unplaced = state.get("_upload_unplaced")
        if unplaced is not None and len(unplaced):
            st.warning(_("{n} offices could not be placed on the map:").format(n=len(unplaced)))
            st.dataframe(unplaced, hide_index=True)
    with st.sidebar.container(key="table_shown"):
        st.caption(data.table_note())
        if data.upload_name() is not None:
            st.button(_("Use the shared table again"), key="use_shared_table", on_click=use_shared_table,
                      icon=":material/undo:")


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


# The map page's first run in a browser draws the sidebar's navigation only: its language, table
# and filter controls cost the browser about 200 ms of rendering, and drawn with the map they delay
# it (bench/results/timetomap.md, issue #15). The map sends a click once it has drawn its offices
# (MapOptions.ready_unless: while the page has no type filters), and that run draws the rest; if the
# map cannot be drawn, a timer does it. Pages without a map, and a session's later runs, draw it all.
CONTROLS_SELECTOR = ".st-key-type_filters"
CONTROLS_WAITING = "_sidebar_waiting"  # the session's first run left the controls out
CONTROLS_FALLBACK = "4s"


@st.fragment(run_every=CONTROLS_FALLBACK)
def _controls_fallback() -> None:
    """Draws nothing; when its timer fires and the controls are still waiting (the map could not be
    drawn, or could not say so), the whole page runs again with them."""
    if st.session_state.get(CONTROLS_WAITING) is True:
        st.session_state[CONTROLS_WAITING] = False
        st.rerun(scope="app")


def _wait_for_map(after_map: bool) -> bool:
    """Whether this run leaves the controls for the next one (see CONTROLS_SELECTOR above)."""
    state = st.session_state
    if not after_map or CONTROLS_WAITING in state:
        return False  # a page without a map, or not the session's first run here
    # Only for a browser (a test's script run has no headers and no map frame to answer), and only
    # with a usable table: a broken one shows its problems, with the upload control, at once.
    return bool(st.context.headers) and data.table_usable()


def render_sidebar(after_map: bool = False) -> Filters:
    """The whole shared sidebar; returns the filters it sets.

    With ``after_map`` (the map page) a session's first run draws only the navigation, and the
    next run, which the map starts once it has drawn its offices, the rest.
    """
    navigation()
    state = st.session_state
    if _wait_for_map(after_map):
        with st.sidebar:
            _controls_fallback()  # before the flag below: this first call draws and does nothing
        state[CONTROLS_WAITING] = True
        return current_filters()
    state[CONTROLS_WAITING] = False
    language_chooser()
    upload_control()
    offices = data.localised_offices()
    return filter_controls(offices)
