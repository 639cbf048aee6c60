"""The exports against hostile and unlucky tables (issue #17): many offices at one point, thousands of
extra columns, column names no XML can carry, and the source every export must name."""

from __future__ import annotations

import math
import random
import time
import tracemalloc
import xml.etree.ElementTree as ET
from datetime import date
from itertools import combinations
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from geo.exports import geojson as geojson_export
from geo.exports import html_map, sheet
from geo.exports import kml as kml_export
from geo.exports import table as table_export
from geo.offices.table import load_offices, parse_offices

ROOT = Path(__file__).resolve().parent.parent
KML = "{http://www.opengis.net/kml/2.2}"
DAY = date(2026, 11, 30)
UPLOADED = "Source: uploaded table my-offices.xlsx"
OFFICIAL = "Source: INTERPOL (interpol.int), office data checked on 30 November 2026"


@pytest.fixture(scope="module")
def offices() -> pd.DataFrame:
    return load_offices(ROOT / "data" / "offices.csv")


# --- the crowded close-up of the briefing sheet ---------------------------------------------------


def _pairwise_box(placed):
    """The sheet's rule as it was first written (every pair compared): the reference for small tables."""
    mm = 10 / sheet.UNITS_PER_MM
    near = {n: set() for n, *_ in placed}
    overlapping = set()
    for (a, lat_a, lon_a, _), (b, lat_b, lon_b, _) in combinations(placed, 2):
        distance = math.hypot(lat_a - lat_b, lon_a - lon_b) * mm
        if distance < sheet._NEIGHBOUR_MM:
            near[a].add(b)
            near[b].add(a)
        if distance < sheet._OVERLAP_MM:
            overlapping.update((a, b))
    best, seen = set(), set()
    for start in sorted(overlapping):
        if start in seen:
            continue
        group, todo = set(), [start]
        while todo:
            n = todo.pop()
            if n not in group:
                group.add(n)
                todo.extend(near[n] - group)
        seen |= group
        best = max(best, group, key=len)
    return best


@pytest.mark.parametrize("layout", ["world", "europe", "stacked", "one line"])
def test_crowded_group_is_the_one_every_pair_would_give(layout):
    """Same group as comparing every pair, on random tables: scattered, dense, stacked, collinear."""
    rng = random.Random(layout)
    for _ in range(60):
        placed = []
        for n in range(1, rng.randint(2, 45)):
            lat, lon = {
                "world": (rng.uniform(-60, 80), rng.uniform(-180, 180)),
                "europe": (rng.uniform(35, 60), rng.uniform(-10, 30)),
                "stacked": (rng.choice([10.0, 10.0, 14.0]), rng.choice([5.0, 12.0, 30.0])),
                "one line": (45.0, rng.uniform(0, 60)),
            }[layout]
            placed.append((n, lat, lon, "liaison_office"))
        expected = _pairwise_box(placed)
        box = sheet._crowded_box(placed)
        if not expected:
            assert box is None, placed
            continue
        group = [(lon, lat) for n, lat, lon, _ in placed if n in expected]
        want = sheet.inset_box(np.array([p[0] for p in group]), np.array([p[1] for p in group]))
        assert box is not None and np.allclose(box, want), (placed, box, want)


@pytest.mark.parametrize("count", [4_000, 40_000])
def test_many_offices_at_one_point_cost_little(count):
    """4,000 offices at one point took about 30 s and 0.8 GB (every pair compared); now n log n."""
    placed = [(n, 45.78, 4.85, "liaison_office") for n in range(1, count + 1)]
    tracemalloc.start()
    started = time.perf_counter()
    try:
        box = sheet._crowded_box(placed)
        elapsed = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert box is not None and box[0] < 4.85 < box[2] and box[1] < 45.78 < box[3]
    assert elapsed < 5, f"{count} offices at one point: {elapsed:.1f} s"
    assert peak < 100 * 2**20, f"{count} offices at one point: {peak / 2**20:.0f} MB"


