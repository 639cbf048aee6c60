"""The office layer's markers: compact rows of the offices, the script that draws them, clicks back.

:class:`OfficeMarkers` hands the layer's config and rows to ``web/markers.js``
(``window.GsOfficeMarkers.render``), which draws every office as a clustered marker with the legend,
optional lines and shading, keyboard access and the view. The data is embedded only as two JSON
literals, ``var cfg`` and ``var rows`` (escaped by :func:`geo.markup.js_json`; names and ids
HTML-escaped first).
"""

from __future__ import annotations

import html

import pandas as pd
from branca.element import MacroElement
from folium.template import Template

from geo.maps.styles import type_index
from geo.maps.view import unwrap
from geo.markup import esc

# Tooltips carry the office id after this invisible separator so a click names the office exactly.
ID_SEPARATOR = "\u2063"


class OfficeMarkers(MacroElement):
    """Every office as a clustered DivIcon marker, the legend, optional hub lines, and the view."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var cfg = {{ this.config_json }};
            var rows = {{ this.rows_json }};
            window.GsOfficeMarkers.render({{ this._parent._parent.get_name() }}, {{ this._parent.get_name() }},
                cfg, rows);
        })();
        {% endmacro %}
        """
    )

    def __init__(self, config_json: str, rows_json: str):
        super().__init__()
        self._name = "OfficeMarkers"
        self.config_json = config_json
        self.rows_json = rows_json


def office_rows(offices: pd.DataFrame, origin: float = -180.0) -> list[list[object]]:
    """Compact marker rows: [lat, lon, type index, escaped id, escaped name]; unplaced rows skipped.

    Longitudes are drawn in ``[origin, origin + 360)`` (see :mod:`geo.maps.view`), so offices either
    side of 180° sit side by side.
    """
    placed = offices.dropna(subset=["latitude", "longitude"])
    return [
        [round(float(lat), 6), round(unwrap(lon, origin), 6), type_index(kind), esc(office_id), esc(name)]
        for lat, lon, kind, office_id, name in zip(
            placed["latitude"], placed["longitude"], placed["office_type"], placed["id"], placed["name"],
            strict=True,
        )
    ]


def office_id_from_tooltip(text: str | None) -> str | None:
    """The office id carried by a clicked marker's tooltip text (see :data:`ID_SEPARATOR`)."""
    if not text or ID_SEPARATOR not in text:
        return None
    return html.unescape(text.rsplit(ID_SEPARATOR, 1)[1].strip()) or None
