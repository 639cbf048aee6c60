"""The map component: a stable base map, and the offices swapped in place as a feature group."""

from __future__ import annotations

import html
from collections.abc import Callable

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

import i18n
from dashboard import data
from dashboard.labels import region_label, translated_layer_names, translated_type_labels
from geo.maps import assets
from geo.maps.build import BrowserFilter, MapOptions, build_base_map, build_office_layer
from geo.maps.legend import legend_action_from_tooltip
from geo.maps.markers import is_map_ready, office_id_from_tooltip
from geo.offices.schema import REGIONS
from i18n import _, is_rtl, language, ngettext

RETURNED = ["last_object_clicked_tooltip", "last_object_clicked_count"]
# One count per CLDR plural category (the map picks the category with Intl.PluralRules); the
# catalogue's plural forms follow CLDR, so these numbers give each category's form.
PLURAL_SAMPLES = (("zero", 0), ("one", 1), ("two", 2), ("few", 3), ("many", 11), ("other", 100))


def cluster_labels() -> dict[str, str]:
    """A cluster's accessible name, "4 offices: Lyon headquarters, …", in each plural category."""
    return {
        category: ngettext("{n} office: {names}", "{n} offices: {names}", n)
        for category, n in PLURAL_SAMPLES
    }


def map_options(
    selected: str | None = None,
    hub: tuple[float, float] | None = None,
    large_text: bool = False,
    selected_zoom: int = 6,
    *,
    keep_view: bool = False,
    legend_actions: bool = False,
    active_types: tuple[str, ...] | None = None,
    fill_frame: bool = False,
    host_script: str = "",
    coverage: dict | None = None,
    ready_unless: str = "",
) -> MapOptions:
    """The map's options in the current language.

    The map page passes ``keep_view``, ``legend_actions``, ``active_types``, ``fill_frame`` and
    ``host_script`` (see :class:`geo.maps.build.MapOptions`); other pages keep the defaults.
    """
    return MapOptions(
        type_labels=translated_type_labels(),
        legend_title=_("Office types"),
        layer_names=translated_layer_names(),
        rtl=is_rtl(),
        selected_id=selected,
        selected_zoom=selected_zoom,
        hub=hub,
        basemap_url=assets.asset_url("basemap"),
        large_text=large_text,
        basemap_attribution=html.escape(_("Outlines: {source} (public domain)")).format(
            source='<a href="https://www.naturalearthdata.com/">Natural Earth</a>'
        ),
        lang=language(),
        keep_view=keep_view,
        legend_actions=legend_actions,
        active_types=active_types,
        fill_frame=fill_frame,
        host_script=host_script,
        ready_unless=ready_unless,
        coverage=coverage,
        coverage_note=html.escape(_("Shaded: the countries the offices shown serve")) if coverage else "",
        # "{type}" is replaced in the map (never str.format: a type label may hold braces).
        ui_text={"only": _("only"), "only_label": _("Show only: {type}"),
                 "load_failed": _("The offices could not be loaded. Reload the page to try again.")},
        cluster_label=cluster_labels(),
        list_separator=i18n.list_separator(),
    )


def browser_filter(offices: pd.DataFrame, filters) -> BrowserFilter:
    """The sidebar's filters for the map, which applies their changes at once in the browser
    (``offices``: the session's whole localised table; ``filters``: dashboard.state.Filters)."""
    return BrowserFilter(
        table=offices,
        types=tuple(filters.types),
        regions=tuple(filters.regions),
        query=filters.query,
        region_labels={code: region_label(code) for code in REGIONS},
        search_columns=data.SEARCH_EXTRA_COLUMNS,
    )


def _take_click(value: dict | None, seen_key: str) -> str | None:
    """The clicked tooltip's text when ``value`` reports a click not handled yet, else None."""
    count = (value or {}).get("last_object_clicked_count")
    if count and count != st.session_state.get(seen_key):
        st.session_state[seen_key] = count
        return (value or {}).get("last_object_clicked_tooltip") or ""
    return None


def office_map(
    shown: pd.DataFrame,
    options: MapOptions,
    *,
    key: str = "office_map",
    height: int = 560,
    on_select: Callable[[str], None] | None = None,
    on_legend: Callable[[str, str], None] | None = None,
    filters: BrowserFilter | None = None,
) -> str | None:
    """Draw the map; return the id of an office the user has just clicked, else None.

    The base map depends only on the language, so filtering and selecting never reload the
    iframe: the offices arrive through ``feature_group_to_add``. Only clicks are returned, so
    panning and zooming do not rerun the script.

    With ``on_select`` (an office id) and ``on_legend`` (``"toggle"`` or ``"only"``, an office
    type), a click is handled in the component's change callback, before the script runs: the
    page draws the chosen office (or the new filters) in that same run, with no second rerun.
    A click the callback has handled is not returned again. With ``filters`` (see
    :func:`browser_filter`) the map applies a filter change in the browser before the rerun.
    """
    widget_key = f"{key}-{language()}"
    seen_key = f"_seen_click_{key}"

    def dispatch(text: str) -> str | None:
        if is_map_ready(text):
            return None  # the map has drawn its offices: the run this click started is all it asks for
        action = legend_action_from_tooltip(text)
        if action is not None:
            if on_legend is not None:
                on_legend(*action)
            return None
        office_id = office_id_from_tooltip(text)
        if office_id and on_select is not None:
            on_select(office_id)
        return office_id

    def changed() -> None:
        text = _take_click(st.session_state.get(widget_key), seen_key)
        if text is not None:
            dispatch(text)

    base = build_base_map(options)  # fresh each run: st_folium mutates the map it is given
    layer = build_office_layer(shown, options, filters)
    result = st_folium(
        base,
        key=widget_key,
        height=height,
        use_container_width=True,
        returned_objects=RETURNED,
        feature_group_to_add=layer,
        on_change=changed if (on_select or on_legend) else None,
    )
    text = _take_click(result, seen_key)
    if text is None:
        return None
    return dispatch(text)
