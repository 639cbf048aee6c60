"""Injection in a real browser: a Streamlit server on the hostile table (tests/hostile.py), Chromium offline.

Every page is checked in its own document and in every frame (the map's iframe included) for what
hostile text would do if it were ever parsed as markup or run as code: a dialog, ``window.__pwned``,
an ``img[src="x"]``, an ``svg[onload]``, any ``on*`` attribute, a ``javascript:`` link, a page error.
The payloads must also be *visible as text* where the app shows the field (tooltip, panel, tour card).
The downloads are fetched with Playwright's download API and the HTML files opened from disk with
every network request blocked.
"""

from __future__ import annotations

import csv
import io
import re
import urllib.parse
from pathlib import Path

import pytest

from tests.conftest import (
    FILES_ONLY,
    MAP_FRAME,
    OFFICES_DRAWN_JS,
    new_watched_page,
    screenshot,
    start_streamlit,
    stop_streamlit,
    wait_for_map,
    wait_for_offices,
)
from tests.hostile import (
    EXTRA_COLUMNS,
    FORMULA_LIKE,
    FREE_TEXT_COLUMNS,
    PAGE_PROBES_JS,
    PAYLOADS,
    URL_PARAMS,
    URL_PAYLOADS,
    hostile_offices,
    shown_lines,
    write_hostile_table,
)

pytestmark = pytest.mark.browser

TIMEOUT = 30_000
OFFICES = hostile_offices()
NAMES = dict(zip(OFFICES["id"], OFFICES["name"], strict=True))
FORMULA_START = tuple("=+-@\t\r")
NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")


@pytest.fixture(scope="module")
def hostile_server(tmp_path_factory):
    directory = tmp_path_factory.mktemp("hostile-server")
    server = start_streamlit(directory, {"OFFICES_CSV": str(write_hostile_table(directory))})
    yield server
    stop_streamlit(server)


def probe(pg) -> list[tuple[str, str]]:
    """Findings of PAGE_PROBES_JS in the page and in every frame."""
    found = []
    for frame in pg.frames:
        try:
            found += [(kind, f"{frame.url[:60]}: {text}") for kind, text in frame.evaluate(PAGE_PROBES_JS)]
        except Exception as err:  # a frame that went away while probing
            if "detached" not in str(err) and "destroyed" not in str(err):
                raise
    return found


# True once every image of the document has loaded or failed: a failed ``<img src=x>`` has then
# queued its error event (and an ``onerror`` payload would run before the next task).
IMAGES_DONE_JS = "() => [...document.images].every(img => img.complete)"
NEXT_TASK_JS = "() => new Promise(resolve => setTimeout(resolve, 0))"


def settle(pg) -> None:
    """Wait, in the page and in every frame, until every image has loaded or failed and the tasks it
    queued (an error event, had a payload made an image) have run."""
    for frame in pg.frames:
        try:
            frame.wait_for_function(IMAGES_DONE_JS, timeout=TIMEOUT, polling=50)
            frame.evaluate(NEXT_TASK_JS)
        except Exception as err:  # a frame that went away meanwhile
            if "detached" not in str(err) and "destroyed" not in str(err):
                raise


def assert_inert(pg) -> None:
    settle(pg)
    found = probe(pg)
    assert not found, found
    pg.watch.assert_clean()
    assert pg.locator('[data-testid="stException"]').count() == 0


def panel_cover() -> list[str]:
    """Few offices whose panels together show every payload (greedy cover; the AppTest tests see all)."""
    columns = (*FREE_TEXT_COLUMNS, *EXTRA_COLUMNS[:2])
    has = {
        office_id: {key for key, payload in PAYLOADS.items() if any(payload in row[c] for c in columns)}
        for office_id, row in OFFICES.set_index("id").iterrows()
    }
    wanted = set(PAYLOADS)
    chosen: list[str] = []
    while wanted:
        best = max(has, key=lambda i: len(has[i] & wanted))
        chosen.append(best)
        wanted -= has[best]
    return chosen


# --- the map, its tooltips and the panel --------------------------------------------------------


def test_map_tooltips_and_legend_show_payloads_as_text(hostile_server, page):
    page.goto(hostile_server.url + "/")
    frame = wait_for_map(page)
    wait_for_offices(page, len(OFFICES), TIMEOUT)
    page.get_by_text(f"{len(OFFICES)} offices shown").wait_for(timeout=TIMEOUT)
    assert "Headquarters" in frame.locator(".office-legend").inner_text()
    cluster = frame.locator(".office-cluster").first
    cluster.hover()
    tip = frame.locator(".leaflet-tooltip").last
    tip.wait_for(timeout=TIMEOUT)
    tip_text = tip.inner_text()
    assert any(name in tip_text for name in NAMES.values()), tip_text
    assert_inert(page)
    screenshot(page, "injection-map")


