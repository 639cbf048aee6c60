"""Where the map looks, across the antimeridian (issue #17): bounds, markers and the tour agree.

Suva (178.44° E) and Taveuni (179.97° W) are about 200 km apart; a plain min/max of longitudes
spans the whole world with them at opposite edges.
"""

from __future__ import annotations

import pandas as pd
import pytest

from geo.maps.build import MapOptions, build_office_layer, view_for
from geo.maps.markers import office_rows
from geo.maps.tour import TourStep, tour_data
from geo.maps.view import fit_bounds, longitude_span, normalise, unwrap
from tests.test_mapbuild import layer_parts

SUVA = {"id": "lo-suva", "name": "Suva office", "office_type": "liaison_office", "city": "Suva",
        "latitude": -18.14161, "longitude": 178.44149, "timezone": "Pacific/Fiji"}
TAVEUNI = {"id": "lo-taveuni", "name": "Taveuni office", "office_type": "liaison_office", "city": "Taveuni",
           "latitude": -16.85, "longitude": -179.97, "timezone": "Pacific/Fiji"}
LYON = {"id": "hq-lyon", "name": "Lyon", "office_type": "headquarters", "city": "Lyon",
        "latitude": 45.78219, "longitude": 4.84838, "timezone": "Europe/Paris"}
SAN_SALVADOR = {"id": "rb-sv", "name": "San Salvador", "office_type": "regional_bureau", "city": "San Salvador",
                "latitude": 13.68935, "longitude": -89.18718, "timezone": "America/El_Salvador"}
TEXT = {k: k for k in ("previous", "next", "full_screen", "leave_full_screen", "lines", "keys", "panel", "offline")}


def frame(*rows: dict) -> pd.DataFrame:
    return pd.DataFrame(list(rows))


def width(bounds) -> float:
    return bounds[1][1] - bounds[0][1]


def test_two_offices_either_side_of_180_give_a_small_view_across_it():
    view = view_for(frame(SUVA, TAVEUNI), MapOptions())
    (south, west), (north, east) = view["bounds"]
    assert (west, east) == pytest.approx((178.44149, 180.03))  # across the date line, 1.6° wide
    assert (south, north) == (-18.14161, -16.85)
    # Without the fix: [[-18.14, -179.97], [-16.85, 178.44]], 358° wide.


def test_markers_are_drawn_in_the_same_frame_as_the_view():
    offices = frame(SUVA, TAVEUNI)
    config, rows = layer_parts(build_office_layer(offices))
    lons = {r[3]: r[1] for r in rows}
    assert lons == {"lo-suva": 178.44149, "lo-taveuni": 180.03}  # side by side, not 358° apart
    (_s, west), (_n, east) = config["view"]["bounds"]
    assert all(west <= lon <= east for lon in lons.values())
    # A selected office is centred where its marker is.
    selected = view_for(offices, MapOptions(selected_id="lo-taveuni"))
    assert selected["center"] == [-16.85, 180.03]


def test_the_map_page_fit_and_hub_lines_use_that_frame_too():
    offices = frame(SUVA, TAVEUNI, SAN_SALVADOR)
    config, rows = layer_parts(build_office_layer(offices, MapOptions(keep_view=True, hub=(-16.85, -179.97))))
    # The widest gap is from San Salvador (-89) east to Suva (178): the arc goes the other way, from
    # Suva across 180° and the Pacific to San Salvador (-89 + 360).
    assert config["fit"]["bounds"][0][1] == pytest.approx(178.44149)
    assert config["fit"]["bounds"][1][1] == pytest.approx(270.81282)
    assert config["hub"] == [-16.85, 180.03]
    assert {r[3]: r[1] for r in rows} == {"lo-suva": 178.44149, "lo-taveuni": 180.03, "rb-sv": 270.81282}


def test_offices_that_do_not_straddle_180_keep_their_plain_bounds():
    offices = frame(LYON, SAN_SALVADOR)
    assert view_for(offices, MapOptions())["bounds"] == [[13.68935, -89.18718], [45.78219, 4.84838]]
    assert [r[1] for r in office_rows(offices)] == [4.84838, -89.18718]  # unchanged
    assert view_for(frame(LYON), MapOptions()) == {"center": [45.78219, 4.84838], "zoom": 6}


def test_empty_and_unplaced_tables_have_no_bounds():
    empty = pd.DataFrame(columns=["id", "name", "office_type", "latitude", "longitude"])
    assert view_for(empty, MapOptions()) == {}
    assert fit_bounds([]) is None and longitude_span([]) is None


def test_the_smallest_arc_is_found_whatever_the_order():
    assert longitude_span([-179.97, 178.44]) == pytest.approx((178.44, 180.03))
    assert longitude_span([10, -170, 170]) == pytest.approx((10, 190))  # the widest gap: -170 .. 10
    assert longitude_span([-10, 10]) == (-10, 10)
    assert longitude_span([180, -180]) == (-180, -180)  # one meridian
    assert normalise(190) == -170 and normalise(-180) == -180 and normalise(4.84838) == 4.84838
    assert unwrap(-179.97, 178.44) == pytest.approx(180.03) and unwrap(4.84838, -89.2) == 4.84838


def test_the_tour_overview_and_steps_cross_180_the_short_way():
    steps = [TourStep("Overview", "<h1>Tour</h1>")] + [
        TourStep(f"{n}", "<p>card</p>", office=row) for n, row in enumerate((SUVA, TAVEUNI), start=1)
    ]
    data = tour_data(steps, text=TEXT, legend="", lang="en", locale="en", rtl=False, hub=(-16.85, -179.97))
    assert width(data["bounds"]) == pytest.approx(1.58851)
    assert [s.get("lon") for s in data["steps"]] == [None, 178.44149, 180.03]
    assert data["hub"] == [-16.85, 180.03]  # the same number as its step: no line from the hub to itself
