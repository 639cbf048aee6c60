"""User-facing names of the data's keys, marked for translation (see i18n/)."""

from __future__ import annotations

from geo.offices.schema import TYPE_STYLES, OfficeType
from i18n import N_, _

TYPE_LABELS: dict[str, str] = {
    OfficeType.HEADQUARTERS.value: N_("Headquarters"),
    OfficeType.GLOBAL_COMPLEX.value: N_("Global Complex for Innovation"),
    OfficeType.REGIONAL_BUREAU.value: N_("Regional bureau"),
    OfficeType.SPECIAL_REPRESENTATIVE_OFFICE.value: N_("Special representative office"),
    OfficeType.LIAISON_OFFICE.value: N_("Liaison office"),
}
REGION_LABELS: dict[str, str] = {
    "Africa": N_("Africa"),
    "Americas": N_("Americas"),
    "Asia-Pacific": N_("Asia-Pacific"),
    "Europe": N_("Europe"),
}
PRECISION_LABELS: dict[str, str] = {"building": N_("building"), "city": N_("city")}
LAYER_NAMES: dict[str, str] = {
    "offline": N_("Country outlines (offline)"),
    "osm": N_("OpenStreetMap (needs a network)"),
    "light": N_("Light map (needs a network)"),
    "dark": N_("Dark map (needs a network)"),
}


def type_label(office_type: str) -> str:
    return _(TYPE_LABELS.get(office_type, office_type))


def type_glyph(office_type: str) -> str:
    try:
        return TYPE_STYLES[OfficeType(office_type)].glyph
    except ValueError:
        return ""


def region_label(region: str) -> str:
    return _(REGION_LABELS[region]) if region in REGION_LABELS else region


def translated_type_labels() -> dict[str, str]:
    return {key: _(label) for key, label in TYPE_LABELS.items()}


def translated_layer_names() -> dict[str, str]:
    return {key: _(label) for key, label in LAYER_NAMES.items()}