def test_many_offices_near_each_other_cost_little():
    """10,000 distinct points in one crowded region (no two at the same place) stay cheap too."""
    rng = random.Random(17)
    placed = [(n, rng.uniform(44, 50), rng.uniform(2, 10), "liaison_office") for n in range(1, 10_001)]
    started = time.perf_counter()
    box = sheet._crowded_box(placed)
    assert box is not None and box[0] <= 2 and box[2] >= 10
    assert time.perf_counter() - started < 10


def test_briefing_sheet_of_thousands_at_one_point_has_one_close_up(offices):
    many = pd.concat([offices.head(1)] * 3000, ignore_index=True)
    many["id"] = [f"office-{n}" for n in range(len(many))]
    started = time.perf_counter()
    page = sheet.briefing_sheet_html(many, title="T", type_labels={}, column_labels={}, generated=DAY, source=OFFICIAL)
    assert time.perf_counter() - started < 30
    assert page.count('<svg class="inset"') == 1


# --- a table with thousands of extra columns -------------------------------------------------------


@pytest.fixture(scope="module")
def wide() -> pd.DataFrame:
    """Five offices and 10,000 extra columns, read like an upload (``attrs`` lists every extra column)."""
    lines = (ROOT / "data" / "offices.csv").read_text(encoding="utf-8").splitlines()
    extra = [f"x{n}" for n in range(10_000)]
    text = "\n".join([lines[0] + "," + ",".join(extra)] + [line + "," + ",".join("v" for _ in extra)
                                                            for line in lines[1:6]])
    frame = parse_offices(text.encode("utf-8"), "wide.csv", require_coordinates=False)
    assert len(frame.attrs["extra_columns"]) == 10_000
    return frame


class CopyCounter:
    """Put in a table's ``attrs``: counts how often pandas deep-copies them (Python's copy protocol)."""

    copies = 0

    def __deepcopy__(self, memo):
        CopyCounter.copies += 1
        return self


EXPORTS = {
    "csv": lambda t: table_export.to_csv_bytes(t),
    "geojson": lambda t: geojson_export.to_geojson_bytes(t, source=OFFICIAL),
    "kml": lambda t: kml_export.to_kml_bytes(t, source=OFFICIAL),
    "sheet": lambda t: sheet.briefing_sheet_html(t, title="T", type_labels={}, column_labels={}, generated=DAY,
                                                 source=OFFICIAL).encode(),
}


@pytest.mark.parametrize("export", sorted(EXPORTS))
def test_exports_copy_the_tables_attrs_once_not_once_per_column(offices, export):
    """pandas deep-copies ``attrs`` into every column taken from a table: an export that took each
    column from the caller's table copied them once per column (10,000 columns: 10,000 copies)."""
    frame = offices.copy()
    frame.attrs = {"probe": CopyCounter()}
    CopyCounter.copies = 0
    EXPORTS[export](frame)
    assert CopyCounter.copies <= 1, f"{export}: attrs deep-copied {CopyCounter.copies} times"


@pytest.mark.parametrize("export", sorted(EXPORTS))
def test_ten_thousand_extra_columns_export_in_seconds(wide, export):
    """Every column taken from the table deep-copied its attrs (10,000 names): CSV took 20 s, GeoJSON
    34 s, KML 89 s on an idle machine; now about a second (the bound leaves room for a busy one)."""
    started = time.perf_counter()
    data = EXPORTS[export](wide)
    elapsed = time.perf_counter() - started
    assert elapsed < 30, f"{export}: {elapsed:.1f} s"
    assert b"x9999" in data or export == "sheet"
    assert wide.attrs["extra_columns"][-1] == "x9999"  # the caller's table keeps its attrs


def test_exports_take_the_table_without_its_attrs(offices):
    frame = offices.copy()
    frame.attrs = {"extra_columns": ["a"] * 1000, "notes": ["n"]}
    assert table_export.bare(frame).attrs == {}
    assert frame.attrs["notes"] == ["n"]
    assert table_export.to_csv_bytes(frame) == table_export.to_csv_bytes(offices)


