"""The benchmark's reference: the least an app can do to show the offices with streamlit-folium.

One ``st_folium`` map of the offices as plain folium ``CircleMarker``s (``fill=True``) with Leaflet
served locally (the same files and URLs as the app), and one ``st.multiselect`` of office types.
Nothing else: no basemap, no tiles, no legend, no clustering, no sidebar.

The markers go into one ``FeatureGroup`` passed as ``feature_group_to_add`` with a fixed key, the
way streamlit-folium updates markers in place, so a filter change does not reload the iframe.

The benchmark runs a copy of this script from a temporary folder that also holds
``.streamlit/config.toml`` (static serving on) and ``static/`` (geo.maps.assets.install_static_assets),
with the repository on PYTHONPATH and ``OFFICES_CSV`` naming the table (data/offices.csv if unset).
"""

from __future__ import annotations

import os
from pathlib import Path

import folium
import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from geo.maps import assets
from geo.maps.styles import TYPE_STYLES
from geo.offices.schema import OfficeType
from geo.offices.table import load_offices

DEFAULT_TABLE = Path(assets.ROOT) / "data" / "offices.csv"


class LocalMap(folium.Map):
    """A folium Map with Leaflet, markercluster and the map's scripts (one file) from /app/static (as geo.maps.frame.OfficeMap)."""

    default_js: list[tuple[str, str]] = []  # noqa: RUF012
    default_css: list[tuple[str, str]] = []  # noqa: RUF012

    def __init__(self, *args: object, **kwargs: object):
        super().__init__(*args, **kwargs)
        self.default_js = assets.js_links()
        self.default_css = assets.css_links()


@st.cache_data(show_spinner=False)
def offices(path: str) -> pd.DataFrame:
    return load_offices(path, require_coordinates=False).dropna(subset=["latitude", "longitude"])


table = offices(os.environ.get("OFFICES_CSV") or str(DEFAULT_TABLE))
types = st.multiselect(
    "Office types",
    options=[t.value for t in OfficeType],
    default=[t.value for t in OfficeType],
    format_func=lambda value: TYPE_STYLES[OfficeType(value)].label,
)
shown = table[table["office_type"].isin(types)]

fmap = LocalMap(location=[20, 10], zoom_start=2, tiles=None)
group = folium.FeatureGroup(name="offices")
for lat, lon, kind in zip(shown["latitude"], shown["longitude"], shown["office_type"], strict=True):
    colour = TYPE_STYLES[OfficeType(kind)].colour
    folium.CircleMarker([lat, lon], radius=6, color=colour, fill=True, fill_color=colour).add_to(group)
st_folium(fmap, key="reference", height=560, use_container_width=True, returned_objects=[],
          feature_group_to_add=group)
