"""The briefing deck (PPTX, 16:9) made with python-pptx: no network, no Office.

Slides: a title slide; an overview with the world picture (:func:`geo.exports.pictures.world_picture`);
then one slide per office, in the order given (pass :func:`geo.offices.filtering.briefing_order`'s), with
the office in its region (:func:`geo.exports.pictures.region_picture`), its name, type, place, partner,
whom it serves and a sources line. Speaker notes carry the description and the sources.

Every title is at least 32 pt. In a right-to-left deck every paragraph is marked ``rtl="1"``,
aligned right, and its runs name Noto Sans Arabic as their Latin and complex-script font; the
picture goes to the left of the text. Texts come translated from the caller (:class:`DeckTexts`).
Values from the table are plain text runs (never parsed), without control or bidi-override
characters.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd
from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.enum.text import MSO_ANCHOR, PP_ALIGN
from pptx.oxml.ns import qn
from pptx.util import Emu, Inches, Pt

from geo.exports.cartography import PictureTexts, plain
from geo.exports.pictures import region_picture, world_picture
from geo.maps.styles import TYPE_STYLES, english_type_labels
from geo.offices.schema import OfficeType

SLIDE_WIDTH, SLIDE_HEIGHT = Inches(13.333), Inches(7.5)
TITLE_PT, MIN_TITLE_PT, BODY_PT, SMALL_PT = 36, 32, 20, 14
LATIN_FONT, ARABIC_FONT = "Noto Sans", "Noto Sans Arabic"
TITLE_CHARS = 90  # longer names are cut on the slide (the notes keep them whole)
INK = RGBColor(0x11, 0x18, 0x27)
MUTED = RGBColor(0x37, 0x41, 0x51)
_LAYOUT_TITLE, _LAYOUT_TITLE_ONLY = 0, 5


@dataclass(frozen=True)
class DeckTexts:
    """Everything the deck says that is not data, translated by the caller (English defaults)."""

    title: str = "INTERPOL General Secretariat offices"
    subtitle: str = ""  # e.g. the date and the number of offices
    overview_title: str = "The General Secretariat around the world"
    partner: str = "Partner"
    serves: str = "Serves"
    place: str = "Place"
    sources: str = "Sources"
    type_labels: Mapping[str, str] = field(
        default_factory=english_type_labels
    )
    picture: PictureTexts = field(default_factory=PictureTexts)
    lang: str = "en"
    rtl: bool = False
    list_separator: str = ", "
    # Where the offices come from (the organisation, or the user's own uploaded table), on the title
    # slide: no default, so an uploaded table is never credited to the official one.
    source: str = field(kw_only=True)


def caller_text(text: str, limit: int | None = None) -> str:
    """A text the caller wrote (translated): like :func:`geo.exports.pictures.plain`, but its left-to-right and
    right-to-left marks stay (they keep a date such as 2026-11-30 in one piece in Arabic)."""
    kept = str(text).replace("\u200e", "\ue000").replace("\u200f", "\ue001")
    return plain(kept, limit).replace("\ue000", "\u200e").replace("\ue001", "\u200f")


def _set_rtl(paragraph, texts: DeckTexts) -> None:
    """Right-to-left paragraph (``a:pPr rtl="1"``), aligned right."""
    paragraph.alignment = PP_ALIGN.RIGHT
    paragraph._p.get_or_add_pPr().set("rtl", "1")


def _font(run, texts: DeckTexts, size: float, bold: bool = False, colour: RGBColor = INK) -> None:
    run.font.size = Pt(size)
    run.font.bold = bold
    run.font.color.rgb = colour
    name = ARABIC_FONT if texts.rtl else LATIN_FONT
    run.font.name = name  # a:latin
    rpr = run._r.get_or_add_rPr()
    rpr.set("lang", texts.lang)
    for tag in ("a:ea", "a:cs"):  # PowerPoint draws Arabic with the complex-script font
        element = rpr.find(qn(tag))
        if element is None:
            element = rpr.makeelement(qn(tag), {})
            rpr.append(element)
        element.set("typeface", name)
    if texts.rtl:
        rpr.set("altLang", "en-US")


def _write(frame, lines: list[tuple], texts: DeckTexts) -> None:
    """Paragraphs of (text, size, bold, colour[, left_to_right]) into a text frame, replacing what is there.

    A line marked left-to-right (a URL) keeps its own direction inside a right-to-left deck: the bidi
    algorithm would otherwise reorder its slashes and dots.
    """
    frame.clear()
    frame.word_wrap = True
    for i, (text, size, bold, colour, *ltr) in enumerate(lines):
        paragraph = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
        run = paragraph.add_run()
        run.text = text
        _font(run, texts, size, bold, colour)
        paragraph.space_after = Pt(size * 0.4)
        if texts.rtl and ltr and ltr[0]:
            paragraph.alignment = PP_ALIGN.RIGHT
            paragraph._p.get_or_add_pPr().set("rtl", "0")
        elif texts.rtl:
            _set_rtl(paragraph, texts)


TITLE_TOP, TITLE_HEIGHT = Inches(0.35), Inches(1.25)


def _title(slide, text: str, texts: DeckTexts, top: int = TITLE_TOP, height: int = TITLE_HEIGHT) -> None:
    shape = slide.shapes.title
    shape.left, shape.top, shape.width, shape.height = Inches(0.6), top, SLIDE_WIDTH - Inches(1.2), height
    text = plain(text, TITLE_CHARS)
    size = TITLE_PT if len(text) <= 60 else MIN_TITLE_PT
    _write(shape.text_frame, [(text, size, True, INK)], texts)
    shape.text_frame.vertical_anchor = MSO_ANCHOR.MIDDLE


def _notes(slide, lines: list, texts: DeckTexts) -> None:
    """Lines of text, or (text, left_to_right) pairs."""
    frame = slide.notes_slide.notes_text_frame
    pairs = [line if isinstance(line, tuple) else (line, False) for line in lines]
    _write(frame, [(text, 12, False, INK, ltr) for text, ltr in pairs if text], texts)


def _picture(slide, data: bytes, left, top, width, height, alt: str) -> None:
    picture = slide.shapes.add_picture(io.BytesIO(data), left, top, width=width)
    if picture.height > height:  # keep the proportions inside the box
        picture.height, picture.width = height, Emu(int(picture.width * height / picture.height))
    picture.left = left + (width - picture.width) // 2
    picture._element.nvPicPr.cNvPr.set("descr", plain(alt, 300))


def _type_label(office_type: str, texts: DeckTexts) -> str:
    return plain(texts.type_labels.get(office_type, office_type))


def _office_slide(prs, offices: pd.DataFrame, row: pd.Series, texts: DeckTexts) -> None:
    slide = prs.slides.add_slide(prs.slide_layouts[_LAYOUT_TITLE_ONLY])
    name = plain(row.get("name"))
    _title(slide, name, texts)
    body_top, body_height = Inches(1.75), Inches(5.35)
    picture_width = Inches(6.6)
    picture_left = Inches(0.6) if texts.rtl else SLIDE_WIDTH - Inches(0.6) - picture_width
    text_left = Inches(0.6) + picture_width + Inches(0.35) if texts.rtl else Inches(0.6)
    text_width = SLIDE_WIDTH - Inches(1.2) - picture_width - Inches(0.35)
    if pd.notna(row.get("latitude")) and pd.notna(row.get("longitude")):
        picture = region_picture(offices, str(row["id"]), texts.picture, width_px=1800)
        _picture(slide, picture.data, picture_left, body_top, picture_width, body_height, name)
    place = texts.list_separator.join(v for v in (plain(row.get("city")), plain(row.get("country"))) if v)
    lines: list[tuple[str, float, bool, RGBColor]] = [
        (_type_label(str(row.get("office_type")), texts), BODY_PT, True,
         RGBColor.from_string(TYPE_STYLES[OfficeType(row["office_type"])].colour.lstrip("#"))
         if row.get("office_type") in {t.value for t in OfficeType} else MUTED),
    ]
    if place:
        lines.append((f"{plain(texts.place)}: {place}", BODY_PT, False, INK))
    for label, column in ((texts.partner, "partner"), (texts.serves, "serves")):
        value = plain(row.get(column), 200)
        if value:
            lines.append((f"{plain(label)}: {value}", BODY_PT, False, INK))
    box = slide.shapes.add_textbox(text_left, body_top, text_width, body_height - Inches(0.9))
    _write(box.text_frame, lines, texts)
    source = plain(row.get("source_url"), 240)
    if source:
        sources = slide.shapes.add_textbox(text_left, body_top + body_height - Inches(0.9), text_width, Inches(0.9))
        _write(sources.text_frame, [(f"{plain(texts.sources)}:", SMALL_PT, False, MUTED),
                                    (source, SMALL_PT, False, MUTED, True)], texts)
        sources.text_frame.vertical_anchor = MSO_ANCHOR.BOTTOM
    _notes(slide, [plain(row.get("name")), plain(row.get("description")),
                   f"{plain(texts.sources)}:" if source else "", (source, True)], texts)


def build_deck(offices: pd.DataFrame, texts: DeckTexts) -> bytes:
    """The deck as PPTX bytes: title (with the source of the offices), overview, then one slide per
    office in the order given."""
    prs = Presentation()
    prs.slide_width, prs.slide_height = SLIDE_WIDTH, SLIDE_HEIGHT
    prs.core_properties.title = plain(texts.title, 200)
    prs.core_properties.language = texts.lang

    slide = prs.slides.add_slide(prs.slide_layouts[_LAYOUT_TITLE])
    _title(slide, texts.title, texts, top=Inches(2.2), height=Inches(1.9))
    subtitle = slide.placeholders[1]
    subtitle.left, subtitle.top, subtitle.width, subtitle.height = (
        Inches(0.6), Inches(4.3), SLIDE_WIDTH - Inches(1.2), Inches(1.0))
    _write(subtitle.text_frame, [(caller_text(texts.subtitle, 200), 24, False, MUTED),
                                 (caller_text(texts.source, 300), SMALL_PT, False, MUTED)], texts)
    _notes(slide, [plain(texts.title), plain(texts.subtitle), plain(texts.source)], texts)

    slide = prs.slides.add_slide(prs.slide_layouts[_LAYOUT_TITLE_ONLY])
    _title(slide, texts.overview_title, texts)
    world = world_picture(offices, texts.picture)
    _picture(slide, world.data, Inches(0.4), Inches(1.75), SLIDE_WIDTH - Inches(0.8), Inches(5.5),
             plain(texts.overview_title))
    _notes(slide, [plain(texts.subtitle)], texts)

    for _, row in offices.iterrows():
        _office_slide(prs, offices, row, texts)
    out = io.BytesIO()
    prs.save(out)
    return out.getvalue()