# --- KML that stays XML -------------------------------------------------------------------------


HOSTILE_NAMES = (
    "bell\x07and\x1bescape",
    "\u202egnp.exe",  # right-to-left override
    "\u2066isolated\u2069 \u200fmarked",
    "L" * 6000,
    "",
    "id",  # renamed office_id, as the contract's own id is
    "office_id",  # then clashes with it
    "non-character \ufffe\uffff",
    "<Data>&amp;\"quoted\"",
    "\x00",
)


def _hostile_columns(offices: pd.DataFrame) -> pd.DataFrame:
    frame = offices.copy()
    for n, name in enumerate(HOSTILE_NAMES):
        frame[f"{name}#{n}" if name in ("", "id", "office_id", "\x00") else name] = [
            f"cell {n} \x01\x0b\ufffe\u202e{name}"[:7000] for _ in range(len(frame))
        ]
    frame.loc[0, "name"] = "name\x0cwith form feed \u202eand override"
    return frame


def test_kml_is_well_formed_whatever_the_column_names_and_cells(offices, tmp_path):
    data = kml_export.to_kml_bytes(_hostile_columns(offices), source=UPLOADED)
    root = ET.fromstring(data)  # raises if not well-formed
    placemarks = root.findall(f".//{KML}Placemark")
    assert len(placemarks) == len(offices)
    fields = [d.get("name") for d in placemarks[0].iter(f"{KML}Data")]
    assert len(fields) == len(set(fields)), "field names must be unique"
    assert all(fields) and not any(c in "".join(fields) for c in "\x00\x07\x1b\ufffe\uffff")
    assert "L" * 6000 in fields and "\u202egnp.exe" in fields  # kept, as text
    assert root.findtext(f"{KML}Document/{KML}description") == UPLOADED


def test_kml_with_hostile_columns_reads_back_with_gdal(offices, tmp_path):
    pyogrio = pytest.importorskip("pyogrio")
    path = tmp_path / "hostile.kml"
    path.write_bytes(kml_export.to_kml_bytes(_hostile_columns(offices), source=UPLOADED))
    total = 0
    for layer, _geometry in pyogrio.list_layers(path):
        meta, _fids, geometries, values = pyogrio.raw.read(path, layer=layer)
        fields = list(meta["fields"])
        assert "office_id" in fields and "office_name" in fields
        total += len(geometries)
        rows = [dict(zip(fields, row, strict=True)) for row in zip(*values, strict=True)]
        assert all(row["office_id"] in set(offices["id"]) for row in rows)
    assert total == len(offices)


# --- every export names its real source -----------------------------------------------------------


def test_no_export_has_a_default_source(offices):
    with pytest.raises(TypeError, match="source"):
        geojson_export.to_geojson_bytes(offices)
    with pytest.raises(TypeError, match="source"):
        html_map.map_html(offices)
    with pytest.raises(TypeError, match="source"):
        kml_export.to_kml_bytes(offices)
    with pytest.raises(TypeError, match="source"):
        sheet.briefing_sheet_html(offices, title="T", type_labels={}, column_labels={}, generated=DAY)


def test_uploaded_table_is_credited_as_uploaded_in_the_map_and_the_sheet(offices):
    page = html_map.map_html(offices, source=UPLOADED, generated=DAY)
    header = page[page.index('<header class="export-header"'):page.index("</header>")]
    assert "uploaded table my-offices.xlsx" in header
    assert "offices.csv" not in header.replace("my-offices.xlsx", "") and "interpol.int" not in header
    printable = sheet.briefing_sheet_html(offices, title="T", type_labels={}, column_labels={}, generated=DAY,
                                          source=UPLOADED)
    source_line = printable[printable.index('<p class="source">'):]
    assert "uploaded table my-offices.xlsx" in source_line
    assert "offices.csv" not in printable.replace("my-offices.xlsx", "") and "interpol.int)" not in printable
    assert geojson_export.to_geojson(offices, source=UPLOADED)["source"] == UPLOADED
