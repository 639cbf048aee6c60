"""Load: 20 browser sessions at once against one Streamlit server, each filtering and choosing offices.

One Chromium, 20 contexts, driven concurrently with Playwright's async API (``asyncio.gather``; the
sync API is not thread-safe). Each session changes the filters 10 times (type checkboxes in the
sidebar, the search box) and chooses 3 offices in the "Office" list, waiting after each action until
the page shows the new count and the map has drawn exactly that many offices (or the chosen office
is selected on the map and its panel is open). Every round trip (action -> page and map updated) is
timed; p50/p95 and the server's memory (RSS, children included) before and after are printed and
written to test-artifacts/load.json.

Run alone with ``pytest -m load``; it is also part of the plain ``pytest`` run.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import re
import statistics
import threading
import time
from dataclasses import dataclass, field

import psutil
import pytest

from geo.offices.filtering import filter_offices
from geo.offices.table import load_offices
from tests.conftest import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    IGNORED_CONSOLE,
    MAP_FRAME,
    ROOT,
    _bad_response,
    start_streamlit,
    stop_streamlit,
)

pytestmark = [pytest.mark.load, pytest.mark.browser]

SESSIONS = int(os.environ.get("LOAD_SESSIONS", "20"))
OFFICE_PICKS = 3
ACTION_TIMEOUT_MS = 90_000  # one round trip, at worst, with 20 sessions on 2 cores
FIRST_MAP_TIMEOUT_MS = 180_000  # 20 Streamlit pages starting at once
START_SPACING_S = 0.25  # sessions open one after another, a quarter of a second apart
VIEWPORT = {"width": 1200, "height": 800}
TEST_BUDGET_S = float(os.environ.get("LOAD_BUDGET_S", "600"))  # the whole run of the sessions (bounded; generous for a shared 2-core CI machine)
# Background pages must not be throttled: all 20 are "visible" and drawing at once.
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
# True when the chosen office is selected on the map and its panel is open.
CHOSEN_JS = """([sel, id]) => {
    const panel = document.querySelector('section.office-panel');
    if (!panel || panel.dataset.officeId !== id) return false;
    const f = document.querySelector(sel);
    const d = f && f.contentDocument;
    return !!(d && d.querySelector('.office-' + id + '.is-selected'));
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


def server_rss(pid: int) -> int:
    """Resident memory of the server process and all its children, in bytes."""
    process = psutil.Process(pid)
    total = process.memory_info().rss
    for child in process.children(recursive=True):
        with contextlib.suppress(psutil.NoSuchProcess):
            total += child.memory_info().rss
    return total


@dataclass
class Session:
    index: int
    load_ms: float = 0.0
    filter_ms: list[float] = field(default_factory=list)
    office_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


async def run_session(browser, url: str, session: Session, counts: list[int], names: dict[str, str]) -> None:
    await asyncio.sleep(session.index * START_SPACING_S)
    context = await browser.new_context(viewport=VIEWPORT, locale="en-US", reduced_motion="reduce")

    async def route(route_, request):
        if request.url.startswith(("http://127.0.0.1", "data:", "blob:", "about:")):
            await route_.continue_()
        else:
            session.errors.append(f"blocked external request {request.url}")
            await route_.abort()

    await context.route("**/*", route)
    page = await context.new_page()
    page.on("pageerror", lambda err: session.errors.append(f"page error: {err}"))
    page.on(
        "console",
        lambda msg: session.errors.append(f"console: {msg.text}")
        if msg.type == "error" and not any(s in msg.text for s in IGNORED_CONSOLE) else None,
    )
    page.on("requestfailed", lambda req: session.errors.append(f"failed request {req.url} {req.failure}"))
    page.on("response", lambda res: session.errors.append(f"HTTP {res.status} {res.url}")
            if _bad_response(res) else None)
    page.on("dialog", lambda dialog: session.errors.append(f"dialog {dialog.message}"))
    sidebar = page.locator('[data-testid="stSidebar"]')

    async def wait_drawn(n: int, timeout: float = ACTION_TIMEOUT_MS) -> None:
        await page.wait_for_function(DRAWN_JS, arg=[MAP_FRAME, n], timeout=timeout, polling=100)

    async def check_no_exception(what: str) -> None:
        if await page.locator('[data-testid="stException"]').count():
            text = await page.locator('[data-testid="stException"]').first.inner_text()
            session.failures.append(f"{what}: exception box: {text[:300]}")

    try:
        start = time.perf_counter()
        await page.goto(url + "/", timeout=FIRST_MAP_TIMEOUT_MS)
        await wait_drawn(14, FIRST_MAP_TIMEOUT_MS)
        session.load_ms = (time.perf_counter() - start) * 1000
        search = sidebar.get_by_role("textbox", name="Search")
        for (kind, argument), expected in zip(FILTER_ACTIONS, counts, strict=True):
            what = f"{kind} {argument!r} -> {expected}"
            start = time.perf_counter()
            if kind == "search":
                await search.fill(argument)
                await search.press("Enter")
            else:
                label = sidebar.get_by_text(re.compile(rf"{re.escape(TYPE_LABELS[argument])} \(\d+\)"))
                await label.click()
            try:
                await wait_drawn(expected)
            except Exception as err:
                session.failures.append(f"{what}: {str(err).splitlines()[0]}")
                return
            session.filter_ms.append((time.perf_counter() - start) * 1000)
            await check_no_exception(what)
        chooser = page.get_by_role("combobox", name=re.compile("Office"))
        for office_id in random.Random(session.index).sample(sorted(names), OFFICE_PICKS):
            what = f"choose {office_id}"
            start = time.perf_counter()
            await chooser.click()
            await chooser.fill(names[office_id])
            await page.get_by_role("option", name=names[office_id], exact=True).click()
            try:
                await page.wait_for_function(CHOSEN_JS, arg=[MAP_FRAME, office_id], timeout=ACTION_TIMEOUT_MS,
                                             polling=100)
            except Exception as err:
                session.failures.append(f"{what}: {str(err).splitlines()[0]}")
                return
            session.office_ms.append((time.perf_counter() - start) * 1000)
            await check_no_exception(what)
        # The map still shows every office (the view moved to the last one chosen).
        await check_no_exception("end")
    except Exception as err:
        session.failures.append(f"session {session.index}: {type(err).__name__}: {str(err).splitlines()[0]}")
    finally:
        await context.close()


def cpu_seconds(process: psutil.Process) -> float:
    times = process.cpu_times()
    return times.user + times.system


class CpuMeter:
    """CPU time used by a process tree, sampled (processes that exit keep their last sample)."""

    def __init__(self, root_pid: int, exclude: int | None = None):
        self.root, self.exclude = root_pid, exclude
        self.start: dict[int, float] = {}
        self.last: dict[int, float] = {}
        self.first = True

    def sample(self) -> None:
        root = psutil.Process(self.root)
        excluded: set[int] = set()
        if self.exclude is not None:
            with contextlib.suppress(psutil.Error):
                excluded = {self.exclude, *(p.pid for p in psutil.Process(self.exclude).children(recursive=True))}
        for process in (root, *root.children(recursive=True)):
            if process.pid in excluded:
                continue
            with contextlib.suppress(psutil.Error):
                value = cpu_seconds(process)
                # Processes there at the first sample count from then; later ones from their start.
                self.start.setdefault(process.pid, value if self.first else 0.0)
                self.last[process.pid] = value
        self.first = False

    def used(self) -> float:
        return sum(self.last[pid] - self.start.get(pid, 0.0) for pid in self.last)


@dataclass
class Meters:
    """The server's peak memory and the CPU time of the server and of the browser side."""

    server_pid: int
    peak_rss: int = 0
    server_cpu: CpuMeter = field(init=False)
    browser_cpu: CpuMeter = field(init=False)

    def __post_init__(self) -> None:
        self.server_cpu = CpuMeter(self.server_pid)
        self.browser_cpu = CpuMeter(os.getpid(), exclude=self.server_pid)  # Playwright's driver, Chromium

    def sample(self) -> None:
        with contextlib.suppress(psutil.Error):
            self.peak_rss = max(self.peak_rss, server_rss(self.server_pid))
            self.server_cpu.sample()
            self.browser_cpu.sample()


async def run_all(url: str, sessions: list[Session], counts: list[int], names: dict[str, str],
                  meters: Meters) -> None:
    from playwright.async_api import async_playwright

    done = asyncio.Event()
    meters.sample()

    async def sample() -> None:
        while not done.is_set():
            meters.sample()
            await asyncio.sleep(0.5)

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=LOAD_CHROMIUM_ARGS)
        sampler = asyncio.create_task(sample())
        try:
            await asyncio.wait_for(
                asyncio.gather(*(run_session(browser, url, s, counts, names) for s in sessions)),
                timeout=TEST_BUDGET_S,
            )
        finally:
            done.set()
            await sampler
            meters.sample()
            await browser.close()


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


