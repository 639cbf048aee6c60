"""Imported once by the upload fork server (see :mod:`geo.offices.sandbox`), never by the app itself.

Reading the shipped table here fills the validator's caches (country codes, time zones) and imports
openpyxl in the fork server, so that each upload's child starts warm: about 10 ms instead of 0.7 s.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl  # noqa: F401 - imported for the children

from geo.offices.table import parse_offices

_SHIPPED = Path(__file__).resolve().parents[2] / "data" / "offices.csv"

if _SHIPPED.is_file():
    parse_offices(_SHIPPED.read_bytes(), str(_SHIPPED), require_coordinates=False)
