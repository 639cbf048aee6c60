"""UI state: one place that reads the URL query string into ``st.session_state`` and writes it back.

Share links hold ``type`` (comma-separated office type keys), ``region``, ``q``, ``office``, ``lang``
and, on the briefing page, ``step``. Unknown values are dropped with a short notice, never an error.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

import streamlit as st

import i18n
from geo.offices.schema import REGIONS, OfficeType
from i18n import N_, _

TYPE_KEYS: tuple[str, ...] = tuple(t.value for t in OfficeType)
MAX_QUERY_CHARS = 200
log = logging.getLogger("dashboard")


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
    notices: list[str] = []

    def ignore(template: str, value: str) -> None:
        notices.append((template, value))
        _log_ignored(template, value)

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
            ignore(N_("Ignored the unknown office type {value}."), ", ".join(unknown))
        if known:
            chosen_types = set(known)
    for office_type in TYPE_KEYS:
        state[type_widget_key(office_type)] = office_type in chosen_types

    regions = _split(params.get("region", ""))
    unknown_regions = [r for r in regions if r not in REGIONS]
    if unknown_regions:
        ignore(N_("Ignored the unknown region {value}."), ", ".join(unknown_regions))
    state["regions"] = [r for r in REGIONS if r in regions]

    query = params.get("q", "")
    if len(query) > MAX_QUERY_CHARS:
        notices.append((N_("Shortened the search text to {value} characters."), str(MAX_QUERY_CHARS)))
        query = query[:MAX_QUERY_CHARS]
    state["q"] = query
    state["_requested_office"] = params.get("office") or None
    step = params.get("step")
    if step is not None and not re.fullmatch(r"[0-9]{1,6}", step.strip()):
        ignore(N_("Ignored the unknown step {value}."), step[:MAX_QUERY_CHARS])
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
    """Queue a notice (a message marked with N_ and the value it names)."""
    _log_ignored(template, value)
    st.session_state.setdefault("_notices", []).append((template, value))


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
    for template, value in notices:
        st.warning(_(template).format(value=md_literal(value)), icon="ℹ️")


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