def test_twenty_sessions_filter_and_choose_offices_at_once(tmp_path):
    counts = expected_counts()
    assert all(a != b for a, b in zip([14, *counts], counts, strict=False)), counts  # every action shows
    offices = load_offices(ROOT / "data" / "offices.csv")
    names = dict(zip(offices["id"], offices["name"], strict=True))
    server = start_streamlit(tmp_path)
    sessions = [Session(i) for i in range(SESSIONS)]
    started = time.perf_counter()
    timed_out = False
    load_average = os.getloadavg()[0]  # other work on the machine slows everything here
    try:
        rss_before = server_rss(server.process.pid)
        meters = Meters(server.process.pid)
        try:
            # In its own thread: the sync Playwright of earlier browser tests keeps an event loop
            # running in this one, where asyncio.run() is refused.
            outcome: list[BaseException] = []

            def run_in_thread() -> None:
                try:
                    asyncio.run(run_all(server.url, sessions, counts, names, meters))
                except BaseException as err:
                    outcome.append(err)

            worker = threading.Thread(target=run_in_thread, name="load-sessions")
            worker.start()
            worker.join()
            if outcome:
                raise outcome[0]
        except TimeoutError:
            timed_out = True
        rss_after = server_rss(server.process.pid)
    finally:
        stop_streamlit(server)
    elapsed = time.perf_counter() - started
    round_trips = [ms for s in sessions for ms in (*s.filter_ms, *s.office_ms)]
    report = {
        "sessions": SESSIONS,
        "actions_per_session": {"filter": len(FILTER_ACTIONS), "office": OFFICE_PICKS},
        "actions_done": len(round_trips),
        "round_trip_ms": summary(round_trips),
        "filter_round_trip_ms": summary([ms for s in sessions for ms in s.filter_ms]),
        "office_round_trip_ms": summary([ms for s in sessions for ms in s.office_ms]),
        "first_map_ms": summary([s.load_ms for s in sessions if s.load_ms]),
        "server_rss_mb": {
            "before": round(rss_before / 2**20, 1),
            "after": round(rss_after / 2**20, 1),
            "peak": round(max(meters.peak_rss, rss_after) / 2**20, 1),
        },
        "cpu_s": {
            "server": round(meters.server_cpu.used(), 1),
            "browser_playwright_and_test": round(meters.browser_cpu.used(), 1),
        },
        "load_average_at_start": round(load_average, 1),
        "duration_s": round(elapsed, 1),
        "timed_out": timed_out,
        "cpus": os.cpu_count(),
    }
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "load.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print("\nload:", json.dumps(report, indent=2))
    assert not timed_out, f"the sessions did not finish within {TEST_BUDGET_S} s"
    failures = {s.index: s.failures for s in sessions if s.failures}
    errors = {s.index: s.errors for s in sessions if s.errors}
    assert not failures, failures
    assert not errors, errors
    assert len(round_trips) == SESSIONS * (len(FILTER_ACTIONS) + OFFICE_PICKS)
