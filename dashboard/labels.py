"""User-facing names of the data's keys, marked for translation (see i18n/)."""

from __future__ import annotations

from geo.maps.basemap import LAYER_NAMES
from geo.maps.styles import TYPE_STYLES
from i18n import N_, _

# The English labels live with the types' styles (geo/maps/styles.py); here they are keyed by value.
TYPE_LABELS: dict[str, str] = {office_type.value: style.label for office_type, style in TYPE_STYLES.items()}
REGION_LABELS: dict[str, str] = {
    "Africa": N_("Africa"),
    "Americas": N_("Americas"),
    "Asia-Pacific": N_("Asia-Pacific"),
    "Europe": N_("Europe"),
}
PRECISION_LABELS: dict[str, str] = {"building": N_("building"), "city": N_("city")}


def type_label(office_type: str) -> str:
    return _(TYPE_LABELS.get(office_type, office_type))


def region_label(region: str) -> str:
    return _(REGION_LABELS[region]) if region in REGION_LABELS else region


def translated_type_labels() -> dict[str, str]:
    return {key: _(label) for key, label in TYPE_LABELS.items()}


def translated_layer_names() -> dict[str, str]:
    return {key: _(label) for key, label in LAYER_NAMES.items()}
