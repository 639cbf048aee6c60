"""The office layer's markers: compact rows of the offices, the script that draws them, clicks back.

:class:`OfficeMarkers` hands the layer's config and rows to ``web/markers.js``
(``window.GsOfficeMarkers.render``), which draws every office as a clustered marker with the legend,
optional lines and shading, keyboard access and the view. The data is embedded only as two JSON
literals, ``var cfg`` and ``var rows`` (escaped by :func:`geo.markup.js_json`; names and ids
HTML-escaped first).

Above :data:`LARGE_TABLE` offices (issue #15) ``rows`` is one JavaScript *string* holding the rows'
JSON (:func:`js_string`: a string literal costs the browser a scan, an array literal of 100,000 rows
a parse three times as long), and ``cfg.largeTable`` names the Web Worker that parses it and clusters
it with Supercluster (``web/large.js``, ``web/large-worker.js``): the page draws only the clusters
of the view. On the map page the rows are not in the page at all: ``rows`` is ``null`` and
``cfg.largeTable.data`` names the table's static file (:mod:`geo.maps.tablefile`), which the worker
fetches once and filters as the page asks.

The script is placed in the page as it is (:meth:`OfficeMarkers.render`), never compiled as a
Jinja2 template the way branca's ``MacroElement.render`` compiles every rendered script (the whole
table, ~2.5 s at 100,000 offices).
"""

from __future__ import annotations

import html
import json
import re

import pandas as pd
from branca.element import Figure, MacroElement
from folium.template import Template

from geo.maps import assets
from geo.maps.frame import RawText
from geo.maps.styles import type_index
from geo.maps.view import unwrap
from geo.markup import esc, js_json

# Tooltips carry the office id after this invisible separator so a click names the office exactly.
ID_SEPARATOR = "\u2063"
# Above this many placed offices the layer is drawn by web/large.js (clusters from a Web Worker).
LARGE_TABLE = 5000


class OfficeMarkers(MacroElement):
    """Every office as a clustered DivIcon marker, the legend, optional hub lines, and the view.

    ``rows`` is :func:`office_rows`'s list (or its JSON text, drawn as a small table).
    """

    # streamlit-folium takes a layer's script from this macro (``_template.module.script``) for
    # feature_group_to_add; a page render goes through :meth:`render` instead.
    _template = Template(
        """
        {% macro script(this, kwargs) %}{{ this.script_text(this._parent._parent.get_name(),
            this._parent.get_name()) }}{% endmacro %}
        """
    )

    def __init__(
        self,
        config_json: str,
        rows: list[list[object]] | str | None,
        asset_base_url: str = assets.STATIC_URL,
        *,
        table_url: str | None = None,
    ):
        super().__init__()
        self._name = "OfficeMarkers"
        self.config_json = config_json
        # table_url: the rows are in a static file (geo.maps.tablefile) the map's worker fetches.
        self.large = table_url is not None or (not isinstance(rows, str) and rows is not None and len(rows) > LARGE_TABLE)
        if table_url is not None or rows is None:
            self.rows_json = "null"
        elif isinstance(rows, str):
            self.rows_json = rows
        elif self.large:
            self.rows_json = js_string(json.dumps(rows, ensure_ascii=False, separators=(",", ":"), allow_nan=False))
        else:
            self.rows_json = js_json(rows)
        self.large_json = js_json(large_table_config(asset_base_url, table_url)) if self.large else "null"

    def script_text(self, map_name: str, group_name: str) -> str:
        """The layer's script: the config, the rows and the call to web/markers.js."""
        return (
            "(function () {\n"
            f"    var cfg = {self.config_json};\n"
            f"    cfg.largeTable = {self.large_json};\n"
            f"    var rows = {self.rows_json};\n"
            f"    window.GsOfficeMarkers.render({map_name}, {group_name},\n"
            "        cfg, rows);\n"
            "})();\n"
        )

    def render(self, **kwargs: object) -> None:
        """Add the script to the figure as raw text (branca would compile it as a template)."""
        figure = self.get_root()
        assert isinstance(figure, Figure), "You cannot render this Element if it is not in a Figure."
        text = self.script_text(self._parent._parent.get_name(), self._parent.get_name())
        figure.script.add_child(RawText(text), name=self.get_name())


# A single-quoted JavaScript string: JSON's many double quotes need no escape (the browser scans the
# literal in half the time of a double-quoted one: 43 ms against 90 ms for 100,000 rows in V8). Names
# and ids are HTML-escaped, so a quote or backslash is rare. <, >, & and line separators are written
# as \u escapes as js_json writes them, so nothing can end the script.
_JS_STRING = str.maketrans({"\\": "\\\\", "'": "\\'", "\n": "\\n", "\r": "\\r", "<": "\\u003c", ">": "\\u003e",
                            "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"})
_TEMPLATE_OPENER = re.compile(r"\{(?=[{%#])")  # "{{", "{%", "{#": never template text, wherever it goes


def js_string(text: str) -> str:
    """``text`` as a single-quoted JavaScript string literal, safe inside an HTML <script>."""
    return "'" + _TEMPLATE_OPENER.sub(r"\\u007b", text.translate(_JS_STRING)) + "'"


def large_table_config(asset_base_url: str = assets.STATIC_URL, table_url: str | None = None) -> dict[str, object]:
    """What web/large.js needs: the threshold, the URL of the worker with Supercluster (same origin),
    and the table file's URL when the rows are not in the page."""
    return {
        "min": LARGE_TABLE,
        "worker": assets.bundle_url(assets.WORKER_BUNDLE, asset_base_url),  # Supercluster included
        "data": table_url,
    }


def office_rows(offices: pd.DataFrame, origin: float = -180.0) -> list[list[object]]:
    """Compact marker rows: [lat, lon, type index, escaped id, escaped name]; unplaced rows skipped.

    Longitudes are drawn in ``[origin, origin + 360)`` (see :mod:`geo.maps.view`), so offices either
    side of 180° sit side by side. Whole columns become lists first: iterating pandas' string
    columns value by value costs ~100 ms per 10,000 offices.
    """
    placed = offices.dropna(subset=["latitude", "longitude"])
    types = {kind: type_index(kind) for kind in set(placed["office_type"].tolist())}
    return [
        [round(float(lat), 6), round(unwrap(lon, origin), 6), types[kind], _esc(office_id), _esc(name)]
        for lat, lon, kind, office_id, name in zip(
            placed["latitude"].tolist(), placed["longitude"].tolist(), placed["office_type"].tolist(),
            placed["id"].tolist(), placed["name"].tolist(),
            strict=True,
        )
    ]


# html.escape(quote=True) in one pass: the same text, at a third of the cost for 200,000 values.
_HTML_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;"})


def _esc(value: object) -> str:
    return value.translate(_HTML_ESCAPES) if isinstance(value, str) else esc(value)


# The "tooltip" of the click a map sends once it has drawn its offices, when the page holding it asks
# for it (MapOptions.ready_unless): between two separators, so it names no office (an id follows the
# last separator, and here nothing does).
MAP_READY = f"{ID_SEPARATOR}drawn{ID_SEPARATOR}"


def is_map_ready(text: str | None) -> bool:
    """Whether a clicked "tooltip" is the map's "offices drawn" signal (:data:`MAP_READY`)."""
    return text == MAP_READY


def office_id_from_tooltip(text: str | None) -> str | None:
    """The office id carried by a clicked marker's tooltip text (see :data:`ID_SEPARATOR`)."""
    if not text or ID_SEPARATOR not in text:
        return None
    return html.unescape(text.rsplit(ID_SEPARATOR, 1)[1].strip()) or None
