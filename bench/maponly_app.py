"""A diagnostic for issue #15's figure 1: the app's map frame alone, without the app's page.

The same base map and office layer as the map page (geo.maps.build, with the page's options that
change the frame: the fetched basemap, legend buttons, a kept view, the browser's filters), drawn
with ``st_folium`` like dashboard.mapview does, and nothing else: no sidebar, title, office list or
panel. Its time to map against the reference app is the frame's share of the app's extra time; the
app's against this one is the page's share (bench/ttmprofile.py ``--maponly``).

Run like the reference (bench/servers.py): from a folder with ``.streamlit/config.toml`` (static
serving on) and ``static/``, the repository on PYTHONPATH, ``OFFICES_CSV`` naming the table.
"""

from __future__ import annotations

import os
from pathlib import Path

import streamlit as st
from streamlit_folium import st_folium

from geo.maps import assets
from geo.maps.build import BrowserFilter, MapOptions, build_base_map, build_office_layer
from geo.offices.table import load_offices

DEFAULT_TABLE = Path(assets.ROOT) / "data" / "offices.csv"


@st.cache_data(show_spinner=False)
def offices(path: str):
    return load_offices(path, require_coordinates=False)


table = offices(os.environ.get("OFFICES_CSV") or str(DEFAULT_TABLE))
options = MapOptions(basemap_url=assets.asset_url("basemap"), lang="en", keep_view=True, legend_actions=True)
types = tuple(sorted(set(table["office_type"])))
regions = tuple(sorted(set(table["region"])))
layer = build_office_layer(table, options, BrowserFilter(table, types, regions, ""))
st_folium(build_base_map(options), key="maponly", height=560, use_container_width=True,
          returned_objects=["last_object_clicked_tooltip", "last_object_clicked_count"],
          feature_group_to_add=layer)
