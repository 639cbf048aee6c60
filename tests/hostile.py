"""A hostile office table and hostile URL parameters, and checkers that what the app makes of them is inert.

The table is the real one (same ids, types, places, time zones: the validator in geo/offices/table.py must
accept it) with every free-text field, two extra columns and two extra column *names* replaced by
script, event-handler, template and markdown payloads. Every payload carries a marker
(:data:`MARKERS`) so that a page can be searched for data that escaped from where it belongs, and
payloads that would run code set ``window.__pwned`` or open a dialog.

Used by tests/test_injection.py (no browser) and tests/test_injection_browser.py.
"""

from __future__ import annotations

import csv
import html
import io
import re
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
