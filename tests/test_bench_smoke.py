"""Smoke test of the benchmark's parts that need no browser (bench/; timing goals are checked by
``python -m bench``, never here)."""

from __future__ import annotations

import json
import re

import pytest

from bench import synthetic
from bench.serverside import app_once
from geo.offices.schema import REGIONS, OfficeType
from geo.offices.table import parse_offices


def test_synthetic_table_of_1000_offices_is_valid():
    raw = synthetic.table_bytes(1_000)
    offices = parse_offices(raw, "synthetic-1000.csv")
    assert len(offices) == 1_000
    assert offices["id"].is_unique
    assert set(offices["office_type"]) == {t.value for t in OfficeType}
    assert set(offices["region"]) <= set(REGIONS)
    assert offices[["latitude", "longitude"]].notna().all().all()
    assert not offices.attrs["notes"], offices.attrs["notes"]  # nothing had to be repaired
    liaison = offices[offices["office_type"] == OfficeType.LIAISON_OFFICE.value].iloc[0]
    assert liaison["name"] == f"INTERPOL Liaison Office {liaison['city']}"


def test_synthetic_tables_are_seeded():
    assert synthetic.table_bytes(50) == synthetic.table_bytes(50)
    assert synthetic.table_bytes(50, seed=1) != synthetic.table_bytes(50, seed=2)


@pytest.mark.slow
def test_server_side_build_of_10000_offices_is_a_valid_component_payload():
    offices = parse_offices(synthetic.table_bytes(10_000), "synthetic-10000.csv")
    _elapsed, size, parts, payload = app_once(offices)
    args = json.loads(payload)
    assert size == len(payload.encode("utf-8")) and parts["feature_group"] > 0
    script, layer = args["script"], args["feature_group"]
    assert "map_div" in script
    assert "feature_group_feature_group_0" in layer
    # Every office of the table is in the layer (however its rows are laid out).
    ids = set(re.findall(r'"((?:hq|igci|rb|sro|lo)-[a-z0-9-]+-[0-9]{6})"', layer))
    assert ids == set(offices["id"])
    assert all(link.startswith("/app/static/") for link in args["js_links"] + args["css_links"])
