"""A hostile office table and hostile URL parameters, and checkers that what the app makes of them is inert.

The table is the real one (same ids, types, places, time zones: the validator in geo/offices/table.py must
accept it) with every free-text field, two extra columns and two extra column *names* replaced by
script, event-handler, template and markdown payloads. Every payload carries a marker
(:data:`MARKERS`) so that a page can be searched for data that escaped from where it belongs, and
payloads that would run code set ``window.__pwned`` or open a dialog.

Used by tests/test_injection.py (no browser) and tests/test_injection_browser.py. The end of the file
builds hostile uploads of issue #17 (workbooks written part by part: two corner cells, a million tiny
strings, one huge shared string; tables of many tiny offices), used by tests/test_upload_*.py.
"""

from __future__ import annotations

import csv
import html
import io
import re
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd

from geo.offices.table import parse_offices

ROOT = Path(__file__).resolve().parent.parent
REAL_TABLE = ROOT / "data" / "offices.csv"

# The payloads of issue #7, then variants that would set window.__pwned, mutation-XSS and
# template-language ones. Keys name them in test ids.
PAYLOADS: dict[str, str] = {
    "img-onerror": "<img src=x onerror=alert(1)>",
    "script": "<script>alert(2)</script>",
    "attr-break-svg": '"><svg onload=alert(3)>',
    "backtick-template": "`${alert(4)}`",
    "template": "${alert(5)}",
    "script-close": "</script><script>alert(6)</script>",
    "js-url": "javascript:alert(7)",
    "single-quote-attr": "' onmouseover='alert(8)",
    "mustache": "{{7*7}}",
    "anchor-js": '<a href="javascript:alert(9)">x</a>',
    "img-pwned": '<img src=x onerror="window.__pwned=1">',
    "attr-break-img": '"><img src=x onerror=window.__pwned=2>',
    "backtick-break": "`;window.__pwned=3;`",
    "template-pwned": "${window.__pwned=4}",
    "div-break-svg": "</div></section><svg/onload=window.__pwned=5>",
    "iframe-srcdoc": '<iframe srcdoc="<script>parent.__pwned=6</script>"></iframe>',
    "noscript-mxss": '<noscript><p title="</noscript><img src=x onerror=window.__pwned=7>">',
    "double-escaped": "&lt;img src=x onerror=window.__pwned=8&gt;",
    "style": "<style>*{display:none!important}</style>alert(10)",
    "md-link": "[click me](https://evil.example/phish) alert(11)",
    "md-image": "![x](https://evil.example/pixel.png) alert(12)",
    "json-break": '"};window.__pwned=9;//',
    # Server-side templates: folium and branca compile every element's script as a Jinja2 template.
    "jinja-block": "{% if 1 %}jinja-ran{% endif %} alert(14)",
}
# Template text that does not even compile as Jinja2; kept out of the main table so that the other
# surfaces stay testable while the map cannot cope with it (see tests/test_injection.py).
TEMPLATE_BREAKERS: dict[str, str] = {
    "jinja-comment": "{# alert(15)",
    "jinja-unclosed": "{{ alert(16)",
    "jinja-endraw": "{% endraw %} alert(17)",
}
# Text that only escaped data can put into a page (none of it is in the app's own code or assets).
MARKERS = ("alert(", "__pwned", "7*7", "evil.example")

FREE_TEXT_COLUMNS = ("name", "city", "country", "address", "partner", "description", "serves", "opened_note")
# Extra columns: one with a payload in it, one whose *name* is a payload, one whose name is a formula.
EXTRA_COLUMNS = ("notes", "<img src=x onerror=window.__pwned=10>", "=hyperlink(\"https://evil.example\";\"x\")")
# Cells a spreadsheet would run but the validator accepts (signed numbers, phone numbers).
FORMULA_LIKE = {"partner": "+33 4 72 44 70 00", "serves": "-12", "notes": "-2"}


def _payload_for(index: int, column_index: int) -> tuple[str, str]:
    keys = list(PAYLOADS)
    key = keys[(index + column_index * 5) % len(keys)]
    return key, PAYLOADS[key]


