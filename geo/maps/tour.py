"""The presenter view's tour as one folium layer: every step reaches the browser at once.

:func:`build_tour_layer` puts the whole tour (each step's office, view, card and label) into one
``FeatureGroup`` whose script hands it to ``geo/maps/web/tour.js``, which draws the markers and steps
through the tour in the browser: a key press changes the card and starts the map's flight in the
same task, with no Streamlit rerun (see that file for the keys).

The cards arrive as HTML made by the caller, which escapes every value from the data; names,
cities and ids are escaped here. Everything is embedded with :func:`geo.markup.js_json`. Longitudes
are drawn in one frame, so a tour across 180° flies the short way (see :mod:`geo.maps.view`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import folium
import pandas as pd
from branca.element import MacroElement
from folium.template import Template

from geo.maps import assets
from geo.maps.frame import OfficeMap
from geo.maps.styles import marker_types, type_index
from geo.maps.view import fit_bounds, origin_of, unwrap
from geo.markup import esc, js_json
from geo.offices.schema import OfficeType

STEP_ZOOM = 5  # an office and its surroundings: the capital region, the nearest neighbours
TEXT_KEYS = (
    "previous", "next", "full_screen", "leave_full_screen", "lines", "keys", "panel", "offline",
)


def tour_marker_size(office_type: str) -> int:
    """Drawn size on the presenter's map: big enough to see on a projector and to touch (44 px)."""
    if office_type == OfficeType.HEADQUARTERS:
        return 46
    if office_type == OfficeType.GLOBAL_COMPLEX:
        return 40
    return 34


@dataclass(frozen=True)
class TourStep:
    """One step: the overview (``office`` is None) or one office; ``card`` and ``label`` are HTML."""

    label: str
    card: str
    office: Mapping[str, object] | None = None


class TourScript(MacroElement):
    """Hands the tour's data to ``window.GsTour`` (geo/maps/web/tour.js) inside the map's frame."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        window.GsTour.render({{ this._parent._parent.get_name() }}, {{ this._parent.get_name() }},
            {{ this.data_json }});
        {% endmacro %}
        """
    )

    def __init__(self, data_json: str):
        super().__init__()
        self._name = "TourScript"
        self.data_json = data_json


def _office_step(step: TourStep, origin: float) -> dict[str, object]:
    office = step.office or {}
    return {
        "id": esc(office["id"]),
        "lat": round(float(office["latitude"]), 6),
        "lon": round(unwrap(office["longitude"], origin), 6),
        "type": type_index(str(office["office_type"])),
        "name": esc(office["name"]),
        "city": esc(office.get("city", "")),
        "tz": str(office.get("timezone", "") or ""),
        "zoom": STEP_ZOOM,
        "label": step.label,
        "card": step.card,
    }


def tour_data(
    steps: Sequence[TourStep],
    *,
    text: Mapping[str, str],
    legend: str,
    lang: str,
    locale: str,
    rtl: bool,
    start: int = 0,
    hub: tuple[float, float] | None = None,
) -> dict[str, object]:
    """The JSON the browser gets: steps (0 = overview), marker styles, texts, view of the overview."""
    missing = [k for k in TEXT_KEYS if k not in text]
    if missing:
        raise ValueError(f"tour text is missing {missing!r}")
    origin = origin_of(float(s.office["longitude"]) for s in steps if s.office is not None)
    step_list = [
        _office_step(s, origin) if s.office is not None else {"id": None, "label": s.label, "card": s.card}
        for s in steps
    ]
    bounds = fit_bounds([(o["lat"], o["lon"]) for o in step_list if o["id"] is not None])
    if hub:
        hub = (hub[0], round(unwrap(hub[1], origin), 6))
    types = marker_types(tour_marker_size, mini=None)
    return {
        "lang": esc(lang),
        "locale": locale,
        "rtl": rtl,
        "steps": step_list,
        "types": types,
        "bounds": bounds,
        "hub": list(hub) if hub else None,
        "legend": legend,
        "text": {k: text[k] for k in TEXT_KEYS},
        "start": max(0, min(int(start), len(step_list) - 1)) if step_list else 0,
    }


def build_tour_layer(data: Mapping[str, object]) -> folium.FeatureGroup:
    """The feature group that streamlit-folium swaps in place: the tour's script and its data."""
    group = folium.FeatureGroup(name="tour", control=False)
    group.add_child(TourScript(js_json(dict(data))), name="tour_script")
    return group


def add_tour_assets(fmap: OfficeMap, base_url: str = assets.STATIC_URL) -> OfficeMap:
    """Make the map's frame load the tour's script and style (after Leaflet)."""
    fmap.default_js = [*fmap.default_js, ("tour_js", assets.asset_url("tour_js", base_url))]
    fmap.default_css = [*fmap.default_css, ("tour_css", assets.asset_url("tour_css", base_url))]
    return fmap


def hub_of(offices: pd.DataFrame) -> tuple[float, float] | None:
    """Where the headquarters is, for the lines drawn from it."""
    hq = offices[offices["office_type"] == OfficeType.HEADQUARTERS.value].dropna(subset=["latitude", "longitude"])
    if not len(hq):
        return None
    return (round(float(hq.iloc[0]["latitude"]), 6), round(float(hq.iloc[0]["longitude"]), 6))
