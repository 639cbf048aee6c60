"""Offline web assets: Leaflet and Leaflet.markercluster from the XStatic wheels, the basemap,
and the map's own scripts and styles (geo/maps/web/).

The app copies them into Streamlit's static folder at start-up (served at ``/app/static/...``), so
the map never needs a CDN. Exports inline the same files into one self-contained HTML page.
"""

from __future__ import annotations

import base64
import hashlib
import mimetypes
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import xstatic.pkg.leaflet as xs_leaflet
import xstatic.pkg.leaflet_markercluster as xs_markercluster

from geo.atomic import atomic_write_bytes
from geo.maps import precompressed

ROOT = Path(__file__).resolve().parents[2]
BASEMAP_PATH = ROOT / "data" / "basemap" / "countries-110m.geojson"
BASEMAP_DIR = BASEMAP_PATH.parent  # also the finer levels (scripts/make_basemap.sh)
STATIC_DIR = ROOT / "static"
STATIC_URL = "/app/static"
WEB_DIR = Path(__file__).resolve().parent / "web"


@dataclass(frozen=True)
class Asset:
    """One vendored file: where it comes from and its path under the static folder."""

    source: Path
    target: str  # relative to the static folder


_LEAFLET = Path(xs_leaflet.BASE_DIR)
_CLUSTER = Path(xs_markercluster.BASE_DIR)
ASSETS: dict[str, Asset] = {
    "leaflet_js": Asset(_LEAFLET / "leaflet.js", f"vendor/leaflet-{xs_leaflet.VERSION}/leaflet.js"),
    "leaflet_css": Asset(_LEAFLET / "leaflet.css", f"vendor/leaflet-{xs_leaflet.VERSION}/leaflet.css"),
    "layers_png": Asset(
        _LEAFLET / "images" / "layers.png", f"vendor/leaflet-{xs_leaflet.VERSION}/images/layers.png"
    ),
    "layers_2x_png": Asset(
        _LEAFLET / "images" / "layers-2x.png", f"vendor/leaflet-{xs_leaflet.VERSION}/images/layers-2x.png"
    ),
    "markercluster_js": Asset(
        _CLUSTER / "leaflet.markercluster.js",
        f"vendor/markercluster-{xs_markercluster.VERSION}/leaflet.markercluster.js",
    ),
    "markercluster_css": Asset(
        _CLUSTER / "MarkerCluster.css", f"vendor/markercluster-{xs_markercluster.VERSION}/MarkerCluster.css"
    ),
    "basemap": Asset(BASEMAP_PATH, "basemap/countries-110m.geojson"),
    # The finer basemap levels the map fetches only when the zoom needs them (geo/maps/basemap.py,
    # OfflineBasemap): 1:50m world, 1:10m cells around the offices, the offices' city names.
    "basemap_50m": Asset(BASEMAP_DIR / "world-50m.geojson", "basemap/world-50m.geojson"),
    "basemap_places": Asset(BASEMAP_DIR / "places.geojson", "basemap/places.geojson"),
    **{
        f"basemap_10m_{cell.stem}": Asset(cell, f"basemap/10m/{cell.name}")
        for cell in sorted((BASEMAP_DIR / "10m").glob("*.geojson"))
    },
    # The presenter view's tour (geo/maps/tour.py): our own script and style, served like the vendored files.
    "tour_js": Asset(WEB_DIR / "tour.js", "tour/tour.js"),
    "tour_css": Asset(WEB_DIR / "tour.css", "tour/tour.css"),
    # The map's own scripts: the basemap by zoom (geo/maps/basemap.py) and the office layer
    # (geo/maps/markers.py). Every map loads them after Leaflet; exports inline them like Leaflet.
    "basemap_js": Asset(WEB_DIR / "basemap.js", "map/basemap.js"),
    "markers_js": Asset(WEB_DIR / "markers.js", "map/markers.js"),
    "filters_js": Asset(WEB_DIR / "filters.js", "map/filters.js"),
    # Tables over geo.maps.markers.LARGE_TABLE offices (issue #15): Supercluster (npm "supercluster"
    # 9.1.0, ISC, with kdbush bundled; web/vendor/ holds its licences), the layer that draws the
    # clusters of the view, and the Web Worker that builds them (loaded by URL: the app's CSP allows
    # workers from 'self' only). The worker is served with Supercluster in one file (WORKER_BUNDLE); a
    # page where no worker can start loads that file as a script (large.js), and an export, opened
    # from a file, has it inlined (EXPORT_JS), so the index is built on the page itself.
    "supercluster_js": Asset(WEB_DIR / "vendor" / "supercluster-9.1.0" / "supercluster.min.js",
                             "vendor/supercluster-9.1.0/supercluster.min.js"),
    "large_js": Asset(WEB_DIR / "large.js", "map/large.js"),
    "large_worker_js": Asset(WEB_DIR / "large-worker.js", "map/large-worker.js"),
}
JS_ORDER = ("leaflet_js", "markercluster_js", "basemap_js", "markers_js", "filters_js", "large_js")
# Every map loads JS_ORDER as ONE file, map/map.js (their texts joined): streamlit-folium loads a
# frame's scripts one after another, and each request on a kept-alive connection to Streamlit's
# server waits ~40 ms for the browser's delayed ACK (its listening socket has no TCP_NODELAY): seven
# files took ~330 ms of the frame's time to map, one takes ~50 ms (issue #15, bench/results/timetomap.md).
# (jQuery, the seventh, is gone: nothing on the map uses it.)
BUNDLE = "map_js"
BUNDLE_TARGET = "map/map.js"
# The large-table worker with Supercluster in the same file: one request when it starts, not two (a
# page that cannot start a worker loads this file as a script: it defines both there too).
WORKER_BUNDLE = "large_worker_all_js"
BUNDLES: dict[str, tuple[str, tuple[str, ...]]] = {
    BUNDLE: (BUNDLE_TARGET, JS_ORDER),
    WORKER_BUNDLE: ("map/large-worker-all.js", ("supercluster_js", "large_worker_js")),
}
EXPORT_JS = (WORKER_BUNDLE,)  # inlined after JS_ORDER in an export (no worker there)
CSS_ORDER = ("leaflet_css", "markercluster_css")


