"""How each office type looks, wherever it is drawn: colour, shape, marker SVG, glyph and English label.

The single home of these facts: the map, the presenter view, the detail panel, the exports
(CSV/KML/HTML, pictures, slides, PDF) and the "Countries served" layer all read them here.
Labels are English and marked for the catalogues; callers translate them (``i18n._``).
"""

from __future__ import annotations

from dataclasses import dataclass

from geo.offices.schema import OfficeType
from i18n import N_

TYPES: tuple[OfficeType, ...] = tuple(OfficeType)
UNKNOWN_COLOUR = "#555555"  # a type the table should not have (never drawn as one of the five)


@dataclass(frozen=True)
class TypeStyle:
    """How one office type is drawn: an Okabe-Ito colour and a shape, so colour never works alone."""

    label: str  # English label; translated through the i18n catalogue
    colour: str
    shape: str  # a key of SHAPES
    glyph: str  # a text glyph of the same shape, for legends outside the map


# Okabe & Ito's colour-blind-safe palette; each type also has its own shape.
TYPE_STYLES: dict[OfficeType, TypeStyle] = {
    OfficeType.HEADQUARTERS: TypeStyle(N_("Headquarters"), "#D55E00", "star", "★"),
    OfficeType.GLOBAL_COMPLEX: TypeStyle(N_("Global Complex for Innovation"), "#0072B2", "hexagon", "⬢"),
    OfficeType.REGIONAL_BUREAU: TypeStyle(N_("Regional bureau"), "#009E73", "circle", "●"),
    OfficeType.SPECIAL_REPRESENTATIVE_OFFICE: TypeStyle(
        N_("Special representative office"), "#CC79A7", "square", "■"
    ),
    OfficeType.LIAISON_OFFICE: TypeStyle(N_("Liaison office"), "#E69F00", "triangle", "▲"),
}

# Each shape in a 28 x 28 box (y down); geo/exports/pictures.py draws the same outlines.
SHAPES: dict[str, str] = {
    "star": '<polygon points="14,1.5 17.6,10 26.8,10.6 19.8,16.6 22,25.6 14,20.7 6,25.6 8.2,16.6 1.2,10.6 10.4,10"/>',
    "hexagon": '<polygon points="14,1.5 25,7.75 25,20.25 14,26.5 3,20.25 3,7.75"/>',
    "circle": '<circle cx="14" cy="14" r="10.5"/>',
    "square": '<rect x="4" y="4" width="20" height="20" rx="2.5"/>',
    "triangle": '<polygon points="14,2.5 26,24.5 2,24.5"/>',
}


def english_type_labels() -> dict[str, str]:
    """Office type key -> English label: the default wherever a caller passes no translated labels."""
    return {t.value: TYPE_STYLES[t].label for t in OfficeType}


def style_of(office_type: str) -> TypeStyle | None:
    """The style of an office type key, or None for a key that is not one of the five."""
    try:
        return TYPE_STYLES[OfficeType(office_type)]
    except ValueError:
        return None


def type_colour(office_type: str, default: str = UNKNOWN_COLOUR) -> str:
    """The type's colour (``#RRGGBB``); ``default`` for an unknown type."""
    style = style_of(office_type)
    return style.colour if style else default


def type_glyph(office_type: str) -> str:
    """A text glyph of the type's shape ("★", "●", …); "" for an unknown type."""
    style = style_of(office_type)
    return style.glyph if style else ""


def type_index(office_type: str) -> int:
    """The type's position in briefing order (0 = headquarters); ValueError for an unknown type."""
    return TYPES.index(OfficeType(office_type))


def marker_svg(office_type: str, size: int = 28) -> str:
    """The SVG drawn for an office type: its shape filled with its colour, outlined in white."""
    style = TYPE_STYLES[OfficeType(office_type)]
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 28 28" width="{size}" height="{size}" '
        f'aria-hidden="true" focusable="false"><g fill="{style.colour}" stroke="#ffffff" '
        f'stroke-width="2" stroke-linejoin="round">{SHAPES[style.shape]}</g></svg>'
    )


def marker_size(office_type: str) -> int:
    """Drawn size on the map page: the headquarters and the global complex stand out."""
    return 34 if office_type in (OfficeType.HEADQUARTERS, OfficeType.GLOBAL_COMPLEX) else 26


def marker_types(size_of=marker_size, mini: int | None = 11) -> list[dict[str, object]]:
    """The marker styles a map script gets, in briefing order: key, SVG, size, z-order (and a mini SVG)."""
    types: list[dict[str, object]] = []
    for i, t in enumerate(TYPES):
        entry: dict[str, object] = {"key": t.value, "svg": marker_svg(t.value, size_of(t.value)),
                                    "size": size_of(t.value)}
        if mini:
            entry["mini"] = marker_svg(t.value, mini)
        entry["z"] = (len(TYPES) - i) * 100
        types.append(entry)
    return types
