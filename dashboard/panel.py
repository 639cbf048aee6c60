"""The detail panel of one office: every field, escaped, in the current language and direction."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pandas as pd
import streamlit as st

import i18n
from dashboard.labels import PRECISION_LABELS, type_label
from geo.maps.styles import type_colour, type_glyph
from geo.markup import esc
from geo.offices.countries import served_country_names as countries_named
from geo.offices.schema import CONTRACT_COLUMNS
from geo.offices.table import URL_PATTERN
from i18n import _, ngettext

PANEL_CSS = """
<style>
.office-panel-box { container-type: inline-size; }
.office-panel { border: 1px solid rgba(49,51,63,.2); border-radius: 8px; padding: 12px 16px; }
.office-panel h2 { margin: 0 0 4px; padding: 0; font-size: 1.35rem; line-height: 1.3; }
.office-panel .type { display: flex; align-items: center; gap: 6px; font-weight: 600; margin-bottom: 8px; }
.office-panel .glyph { font-size: 1.3em; }
.office-panel dl { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; margin: 0; padding: 0; }
.office-panel dt { font-weight: 600; color: #4b5563; }
.office-panel dd { margin: 0; overflow-wrap: anywhere; }
/* A narrow panel (beside the map on a laptop, or on a phone): each label above its value. */
@container (max-width: 340px) {
  .office-panel { padding: 10px 12px; font-size: .9rem; line-height: 1.32; }
  .office-panel h2 { font-size: 1.15rem; }
  .office-panel dl { grid-template-columns: 1fr; gap: 0; }
  .office-panel dt { margin-top: 4px; font-size: .84rem; }
}
@media (max-width: 640px) {
  .office-panel { padding: 10px 12px; }
  .office-panel h2 { font-size: 1.15rem; }
  .office-panel dl { grid-template-columns: 1fr; gap: 0; }
  .office-panel dt { margin-top: 5px; font-size: .86rem; }
}
.office-panel[dir="rtl"] { text-align: right; }
@media print { .office-panel { break-inside: avoid; } }
</style>
"""


def local_time_text(timezone: str, now: datetime | None = None) -> str:
    """The local time in ``timezone`` now, in the current language; "" when the zone is unknown."""
    if not timezone:
        return ""
    try:
        zone = ZoneInfo(timezone)
    except (KeyError, ValueError):
        return ""
    moment = (now or datetime.now(UTC)).astimezone(zone)
    return i18n.local_time(moment)


def coordinates_text(row: pd.Series) -> str:
    lat, lon = row.get("latitude"), row.get("longitude")
    if pd.isna(lat) or pd.isna(lon):
        return _("not placed")
    precision = row.get("geocode_precision") or ""
    label = _(PRECISION_LABELS[precision]) if precision in PRECISION_LABELS else precision
    # Isolated left-to-right so a minus sign stays with its number in Arabic.
    text = f"\u2066{float(lat):.5f}, {float(lon):.5f}\u2069"
    if precision == "city":  # a city-centre point: say that the building is not known
        label = f"{label} — {_('city centre: building not established')}"
    return f"{text} ({_('precision')}: {label})" if label else text


def served_country_names(cell: object) -> list[str]:
    """The names (CLDR, in the page's language) of the countries in a ``serves_countries`` cell."""
    return countries_named(cell, i18n.language())


def served_countries_line(cell: object) -> str:
    """"serves N countries: A, B, …" for a ``serves_countries`` cell; "" when none are listed."""
    names = served_country_names(cell)
    if not names:
        return ""
    count = ngettext("serves {n} country", "serves {n} countries", len(names)).format(n=i18n.number(len(names)))
    return f"{count}: {i18n.list_separator().join(names)}"


def serves_text(row: pd.Series) -> str:
    """Whom the office serves: the region, then "serves N countries: …" when the table lists them."""
    serves = str(row.get("serves", "") or "")
    served = served_countries_line(row.get("serves_countries"))
    if not served:
        return serves
    return f"{serves} — {served}" if serves else served


def link_html(url: str) -> str:
    """A source link; only http(s) addresses become links (never javascript: or data:)."""
    if not url or not URL_PATTERN.fullmatch(url):
        return esc(url)
    # dir="ltr" isolates the address: in Arabic its final "/" would otherwise jump to the front.
    return f'<a href="{esc(url)}" dir="ltr" target="_blank" rel="noopener noreferrer">{esc(url)}</a>'


def panel_html(row: pd.Series, extra_columns: list[str] | tuple[str, ...] = ()) -> str:
    """The panel's HTML. Every value from the table goes through html.escape."""
    office_type = str(row.get("office_type", ""))
    colour = type_colour(office_type, "inherit")
    opened = row.get("opened")
    opened_text = "" if opened is None or pd.isna(opened) else str(int(opened))
    note = row.get("opened_note") or ""
    if note:
        opened_text = f"{opened_text} — {note}" if opened_text else note
    place = i18n.list_separator().join(v for v in (row.get("city", ""), row.get("country", "")) if v)
    fields: list[tuple[str, str]] = [
        (_("City and country"), esc(place, line_breaks=True)),
        (_("Serves"), esc(serves_text(row), line_breaks=True)),
        (_("Partner"), esc(row.get("partner", ""), line_breaks=True)),
        (_("Address"), esc(row.get("address", ""), line_breaks=True)),
        (_("Opened"), esc(opened_text, line_breaks=True)),
        (_("What it does"), esc(row.get("description", ""), line_breaks=True)),
        (_("Local time"), esc(local_time_text(str(row.get("timezone", ""))), line_breaks=True)),
        (_("Coordinates"), esc(coordinates_text(row), line_breaks=True)),
        (_("Coordinates from"), link_html(str(row.get("coordinate_source", "") or ""))
         if URL_PATTERN.fullmatch(str(row.get("coordinate_source", "") or "")) else ""),
        (_("Source"), link_html(str(row.get("source_url", "")))),
    ]
    for column in extra_columns:
        if column in CONTRACT_COLUMNS or column.endswith("_en"):
            continue
        fields.append((esc(column), esc(row.get(column, ""), line_breaks=True)))
    # Empty fields are left out: the panel shows what is known, never "not known".
    items = "".join(f"<dt>{label}</dt><dd>{value}</dd>" for label, value in fields if value)
    direction = "rtl" if i18n.is_rtl() else "ltr"
    return (
        f'<section class="office-panel" dir="{direction}" data-office-id="{esc(row.get("id", ""))}">'
        f'<h2>{esc(row.get("name", ""))}</h2>'
        f'<div class="type"><span class="glyph" style="color:{colour}" aria-hidden="true">'
        f"{esc(type_glyph(office_type))}</span><span>{esc(type_label(office_type))}</span></div>"
        f"<dl>{items}</dl></section>"
    )


def show_panel(row: pd.Series, extra_columns: list[str] | tuple[str, ...] = ()) -> None:
    st.html(PANEL_CSS + f'<div class="office-panel-box">{panel_html(row, extra_columns)}</div>')