def install_static_assets(static_dir: Path = STATIC_DIR) -> list[str]:
    """Copy every asset into ``static_dir`` unless an identical copy is there; return what was copied.

    Safe to call from several processes at once: each file is written atomically.
    """
    copied = []
    for key, (target_name, _names) in BUNDLES.items():
        bundle = static_dir / target_name
        text = _bundle_text(key).encode("utf-8")
        if not (bundle.exists() and bundle.read_bytes() == text):
            bundle.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_bytes(bundle, text)
            copied.append(target_name)
        # Its gzip copy, served by deploy.precompressed instead of gzipping it on every request.
        copy = precompressed.bundle_copy(bundle, _bundle_digest(key))
        precompressed.write_copy(copy, text)
        precompressed.remove_other_copies(bundle, keep=copy)
    for asset in ASSETS.values():
        if not asset.source.exists():
            continue
        target = static_dir / asset.target
        data = asset.source.read_bytes()
        if target.exists() and target.stat().st_size == len(data) and target.read_bytes() == data:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(target, data)
        copied.append(asset.target)
    return copied


def asset_url(name: str, base_url: str = STATIC_URL) -> str:
    """The URL at which the app serves asset ``name``, with a content hash to defeat stale caches."""
    asset = ASSETS[name]
    return f"{base_url.rstrip('/')}/{asset.target}?v={_digest(asset.source)}"


@lru_cache(maxsize=32)
def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:10] if path.exists() else "missing"


def js_links(base_url: str = STATIC_URL) -> list[tuple[str, str]]:
    """(name, url) pairs in load order, the shape folium's ``default_js`` expects: the one bundle of
    JS_ORDER's files (see BUNDLE)."""
    return [(BUNDLE, bundle_url(BUNDLE, base_url))]


def bundle_url(key: str, base_url: str = STATIC_URL) -> str:
    """The content-hashed URL of one of :data:`BUNDLES`."""
    return f"{base_url.rstrip('/')}/{BUNDLES[key][0]}?v={_bundle_digest(key)}"


@lru_cache(maxsize=4)
def _bundle_digest(key: str) -> str:
    return hashlib.sha256(_bundle_text(key).encode("utf-8")).hexdigest()[:10]


@lru_cache(maxsize=4)
def _bundle_text(key: str) -> str:
    # A newline and a semicolon between files: a file that ends without one (or with a comment)
    # cannot run into the next.
    return "\n;\n".join(ASSETS[name].source.read_text(encoding="utf-8") for name in BUNDLES[key][1]) + "\n"


def css_links(base_url: str = STATIC_URL) -> list[tuple[str, str]]:
    """(name, url) pairs, the shape folium's ``default_css`` expects."""
    return [(name, asset_url(name, base_url)) for name in CSS_ORDER]


def _data_uri(path: Path) -> str:
    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


@lru_cache(maxsize=8)
def inline_css(name: str) -> str:
    """The CSS text of asset ``name`` with its relative images turned into data URIs."""
    asset = ASSETS[name]
    css = asset.source.read_text(encoding="utf-8")

    def replace(match: re.Match[str]) -> str:
        image = (asset.source.parent / match.group(2)).resolve()
        return f"url({_data_uri(image)})" if image.exists() else match.group(0)

    return re.sub(r"url\((['\"]?)(images/[^'\")]+)\1\)", replace, css)


def inline_js(name: str) -> str:
    """The JavaScript text of asset ``name`` (or of the BUNDLE), made safe to place inside a <script> element."""
    text = _bundle_text(name) if name in BUNDLES else ASSETS[name].source.read_text(encoding="utf-8")
    return text.replace("</script", "<\\/script")


def web_text(name: str) -> str:
    """The text of a file of geo/maps/web/ that a module embeds (a style sheet, a template)."""
    return (WEB_DIR / name).read_text(encoding="utf-8")


if __name__ == "__main__":
    done = install_static_assets()
    print(f"static assets ready in {STATIC_DIR} ({len(done)} copied)")
