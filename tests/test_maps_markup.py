"""geo.markup, the one home of escaping (issue #16): HTML from any cell, JSON safe in a script."""

from __future__ import annotations

import json

import pandas as pd

from geo.markup import esc, js_json


def test_blank_cells_give_nothing_and_everything_else_is_escaped():
    assert [esc(v) for v in (None, float("nan"), pd.NA)] == ["", "", ""]
    assert esc('<b title="x">R&D\'s</b>') == "&lt;b title=&quot;x&quot;&gt;R&amp;D&#x27;s&lt;/b&gt;"
    assert esc(1989) == "1989"


def test_line_breaks_become_br_only_after_escaping():
    assert esc("a\n<br>b", line_breaks=True) == "a<br>&lt;br&gt;b"
    assert esc("a\nb") == "a\nb"  # attributes and names keep the newline as text


def test_js_json_cannot_end_a_script_or_open_a_template():
    value = {"name": "</script><script>alert(1)</script> {{7*7}} {%x%} {#y#} \u2028 & `${a}`"}
    text = js_json(value)
    for bad in ("</", "<script", "{{", "{%", "{#", "\u2028", "&"):
        assert bad not in text, bad
    assert json.loads(text) == value  # the same value once parsed