def test_panel_and_marker_tooltip_of_offices(hostile_server, page):
    offices = OFFICES.set_index("id")
    for office_id in panel_cover():
        row = offices.loc[office_id]
        page.goto(hostile_server.url + "/?" + urllib.parse.urlencode({"office": office_id}))
        frame = wait_for_map(page)
        heading = page.locator("section.office-panel h2")
        heading.wait_for(timeout=TIMEOUT)
        assert heading.inner_text() == row["name"]
        panel = page.locator("section.office-panel").inner_text()
        for column in (*FREE_TEXT_COLUMNS, *EXTRA_COLUMNS):
            for line in shown_lines(row[column]):
                assert line.strip() in panel, (office_id, column, line)
        marker = frame.locator(f".office-{office_id}.is-selected")
        marker.wait_for(timeout=TIMEOUT)
        assert marker.get_attribute("aria-label") == row["name"]
        tip = frame.locator(".leaflet-tooltip", has_text=row["name"])
        tip.first.wait_for(timeout=TIMEOUT)  # the selected office's tooltip stays open
        marker.hover()
        assert_inert(page)
    screenshot(page, "injection-panel")


def test_hovering_single_markers_shows_their_names(hostile_server, page):
    page.goto(hostile_server.url + "/?office=hq-lyon")
    frame = wait_for_map(page)
    frame.locator(".office-hq-lyon.is-selected").wait_for(timeout=TIMEOUT)
    markers = frame.locator(".office-marker:not(.is-selected)")
    hovered = []
    for i in range(markers.count()):
        office_id = markers.nth(i).get_attribute("data-office-id")
        # A synthetic mouseover: Leaflet opens the tooltip as for a real pointer, even for markers
        # at the edge of the map under its controls.
        markers.nth(i).dispatch_event("mouseover")
        tip = frame.locator(".leaflet-tooltip", has_text=NAMES[office_id]).first
        tip.wait_for(timeout=TIMEOUT)
        assert NAMES[office_id] in tip.inner_text()
        markers.nth(i).dispatch_event("mouseout")
        hovered.append(office_id)
    assert len(hovered) >= 3, hovered
    assert_inert(page)


# --- briefing, directory, about ---------------------------------------------------------------------


def tour_card_check(page, step: int) -> None:
    """The card of ``step`` in the presenter view (inside the map's frame) shows the data as text."""
    card = page.frame_locator(MAP_FRAME).locator(f'.tour-card[data-step="{step}"]')
    card.wait_for(timeout=TIMEOUT)
    office_id = card.get_attribute("data-office-id")
    row = OFFICES.set_index("id").loc[office_id]
    text = card.inner_text()
    assert card.locator("h1").inner_text() == row["name"]
    for column in ("partner", "serves", "description"):
        for line in shown_lines(row[column]):
            assert line.strip() in text, (step, column, line)
    label = page.frame_locator(MAP_FRAME).locator(f'.tour-label[data-office-id="{office_id}"]')
    label.wait_for(timeout=TIMEOUT)
    assert label.inner_text().split() == row["name"].split()  # the map's label: the name as text


def test_briefing_steps(hostile_server, page):
    for step in (1, 2, 3):
        page.goto(f"{hostile_server.url}/briefing?step={step}")
        wait_for_map(page)
        tour_card_check(page, step)
        assert_inert(page)
    next_button = page.frame_locator(MAP_FRAME).locator(".tour-next")
    for step in range(4, 9):  # every card is checked without a browser (tests/test_injection.py)
        next_button.click()
        tour_card_check(page, step)
        assert not probe(page)
    assert_inert(page)
    page.goto(f"{hostile_server.url}/briefing?step={len(OFFICES)}")
    wait_for_map(page)
    tour_card_check(page, len(OFFICES))
    assert_inert(page)
    screenshot(page, "injection-briefing")


