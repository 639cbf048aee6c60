"""The briefing pack's downloads in the sidebar: slides, map pictures and the PDF sheet.

Each file is made when its button is clicked (a callable ``data=``, Streamlit >= 1.45), in the
current language, and kept by ``st.cache_data`` keyed on the table's content and the language, so a
second click, or another user with the same filters, gets it at once.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

import i18n
from dashboard import data
from dashboard.labels import translated_type_labels
from geo.exports.cartography import PictureTexts
from geo.exports.pdfsheet import SheetTexts, briefing_sheet_pdf
from geo.exports.pictures import world_picture
from geo.exports.slides import DeckTexts, build_deck
from geo.exports.table import export_filename
from geo.offices.filtering import briefing_order
from i18n import _, ngettext

MAX_SLIDE_OFFICES = 30  # one region picture per office: 60 took 85 s on 2 loaded cores


def _picture_texts(lang: str) -> PictureTexts:
    return PictureTexts(
        type_labels=translated_type_labels(),
        legend_title=_("Office types"),
        attribution=_("Outlines: Natural Earth (public domain)"),
        distance=_("{n} km"),
        at_equator=_("{distance} at the equator"),
        rtl=i18n.is_rtl(lang),
    )


def _title() -> str:
    return _("INTERPOL General Secretariat: offices worldwide")


def _ordered(table: pd.DataFrame) -> pd.DataFrame:
    return briefing_order(table.dropna(subset=["latitude", "longitude"]))


@st.cache_data(show_spinner=False, max_entries=16)
def _deck(table: pd.DataFrame, lang: str, today: str, source: str) -> bytes:
    tour = _ordered(table).head(MAX_SLIDE_OFFICES)
    n = len(tour)
    texts = DeckTexts(
        title=_title(),
        # A left-to-right mark keeps the date in one piece in Arabic (else 30-11-2026 after the bidi algorithm).
        subtitle=f"{ngettext('{n} office', '{n} offices', n).format(n=i18n.number(n))} · \u200e{today}",
        overview_title=_("The General Secretariat around the world"),
        partner=_("Partner"),
        serves=_("Serves"),
        place=_("Place"),
        sources=_("Sources"),
        type_labels=translated_type_labels(),
        picture=_picture_texts(lang),
        lang=lang,
        rtl=i18n.is_rtl(lang),
        list_separator=i18n.list_separator(),
        source=source,
    )
    return build_deck(tour, texts)


@st.cache_data(show_spinner=False, max_entries=16)
def _picture(table: pd.DataFrame, lang: str, fmt: str) -> bytes:
    return world_picture(_ordered(table), _picture_texts(lang), fmt=fmt).data


@st.cache_data(show_spinner=False, max_entries=16)
def _sheet(table: pd.DataFrame, lang: str, page_size: str, today: str, source: str) -> bytes:
    texts = SheetTexts(
        title=_title(),
        date=today,
        source=source,
        column_labels={"n": "#", "name": _("Name"), "office_type": _("Type"), "city": _("City"),
                       "country": _("Country"), "partner": _("Partner"), "opened": _("Opened")},
        type_labels=translated_type_labels(),
        more=_("… and {n} more offices (see the table download)"),
        picture=_picture_texts(lang),
        rtl=i18n.is_rtl(lang),
    )
    return briefing_sheet_pdf(_ordered(table), texts, page_size=page_size)


def pack_downloads(offices: pd.DataFrame, source: str | None = None) -> None:
    """Download buttons in the sidebar, under "Briefing pack", for the offices given (filtered and
    localised): slides (PPTX), map picture (PNG, SVG), briefing sheet (PDF, A4 and US Letter).

    ``source`` names where the offices come from (default: :func:`dashboard.data.source_line`, the
    session's own table or the organisation's); it is part of each file's cache key, so a deck made
    from an upload never comes back for the shared table, or the other way round.
    """
    source = source or data.source_line()
    lang = i18n.language()
    today = date.today()
    # What is shown, in the language shown; the English copies (*_en) play no part.
    table = offices[[c for c in offices.columns if not str(c).endswith("_en")]]
    when = today.isoformat()
    buttons = (
        (_("Slides (PPTX)"), lambda: _deck(table, lang, when, source), f"slides-{lang}", "pptx",
         "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
        (_("Map picture (PNG)"), lambda: _picture(table, lang, "png"), f"map-{lang}", "png", "image/png"),
        (_("Map picture (SVG)"), lambda: _picture(table, lang, "svg"), f"map-{lang}", "svg", "image/svg+xml"),
        (_("Briefing sheet (PDF, A4)"), lambda: _sheet(table, lang, "a4", when, source), f"briefing-sheet-a4-{lang}", "pdf",
         "application/pdf"),
        (_("Briefing sheet (PDF, US Letter)"), lambda: _sheet(table, lang, "letter", when, source),
         f"briefing-sheet-letter-{lang}", "pdf", "application/pdf"),
    )
    with st.sidebar:
        st.subheader(_("Briefing pack"))
        if table.dropna(subset=["latitude", "longitude"]).empty:
            st.caption(_("No office with a place on the map matches these filters."))
            return
        for label, make, kind, ext, mime in buttons:
            st.download_button(label, make, file_name=export_filename(kind, ext, today), mime=mime,
                               key=f"pack_{kind}_{ext}", on_click="ignore", width="stretch")
        if len(table) > MAX_SLIDE_OFFICES:
            st.caption(_("The slides show the first {n} offices of the tour.").format(n=i18n.number(MAX_SLIDE_OFFICES)))