def hostile_rows() -> tuple[list[str], list[dict[str, str]]]:
    """The header and rows of the hostile table (the real table's rows with payloads in every text)."""
    with REAL_TABLE.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        header = list(reader.fieldnames or [])
        real = list(reader)
    # Twice the real offices, so that every payload is some office's name. The copies have their own
    # ids and lie 2 degrees east of the originals: at zoom 6 (an office's link) no two offices are
    # closer than the cluster radius, so each one is a marker of its own.
    real = real + [
        {**row, "id": f"{row['id']}-copy", "longitude": f"{float(row['longitude']) + 2:.5f}"} for row in real
    ]
    rows = []
    for index, row in enumerate(real):
        out = dict(row)
        for column_index, column in enumerate(FREE_TEXT_COLUMNS):
            _, payload = _payload_for(index, column_index)
            # The payload is alone in some cells, inside ordinary text in others.
            if column == "name":
                out[column] = payload if index % 3 == 0 else f"Office {index} {payload} end"
            elif column in ("description", "address", "opened_note"):
                out[column] = f"{payload}\nsecond line {payload}\u2028after a line separator"
            else:
                out[column] = payload if index % 2 else f"{column} {payload}"
        out["source_url"] = f"https://example.org/{row['id']}?a=${{alert(13)}}&b={{{{7*7}}}}"
        out[EXTRA_COLUMNS[0]] = _payload_for(index, 9)[1]
        out[EXTRA_COLUMNS[1]] = _payload_for(index, 10)[1]
        out[EXTRA_COLUMNS[2]] = "x"
        rows.append(out)
    # Cells that start like a formula yet pass validation: the CSV export must neutralise them.
    rows[1].update(FORMULA_LIKE)
    return header + list(EXTRA_COLUMNS), rows


def hostile_csv_bytes() -> bytes:
    header, rows = hostile_rows()
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def write_hostile_table(directory: Path) -> Path:
    """Write the hostile table as ``hostile-offices.csv`` in ``directory``; return its path."""
    path = Path(directory) / "hostile-offices.csv"
    path.write_bytes(hostile_csv_bytes())
    return path


def hostile_offices() -> pd.DataFrame:
    """The hostile table as the app loads it (raises if the validator refuses it)."""
    return parse_offices(hostile_csv_bytes(), "hostile-offices.csv", require_coordinates=False)


# --- URL parameters ------------------------------------------------------------------------------

URL_PARAMS = ("type", "region", "q", "office", "lang", "step")
# What a share link can carry: the table's payloads and Markdown that Streamlit would render
# (notices quote the ignored value in Markdown).
URL_PAYLOADS: dict[str, str] = {
    **PAYLOADS,
    **TEMPLATE_BREAKERS,
    "bare-url": "https://evil.example/bare alert(20)",
    "www-url": "www.evil.example alert(21)",
    "md-heading": "x\n# alert(22)",
    "md-colour-math": ":red[alert(23)] $x^2$ **bold**",
    "md-html-link": "<https://evil.example/angle> alert(24)",
    "mail-autolink": "me@evil.example alert(26)",
}


def breaker_table_bytes() -> bytes:
    """The real table with :data:`TEMPLATE_BREAKERS` in the names of its first offices."""
    with REAL_TABLE.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        header = list(reader.fieldnames or [])
        rows = list(reader)
    for row, payload in zip(rows, TEMPLATE_BREAKERS.values(), strict=False):
        row["name"] = f"{row['name']} {payload}"
        row["description"] = payload
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def broken_table_bytes() -> bytes:
    """A table the validator refuses, quoting Markdown from its cells in the error it shows."""
    header, rows = hostile_rows()
    rows[0]["id"] = "[click me](https://evil.example/phish)"
    rows[1]["office_type"] = "![x](https://evil.example/pixel.png)"
    rows[2]["timezone"] = "<img src=x onerror=alert(25)>"
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


# --- checkers ----------------------------------------------------------------------------------

# Elements no data may ever create in a fragment of the app's own HTML.
FORBIDDEN_TAGS = frozenset({
    "script", "img", "iframe", "frame", "frameset", "object", "embed", "base", "meta", "link", "form",
    "input", "button", "textarea", "select", "noscript", "template", "math", "video", "audio", "source",
    "image", "foreignobject", "animate", "set", "xmp", "plaintext",
})
URL_ATTRIBUTES = frozenset({"href", "src", "action", "formaction", "xlink:href", "data", "poster", "srcdoc"})
SAFE_URL = re.compile(r"^(?:https?://|#|/|mailto:)", re.IGNORECASE)


