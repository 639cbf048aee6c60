"""The offices as GeoJSON (RFC 7946): one Point feature per office, [longitude, latitude].

Where the offices come from is the collection's ``source`` member (a foreign member, RFC 7946 6.1:
readers that do not know it ignore it); it has no default, so an upload is never credited to the
official table. Each feature's ``serves_country_names`` names the countries of ``serves_countries`` in
the reader's language (CLDR), "; "-separated in the codes' order."""

from __future__ import annotations

import json

import pandas as pd

from geo.exports.table import COORDINATE_DECIMALS, COORDINATES, is_placed, records


def to_geojson(offices: pd.DataFrame, *, source: str, lang: str = "en") -> dict[str, object]:
    """An RFC 7946 FeatureCollection: one Point feature per office ([longitude, latitude]), null if unplaced.

    ``lang`` is the language of the countries' names (``serves_country_names``)."""
    features = []
    for record in records(offices, lang=lang):
        geometry = None
        if is_placed(record):
            geometry = {
                "type": "Point",
                "coordinates": [
                    round(float(record["longitude"]), COORDINATE_DECIMALS),
                    round(float(record["latitude"]), COORDINATE_DECIMALS),
                ],
            }
        properties = {c: v for c, v in record.items() if c not in COORDINATES}
        features.append({"type": "Feature", "id": record["id"], "geometry": geometry, "properties": properties})
    return {"type": "FeatureCollection", "source": source, "features": features}


def to_geojson_bytes(offices: pd.DataFrame, *, source: str, lang: str = "en") -> bytes:
    """:func:`to_geojson` as UTF-8 JSON; ``<``, ``>`` and ``&`` are written as \\u escapes (same data)."""
    text = json.dumps(to_geojson(offices, source=source, lang=lang), ensure_ascii=False, allow_nan=False, indent=1)
    for char, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(char, escaped)
    return (text + "\n").encode("utf-8")
