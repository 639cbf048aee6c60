"""The map component: a stable base map, and the offices swapped in place as a feature group."""

from __future__ import annotations

import html

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from dashboard.labels import translated_layer_names, translated_type_labels
from geo import assets
from geo.mapbuild import MapOptions, build_base_map, build_office_layer, office_id_from_tooltip
from i18n import _, is_rtl, language

RETURNED = ["last_object_clicked_tooltip", "last_object_clicked_count"]


def map_options(
    selected: str | None = None,
    hub: tuple[float, float] | None = None,
    large_text: bool = False,
    selected_zoom: int = 6,
) -> MapOptions:
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
    )


def office_map(
    shown: pd.DataFrame,
    options: MapOptions,
    *,
    key: str = "office_map",
    height: int = 560,
) -> str | None:
    """Draw the map; return the id of an office the user has just clicked, else None.

    The base map depends only on the language, so filtering and selecting never reload the
    iframe: the offices arrive through ``feature_group_to_add``. Only clicks are returned, so
    panning and zooming do not rerun the script.
    """
    base = build_base_map(options)  # fresh each run: st_folium mutates the map it is given
    layer = build_office_layer(shown, options)
    result = st_folium(
        base,
        key=f"{key}-{language()}",
        height=height,
        use_container_width=True,
        returned_objects=RETURNED,
        feature_group_to_add=layer,
    )
    count = (result or {}).get("last_object_clicked_count")
    seen_key = f"_seen_click_{key}"
    if count and count != st.session_state.get(seen_key):
        st.session_state[seen_key] = count
        return office_id_from_tooltip(result.get("last_object_clicked_tooltip"))
    return None
