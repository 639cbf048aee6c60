"""The briefing pack (issue #12): map pictures, the slide deck and the PDF sheet, opened with the programs
people use: Pillow (PNG), an XML parser (SVG), python-pptx (PPTX), poppler's pdfinfo and pdffonts (PDF).

Small on purpose (the deck tests use two offices): the whole file runs in well under a minute.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd
import pytest
from PIL import Image
from pptx import Presentation
from pptx.enum.text import PP_ALIGN
from pptx.util import Pt

from geo.exports import cartography, pdfsheet, pictures, slides
from geo.offices.filtering import briefing_order
from geo.offices.localise import localise
from geo.offices.table import load_offices

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts" / "pack"
ARABIC_PICTURE = cartography.PictureTexts(
    legend_title="أنواع المكاتب", attribution="الحدود: Natural Earth (ملكية عامة)", distance="{n} كم",
    at_equator="{distance} عند خط الاستواء", rtl=True,
)
SOURCE = "Source: INTERPOL (interpol.int), office data checked on 30 November 2026"
UPLOADED = "Source: uploaded table my-offices.xlsx"
HOSTILE_NAME = "<script>alert(1)</script> \u202eevil\u202c " + "very long name " * 20


@pytest.fixture(scope="module")
def offices() -> pd.DataFrame:
    return briefing_order(load_offices(ROOT / "data" / "offices.csv"))


@pytest.fixture(scope="module")
def arabic(offices: pd.DataFrame) -> pd.DataFrame:
    return briefing_order(localise(offices, "ar"))


def _boxes_meet(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _save(name: str, data: bytes) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / name).write_bytes(data)


# --- pictures ----------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_world_png_is_wide_not_blank_and_labels_cover_no_marker(offices, arabic, lang):
    table = arabic if lang == "ar" else offices
    picture = pictures.world_picture(table, ARABIC_PICTURE if lang == "ar" else None)
    _save(f"test-world-{lang}.png", picture.data)
    image = Image.open(io.BytesIO(picture.data))
    assert image.format == "PNG" and image.width >= 2400
    colours = image.convert("RGB").resize((240, 95)).getcolors(maxcolors=100_000)
    assert colours and len(colours) > 20  # land, sea, markers, text: not one flat colour
    assert len(picture.labels) == len(table)  # every office has its label at this size
    for label in picture.labels:
        for office_id, box in picture.markers:
            assert not _boxes_meet(label.box, box), f"label {label.text!r} covers the marker of {office_id}"
        for obstacle in picture.obstacles:
            assert not _boxes_meet(label.box, obstacle), f"label {label.text!r} covers the legend or scale"
    for a, b in zip(picture.labels, picture.labels[1:], strict=False):
        assert not _boxes_meet(a.box, b.box)
    boxes = [label.box for label in picture.labels]
    assert all(not _boxes_meet(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1 :])


def test_world_svg_parses_and_draws_text_as_paths(offices):
    picture = pictures.world_picture(offices, fmt="svg")
    root = ET.fromstring(picture.data)
    assert root.tag.endswith("svg")
    assert float(root.get("width", "0").rstrip("pt")) > 0
    assert not [e for e in root.iter() if e.tag.endswith("script")]


def test_region_picture_names_the_office_and_rings_it(arabic):
    picture = pictures.region_picture(arabic, "sro-european-union", ARABIC_PICTURE)
    assert picture.labels[0].office_id == "sro-european-union"
    assert "الاتحاد الأوروبي" in picture.labels[0].text
    assert {label.office_id for label in picture.labels} >= {"lo-europol", "hq-lyon"}
    with pytest.raises(KeyError):
        pictures.region_picture(arabic, "no-such-office")


# --- the deck ----------------------------------------------------------------------------------


def _deck(table: pd.DataFrame, lang: str) -> Presentation:
    texts = slides.DeckTexts(lang=lang, rtl=lang == "ar", subtitle="2026-11-30", source=SOURCE,
                             picture=ARABIC_PICTURE if lang == "ar" else cartography.PictureTexts())
    data = slides.build_deck(table, texts)
    _save(f"test-deck-{lang}.pptx", data)
    return Presentation(io.BytesIO(data))


def _pictures(slide) -> list:
    return [shape for shape in slide.shapes if shape.shape_type == 13]


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_deck_slides_titles_notes_pictures(offices, arabic, lang):
    table = (arabic if lang == "ar" else offices).head(2)
    deck = _deck(table, lang)
    assert deck.slide_width * 9 == deck.slide_height * 16 or abs(deck.slide_width / deck.slide_height - 16 / 9) < 0.01
    assert len(deck.slides) == 2 + len(table)
    for slide in deck.slides:
        sizes = [run.font.size for p in slide.shapes.title.text_frame.paragraphs for run in p.runs]
        assert sizes and all(size >= Pt(32) for size in sizes)
    assert len(_pictures(deck.slides[1])) == 1
    for slide, (_, row) in zip(list(deck.slides)[2:], table.iterrows(), strict=True):
        assert slide.shapes.title.text_frame.text == row["name"]
        assert len(_pictures(slide)) == 1
        notes = slide.notes_slide.notes_text_frame.text
        assert row["description"] in notes and row["source_url"] in notes
        body = " ".join(shape.text_frame.text for shape in slide.shapes if shape.has_text_frame)
        assert row["city"] in body and row["source_url"] in body
    paragraphs = [p for slide in deck.slides for shape in slide.shapes if shape.has_text_frame
                  for p in shape.text_frame.paragraphs if p.runs]
    rtl = [p._p.pPr is not None and p._p.pPr.get("rtl") == "1" for p in paragraphs]
    urls = ["".join(r.text for r in p.runs).startswith("https://") for p in paragraphs]
    if lang == "ar":  # every paragraph right to left but the URLs, which keep their own direction
        assert all(r != u for r, u in zip(rtl, urls, strict=True))
        assert all(p.alignment == PP_ALIGN.RIGHT for p in paragraphs)
    else:
        assert not any(rtl)
    if lang == "ar":
        cs = {run._r.rPr.find("{http://schemas.openxmlformats.org/drawingml/2006/main}cs").get("typeface")
              for p in paragraphs for run in p.runs}
        assert cs == {"Noto Sans Arabic"}


# --- the PDF -------------------------------------------------------------------------------------

needs_poppler = pytest.mark.skipif(not shutil.which("pdffonts"), reason="needs poppler-utils (pdfinfo, pdffonts)")


@needs_poppler
@pytest.mark.parametrize(("lang", "size", "points"), [("en", "a4", "595.276 x 841.89"), ("ar", "letter", "612 x 792")])
def test_pdf_one_page_right_size_fonts_embedded(offices, arabic, tmp_path, lang, size, points):
    table = arabic if lang == "ar" else offices
    texts = pdfsheet.SheetTexts(date="2026-11-30", rtl=lang == "ar", source=SOURCE,
                                picture=ARABIC_PICTURE if lang == "ar" else cartography.PictureTexts())
    data = pdfsheet.briefing_sheet_pdf(table, texts, page_size=size)
    _save(f"test-sheet-{lang}-{size}.pdf", data)
    path = tmp_path / "sheet.pdf"
    path.write_bytes(data)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"^Pages:\s+1$", info, re.M)
    page_size = re.search(r"^Page size:\s+([0-9.]+) x ([0-9.]+) pts", info, re.M)
    assert page_size and [round(float(v)) for v in page_size.groups()] == [round(float(v)) for v in points.split(" x ")]
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout.splitlines()[2:]
    assert fonts and all(line.split()[-5] == "yes" for line in fonts), fonts  # the "emb" column
    if lang == "ar":
        assert any("Arabic" in line for line in fonts)
        text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout
        assert "ليون" in text or "نويل" in text  # Lyon, in whichever order poppler extracts it


def test_pdf_counts_rows_that_do_not_fit(offices):
    many = pd.concat([offices] * 3, ignore_index=True)
    many["id"] = [f"office-{i}" for i in range(len(many))]
    data = pdfsheet.briefing_sheet_pdf(many, pdfsheet.SheetTexts(more="MORE {n}", source=SOURCE), page_size="letter")
    assert data.startswith(b"%PDF")
    if shutil.which("pdftotext"):
        path = ARTIFACTS / "test-sheet-many.pdf"
        _save(path.name, data)
        text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout
        assert re.search(r"MORE \d+", text)
        info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True).stdout
        assert re.search(r"^Pages:\s+1$", info, re.M)


def test_the_deck_and_the_pdf_name_the_source_they_are_given(offices, tmp_path):
    """An uploaded table is credited as such on the deck's title slide (and its notes) and on the PDF
    sheet; neither has a default source that could credit the official table (issue #17)."""
    table = offices.head(2)
    with pytest.raises(TypeError, match="source"):
        slides.DeckTexts()
    with pytest.raises(TypeError, match="source"):
        pdfsheet.SheetTexts()
    deck = Presentation(io.BytesIO(slides.build_deck(table, slides.DeckTexts(source=UPLOADED))))
    assert UPLOADED in deck.slides[0].placeholders[1].text_frame.text
    assert UPLOADED in deck.slides[0].notes_slide.notes_text_frame.text
    every_text = " ".join(shape.text_frame.text for slide in deck.slides for shape in slide.shapes
                          if shape.has_text_frame)
    assert "offices.csv" not in every_text and "interpol.int)" not in every_text
    pdf = pdfsheet.briefing_sheet_pdf(table, pdfsheet.SheetTexts(source=UPLOADED))
    if shutil.which("pdftotext"):
        path = tmp_path / "uploaded.pdf"
        path.write_bytes(pdf)
        text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
        assert "uploaded table my-offices.xlsx" in text and "offices.csv" not in text.replace("my-offices.xlsx", "")


# --- hostile text ------------------------------------------------------------------------------


def test_hostile_names_stay_text(offices, tmp_path):
    table = offices.head(2).copy()
    table["name"] = [HOSTILE_NAME, "=cmd|' /C calc'!A0 \x00\x07 ${alert(1)}"]
    table["city"] = ["<img src=x onerror=alert(1)>", "\u2066Isolate\u2069"]
    deck = Presentation(io.BytesIO(slides.build_deck(table, slides.DeckTexts(source=SOURCE))))
    title = deck.slides[2].shapes.title.text_frame.text
    assert title.startswith("<script>alert(1)</script> evil")  # the characters, as text; no override
    assert "\u202e" not in title and len(title) <= slides.TITLE_CHARS
    notes = deck.slides[2].notes_slide.notes_text_frame.text
    assert "\u202e" not in notes and "very long name" in notes
    assert "\x00" not in deck.slides[3].shapes.title.text_frame.text
    svg = pictures.world_picture(table, fmt="svg").data
    root = ET.fromstring(svg)  # still well-formed XML
    assert not [e for e in root.iter() if e.tag.endswith(("script", "img", "foreignObject"))]
    assert b"<script" not in svg and b"onerror" not in svg
    region = pictures.region_picture(table, str(table.iloc[0]["id"]))
    lines = region.labels[0].text.split("\n")  # the office's own label: wrapped, cut after 3 lines
    assert len(lines) <= 3 and all(len(line) <= cartography.BOLD_LINE_CHARS for line in lines)
    assert all(len(label.text) <= cartography.LABEL_CHARS for label in region.labels[1:])
    pdf = pdfsheet.briefing_sheet_pdf(table, pdfsheet.SheetTexts(source=SOURCE))
    assert pdf.startswith(b"%PDF") and b"<script" not in pdf
    if shutil.which("pdftotext"):
        path = tmp_path / "hostile.pdf"
        path.write_bytes(pdf)
        text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout
        # Shown as the characters it is (wrapped in its narrow column).
        assert "<img src=x" in text and "onerror=alert(" in text


# --- the sidebar's buttons -----------------------------------------------------------------------


def _pack_app() -> None:
    from pathlib import Path

    import i18n
    from dashboard.pack import _deck, pack_downloads
    from geo.offices.localise import localise
    from geo.offices.table import load_offices

    i18n.set_language("ar")
    table = localise(load_offices(Path(i18n.__file__).parent.parent / "data" / "offices.csv"), "ar").head(2)
    pack_downloads(table, "Source: uploaded table my-offices.xlsx")
    plain = table[[c for c in table.columns if not c.endswith("_en")]]
    import streamlit as st

    st.session_state["deck"] = _deck(plain, "ar", "2026-11-30", "Source: uploaded table my-offices.xlsx")


def test_pack_downloads_in_the_sidebar_in_the_language():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_function(_pack_app, default_timeout=120).run()
    assert not at.exception
    assert [s.value for s in at.sidebar.subheader] == ["حزمة الإحاطة"]
    labels = [b.label for b in at.sidebar.get("download_button")]
    assert len(labels) == 5 and "شرائح العرض (PPTX)" in labels
    deck = Presentation(io.BytesIO(at.session_state["deck"]))
    assert len(deck.slides) == 4
    subtitle = deck.slides[0].placeholders[1].text_frame.text
    assert "\u200e2026-11-30" in subtitle  # the date kept in one piece in Arabic
    assert UPLOADED in subtitle  # the source given, never the official one for an upload