def test_directory_and_about(hostile_server, page):
    page.goto(hostile_server.url + "/directory")
    page.get_by_text(f"{len(OFFICES)} offices shown").wait_for(timeout=TIMEOUT)
    page.locator('.st-key-directory_full [data-testid="stDataFrame"]').wait_for(timeout=TIMEOUT)
    assert_inert(page)
    screenshot(page, "injection-directory")
    page.goto(hostile_server.url + "/about")
    page.get_by_text("About the General Secretariat").wait_for(timeout=TIMEOUT)
    assert_inert(page)


# --- downloads --------------------------------------------------------------------------------------

DOWNLOADS = {
    "map": "Download map (HTML, works offline)",
    "sheet": "Printable briefing sheet (HTML, A4 or Letter)",
    "csv": "Table (CSV)",
}


@pytest.fixture(scope="module")
def downloads(hostile_server, browser, tmp_path_factory) -> dict[str, Path]:
    """The directory page's downloads, fetched with Playwright's download API."""
    directory = tmp_path_factory.mktemp("downloads")
    pg = new_watched_page(browser, accept_downloads=True)
    pg.goto(hostile_server.url + "/directory")
    pg.get_by_text(f"{len(OFFICES)} offices shown").wait_for(timeout=TIMEOUT)
    files = {}
    for key, label in DOWNLOADS.items():
        with pg.expect_download(timeout=60_000) as info:
            pg.get_by_role("button", name=label).click()
        path = directory / info.value.suggested_filename
        info.value.save_as(path)
        files[key] = path
    settle(pg)
    assert not probe(pg)
    pg.context.close()
    pg.watch.assert_clean()
    return files


def open_offline(browser, path: Path):
    """Open a downloaded file with every request that is not file:, data: or blob: blocked."""
    pg = new_watched_page(browser, allowed=FILES_ONLY)
    pg.goto(path.as_uri())
    return pg


def test_exported_map_html_is_inert_offline(downloads, browser):
    pg = open_offline(browser, downloads["map"])
    try:
        pg.locator(".leaflet-container").wait_for(timeout=TIMEOUT)
        pg.wait_for_function(f"() => ({OFFICES_DRAWN_JS})() === {len(OFFICES)}", timeout=TIMEOUT)
        pg.locator(".office-cluster").first.hover()
        pg.locator(".leaflet-tooltip").last.wait_for(timeout=TIMEOUT)
        assert_inert(pg)
    finally:
        pg.context.close()


def test_exported_map_html_shows_every_name_as_written(downloads, browser):
    pg = open_offline(browser, downloads["map"])
    try:
        pg.locator(".leaflet-container").wait_for(timeout=TIMEOUT)
        # Every marker's name (markers inside clusters included), as the app's aria-label shows it.
        names = pg.evaluate(
            """() => { const out = {};
                for (const key of Object.keys(window)) {
                    if (!key.startsWith('feature_group_')) continue;
                    window[key].eachLayer(function visit(layer) {
                        if (layer.options && layer.options.officeId) out[layer.options.officeId] = layer.options.officeName;
                        else if (layer.eachLayer) layer.eachLayer(visit);
                    });
                }
                return out; }"""
        )
        plain = {k: pg.evaluate("(s) => new DOMParser().parseFromString(s, 'text/html').documentElement.textContent", v)
                 for k, v in names.items()}
        assert plain == NAMES
        assert_inert(pg)
    finally:
        pg.context.close()


def test_exported_briefing_sheet_is_inert_offline(downloads, browser):
    pg = open_offline(browser, downloads["sheet"])
    try:
        pg.locator("table").first.wait_for(timeout=TIMEOUT)
        text = pg.locator("body").inner_text()
        for name in NAMES.values():
            assert name in text, name
        assert_inert(pg)
    finally:
        pg.context.close()