class _Inspector(HTMLParser):
    def __init__(self, allowed_extra: frozenset[str]) -> None:
        super().__init__(convert_charrefs=True)
        self.allowed_extra = allowed_extra
        self.problems: list[str] = []
        self.text: list[str] = []
        self._raw: str | None = None  # inside <style>/<script>: raw text, not shown

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._check_tag(tag, attrs)
        if tag in ("style", "script"):
            self._raw = tag

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._check_tag(tag, attrs)

    def _check_tag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in FORBIDDEN_TAGS and tag not in self.allowed_extra:
            self.problems.append(f"element <{tag}> {attrs}")
        for name, value in attrs:
            value = value or ""
            if name.startswith("on"):
                self.problems.append(f"event handler {name}={value!r} on <{tag}>")
            if name in URL_ATTRIBUTES and value.strip() and not SAFE_URL.match(value.strip()):
                self.problems.append(f"{name}={value!r} on <{tag}>")
            if name == "style" and any(m in value for m in MARKERS):
                self.problems.append(f"data in a style attribute of <{tag}>: {value!r}")
            if name in URL_ATTRIBUTES and "evil.example" in value:
                self.problems.append(f"link to data-chosen site {value!r} on <{tag}>")

    def handle_endtag(self, tag: str) -> None:
        if tag == self._raw:
            self._raw = None

    def handle_data(self, data: str) -> None:
        if self._raw is not None:
            if any(m in data for m in MARKERS):
                self.problems.append(f"data inside <{self._raw}>: {data[:120]!r}")
            return
        self.text.append(data)

    def handle_comment(self, data: str) -> None:
        if any(m in data for m in MARKERS):
            self.problems.append(f"data inside an HTML comment: {data[:120]!r}")


def inspect_html(fragment: str, allowed_extra: frozenset[str] | set[str] = frozenset()) -> tuple[list[str], str]:
    """Problems in an HTML fragment the app made (elements or attributes that data created), and its text."""
    inspector = _Inspector(frozenset(allowed_extra))
    inspector.feed(fragment)
    inspector.close()
    return inspector.problems, "".join(inspector.text)


def raw_payloads_in(text: str, special: str = "<>\"'") -> list[str]:
    """Payloads holding one of ``special`` that occur unescaped in ``text`` (HTML source).

    Quotes matter in attribute values; in element content (``special="<>"``) they are plain text.
    """
    return [key for key, payload in PAYLOADS.items() if any(c in payload for c in special) and payload in text]


