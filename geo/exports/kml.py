"""The offices as KML 2.2 (Google Earth): one Style and one Folder per office type, one Placemark
per office with coordinates.

The XML is built with ElementTree and stays well-formed whatever the table holds: characters XML 1.0
cannot carry (control characters, lone surrogates, U+FFFE/U+FFFF) are dropped from text *and*
attribute values (column names become ``Data name="..."``), and field names are made unique.
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping

import pandas as pd

from geo.exports.table import COORDINATES, DEFAULT_TITLE, format_coordinate, is_placed, records, type_label
from geo.maps.styles import TYPE_STYLES, marker_size
from geo.offices.schema import OfficeType

KML_NAMESPACE = "http://www.opengis.net/kml/2.2"
# Characters XML 1.0 cannot carry at all; a hostile table must not make the KML unreadable.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
# Google Earth's own icons closest to each shape; white, so IconStyle's colour tints them.
_KML_ICONS = {
    "star": "https://maps.google.com/mapfiles/kml/shapes/star.png",
    "hexagon": "https://maps.google.com/mapfiles/kml/shapes/polygon.png",
    "circle": "https://maps.google.com/mapfiles/kml/shapes/placemark_circle.png",
    "square": "https://maps.google.com/mapfiles/kml/shapes/square.png",
    "triangle": "https://maps.google.com/mapfiles/kml/shapes/triangle.png",
}
# KML's own elements: GDAL's KML driver reads ExtendedData fields of these names as clashing with
# them (it adds empty id2, name2, description2 and loses the balloon text), so they are renamed.
KML_FIELD_NAMES = {"id": "office_id", "name": "office_name", "description": "office_description"}


def kml_colour(hex_colour: str, alpha: str = "ff") -> str:
    """``#RRGGBB`` as KML's ``aabbggrr``."""
    rgb = hex_colour.lstrip("#").lower()
    return f"{alpha}{rgb[4:6]}{rgb[2:4]}{rgb[0:2]}"


def xml_text(value: object) -> str:
    """``value`` as text XML 1.0 can carry (the characters it cannot are dropped)."""
    return _NOT_XML.sub("", "" if value is None else str(value))


def _sub(parent: ET.Element, tag: str, text: object = None, **attrib: str) -> ET.Element:
    element = ET.SubElement(parent, tag, {key: xml_text(value) for key, value in attrib.items()})
    if text is not None:
        element.text = xml_text(text)
    return element


def field_names(columns: list[str]) -> dict[str, str]:
    """Each exported column's ExtendedData field name: KML's own names renamed, characters XML
    cannot carry dropped, blanks named ``field_<n>``, and clashes made unique with ``_2``, ``_3``."""
    names: dict[str, str] = {}
    taken: set[str] = set()
    for n, name in enumerate(columns, start=1):
        if name in COORDINATES:
            continue
        field = xml_text(KML_FIELD_NAMES.get(str(name), str(name))).strip() or f"field_{n}"
        unique, count = field, 1
        while unique in taken:
            count += 1
            unique = f"{field}_{count}"
        taken.add(unique)
        names[name] = unique
    return names


def _kml_description(record: Mapping[str, object], label: str, separator: str = ", ",
                     served: Callable[[object], str] | None = None) -> str:
    """Plain text lines; HTML-escaped too, because Google Earth shows a description as HTML."""
    place = separator.join(str(record[k]) for k in ("city", "country") if record.get(k))
    lines = [str(record.get("name") or ""), label, place]
    if served is not None:
        lines.append(served(record.get("serves_countries")))
    for key in ("partner", "opened", "description", "source_url"):
        if record.get(key) not in (None, ""):
            lines.append(str(record[key]))
    return html.escape("\n".join(line for line in lines if line), quote=False)


def _styles(document: ET.Element) -> None:
    for office_type in OfficeType:
        style = TYPE_STYLES[office_type]
        element = _sub(document, "Style", id=f"type-{office_type.value}")
        icon_style = _sub(element, "IconStyle")
        _sub(icon_style, "color", kml_colour(style.colour))
        _sub(icon_style, "scale", f"{marker_size(office_type) / 26:.2f}")
        _sub(_sub(icon_style, "Icon"), "href", _KML_ICONS[style.shape])
        _sub(icon_style, "hotSpot", x="0.5", y="0.5", xunits="fraction", yunits="fraction")
        # The balloon shows only the escaped description, never a raw value as HTML.
        _sub(_sub(element, "BalloonStyle"), "text", "$[description]")


def _placemark(folder: ET.Element, record: Mapping[str, object], label: str, fields: Mapping[str, str],
               separator: str, served: Callable[[object], str] | None) -> None:
    office_type = record["office_type"]
    placemark = _sub(folder, "Placemark", id=f"office-{record['id']}")
    _sub(placemark, "name", record["name"])
    _sub(placemark, "description", _kml_description(record, label, separator, served))
    _sub(placemark, "styleUrl", f"#type-{office_type}")
    extended = _sub(placemark, "ExtendedData")
    for column, field in fields.items():
        value = record[column]
        _sub(_sub(extended, "Data", name=field), "value", "" if value is None else value)
    lon = format_coordinate(float(record["longitude"]))
    lat = format_coordinate(float(record["latitude"]))
    _sub(_sub(placemark, "Point"), "coordinates", f"{lon},{lat}")


def to_kml_bytes(
    offices: pd.DataFrame,
    type_labels: Mapping[str, str] | None = None,
    *,
    source: str,
    name: str = DEFAULT_TITLE,
    list_separator: str = ", ",
    served: Callable[[object], str] | None = None,
) -> bytes:
    """KML 2.2: one Style and one Folder per office type, one Placemark per office with coordinates.

    ``source`` (where the offices come from, the document's description), ``name`` (the document's
    name) and ``list_separator`` (between city and country, e.g. the Arabic comma) come in the
    reader's language. ``served`` turns a ``serves_countries`` cell into a line of the description
    naming those countries in the reader's language ("" for none).
    """
    rows = records(offices)
    fields = field_names(list(rows[0]) if rows else [])
    placed = [r for r in rows if is_placed(r)]
    kml = ET.Element("kml", xmlns=KML_NAMESPACE)
    document = _sub(kml, "Document")
    _sub(document, "name", name)
    _sub(document, "description", source)
    _styles(document)
    for office_type in OfficeType:
        members = [r for r in placed if r["office_type"] == office_type.value]
        if not members:
            continue
        label = type_label(office_type.value, type_labels)
        folder = _sub(document, "Folder")
        _sub(folder, "name", label)
        for record in members:
            _placemark(folder, record, label, fields, list_separator, served)
    ET.indent(kml, space=" ")
    return ET.tostring(kml, encoding="utf-8", xml_declaration=True) + b"\n"
