"""The one-page briefing sheet as a PDF made on the server: A4 or US Letter, fonts embedded.

Drawn with matplotlib's PDF backend, the same drawing as the map pictures (:mod:`geo.exports.pictures`):
title, date and source, the world map with each office numbered as in the table (numbers placed
where they cover no marker), its legend, scale bar and attribution, then the table (#, office,
type, city, country, partner, opened), wrapped to the column widths, and the source line.
Fonts are embedded as TrueType subsets (``pdf.fonttype`` 42). In a right-to-left sheet the
columns run from the right and every line is right-to-left.

Why matplotlib and not WeasyPrint on the HTML sheet (measured, see the commit): no system
libraries (WeasyPrint needs pango), one layout for the map in PNG, SVG and PDF, so the labels that
never cover a marker are the same everywhere; and the HTML sheet's number labels cover markers in
Arabic (issue #12), which a PDF printed from it would keep.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from geo.exports.cartography import WORLD_VIEW, PictureTexts, Style, View, font, plain, visual
from geo.exports.drawing import MapDrawing, placed_offices
from geo.exports.pictures import RENDER_LOCK, save_figure
from geo.maps.styles import english_type_labels

MM = 1 / 25.4  # inches
PAGE_SIZES = {"a4": (210 * MM, 297 * MM), "letter": (8.5, 11.0)}  # 595 x 842 pt, 612 x 792 pt
MARGIN = 12 * MM
COLUMNS = ("n", "name", "office_type", "city", "country", "partner", "opened")
# Shares of the text width (about 186 mm on A4).
COLUMN_SHARES = {"n": 0.035, "name": 0.30, "office_type": 0.19, "city": 0.12, "country": 0.13, "partner": 0.155,
                 "opened": 0.07}
TABLE_PT, TITLE_PT, META_PT = 7.5, 15, 8.5
INK, MUTED, RULE, HEAD = "#111827", "#374151", "#d1d5db", "#f3f4f6"


@dataclass(frozen=True)
class SheetTexts:
    """The sheet's words, translated by the caller (English defaults)."""

    title: str = "INTERPOL General Secretariat offices"
    date: str = ""  # e.g. 2026-11-30, written as given
    # Where the offices come from (the organisation, or the user's own uploaded table): no default,
    # so an uploaded table is never credited to the official one.
    source: str = field(kw_only=True)
    column_labels: Mapping[str, str] = field(default_factory=lambda: {
        "n": "#", "name": "Office", "office_type": "Type", "city": "City", "country": "Country",
        "partner": "Partner", "opened": "Opened",
    })
    type_labels: Mapping[str, str] = field(
        default_factory=english_type_labels
    )
    more: str = "… and {n} more offices (see the table download)"
    picture: PictureTexts = field(default_factory=PictureTexts)
    rtl: bool = False


class _Page:
    def __init__(self, size: str, texts: SheetTexts):
        self.width, self.height = PAGE_SIZES[size]
        self.fig = Figure(figsize=(self.width, self.height), dpi=72)
        self.canvas = FigureCanvasAgg(self.fig)
        self.renderer = self.canvas.get_renderer()
        self.texts = texts
        self.rtl = texts.rtl

    def text_width(self, text: str, size: float, bold: bool = False) -> float:
        """Width in inches."""
        width, _, _ = self.renderer.get_text_width_height_descent(text, font(size, bold), ismath=False)
        return width / self.fig.dpi

    def wrap(self, text: str, width: float, size: float, bold: bool = False, max_lines: int = 3) -> list[str]:
        words, lines, line = text.split(" "), [], ""
        for word in words:
            trial = f"{line} {word}" if line else word
            if self.text_width(trial, size, bold) <= width or not line:
                line = trial
            else:
                lines.append(line)
                line = word
        if line:
            lines.append(line)
        if len(lines) > max_lines:
            lines = [*lines[: max_lines - 1], lines[max_lines - 1] + "…"]
        return [self._fit(line, width, size, bold) for line in lines]

    def _fit(self, line: str, width: float, size: float, bold: bool) -> str:
        """A single word longer than the column is cut with an ellipsis."""
        while len(line) > 1 and self.text_width(line, size, bold) > width:
            line = line[: max(1, int(len(line) * 0.9))].rstrip() + "…" if not line.endswith("…") else line[:-2] + "…"
        return line

    def put(self, x: float, y: float, text: str, size: float, bold: bool = False, colour: str = INK,
            align: str = "start") -> None:
        """Text with its top at (x, y) inches from the top-left of the page; start = left, or right in RTL."""
        ha = {"start": "right" if self.rtl else "left", "end": "left" if self.rtl else "right"}[align]
        self.fig.text(x / self.width, 1 - y / self.height, visual(text, self.rtl), fontproperties=font(size, bold),
                      color=colour, ha=ha, va="top", parse_math=False)

    def x(self, inches_from_start: float) -> float:
        """A distance from the start edge (left, or right in RTL) as inches from the left."""
        return self.width - inches_from_start if self.rtl else inches_from_start


def _cell(record: pd.Series, column: str, n: int, texts: SheetTexts) -> str:
    if column == "n":
        return str(n)
    if column == "office_type":
        value = str(record.get("office_type"))
        return plain(texts.type_labels.get(value, value))
    if column == "opened":
        value = record.get("opened")
        return "" if pd.isna(value) else str(int(float(value))) if str(value).replace(".", "", 1).isdigit() else plain(value)
    return plain(record.get(column), 300)