_MD_LINK = re.compile(r"(?<!\\)!?(?<!\\)\[[^\]\n]*(?<!\\)\]\((?P<url>[^)\s]*)")
_CODE_SPAN = re.compile(r"(`+)(?!`).*?(?<!`)\1(?!`)", re.DOTALL)
# GitHub-flavoured Markdown turns bare addresses into links *after* parsing, so backslash escapes do
# not stop it: https://..., www.... and e-mail addresses anywhere in the text (not in code spans).
_AUTOLINK = re.compile(r"(?:https?://|www\.)[^\s]*|[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.IGNORECASE)


def markdown_problems(text: str) -> list[str]:
    """Links, images or autolinks to a data-chosen site in Markdown (Streamlit renders them)."""
    prose = _CODE_SPAN.sub(" ", text)
    found = [f"markdown link/image {m.group(0)!r}" for m in _MD_LINK.finditer(prose)
             if any(marker in m.group(0) for marker in MARKERS)]
    shown = re.sub(r"\\(.)", r"\1", prose)  # the text as displayed, backslash escapes removed
    found += [f"markdown autolink {m.group(0)!r}" for m in _AUTOLINK.finditer(shown) if "evil" in m.group(0)]
    return found


def cell_text(value: object) -> str:
    return "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)


def shown_lines(value: object) -> list[str]:
    """The lines of a cell as a reader sees them (the panel turns line breaks into <br>)."""
    return [line for line in re.split(r"[\n\u2028]", cell_text(value)) if line.strip()]


def escaped(value: str) -> str:
    return html.escape(value, quote=True)


# JavaScript run in every frame of a page: what hostile data would have created or run. Each finding is
# [kind, description]; kind "code" is something that runs or could run script, "link" a link or image
# to a site the data chose (Markdown injection).
PAGE_PROBES_JS = r"""() => {
    const found = [];
    const describe = el => el.outerHTML.slice(0, 200);
    if (window.__pwned !== undefined) found.push(['code', 'window.__pwned=' + window.__pwned]);
    try {
        if (window.top.__pwned !== undefined) found.push(['code', 'top.__pwned=' + window.top.__pwned]);
    } catch (e) {}
    for (const el of document.querySelectorAll('img[src="x"], svg[onload], iframe[srcdoc], noscript img')) {
        found.push(['code', 'element ' + describe(el)]);
    }
    for (const el of document.querySelectorAll('*')) {
        for (const attr of el.getAttributeNames()) {
            if (/^on/i.test(attr)) found.push(['code', 'handler ' + attr + ': ' + describe(el)]);
        }
        const tag = el.tagName.toLowerCase();
        const href = (el.getAttribute('href') || el.getAttribute('xlink:href') || '').trim().toLowerCase();
        if (href.startsWith('javascript:')) found.push(['code', 'javascript: link ' + describe(el)]);
        if (href.includes('evil.example')) found.push(['link', 'link ' + describe(el)]);
        if (tag === 'img' && (el.getAttribute('src') || '').includes('evil.example')) {
            found.push(['link', 'image ' + describe(el)]);
        }
        if (tag === 'style' && /alert\(|display:none!important/.test(el.textContent || '')) {
            found.push(['code', 'style from data ' + describe(el)]);
        }
    }
    return found;
}"""


# --- hostile workbooks (issue #17) ---------------------------------------------------------------
# Small .xlsx files written part by part (no spreadsheet library), each of which once cost the server
# far more than its size: used by tests/test_upload_hostile.py and the measurements in its docstring.

_XLSX_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    "{sheets}{strings}</Types>"
)
_XLSX_SHEET_TYPE = (
    '<Override PartName="/xl/worksheets/sheet{n}.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
)
_XLSX_STRINGS_TYPE = (
    '<Override PartName="/xl/sharedStrings.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
)
_XLSX_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Target="xl/workbook.xml" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"/>'
    "</Relationships>"
)
_XLSX_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
_XLSX_REL_NS = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
_REL_TYPE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"


def column_letters(number: int) -> str:
    """1 -> A, 27 -> AA, 16384 -> XFD."""
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def xlsx_bytes(sheets, shared_strings=None) -> bytes:
    """An .xlsx from parts: ``sheets`` is a list of (name, state, chunks) where ``chunks`` yields the
    sheet XML's ``<sheetData>`` content (and may start with a ``<dimension>``: see :func:`sheet_chunks`);
    ``state`` is "visible", "hidden" or "veryHidden"; ``shared_strings`` yields sharedStrings.xml chunks."""
    out = io.BytesIO()
    types = "".join(_XLSX_SHEET_TYPE.format(n=n) for n in range(1, len(sheets) + 1))
    listed = "".join(
        f'<sheet name="{html.escape(name)}" sheetId="{n}" state="{state}" r:id="rId{n}"/>'
        for n, (name, state, _) in enumerate(sheets, start=1)
    )
    rels = "".join(
        f'<Relationship Id="rId{n}" Target="worksheets/sheet{n}.xml" Type="{_REL_TYPE}worksheet"/>'
        for n in range(1, len(sheets) + 1)
    )
    if shared_strings is not None:
        rels += f'<Relationship Id="rIdS" Target="sharedStrings.xml" Type="{_REL_TYPE}sharedStrings"/>'
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr(
            "[Content_Types].xml",
            _XLSX_CONTENT_TYPES.format(sheets=types, strings=_XLSX_STRINGS_TYPE if shared_strings else ""),
        )
        archive.writestr("_rels/.rels", _XLSX_ROOT_RELS)
        archive.writestr(
            "xl/workbook.xml",
            f'<?xml version="1.0" encoding="UTF-8"?>\n<workbook {_XLSX_NS} {_XLSX_REL_NS}><sheets>{listed}'
            "</sheets></workbook>",
        )
        archive.writestr(
            "xl/_rels/workbook.xml.rels",
            '<?xml version="1.0" encoding="UTF-8"?>\n<Relationships '
            f'xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{rels}</Relationships>',
        )
        for n, (_, _, chunks) in enumerate(sheets, start=1):
            with archive.open(f"xl/worksheets/sheet{n}.xml", "w", force_zip64=True) as part:
                part.write(f'<?xml version="1.0" encoding="UTF-8"?>\n<worksheet {_XLSX_NS}>'.encode())
                for chunk in chunks:
                    part.write(chunk.encode("utf-8"))
                part.write(b"</sheetData></worksheet>")
        if shared_strings is not None:
            with archive.open("xl/sharedStrings.xml", "w", force_zip64=True) as part:
                for chunk in shared_strings:
                    part.write(chunk.encode("utf-8"))
    return out.getvalue()


