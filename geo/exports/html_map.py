"""The current map as ONE self-contained HTML file that works from a USB stick with no internet.

Text from the table is never markup: the page embeds data only as escaped JSON (see
:mod:`geo.maps.build`), and its own title and source line are escaped with :func:`html.escape`.
:func:`references_loaded` checks that the page fetches nothing at load.

Under the header, a "Countries served" panel (a ``<details>`` element, closed at first) names, per
office shown that lists them, the countries of ``serves_countries`` in the page's language (CLDR).
"""

from __future__ import annotations

import html
import re
from dataclasses import replace
from datetime import date
from html.parser import HTMLParser

import pandas as pd

import i18n
from geo.exports.table import DEFAULT_TITLE, bare, column, plain
from geo.maps import assets
from geo.maps.build import MapOptions, build_office_map
from geo.offices.countries import served_line
from i18n import N_

SERVED_TITLE = N_("Countries served")


class ExportError(RuntimeError):
    """An export could not be made as promised (e.g. the map page would still load a URL)."""


_PAGE_CSS = """<style>
html, body { height: 100%; margin: 0; }
body { display: flex; flex-direction: column; }
.export-header { flex: none; display: flex; flex-wrap: wrap; align-items: baseline; gap: 4px 16px;
  padding: 6px 12px; background: #1f2937; color: #f9fafb;
  font: 13px/1.4 "Noto Sans", "Noto Sans Arabic", "DejaVu Sans", Arial, sans-serif; }
.export-header h1 { margin: 0; font-size: 15px; font-weight: 700; }
.folium-map { flex: 1 1 auto; min-height: 0; height: auto !important; }
.export-served { flex: none; max-height: 40vh; overflow: auto; padding: 4px 12px; background: #f3f4f6;
  color: #111827; font: 13px/1.4 "Noto Sans", "Noto Sans Arabic", "DejaVu Sans", Arial, sans-serif; }
.export-served summary { cursor: pointer; font-weight: 700; }
.export-served dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 4px 0; }
.export-served dt { font-weight: 600; }
.export-served dd { margin: 0; }
</style>"""
_META_HTTP = '<meta http-equiv="content-type" content="text/html; charset=UTF-8" />'
# Elements and attributes that make a browser fetch something when the page loads.
_LOADING_ATTRIBUTES = {
    "script": ("src",), "img": ("src", "srcset"), "iframe": ("src",), "frame": ("src",),
    "embed": ("src",), "object": ("data",), "source": ("src", "srcset"), "track": ("src",),
    "audio": ("src",), "video": ("src", "poster"), "input": ("src",), "image": ("href", "xlink:href"),
    "link": ("href",), "base": ("href",), "use": ("href", "xlink:href"),
}
_CSS_URL = re.compile(r"url\(\s*['\"]?(?!data:|#)([^'\")]*)|@import", re.IGNORECASE)


class _LoadScanner(HTMLParser):
    """Collects every reference in a page that the browser would fetch at load."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.fetched: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for name in _LOADING_ATTRIBUTES.get(tag, ()):
            value = (values.get(name) or "").strip()
            if value and not value.startswith(("data:", "#")):
                self.fetched.append(f"<{tag} {name}={value[:120]!r}>")
        if tag == "meta" and (values.get("http-equiv") or "").lower() == "refresh":
            self.fetched.append("<meta http-equiv=refresh>")
        self._check_css(values.get("style") or "", f"<{tag} style>")
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self._check_css(data, "<style>")

    def _check_css(self, css: str, where: str) -> None:
        self.fetched.extend(f"{where} {match.group(0)[:120]!r}" for match in _CSS_URL.finditer(css))


def references_loaded(page: str) -> list[str]:
    """Every script, style sheet, image, frame or CSS ``url()`` that ``page`` would fetch when opened.

    Links (``<a href>``) are not fetched and are not listed; neither are URLs inside scripts that
    run only on demand (the online tile layers, which are hidden until chosen).
    """
    scanner = _LoadScanner()
    scanner.feed(page)
    scanner.close()
    return scanner.fetched


def _inline_assets(page: str, base_url: str) -> tuple[str, str]:
    """The page with each vendored <script src> inlined and each style sheet <link> removed, and
    those style sheets as <style> elements, to go first in <head> so the map's own CSS overrides them."""
    inline: dict[str, str] = {}
    styles = []
    links = assets.js_links(base_url)
    for name, url in links:
        inline[f'<script src="{url}"></script>'] = f"<script>{assets.inline_js(name)}</script>"
    # The large-table index runs in the page of a file (no worker): its scripts follow the last one.
    inline[f'<script src="{links[-1][1]}"></script>'] += "".join(
        f"<script>{assets.inline_js(name)}</script>" for name in assets.EXPORT_JS
    )
    for name, url in assets.css_links(base_url):
        css = assets.inline_css(name)
        if re.search("</style", css, re.IGNORECASE):
            raise ExportError(f"the style sheet {name} cannot be inlined: it contains '</style'")
        inline[f'<link rel="stylesheet" href="{url}"/>'] = ""
        styles.append(f"<style>{css}</style>")
    missing = [tag for tag in inline if tag not in page]
    if missing:
        raise ExportError(f"the map page does not load the vendored assets as expected: {missing}")
    pattern = re.compile("|".join(re.escape(tag) for tag in inline))
    # One pass, so the inserted code is never searched again.
    return pattern.sub(lambda match: inline[match.group(0)], page), "\n".join(styles)


