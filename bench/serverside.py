"""Server-side cost of the map: build and serialise, the app's way and the per-marker folium way.

Run in a child process by the benchmark (one table, one approach, several runs), so a slow or
memory-hungry approach can be stopped by a timeout and never disturbs the browser measurements:

    python -m bench.serverside app TABLE --runs 5
    python -m bench.serverside per-marker TABLE --runs 3

It prints one JSON object: ``times_ms`` (one per run, wall clock), ``cpu_ms`` (the same runs'
process CPU time), ``bytes`` (what goes to the browser) and
``parts`` (bytes per component argument, for the app).

* ``app``: ``geo.maps.build.build_base_map`` + ``build_office_layer`` (the options the map page uses,
  untranslated), then ``streamlit_folium.st_folium`` itself with its Streamlit component call
  replaced by a recorder, then ``json.dumps`` of the component arguments as Streamlit does. The
  bytes are that JSON: the base map script, header, links and the feature-group string.
* ``per-marker``: one ``folium.Marker`` with a tooltip (the office name) per office on a
  ``folium.Map``, rendered with ``get_root().render()``; the bytes are the HTML page.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import time
from pathlib import Path
from typing import Any

LAST_CPU_MS = [0.0]  # CPU time of the last measured build (less sensitive to a busy machine)


def load(table: Path):
    from geo.offices.table import load_offices

    return load_offices(table, require_coordinates=False)


def st_folium_args(base, layer) -> dict[str, Any]:
    """The arguments st_folium passes to its Streamlit component (recorded, not sent)."""
    import streamlit_folium

    recorded: dict[str, Any] = {}

    def record(**kwargs: Any) -> Any:
        recorded.update(kwargs)
        return kwargs.get("default")

    original = streamlit_folium._component_func
    streamlit_folium._component_func = record
    try:
        streamlit_folium.st_folium(
            base,
            key="office_map-en",
            height=560,
            use_container_width=True,
            returned_objects=["last_object_clicked_tooltip", "last_object_clicked_count"],
            feature_group_to_add=layer,
        )
    finally:
        streamlit_folium._component_func = original
    recorded.pop("on_change", None)
    return recorded


def app_once(offices) -> tuple[float, int, dict[str, int], str]:
    """One build and serialisation as the map page does it: (ms, bytes, bytes per argument, JSON)."""
    from geo.maps import assets
    from geo.maps.build import MapOptions, build_base_map, build_office_layer

    gc.collect()
    start, cpu = time.perf_counter(), time.process_time()
    options = MapOptions(basemap_url=assets.asset_url("basemap"))
    base = build_base_map(options)
    layer = build_office_layer(offices, options)
    args = st_folium_args(base, layer)
    payload = json.dumps(args)  # what Streamlit does with a component's arguments
    elapsed = (time.perf_counter() - start) * 1000
    LAST_CPU_MS[0] = (time.process_time() - cpu) * 1000
    parts = {k: len(json.dumps(v)) for k, v in args.items() if isinstance(v, str)}
    return elapsed, len(payload.encode("utf-8")), parts, payload


def per_marker_once(offices) -> tuple[float, int]:
    """Plain folium: one Marker (with a tooltip) per office, the whole page rendered."""
    import folium

    gc.collect()
    start, cpu = time.perf_counter(), time.process_time()
    fmap = folium.Map(location=[20, 10], zoom_start=2, tiles=None)
    placed = offices.dropna(subset=["latitude", "longitude"])
    for lat, lon, name in zip(placed["latitude"], placed["longitude"], placed["name"], strict=True):
        folium.Marker([lat, lon], tooltip=name).add_to(fmap)
    page = fmap.get_root().render()
    elapsed = (time.perf_counter() - start) * 1000
    LAST_CPU_MS[0] = (time.process_time() - cpu) * 1000
    return elapsed, len(page.encode("utf-8"))


def measure(approach: str, table: Path, runs: int) -> dict[str, Any]:
    offices = load(table)
    result: dict[str, Any] = {"approach": approach, "rows": len(offices), "times_ms": [], "cpu_ms": []}
    for _ in range(runs):
        if approach == "app":
            elapsed, size, parts, _payload = app_once(offices)
            result["parts"] = parts
        else:
            elapsed, size = per_marker_once(offices)
        result["times_ms"].append(round(elapsed, 2))
        result["cpu_ms"].append(round(LAST_CPU_MS[0], 2))
        result["bytes"] = size
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Server-side build and serialisation of the map.")
    parser.add_argument("approach", choices=("app", "per-marker"))
    parser.add_argument("table", type=Path)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    json.dump(measure(args.approach, args.table, args.runs), sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
