"""Which office table the session sees: the shared one (cached), or the user's own upload."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import streamlit as st

import i18n
from dashboard.state import md_literal, shorten
from geo.offices.filtering import filter_offices
from geo.offices.localise import localise
from geo.offices.table import OfficeTableError, Problem, load_offices
from i18n import _, language, ngettext

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_TABLE = ROOT / "data" / "offices.csv"
UPLOAD_KEY = "custom_table"
UPLOAD_NAME_KEY = "_upload_name"  # the uploaded file's name, as the user's browser gave it


def table_path() -> Path:
    """``$OFFICES_CSV`` when set, else data/offices.csv."""
    return Path(os.environ.get("OFFICES_CSV") or DEFAULT_TABLE)


# One copy of the shared table per server, read by every session (st.cache_resource hands out the
# object itself; st.cache_data would unpickle a copy for each run of each session: about 46 MB per
# viewer of a 10,000-office table). Nothing may change these frames in place: pages filter, sort
# and localise into new frames (pandas' copy-on-write keeps derived frames apart).
@st.cache_resource(show_spinner=False, max_entries=8)
def _load_table(path: str, mtime_ns: int, size: int) -> pd.DataFrame:
    # mtime and size are part of the cache key: an edited file is read again.
    return load_offices(path, require_coordinates=False)


def _stat_key(path: Path) -> tuple[int, int]:
    try:
        stat = path.stat()
    except OSError:
        return (0, 0)
    return (stat.st_mtime_ns, stat.st_size)


def show_problems(title: str, problems: list[Problem], limit: int = 20) -> None:
    """An error box that lists what is wrong, where (file, row, column)."""
    lines = [f"- {md_literal(p)}" for p in problems[:limit]]
    if len(problems) > limit:
        lines.append("- " + _("… and {n} more").format(n=len(problems) - limit))
    st.error(f"**{title}**\n\n" + "\n".join(lines), icon="🚫")


def base_offices() -> pd.DataFrame:
    """The session's table: its upload if any, else the shared table. Stops the page on errors."""
    custom = st.session_state.get(UPLOAD_KEY)
    if custom is not None:
        return custom
    try:
        return _shared_table()
    except OfficeTableError as err:
        show_problems(_("The office table cannot be used."), err.problems)
        st.stop()
        raise  # unreachable: st.stop() ends the run


def _shared_table() -> pd.DataFrame:
    """The shared table (cached per file version); raises OfficeTableError."""
    path = table_path()
    return _load_table(str(path), *_stat_key(path))


def table_usable() -> bool:
    """Whether the session's table loads (base_offices() would not stop the page)."""
    if st.session_state.get(UPLOAD_KEY) is not None:
        return True
    try:
        _shared_table()
    except OfficeTableError:
        return False
    return True


def placed(offices: pd.DataFrame) -> pd.DataFrame:
    return offices.dropna(subset=["latitude", "longitude"])


@st.cache_resource(show_spinner=False, max_entries=32)
def _localised_shared(path: str, mtime_ns: int, size: int, lang: str) -> pd.DataFrame:
    # Keyed by the file, not the frame: hashing a large DataFrame on every rerun costs more
    # than the translation itself.
    return localise(_load_table(path, mtime_ns, size), lang)


def localised_offices() -> pd.DataFrame:
    """The session's table with its text in the current language (English kept in ``*_en``)."""
    lang = language()
    custom = st.session_state.get(UPLOAD_KEY)
    if custom is None:
        path = table_path()
        base_offices()  # shows the table's problems and stops the page if it cannot be used
        return _localised_shared(str(path), *_stat_key(path), lang)
    cached = st.session_state.get("_upload_localised")
    if cached is None or cached[0] is not custom or cached[1] != lang:
        cached = (custom, lang, localise(custom, lang))
        st.session_state["_upload_localised"] = cached
    return cached[2]


# The search also matches the English names (a French page finds "Lyon headquarters").
SEARCH_EXTRA_COLUMNS = ("name_en", "city_en", "country_en")


def shown_offices(offices: pd.DataFrame, filters) -> pd.DataFrame:
    """The offices the filters let through; the search also matches the English names."""
    return filter_offices(
        offices,
        types=filters.types,
        regions=filters.regions or None,
        query=filters.query,
        extra_search_columns=SEARCH_EXTRA_COLUMNS,
    )


def count_line(n: int) -> str:
    """"1,234 offices shown": the count written the locale's way (a large table's counts need grouping)."""
    return ngettext("{n} office shown", "{n} offices shown", n).format(n=i18n.number(n))


def upload_name() -> str | None:
    """The name of the file the session's table was uploaded from (shortened, control characters
    made visible), or None when the session shows the shared table."""
    if st.session_state.get(UPLOAD_KEY) is None:
        return None
    return shorten(str(st.session_state.get(UPLOAD_NAME_KEY) or "?"))


def _checked_date() -> str:
    """The date the shared table was last checked, in the current language."""
    from datetime import date

    from geo.offices.organisation import load_organisation

    checked = load_organisation(language()).offices_checked
    try:
        return i18n.format_date(date.fromisoformat(checked))
    except ValueError:
        return checked


def source_line() -> str:
    """Where the offices shown come from, for files and pages (plain text; each export escapes it):
    the organisation and the date the shared table was last checked, or the uploaded file by its
    name, never credited to INTERPOL."""
    name = upload_name()
    if name is not None:
        return _("Source: uploaded table “{name}”, not checked by INTERPOL").format(name=name)
    return _("Source: INTERPOL (interpol.int), office data checked on {date}").format(date=_checked_date())


def table_note() -> str:
    """Which table the page shows, as Markdown (the file name as a literal code span)."""
    name = upload_name()
    if name is not None:
        return _("Table shown: your upload {name}, not checked by INTERPOL.").format(name=md_literal(name))
    return _("Table shown: the shared office table, checked on {date}.").format(date=_checked_date())