def _insert_after(page: str, marker: str, text: str) -> str:
    index = page.find(marker)
    if index < 0:
        raise ExportError(f"the map page has no {marker!r}")
    cut = index + len(marker)
    return page[:cut] + text + page[cut:]


def served_panel(offices: pd.DataFrame, lang: str) -> str:
    """The "Countries served" panel: per office that lists them, "serves N countries: A, B, …" in
    ``lang`` (English when it is not one of the four working languages), every name escaped; "" when
    no office shown lists any."""
    lang = lang if lang in i18n.LANGUAGES else i18n.DEFAULT_LANGUAGE
    frame = bare(offices)
    translations = i18n.translations(lang)
    rows = []
    for name, cell in zip(column(frame, "name").tolist(), column(frame, "serves_countries").tolist(), strict=True):
        line = served_line(cell, lang)
        if not line:
            continue
        rows.append(f"<dt>{html.escape(str(plain(name) or ''))}</dt><dd>{html.escape(line)}</dd>")
    if not rows:
        return ""
    direction = "rtl" if i18n.is_rtl(lang) else "ltr"
    return (
        f'\n<details class="export-served" dir="{direction}"><summary>'
        f"{html.escape(translations.gettext(SERVED_TITLE))}</summary><dl>{''.join(rows)}</dl></details>"
    )


def map_html(
    offices: pd.DataFrame,
    options: MapOptions | None = None,
    *,
    source: str,
    title: str = DEFAULT_TITLE,
    generated: date | None = None,
    lang: str = "en",
) -> str:
    """The current map as ONE self-contained HTML file that works from a USB stick with no internet.

    Leaflet, markercluster, their CSS and images and the country outlines are inlined; the
    offline outlines are the base layer shown. The online tile layers stay in the layer control
    but are requested only if the reader chooses one. Raises :class:`ExportError` if anything
    would still be fetched at load. ``source`` (where the offices come from: the organisation, or
    the user's own uploaded table) is shown in the header under the title; it has no default, so
    an uploaded table is never credited to the official one.
    """
    options = replace(options or MapOptions(), basemap_url=None)
    fmap = build_office_map(bare(offices), options)
    page = fmap.get_root().render()
    page, vendor_css = _inline_assets(page, options.asset_base_url)
    direction = "rtl" if options.rtl else "ltr"
    head = f'<meta charset="utf-8">\n<title>{html.escape(title)}</title>\n{vendor_css}\n{_PAGE_CSS}\n'
    if _META_HTTP in page:
        page = page.replace(_META_HTTP, head, 1)
    else:
        page = _insert_after(page, "<head>", "\n" + head)
    if "<html>" not in page:
        raise ExportError("the map page has no '<html>'")
    page = page.replace("<html>", f'<html lang="{html.escape(lang)}" dir="{direction}">', 1)
    when = (generated or date.today()).isoformat()
    header = (
        f'\n<header class="export-header" dir="{direction}"><h1>{html.escape(title)}</h1>'
        f'<time datetime="{when}">{when}</time><span>{html.escape(source)}</span></header>'
    )
    page = _insert_after(page, "<body>", header + served_panel(offices, lang))
    fetched = references_loaded(page)
    if fetched:
        raise ExportError("the exported map would fetch at load: " + "; ".join(fetched))
    return page