def csv_rows(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8-sig"))))


def test_csv_download_quotes_formula_cells(downloads):
    rows = csv_rows(downloads["csv"])
    header = rows[0]
    bad = [
        (n, header[i], cell) for n, row in enumerate(rows[1:], start=2) for i, cell in enumerate(row)
        if cell.startswith(FORMULA_START) and not (header[i] in ("latitude", "longitude", "opened")
                                                   and NUMBER.fullmatch(cell))
    ]
    assert not bad, bad
    by_id = {row[0]: dict(zip(header, row, strict=True)) for row in rows[1:]}
    for column, value in FORMULA_LIKE.items():
        assert by_id[OFFICES.iloc[1]["id"]][column] == "'" + value
    assert {row[header.index("name")] for row in rows[1:]} == set(NAMES.values())


def test_csv_download_quotes_formula_column_names(downloads):
    header = csv_rows(downloads["csv"])[0]
    assert not [c for c in header if c.startswith(FORMULA_START)], header


# --- URL parameters -----------------------------------------------------------------------------------

BATCH = 4
# The briefing page opened by its own URL (the examples of issue #7); it shows the same notices as
# the map page, whose share links carry every payload (the AppTest tests send each one to each page).
DIRECT_BRIEFING = ("img-onerror", "attr-break-svg", "script-close", "md-link")
MAP_PAGE_DRAWN_JS = """(sel) => {
    if ([...document.querySelectorAll('[data-testid="stAlert"]')].some(a => a.textContent.includes('No office matches')))
        return true;
    const f = document.querySelector(sel); const d = f && f.contentDocument;
    return !!(d && d.querySelector('.office-legend'));
}"""
BRIEFING_DRAWN_JS = """(sel) => location.pathname.endsWith('/briefing') && (
    (() => { const f = document.querySelector(sel); const d = f && f.contentDocument;
             return !!(d && d.querySelector('.tour-card')); })() ||
    [...document.querySelectorAll('[data-testid="stAlert"]')].some(a => a.textContent.includes('No office matches')))"""


def payload_url(base: str, payload: str) -> str:
    return f"{base}/?{urllib.parse.urlencode(dict.fromkeys(URL_PARAMS, payload))}"


def page_findings(pg, drawn_js: str) -> dict[str, list]:
    """What a payload page did: code run or created, links or images to the data's site, the notices."""
    found: dict[str, list] = {"code": [], "link": [], "notices": []}
    try:
        pg.get_by_text("Ignored the unknown office").first.wait_for(timeout=60_000)
        pg.wait_for_function(drawn_js, arg=MAP_FRAME, timeout=60_000, polling=200)
        settle(pg)
        for kind, text in probe(pg):
            found[kind].append(text)
        found["notices"] = pg.locator('[data-testid="stAlert"]').all_inner_texts()
        if pg.locator('[data-testid="stException"]').count():
            found["code"].append("exception: " + pg.locator('[data-testid="stException"]').first.inner_text())
    except Exception as err:
        found["code"].append(f"page not drawn: {str(err)[:300]}")
    watch = pg.watch
    found["code"] += [f"dialog {d!r}" for d in watch.dialogs] + [f"error {e}" for e in watch.errors]
    for failure in watch.failed:
        if failure.startswith("blocked request"):  # to another site: a link or image from data
            found["link"].append(failure)
        else:  # (net::ERR_ABORTED, a map torn down by a rerun, is not recorded: harmless)
            found["code"].append(f"request {failure}")
    watch.clear()
    return found


@pytest.fixture(scope="module")
def url_payload_findings(hostile_server, browser) -> dict[tuple[str, str], dict[str, list]]:
    """Every URL payload in every parameter of the map page; a few as the briefing page's step."""
    results = {}
    keys = list(URL_PAYLOADS)
    for start in range(0, len(keys), BATCH):
        batch = []
        for key in keys[start:start + BATCH]:
            pg = new_watched_page(browser)
            pg.goto(payload_url(hostile_server.url, URL_PAYLOADS[key]), wait_until="commit")
            batch.append((key, pg))
        for key, pg in batch:
            results[(key, "map")] = page_findings(pg, MAP_PAGE_DRAWN_JS)
            pg.context.close()
    for key in DIRECT_BRIEFING:
        pg = new_watched_page(browser)
        query = urllib.parse.urlencode({"step": URL_PAYLOADS[key], "office": URL_PAYLOADS[key]})
        pg.goto(f"{hostile_server.url}/briefing?{query}")
        results[(key, "briefing")] = page_findings(pg, BRIEFING_DRAWN_JS)
        pg.context.close()
    return results


def test_url_parameter_payloads_run_nothing(url_payload_findings):
    problems = {k: v["code"] for k, v in url_payload_findings.items() if v["code"]}
    assert not problems, problems
    # Each value is quoted back, as it was written, in a notice (Markdown-escaped, never restyled).
    for (key, kind), found in url_payload_findings.items():
        visible = " ".join(URL_PAYLOADS[key].split())
        notices = " ".join(" ".join(found["notices"]).split())
        assert f"Ignored the unknown office {visible}." in notices, (key, kind, notices)


def test_url_parameter_payloads_make_no_links_or_images(url_payload_findings):
    problems = {k: v["link"] for k, v in url_payload_findings.items() if v["link"]}
    assert not problems, problems
