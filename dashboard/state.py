"""UI state: one place that reads the URL query string into ``st.session_state`` and writes it back.

Share links hold ``type`` (comma-separated office type keys), ``region``, ``q``, ``office``, ``lang``
and, on the briefing page, ``step``. Unknown values are dropped with a short notice, never an error.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

import streamlit as st

import i18n
from geo.offices.schema import REGIONS, OfficeType
from i18n import N_, _

TYPE_KEYS: tuple[str, ...] = tuple(t.value for t in OfficeType)
MAX_QUERY_CHARS = 200
# A share link can carry anything (100,000 characters fit in an address): a notice quotes at most
# this many values, each cut to this many characters.
MAX_QUOTED_CHARS = 80
MAX_QUOTED_VALUES = 5
log = logging.getLogger("dashboard")


def _visible(char: str) -> str:
    if unicodedata.category(char) not in ("Cc", "Cf"):
        return char
    return " " if char.isspace() else "\ufffd"


def shorten(value: str, limit: int = MAX_QUOTED_CHARS) -> str:
    """``value`` as a notice may quote it: line breaks and tabs as spaces, other control and format
    characters (bidi overrides, zero-width joiners) as U+FFFD, cut to ``limit`` characters with "…"
    after the cut."""
    head = value[: limit + 1]
    clean = "".join(_visible(c) for c in head)
    return clean if len(value) <= limit else clean[:limit] + "…"


@dataclass(frozen=True)
class Notice:
    """A notice waiting to be shown: its message (marked with N_), the value it names (already
    shortened) and how many more values were left out of it."""

    template: str
    value: str
    more: int = 0


def notice(template: str, values: Sequence[str]) -> Notice:
    """A notice naming at most MAX_QUOTED_VALUES of ``values``, each shortened."""
    listed = [shorten(v) for v in values[:MAX_QUOTED_VALUES]]
    return Notice(template, ", ".join(listed), max(0, len(values) - MAX_QUOTED_VALUES))


def _log_ignored(template: str, value: str) -> None:
    """One log line per share-link value the app did not use: which kind, and only its length (a URL
    can carry anything; the value itself is not logged)."""
    log.warning("share link: %s", template.format(value=f"(a value of {len(value)} characters)"))


def type_widget_key(office_type: str) -> str:
    return f"type_{office_type}"


def _split(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


def init_state() -> None:
    """On a session's first run, take the state from the query string (and the browser's language)."""
    state = st.session_state
    if state.get("_initialised"):
        return
    params = st.query_params
    notices: list[Notice] = []

    def ignore(template: str, *values: str) -> None:
        notices.append(notice(template, values))
        _log_ignored(template, ",".join(values))

    lang = params.get("lang")
    if lang in i18n.LANGUAGES:
        state["lang"] = lang
    else:
        if lang is not None:
            ignore(N_("Ignored the unknown language {value}."), lang)
        browser = getattr(st.context, "locale", None) or st.context.headers.get("Accept-Language")
        state["lang"] = i18n.language_from_header(browser)

    chosen_types = set(TYPE_KEYS)
    if "type" in params:
        asked = _split(params.get("type", ""))
        unknown = [t for t in asked if t not in TYPE_KEYS]
        known = [t for t in asked if t in TYPE_KEYS]
        if unknown:
            ignore(N_("Ignored the unknown office type {value}."), *unknown)
        if known:
            chosen_types = set(known)
    for office_type in TYPE_KEYS:
        state[type_widget_key(office_type)] = office_type in chosen_types

    regions = _split(params.get("region", ""))
    unknown_regions = [r for r in regions if r not in REGIONS]
    if unknown_regions:
        ignore(N_("Ignored the unknown region {value}."), *unknown_regions)
    state["regions"] = [r for r in REGIONS if r in regions]

    query = params.get("q", "")
    if len(query) > MAX_QUERY_CHARS:
        notices.append(Notice(N_("Shortened the search text to {value} characters."), str(MAX_QUERY_CHARS)))
        query = query[:MAX_QUERY_CHARS]
    state["q"] = query
    state["_requested_office"] = params.get("office") or None
    step = params.get("step")
    if step is not None and not re.fullmatch(r"[0-9]{1,6}", step.strip()):
        ignore(N_("Ignored the unknown step {value}."), step)
        step = None
    state["_requested_step"] = int(step) if step is not None else None
    state["_notices"] = notices
    state["_initialised"] = True


def md_literal(text: object) -> str:
    """Text that Streamlit's Markdown shows literally: an inline code span (no link, autolink,
    image, colour or LaTeX can come out of it), its fence longer than any backtick run inside."""
    value = " ".join(str(text).split())
    longest = max((len(run) for run in re.findall(r"`+", value)), default=0)
    fence = "`" * (longest + 1)
    return f"{fence} {value} {fence}"


def add_notice(template: str, value: str) -> None:
    """Queue a notice (a message marked with N_ and the value it names, shortened)."""
    _log_ignored(template, value)
    st.session_state.setdefault("_notices", []).append(notice(template, [value]))


def show_notices(filters: Filters) -> None:
    """Show what was ignored in the share link, until the user changes the filters."""
    state = st.session_state
    notices = state.get("_notices")
    if not notices:
        return
    snapshot = state.setdefault("_notices_filters", filters)
    if snapshot != filters:
        state["_notices"] = []
        return
    for item in notices:
        text = _(item.template).format(value=md_literal(item.value))
        if item.more:
            text += " " + _("… and {n} more").format(n=i18n.number(item.more))
        st.warning(text, icon="ℹ️")


@dataclass(frozen=True)
class Filters:
    """The current filters, as the pages use them."""

    types: tuple[str, ...]
    regions: tuple[str, ...]
    query: str

    @property
    def all_types(self) -> bool:
        return set(self.types) == set(TYPE_KEYS)


def current_filters() -> Filters:
    state = st.session_state
    return Filters(
        types=tuple(t for t in TYPE_KEYS if state.get(type_widget_key(t), True)),
        regions=tuple(state.get("regions", [])),
        query=str(state.get("q", ""))[:MAX_QUERY_CHARS],
    )


def share_params(filters: Filters, office: str | None, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The query string for the current state; defaults are left out to keep links short."""
    params: dict[str, str] = {}
    lang = st.session_state.get("lang", i18n.DEFAULT_LANGUAGE)
    if lang != i18n.DEFAULT_LANGUAGE:
        params["lang"] = lang
    if not filters.all_types:
        params["type"] = ",".join(filters.types)
    if filters.regions:
        params["region"] = ",".join(filters.regions)
    if filters.query:
        params["q"] = filters.query
    if office:
        params["office"] = office
    params.update(extra or {})
    return params


def write_query_params(params: dict[str, str]) -> None:
    """Make the URL show ``params`` (only when it differs, so no needless browser history)."""
    current = {k: st.query_params.get(k) for k in st.query_params}
    if current != params:
        st.query_params.from_dict(params)