def _heading(page: _Page, texts: SheetTexts) -> float:
    """Title and date at the top; the distance from the top of the page below them (inches)."""
    y = MARGIN
    inner = page.width - 2 * MARGIN
    for line in page.wrap(plain(texts.title, 200), inner, TITLE_PT, True, max_lines=2):
        page.put(page.x(MARGIN), y, line, TITLE_PT, bold=True)
        y += TITLE_PT * 1.25 / 72
    meta = plain(texts.date)
    if meta:
        page.put(page.x(MARGIN), y + 1 * MM, meta, META_PT, colour=MUTED)
        y += META_PT * 1.4 / 72 + 1 * MM
    return y + 2 * MM


def _world_map(page: _Page, placed: pd.DataFrame, texts: SheetTexts, y: float) -> tuple[MapDrawing, float]:
    """The world map below ``y``, its offices not yet numbered; the drawing and the y below it."""
    inner = page.width - 2 * MARGIN
    view = View(*WORLD_VIEW)
    map_height = inner / view.aspect
    ax = page.fig.add_axes((MARGIN / page.width, 1 - (y + map_height) / page.height, inner / page.width,
                            map_height / page.height))
    drawing = MapDrawing(page.fig, ax, view, texts.picture, Style(marker=9, label=7, legend=6.5, small=5.5, border=0.3))
    drawing.land()
    drawing.legend(placed, loc="lower left")
    drawing.scale_bar(0.36, 0.07, world=True)
    drawing.attribution()
    drawing.markers(placed)
    ax.patch.set_visible(True)
    return drawing, y + map_height + 4 * MM


class _Table:
    """The table of offices, one row after the other from a given height."""

    def __init__(self, page: _Page):
        self.page = page
        self.inner = page.width - 2 * MARGIN
        self.widths = {c: COLUMN_SHARES[c] * self.inner for c in COLUMNS}
        self.pad = 1 * MM
        self.line_height = TABLE_PT * 1.3 / 72

    def cells(self, texts: list[str], bold: bool = False, max_lines: int = 3) -> list[list[str]]:
        return [self.page.wrap(t, self.widths[c] - 2 * self.pad, TABLE_PT, bold, max_lines)
                for c, t in zip(COLUMNS, texts, strict=True)]

    def height(self, cells: list[list[str]]) -> float:
        return max(len(c) for c in cells) * self.line_height + 2 * self.pad

    def row(self, cells: list[list[str]], top: float, bold: bool, shade: str | None) -> float:
        page, height = self.page, self.height(cells)
        if shade:
            page.fig.patches.append(_rect(page, MARGIN, top, self.inner, height, shade))
        start = MARGIN
        for column, lines in zip(COLUMNS, cells, strict=True):
            for i, line in enumerate(lines):
                page.put(page.x(start + self.pad), top + self.pad + i * self.line_height, line, TABLE_PT, bold=bold)
            start += self.widths[column]
        page.fig.patches.append(_rect(page, MARGIN, top + height - 0.2 * MM, self.inner, 0.2 * MM, RULE))
        return height


def _office_rows(page: _Page, offices: pd.DataFrame, texts: SheetTexts, y: float) -> tuple[set[str], float]:
    """The header and as many office rows as fit below ``y``; the ids listed and the y below them."""
    table = _Table(page)
    labels = {"n": "#", **texts.column_labels}
    bottom = page.height - MARGIN - 2 * META_PT * 1.4 / 72 - 2 * MM
    y += table.row(table.cells([plain(labels.get(c, c)) for c in COLUMNS], True, 2), y, True, HEAD)
    listed: set[str] = set()
    for n, (_, record) in enumerate(offices.iterrows(), start=1):
        cells = table.cells([_cell(record, c, n, texts) for c in COLUMNS])
        if y + table.height(cells) > bottom - table.line_height * (1 if n < len(offices) else 0):
            break
        y += table.row(cells, y, False, None)
        listed.add(str(record["id"]))
    return listed, y


def briefing_sheet_pdf(offices: pd.DataFrame, texts: SheetTexts, *, page_size: str = "a4") -> bytes:
    """One page: title, date, the numbered world map, the table of offices (in the order given) and the source.

    Rows that do not fit on the page are counted in one last line (``texts.more``). ``texts.source``
    names where the offices come from (it has no default).
    """
    if page_size not in PAGE_SIZES:
        raise ValueError(f"page_size must be one of {sorted(PAGE_SIZES)}, got {page_size!r}")
    page = _Page(page_size, texts)
    inner = page.width - 2 * MARGIN
    with RENDER_LOCK:
        y = _heading(page, texts)
        placed = placed_offices(offices)
        drawing, y = _world_map(page, placed, texts, y)
        listed, y = _office_rows(page, offices, texts, y)
        # Numbers on the map for the rows the table lists (the others have no row to refer to).
        numbers = {str(office_id): n for n, office_id in enumerate(offices["id"], start=1)}
        in_table = placed[placed["id"].astype(str).isin(listed)]
        drawing.place_labels(in_table, lambda r: str(numbers[str(r["id"])]), limit=len(in_table))
        if len(listed) < len(offices):
            page.put(page.x(MARGIN), y + 1 * MM, plain(texts.more.format(n=len(offices) - len(listed))), TABLE_PT,
                     colour=MUTED)
        for i, line in enumerate(page.wrap(plain(texts.source, 300), inner, META_PT - 1, max_lines=2)):
            page.put(page.x(MARGIN), page.height - MARGIN - (2 - i) * (META_PT * 1.3 / 72), line, META_PT - 1,
                     colour=MUTED)
        return save_figure(page.fig, "pdf", 72)


def _rect(page: _Page, x: float, top: float, width: float, height: float, colour: str):
    from matplotlib.patches import Rectangle

    return Rectangle((x / page.width, 1 - (top + height) / page.height), width / page.width, height / page.height,
                     transform=page.fig.transFigure, facecolor=colour, edgecolor="none", zorder=0)
