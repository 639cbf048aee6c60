"""The map's frame: a folium Map with the app's own Leaflet and style, zoomable, in the page's language.

:class:`OfficeMap` loads Leaflet, markercluster and the map's own scripts from the app (never
a CDN; see :mod:`geo.maps.assets`) and lets people zoom the page; :data:`MAP_CSS` is the frame's style
(``web/map.css``); :class:`MapAccessibility` gives the frame its language, a main landmark and
Leaflet's control names in that language.
"""

from __future__ import annotations

import html
import re

import folium
from branca.element import Element, MacroElement
from folium.template import Template

import i18n
from geo.maps import assets
from geo.markup import js_json
from i18n import N_

MAP_CSS = f"<style>\n{assets.web_text('map.css')}</style>\n"



# folium's template forbids zooming the page (user-scalable=no, maximum-scale=1): a barrier for
# people who zoom to read (WCAG 1.4.4). This one lets them.
VIEWPORT_META = '<meta name="viewport" content="width=device-width, initial-scale=1" />'
_FOLIUM_VIEWPORT = re.compile(r'<meta\s+name="viewport"[^>]*>', re.IGNORECASE)


class RawText(Element):
    """Text placed in the page as it is, never parsed or rendered as a Jinja2 template (header text
    rendered once already; the office layer's script, geo.maps.markers)."""

    def __init__(self, text: str):
        super().__init__()
        self.text = text

    def render(self, **kwargs: object) -> str:
        return self.text


class OfficeMap(folium.Map):
    """A folium Map whose Leaflet and markercluster come from the app, not a CDN, and whose
    page can be zoomed (folium's viewport meta is replaced)."""

    default_js: list[tuple[str, str]] = []  # noqa: RUF012 - set per instance below
    default_css: list[tuple[str, str]] = []  # noqa: RUF012

    def __init__(self, *args: object, asset_base_url: str = assets.STATIC_URL, **kwargs: object):
        super().__init__(*args, **kwargs)
        self.default_js = assets.js_links(asset_base_url)
        self.default_css = assets.css_links(asset_base_url)

    def render(self, **kwargs: object) -> None:
        super().render(**kwargs)
        header = self.get_root().header
        element = header._children.get(self.get_name())
        if element is not None:
            header._children[self.get_name()] = RawText(_FOLIUM_VIEWPORT.sub(VIEWPORT_META, element.render()))


# Leaflet's own English strings, marked for the catalogues (the frame's script puts them in place).
MAP_STRINGS = {
    "title": N_("Map of the offices"),
    "zoomIn": N_("Zoom in"),
    "zoomOut": N_("Zoom out"),
    "layers": N_("Layers"),
    "leaflet": N_("A JavaScript library for interactive maps"),
}


class MapAccessibility(MacroElement):
    """The map frame in the page's language: ``<html lang dir>``, a main landmark with a (visually
    hidden) h1, and Leaflet's zoom, layer and attribution titles translated."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function (map, t) {
            var root = document.documentElement;
            root.setAttribute("lang", t.lang);
            root.setAttribute("dir", t.dir);
            var box = map.getContainer();
            box.setAttribute("role", "main");
            if (!box.querySelector(".gs-map-title")) {
                var h1 = document.createElement("h1");
                h1.className = "gs-map-title";
                h1.textContent = t.title;
                box.insertBefore(h1, box.firstChild);
            }
            function name(selector, text) {
                box.querySelectorAll(selector).forEach(function (a) {
                    a.setAttribute("title", text);
                    a.setAttribute("aria-label", text);
                });
            }
            name(".leaflet-control-zoom-in", t.zoomIn);
            name(".leaflet-control-zoom-out", t.zoomOut);
            name(".leaflet-control-layers-toggle", t.layers);
            var credit = map.attributionControl;
            if (credit && typeof credit.options.prefix === "string") {
                credit.setPrefix(credit.options.prefix.replace(
                    'title="A JavaScript library for interactive maps"', 'title="' + t.leafletAttr + '"'));
            }
        })({{ this._parent.get_name() }}, {{ this.texts_json }});
        {% endmacro %}
        """
    )

    def __init__(self, lang: str):
        super().__init__()
        self._name = "MapAccessibility"
        translate = i18n.translations(lang).gettext
        texts = {key: translate(message) for key, message in MAP_STRINGS.items()}
        texts["leafletAttr"] = html.escape(texts.pop("leaflet"), quote=True)
        texts["lang"] = lang
        texts["dir"] = "rtl" if i18n.is_rtl(lang) else "ltr"
        self.texts_json = js_json(texts)
