"""The presenter view's Streamlit side: the tour's cards and texts in the current language, and its map.

The tour is sent to the browser once (geo/maps/tour.py, geo/maps/web/tour.js); steps then change there with
no rerun. The browser writes the step into the URL (``step=``); every run of the page reads it
back from ``st.query_params`` (Streamlit sends the address bar's query string with each rerun), so
the server's state follows the presenter without ever being in the way of a key press.
"""

from __future__ import annotations

import re

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

import i18n
from dashboard.labels import type_label
from dashboard.mapview import map_options
from geo.maps.build import build_base_map
from geo.maps.legend import legend_html
from geo.maps.styles import marker_svg
from geo.maps.tour import TourStep, add_tour_assets, build_tour_layer, hub_of, tour_data
from geo.markup import esc
from i18n import _, language

# The page around the map: no padding, the frame fills the window under Streamlit's header
# (3.75rem), nothing scrolls.
PAGE_CSS = """
<style>
[data-testid="stMainBlockContainer"] { padding: 3.75rem 0 0 !important; max-width: 100% !important; }
[data-testid="stMain"] { overflow: hidden; }
[data-testid="stMainBlockContainer"] > div > [data-testid="stVerticalBlock"] { gap: 0; }
[data-testid="stElementContainer"]:has(> .stHtml:empty), [data-testid="stElementContainer"]:has(style:only-child) {
  display: none; }
iframe[title="streamlit_folium.st_folium"] { display: block; width: 100%;
  height: calc(100vh - 3.75rem - var(--tour-notices, 0px)) !important; }
@supports (height: 100dvh) {
  iframe[title="streamlit_folium.st_folium"] { height: calc(100dvh - 3.75rem - var(--tour-notices, 0px)) !important; }
}
</style>
"""
_STEP = re.compile(r"[0-9]{1,6}")


def step_from_url(last: int) -> int:
    """The step in the address bar (kept there by the browser), clamped to the tour; 0 if none."""
    raw = st.query_params.get("step")
    if raw is None or not _STEP.fullmatch(raw.strip()):
        return 0
    return max(0, min(int(raw), last))


def _type_line(office_type: str) -> str:
    try:
        svg = marker_svg(office_type, 26)
    except ValueError:
        svg = ""
    return f'<div class="type">{svg}<span>{esc(type_label(office_type))}</span></div>'


def overview_card(tour: pd.DataFrame) -> str:
    """The title and the number of offices; the legend under the card counts them by type."""
    return (
        f"<h1>{esc(_('The General Secretariat around the world'))}</h1>"
        f"<p>{esc(_('{n} offices on this tour.').format(n=i18n.number(len(tour))))}</p>"
    )


def office_card(row: pd.Series) -> str:
    """Name, type, place, partner, whom it serves, what it does, local time; empty fields left out."""
    place = i18n.list_separator().join(str(v) for v in (row.get("city"), row.get("country")) if v and not pd.isna(v))
    parts = [_type_line(str(row["office_type"])), f"<h1>{esc(row['name'])}</h1>"]
    if place:
        parts.append(f'<p class="place">{esc(place)}</p>')
    for label, column in ((_("Partner"), "partner"), (_("Serves"), "serves")):
        value = row.get(column)
        if value and not pd.isna(value):
            parts.append(f"<p><b>{esc(label)}:</b> {esc(value)}</p>")
    if row.get("description") and not pd.isna(row.get("description")):
        parts.append(f"<p>{esc(row['description'])}</p>")
    if row.get("timezone") and not pd.isna(row.get("timezone")):
        parts.append(f'<p class="muted"><b>{esc(_("Local time"))}:</b> <span class="local-time"></span></p>')
    return "".join(parts)


def tour_steps(tour: pd.DataFrame) -> list[TourStep]:
    total = len(tour)
    steps = [TourStep(label=esc(_("Overview")), card=overview_card(tour))]
    for number, (_index, row) in enumerate(tour.iterrows(), start=1):
        label = _("{step} of {total}").format(step=i18n.number(number), total=i18n.number(total))
        steps.append(TourStep(label=esc(label), card=office_card(row), office=row.to_dict()))
    return steps


def tour_texts() -> dict[str, str]:
    previous, following = (("▶", "◀") if i18n.is_rtl() else ("◀", "▶"))
    return {
        "previous": f'<span aria-hidden="true">{previous}</span> {esc(_("Previous"))}',
        "next": f'{esc(_("Next"))} <span aria-hidden="true">{following}</span>',
        "full_screen": esc(_("Full screen")),
        "leave_full_screen": esc(_("Leave full screen")),
        "lines": esc(_("Lines from the Lyon headquarters")),
        "keys": esc(_("Keys: → Space or Page Down next; ← or Page Up previous; "
                      "a number then Enter goes to that office; F full screen; B blank screen.")),
        "panel": esc(_("Presenter view")),
        "offline": esc(_("No network: back to the offline country outlines.")),
    }


def show_tour_map(tour: pd.DataFrame, all_offices: pd.DataFrame, start: int, *, key: str = "briefing_map") -> None:
    """The map and its card, filling the window; the whole tour goes to the browser now."""
    st.html(PAGE_CSS)
    options = map_options(large_text=True)
    base = add_tour_assets(build_base_map(options))
    lang = language()
    data = tour_data(
        tour_steps(tour),
        text=tour_texts(),
        legend=legend_html(tour, options),
        lang=lang,
        locale="ar-u-nu-latn" if lang == "ar" else lang,  # Latin digits, as Babel writes Arabic numbers
        rtl=i18n.is_rtl(),
        start=start,
        hub=hub_of(all_offices),
    )
    st_folium(
        base,
        key=f"{key}-{lang}",
        height=640,
        use_container_width=True,
        returned_objects=[],
        feature_group_to_add=build_tour_layer(data),
    )
