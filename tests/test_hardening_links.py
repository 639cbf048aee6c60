"""Share links from anyone (issue #17): a notice about an unknown value quotes a bounded part of it.

A URL can carry 100,000 characters; every notice quotes at most MAX_QUOTED_VALUES values of at most
MAX_QUOTED_CHARS characters each (then "…"), shows control and bidi characters as U+FFFD, and says
how many values it left out. AppTest here; tests/test_hardening_browser.py opens such a link in
Chromium against a real server.
"""

from __future__ import annotations

import pytest

from dashboard.state import MAX_QUOTED_CHARS, MAX_QUOTED_VALUES, shorten
from tests.apptest_helpers import new_app

pytestmark = pytest.mark.filterwarnings("ignore")
HUGE = 100_000
# The longest a notice may be: its sentence, the values with their separators and cut marks, and
# the "… and N more" tail.
NOTICE_BOUND = 120 + MAX_QUOTED_VALUES * (MAX_QUOTED_CHARS + 3) + 40


def notices(at) -> list[str]:
    return [w.value for w in at.warning]


def test_shorten_cuts_and_neutralises():
    assert shorten("abc") == "abc"
    assert shorten("x" * HUGE) == "x" * MAX_QUOTED_CHARS + "…"
    assert shorten("a\u202eb\u200dc\x00\nd") == "a\ufffdb\ufffdc\ufffd d"


@pytest.mark.parametrize("page", [None, "briefing", "directory", "about"])
def test_huge_share_link_values_are_quoted_bounded_on_every_page(page):
    at = new_app(
        page,
        lang="l" * HUGE,
        office="o" * HUGE,
        region="r" * HUGE,
        type=",".join(f"t{i}-" + "y" * 100 for i in range(200)),
        step="s" * HUGE,
    ).run()
    assert not at.exception, at.exception
    shown = notices(at)
    # Every kind of value is named (step only on the briefing page, which reads it).
    for kind in ("language", "office type", "region", "office"):
        assert any(f"unknown {kind} " in text for text in shown), (kind, shown)
    for text in shown:
        assert len(text) < NOTICE_BOUND, (len(text), text[:200])
    office = next(text for text in shown if "unknown office `" in text)
    assert "o" * MAX_QUOTED_CHARS + "…" in office and "o" * (MAX_QUOTED_CHARS + 1) not in office
    types = next(text for text in shown if "unknown office type" in text)
    assert types.count("…") == MAX_QUOTED_VALUES + 1  # each value cut, and the tail
    assert f"and {200 - MAX_QUOTED_VALUES} more" in types
    assert "t5-" not in types  # the sixth value is counted, not quoted


def test_a_bidi_override_in_a_link_cannot_turn_the_notice_around():
    at = new_app(region="Europe\u202e,evil\u2066").run()
    text = next(t for t in notices(at) if "unknown region" in t)
    assert "\u202e" not in text and "\u2066" not in text
    assert "evil\ufffd" in text


def test_short_unknown_values_are_quoted_whole():
    at = new_app(lang="xx", office="nowhere").run()
    shown = notices(at)
    assert any("` xx `" in t for t in shown) and any("` nowhere `" in t for t in shown)
