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
import time
from dataclasses import dataclass, field

import psutil
import pytest

from geo.offices.table import load_offices
from tests.conftest import ARTIFACTS, MAP_FRAME, ROOT, start_streamlit, stop_streamlit
from tests.load_sessions import (
    ACTION_TIMEOUT_MS,
    FILTER_ACTIONS,
    exception_box,
    expected_counts,
    filter_action,
    launch_load_chromium,
    open_session,
    run_in_own_thread,
    summary,
    wait_drawn,
)

pytestmark = [pytest.mark.load, pytest.mark.browser]

SESSIONS = int(os.environ.get("LOAD_SESSIONS", "20"))
OFFICE_PICKS = 3
FIRST_MAP_TIMEOUT_MS = 180_000  # 20 Streamlit pages starting at once
TEST_BUDGET_S = float(os.environ.get("LOAD_BUDGET_S", "600"))  # the whole run of the sessions (bounded; generous for a shared 2-core CI machine)
SAMPLE_EVERY_S = 0.5  # the memory and CPU sampling period (a measurement's rate, not a wait)
# True when the chosen office is selected on the map and its panel is open.
CHOSEN_JS = """([sel, id]) => {
    const panel = document.querySelector('section.office-panel');
    if (!panel || panel.dataset.officeId !== id) return false;
    const f = document.querySelector(sel);
    const d = f && f.contentDocument;
    return !!(d && d.querySelector('.office-' + id + '.is-selected'));
}"""


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
    page = await open_session(browser, session.index, lambda kind, message: session.errors.append(
        f"{kind}: {message}"))

    async def check_no_exception(what: str) -> None:
        if text := await exception_box(page):
            session.failures.append(f"{what}: exception box: {text}")

    try:
        start = time.perf_counter()
        await page.goto(url + "/", timeout=FIRST_MAP_TIMEOUT_MS)
        await wait_drawn(page, 14, FIRST_MAP_TIMEOUT_MS)
        session.load_ms = (time.perf_counter() - start) * 1000
        for index, expected in enumerate(counts):
            what = "{} {!r} -> {}".format(*FILTER_ACTIONS[index], expected)
            try:
                session.filter_ms.append(await filter_action(page, index, expected))
            except Exception as err:
                session.failures.append(f"{what}: {str(err).splitlines()[0]}")
                return
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
        await page.context.close()


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
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(done.wait(), SAMPLE_EVERY_S)

    async with async_playwright() as playwright:
        browser = await launch_load_chromium(playwright)
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
            run_in_own_thread(lambda: run_all(server.url, sessions, counts, names, meters), "load-sessions")
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
