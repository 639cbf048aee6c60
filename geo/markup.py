"""Data into markup: the one place that escapes values for HTML and embeds them in JavaScript.

Every string from an office table passes through :func:`esc` before it becomes HTML, and through
:func:`js_json` before it becomes part of a script, so nothing from a table can end a script, open a
tag or run as code.
"""

from __future__ import annotations

import html
import json
import math
import re

_TEMPLATE_OPENER = re.compile(r"\{(?=[{%#])")


def is_blank(value: object) -> bool:
    """None, NaN and pandas' NA: a cell with nothing in it."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return True
    return type(value).__name__ == "NAType"  # pandas.NA, without importing pandas here


def esc(value: object, *, line_breaks: bool = False) -> str:
    """HTML-escape any value from the data (quotes included); a blank cell gives "".

    ``line_breaks`` turns each newline into ``<br>`` (after escaping, so it is the only tag).
    """
    if is_blank(value):
        return ""
    text = html.escape(str(value), quote=True)
    return text.replace("\n", "<br>") if line_breaks else text


def js_json(value: object) -> str:
    """JSON that is safe inside an HTML <script> and as a JavaScript expression."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    for char, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(char, escaped)
    # branca renders each element's script again as a Jinja template, so "{{", "{%" and "{#"
    # from the data would be compiled on the server. JSON's own braces are never followed by
    # one of those characters, so every such "{" is inside a string, where \u007b is the same.
    text = _TEMPLATE_OPENER.sub(r"\\u007b", text)
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
