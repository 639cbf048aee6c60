"""The directory in headless Chromium: sorting by year puts unknown years last; on a phone
(390x844) the table shows name, type and city. Screenshots in test-artifacts/."""

from __future__ import annotations

import pytest

from tests.conftest import ARTIFACTS, screenshot, wait_for_map, wait_until_steady

pytestmark = pytest.mark.browser

IDLE_JS = """() => { const app = document.querySelector('.stApp');
    return app && app.getAttribute('data-test-script-state') === 'notRunning'
        && document.querySelector('.gs-page-script') !== null; }"""
FULL = ".st-key-directory_full"
COMPACT = ".st-key-directory_compact"
# pages/directory.py WIDTHS, in column order, and the row chooser's width (glide's 32 px)
WIDTHS = {"name": 400, "type": 210, "city": 110, "country": 130, "region": 110, "partner": 110,
          "opened": 100, "timezone": 240}
ROW_MARKER = 32


def open_directory(page, url: str) -> None:
    page.goto(url)
    page.wait_for_function(IDLE_JS, timeout=60_000)
    page.locator(f"{FULL} canvas, {COMPACT} canvas").first.wait_for(state="attached", timeout=60_000)
    # The grid has its rows (its accessible table) and has stopped moving.
    page.locator(f"{FULL} tbody tr, {COMPACT} tbody tr").first.wait_for(state="attached", timeout=60_000)
    wait_until_steady(page, f"{FULL} canvas, {COMPACT} canvas")  # a phone has only the compact one


def column_cells(page, table: str, column: int) -> list[str]:
    """The texts of one column as the grid's accessible table has them (rows in display order)."""
    return page.evaluate(
        """([table, column]) => [...document.querySelectorAll(table + ' tbody tr')].map(
               (tr) => (tr.querySelector(`td[aria-colindex="${column}"]`) || {}).textContent)""",
        [table, column],
    )


def test_sorting_by_year_puts_unknown_years_last(streamlit_server, page):
    page.set_viewport_size({"width": 1920, "height": 1080})
    open_directory(page, streamlit_server.url + "/directory")
    assert page.locator(FULL).is_visible() and not page.locator(COMPACT).is_visible()
    box = page.locator(f"{FULL} canvas").first.bounding_box()
    columns = list(WIDTHS)
    x = box["x"] + ROW_MARKER + sum(WIDTHS[c] for c in columns[: columns.index("opened")]) + WIDTHS["opened"] / 2
    page.mouse.click(x, box["y"] + 17)  # the header of "Opened": ascending
    opened_column = columns.index("opened") + 1
    page.wait_for_function(
        """([table, column]) => { const cells = [...document.querySelectorAll(
               table + ` tbody td[aria-colindex="${column}"]`)].map((td) => td.textContent);
               return cells.length === 14 && cells[0] === '1989'; }""",
        arg=[FULL, opened_column],
        timeout=10_000,
    )
    years = column_cells(page, FULL, opened_column)
    assert years[:11] == sorted(years[:11]) and all(y.isdigit() for y in years[:11]), years
    assert years[11:] == ["not known"] * 3, years
    screenshot(page, "directory-sorted-by-year-1920")
    page.watch.assert_clean()


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_on_a_phone_the_table_shows_name_type_and_city(streamlit_server, page, lang):
    page.set_viewport_size({"width": 390, "height": 844})
    open_directory(page, f"{streamlit_server.url}/directory?lang={lang}")
    compact = page.locator(COMPACT)
    assert compact.is_visible() and not page.locator(FULL).is_visible()
    grid = compact.locator('[data-testid="stDataFrameResizable"]').bounding_box()
    assert grid["x"] >= 0 and grid["x"] + grid["width"] <= 390, grid
    headers = compact.locator("thead th").all_text_contents()
    expected = {"en": ["Name", "Type", "City"], "ar": ["الاسم", "النوع", "المدينة"]}[lang]
    assert headers == expected, headers
    # The three columns fit inside the grid: no horizontal scrolling needed to read the city.
    scroller = page.evaluate(
        f"""() => {{ const s = document.querySelector('{COMPACT} .dvn-scroller');
                    return [s.scrollWidth, s.clientWidth]; }}"""
    )
    assert scroller[0] <= scroller[1] + 1, scroller
    # The one search is on the page (the sidebar is closed on a phone).
    search = page.get_by_role("textbox", name={"en": "Search the directory", "ar": "البحث في الدليل"}[lang])
    assert search.is_visible()
    screenshot(page, f"directory-phone-{lang}")
    page.watch.assert_clean()


SIZES = ((1280, 720), (1920, 1080), (390, 844))
LAYOUT_JS = """() => {
    const heading = document.querySelector('[data-testid="stMainBlockContainer"] :is(h1, h2, h3)');
    const main = document.querySelector('[data-testid="stMain"]');
    const box = heading.getBoundingClientRect();
    // What is drawn at the top of the heading's text: the heading, or something over it?
    const range = document.createRange();
    range.selectNodeContents(heading);
    const text = range.getBoundingClientRect();
    const atTop = document.elementFromPoint(text.left + Math.min(20, text.width / 2), text.top + 3);
    return {
        headingTop: Math.round(box.top),
        covered: !heading.contains(atTop),
        over: atTop ? (atTop.getAttribute('data-testid') || atTop.tagName) : null,
        overflow: main.scrollWidth - main.clientWidth,
    };
}"""


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_directory_and_about_look_right_at_three_sizes(streamlit_server, page, lang):
    """Screenshots (test-artifacts/look-<page>-<lang>-<width>.png) to look at, and what can be
    measured: the page's heading is not under Streamlit's header, nothing overflows sideways."""
    problems = []
    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        for path in ("directory", "about"):
            page.goto(f"{streamlit_server.url}/{path}?lang={lang}")
            page.wait_for_function(IDLE_JS, timeout=60_000)
            wait_until_steady(page)
            layout = page.evaluate(LAYOUT_JS)
            if layout["covered"]:
                problems.append(f"{path} {width}x{height}: the heading is covered {layout}")
            if layout["overflow"] > 1:
                problems.append(f"{path} {width}x{height}: {layout['overflow']} px of sideways overflow")
            page.screenshot(path=str(ARTIFACTS / f"look-{path}-{lang}-{width}.png"))
    assert not problems, problems
    page.watch.assert_clean()


def test_choosing_a_row_brings_the_office_into_view(streamlit_server, page):
    page.set_viewport_size({"width": 1280, "height": 720})
    open_directory(page, streamlit_server.url + "/directory")
    box = page.locator(f"{FULL} canvas").first.bounding_box()
    page.mouse.click(box["x"] + ROW_MARKER / 2, box["y"] + 35 + 35 + 17)  # the second row's chooser
    detail = page.locator(".st-key-directory_detail")
    detail.wait_for(timeout=60_000)
    page.wait_for_function(
        """() => { const r = document.querySelector('.st-key-directory_detail').getBoundingClientRect();
                   return r.top >= 0 && r.top < innerHeight / 2; }""",
        timeout=15_000,
    )
    assert page.locator(FULL).bounding_box()["y"] < box["y"]  # the page scrolled (it was below the fold)
    wait_for_map(page)
    wait_until_steady(page, ".st-key-directory_detail")
    screenshot(page, "directory-chosen-1280")
    page.watch.assert_clean()
