"""What the load tests share (tests/test_load.py: one server; tests/test_replicas.py: two behind nginx).

Many browser sessions at once in one Chromium, driven with Playwright's async API in an event loop
of their own thread; each session's page is opened by conftest's watcher (:func:`open_session`),
changes the filters of the map page (:func:`filter_action`) and waits until the page and the map
show the expected number of offices (:func:`wait_drawn`).
"""

from __future__ import annotations

import asyncio
import re
import statistics
import threading
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from geo.offices.filtering import filter_offices
from geo.offices.table import load_offices
from tests.conftest import CHROMIUM, CHROMIUM_ARGS, MAP_FRAME, ROOT, new_watched_page_async

T = TypeVar("T")

ACTION_TIMEOUT_MS = 90_000  # one round trip, at worst, with 20 sessions on 2 cores
# Sessions arrive one after another, a quarter of a second apart: the arrival schedule of the
# scenario (users do not all press Enter in the same millisecond), not a wait for something.
START_SPACING_S = 0.25
VIEWPORT = {"width": 1200, "height": 800}
# Background pages must not be throttled: all the sessions are "visible" and drawing at once.
LOAD_CHROMIUM_ARGS = [
    *CHROMIUM_ARGS,
    "--disable-renderer-backgrounding",
    "--disable-background-timer-throttling",
    "--disable-backgrounding-occluded-windows",
]
TYPE_LABELS = {
    "liaison_office": "Liaison office",
    "regional_bureau": "Regional bureau",
    "special_representative_office": "Special representative office",
}
# The ten filter changes: (kind, argument). Each one changes the number of offices shown.
FILTER_ACTIONS = (
    ("untick", "liaison_office"),
    ("untick", "regional_bureau"),
    ("tick", "liaison_office"),
    ("tick", "regional_bureau"),
    ("search", "bureau"),
    ("search", ""),
    ("untick", "special_representative_office"),
    ("search", "lyon"),
    ("search", ""),
    ("tick", "special_representative_office"),
)

# True when the count line says n and the map has drawn exactly n offices (markers + cluster counts).
DRAWN_JS = """([sel, n]) => {
    const p = document.querySelector('p.office-count');
    if (!p || p.dataset.count !== String(n) || !p.textContent.includes(n + ' office')) return false;
    if (document.querySelector('[data-testid="stException"]')) return true;  // reported by the caller
    const f = document.querySelector(sel);
    const d = f && f.getBoundingClientRect().height > 100 && f.contentDocument;
    if (!d || !d.querySelector('.office-legend')) return false;
    let c = d.querySelectorAll('.office-marker').length;
    d.querySelectorAll('.office-cluster b').forEach(b => { c += parseInt(b.textContent, 10) || 0; });
    return c === n;
}"""


def expected_counts() -> list[int]:
    """The offices shown after each filter action, from the table and the app's own filter."""
    offices = load_offices(ROOT / "data" / "offices.csv")
    types = set(offices["office_type"])
    query = ""
    counts = []
    for kind, argument in FILTER_ACTIONS:
        if kind == "untick":
            types.discard(argument)
        elif kind == "tick":
            types.add(argument)
        else:
            query = argument
        counts.append(len(filter_offices(offices, types=types, query=query)))
    return counts


def summary(values: list[float]) -> dict[str, float]:
    if not values:
        return {"n": 0}
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {
        "n": len(values),
        "p50": round(statistics.median(ordered), 1),
        "p95": round(p95, 1),
        "max": round(ordered[-1], 1),
    }


async def open_session(browser, index: int, record: Callable[[str, str], None]):
    """Session ``index``'s page, opened at its turn of the arrival schedule: its own context with no
    internet and no motion, every problem reported to ``record(kind, message)`` (conftest's watcher)."""
    await asyncio.sleep(index * START_SPACING_S)
    return await new_watched_page_async(browser, record, VIEWPORT, reduced_motion="reduce")


async def wait_drawn(page, n: int, timeout: float = ACTION_TIMEOUT_MS) -> None:
    """The page says n offices and the map drew exactly n (markers plus the offices in clusters)."""
    await page.wait_for_function(DRAWN_JS, arg=[MAP_FRAME, n], timeout=timeout, polling=100)


async def filter_action(page, index: int, expected: int) -> float:
    """Make FILTER_ACTIONS[index] in the sidebar; wait until ``expected`` offices are drawn; the ms it took."""
    kind, argument = FILTER_ACTIONS[index]
    sidebar = page.locator('[data-testid="stSidebar"]')
    start = time.perf_counter()
    if kind == "search":
        search = sidebar.get_by_role("textbox", name="Search")
        await search.fill(argument)
        await search.press("Enter")
    else:
        await sidebar.get_by_text(re.compile(rf"{re.escape(TYPE_LABELS[argument])} \(\d+\)")).click()
    await wait_drawn(page, expected)
    return (time.perf_counter() - start) * 1000


async def exception_box(page) -> str:
    """The text of Streamlit's exception box if the page shows one, else ''."""
    box = page.locator('[data-testid="stException"]')
    return (await box.first.inner_text())[:300] if await box.count() else ""


def run_in_own_thread(main: Callable[[], Awaitable[T]], name: str) -> T:
    """``asyncio.run(main())`` in a thread of its own, its exception raised here: the sync Playwright
    of the other browser tests keeps an event loop running in the main thread, where asyncio.run()
    is refused."""
    outcome: dict[str, object] = {}

    def target() -> None:
        try:
            outcome["value"] = asyncio.run(main())
        except BaseException as err:
            outcome["error"] = err

    worker = threading.Thread(target=target, name=name)
    worker.start()
    worker.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


async def launch_load_chromium(playwright):
    """Debian's Chromium with the background throttling of hidden pages turned off."""
    return await playwright.chromium.launch(executable_path=CHROMIUM, args=LOAD_CHROMIUM_ARGS)