def sheet_chunks(rows, dimension: str | None = None):
    """Sheet XML chunks for ``rows``: (row number, [(column number, kind, text)]) with kind "n" (number),
    "s" (shared string index), "str" (inline string) or "e" (error); row or column 0 leaves out the
    reference."""
    if dimension:
        yield f'<dimension ref="{dimension}"/>'
    yield "<sheetData>"
    for number, cells in rows:
        parts = [f'<row r="{number}">' if number else "<row>"]
        for column, kind, text in cells:
            # Cells may leave out their reference (r=): they then follow the previous one.
            ref = f"{column_letters(column)}{number}" if column else ""
            if kind == "str":
                parts.append(f'<c{_ref(ref)} t="inlineStr"><is><t>{html.escape(text)}</t></is></c>')
            elif kind == "n":
                parts.append(f'<c{_ref(ref)}><v>{text}</v></c>')
            else:
                parts.append(f'<c{_ref(ref)} t="{kind}"><v>{html.escape(text)}</v></c>')
        parts.append("</row>")
        yield "".join(parts)


def _ref(ref: str) -> str:
    return f' r="{ref}"' if ref else ""


def table_rows(header: list[str], rows: list[list[str]], start: int = 1):
    """A table as :func:`sheet_chunks` rows, every cell an inline string."""
    for offset, values in enumerate([header, *rows]):
        yield start + offset, [(c, "str", v) for c, v in enumerate(values, start=1) if v != ""]


def corner_cells_xlsx(last_column: int = 16384, last_row: int = 1_048_576) -> bytes:
    """Two cells, A1 and (by default) XFD1048576: pandas once padded the sheet to 17 billion cells."""
    last = f"{column_letters(last_column)}{last_row}"
    rows = [(1, [(1, "str", "id")]), (last_row, [(last_column, "str", "x")])]
    return xlsx_bytes([("Offices", "visible", sheet_chunks(rows, f"A1:{last}"))])


def tiny_strings_xlsx(cells: int = 1_000_000, columns: int = 20, declare: bool = False) -> bytes:
    """About ``cells`` one-character inline strings without cell references (0.2 MB zipped for a million)."""
    count = cells // columns
    rows = ((0, [(0, "str", "x")] * columns) for _ in range(count))
    dimension = f"A1:{column_letters(columns)}{count}" if declare else None
    return xlsx_bytes([("Offices", "visible", sheet_chunks(rows, dimension))])


def huge_shared_string_xlsx(megabytes: int = 99) -> bytes:
    """One cell whose one shared string is ``megabytes`` MB of the letter a (about 0.1 MB zipped)."""
    def strings():
        yield f'<?xml version="1.0" encoding="UTF-8"?>\n<sst {_XLSX_NS} count="1" uniqueCount="1"><si><t>'
        block = "a" * (1024 * 1024)
        for _ in range(megabytes):
            yield block
        yield "</t></si></sst>"

    rows = [(1, [(1, "s", "0")])]
    return xlsx_bytes([("Offices", "visible", sheet_chunks(rows, "A1"))], strings())


def tiny_offices_csv(count: int = 166_000, coordinates: bool = True) -> bytes:
    """``count`` minimal valid offices: with coordinates (166,000 make 4.9 MB, the "fine today" scale of
    issue #17), or city-only (Lyon, France) so that each is placed from the gazetteer."""
    place = "L,F,1,2" if coordinates else "Lyon,France,,"
    lines = ["id,name,office_type,city,country,latitude,longitude"]
    lines += [f"o{n:x},O,headquarters,{place}" for n in range(count)]
    return ("\n".join(lines) + "\n").encode("ascii")
