"""Headless Chromium (Debian's, through Playwright) measurements: time to map and filter round trip.

Times are taken inside the page with ``performance.now()`` (0 = the page's navigation start), so
Playwright's own round trips do not count: the map is "drawn" at the first animation frame where
the probe sees every expected office in the map's iframe.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    # Pages in other contexts are not throttled: 11 or 20 sessions open at once all draw (issue #15).
    "--disable-renderer-backgrounding",
    "--disable-background-timer-throttling",
    "--disable-backgrounding-occluded-windows",
]
VIEWPORT = {"width": 1400, "height": 1000}
MAP_FRAME = 'iframe[title="streamlit_folium.st_folium"]'

# Offices drawn in the app's map: single markers plus the offices inside each cluster
# (the same count as tests/conftest.py's count_offices_drawn). -1 while the map is not there.
APP_COUNT_JS = """() => {
    const f = document.querySelector('iframe[title="streamlit_folium.st_folium"]');
    if (!f || f.getBoundingClientRect().height < 100) return -1;
    const d = f.contentDocument;
    if (!d) return -1;
    let n = d.querySelectorAll('.office-marker').length;
    d.querySelectorAll('.office-cluster b').forEach(b => { n += parseInt(b.textContent, 10) || 0; });
    return n;
}"""
# Offices drawn in the reference map: one SVG path per CircleMarker.
REFERENCE_COUNT_JS = """() => {
    const f = document.querySelector('iframe[title="streamlit_folium.st_folium"]');
    if (!f || f.getBoundingClientRect().height < 100) return -1;
    const d = f.contentDocument;
    if (!d) return -1;
    return d.querySelectorAll('path.leaflet-interactive').length;
}"""
# Long tasks (PerformanceObserver 'longtask'), recorded in every frame from its first script on.
LONGTASK_INIT = """(() => {
    window.__benchLongTasks = [];
    try {
        new PerformanceObserver(list => {
            for (const e of list.getEntries()) window.__benchLongTasks.push(e.duration);
        }).observe({type: 'longtask', buffered: true});
    } catch (e) { window.__benchLongTasks = null; }
})();"""
# The moment of the user's press (the first pointerdown after this is installed).
PRESS_INIT = """() => {
    window.__benchPressAt = null;
    document.addEventListener('pointerdown', () => {
        if (window.__benchPressAt === null) window.__benchPressAt = performance.now();
    }, {capture: true});
}"""


class MeasureError(RuntimeError):
    """A measurement that did not complete; the message goes into the result table."""


@dataclass
class Target:
    """What to open and how to see its offices: the app or the reference."""

    name: str
    url: str
    count_js: str
    # Clicks the control that hides the liaison offices.
    untick: Any


def untick_app(page: Any) -> None:
    box = page.locator(".st-key-type_liaison_office label")
    if not box.count():  # a renamed key: find the checkbox by its label "… Liaison office (n)"
        import re

        box = page.get_by_role("checkbox", name=re.compile(r"Liaison office \(")).locator("xpath=..")
    box.first.click(timeout=10_000)


def untick_reference(page: Any) -> None:
    page.get_by_role("button", name="Remove Liaison office").first.click(timeout=10_000)


@dataclass
class Session:
    """One browser context and page, with what it received over the websocket."""

    context: Any
    page: Any
    cdp: Any = None
    ws_frames: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    crashed: bool = False

    def ws_bytes(self) -> int:
        return sum(self.ws_frames)

    def main_thread_cpu_ms(self) -> float | None:
        """CPU time of the page's main thread so far (Chromium's ThreadTime metric; the map's
        iframe is same-origin, so it runs there too). Less sensitive to a busy machine than
        wall-clock times."""
        if self.cdp is None:
            return None
        try:
            metrics = self.cdp.send("Performance.getMetrics")["metrics"]
        except Exception:
            return None
        values = {m["name"]: m["value"] for m in metrics}
        return values["ThreadTime"] * 1000 if "ThreadTime" in values else None

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.context.close()


class Browser:
    """One Chromium for the whole run; a fresh context (no cache, no cookies) per session."""

    def __init__(self) -> None:
        from playwright.sync_api import sync_playwright

        self._manager = sync_playwright()
        self._playwright = self._manager.start()
        try:
            self.browser = self._playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        except Exception:
            self._manager.__exit__(None, None, None)
            raise
        self.version = self.browser.version

    def session(self) -> Session:
        context = self.browser.new_context(viewport=VIEWPORT, locale="en-US")
        context.add_init_script(LONGTASK_INIT)
        page = context.new_page()
        session = Session(context, page)
        with contextlib.suppress(Exception):
            session.cdp = context.new_cdp_session(page)
            session.cdp.send("Performance.enable")

        def on_websocket(ws: Any) -> None:
            ws.on("framereceived", lambda payload: session.ws_frames.append(len(payload)))

        page.on("websocket", on_websocket)
        page.on("pageerror", lambda err: session.errors.append(str(err)[:200]))
        page.on("crash", lambda _page: setattr(session, "crashed", True))
        return session

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.browser.close()
        with contextlib.suppress(Exception):
            self._manager.__exit__(None, None, None)


@contextlib.contextmanager
def browser() -> Iterator[Browser]:
    instance = Browser()
    try:
        yield instance
    finally:
        instance.close()


def wait_count(session: Session, count_js: str, expected: int, timeout_ms: float) -> float:
    """performance.now() at the first animation frame where the probe counts ``expected`` offices."""
    page = session.page
    try:
        handle = page.wait_for_function(
            f"() => ({count_js})() === {int(expected)} ? performance.now() : false",
            polling="raf",
            timeout=timeout_ms,
        )
        return float(handle.json_value())
    except Exception as err:
        seen = "?"
        with contextlib.suppress(Exception):
            seen = page.evaluate(count_js)
        why = "tab crashed" if session.crashed else f"timeout {timeout_ms / 1000:.0f} s"
        errors = f"; page errors: {session.errors[:2]}" if session.errors else ""
        raise MeasureError(f"{why}: {seen} of {expected} offices drawn{errors}") from err


def time_to_map(session: Session, target: Target, expected: int, timeout_ms: float = 60_000) -> float:
    """Open ``target`` and return the milliseconds from navigation start to all offices drawn."""
    try:
        session.page.goto(target.url, wait_until="commit", timeout=timeout_ms)
    except Exception as err:
        raise MeasureError(f"cannot open {target.url}: {str(err).splitlines()[0]}") from err
    return wait_count(session, target.count_js, expected, timeout_ms)


# The page's filter controls: the app's five type checkboxes in the sidebar, the reference's multiselect.
CONTROLS_JS = {
    APP_COUNT_JS: "document.querySelectorAll('.st-key-type_filters input[type=checkbox]').length >= 5",
    REFERENCE_COUNT_JS: "document.querySelector('[data-testid=stMultiSelect]') !== null",
}


def page_complete_ms(session: Session, target: Target, timeout_ms: float = 30_000) -> float:
    """Milliseconds from navigation start until the page's filter controls are there, checked once the
    map is drawn (the app's map page draws its sidebar's controls after the map); NaN for a page
    without them (a changed copy)."""
    check = CONTROLS_JS.get(target.count_js, "true")
    try:
        session.page.wait_for_function(check, polling="raf", timeout=timeout_ms)
    except Exception:
        return float("nan")
    return float(session.page.evaluate("performance.now()"))


# True once the page (its elements, in every frame it can see) has not changed for ``ms`` ms and the
# main thread then had an idle period: the page a user presses a filter on, not one still loading.
SETTLED_JS = """(ms) => new Promise(done => {
    const count = () => {
        let n = document.getElementsByTagName('*').length;
        document.querySelectorAll('iframe').forEach(f => {
            try { n += f.contentDocument.getElementsByTagName('*').length; } catch (e) { /* other origin */ }
        });
        return n;
    };
    let last = count(), since = performance.now();
    const start = since;
    const look = () => {
        const n = count(), now = performance.now();
        if (n !== last) { last = n; since = now; }
        if (now - since >= ms) { requestIdleCallback(() => done(true), {timeout: 1000}); return; }
        if (now - start > 10000) { done(false); return; }  // never still: press anyway
        setTimeout(look, 50);
    };
    look();
})"""
SETTLE_MS = 300


def wait_settled(session: Session, hold_ms: int = SETTLE_MS) -> None:
    """Wait until the page has stopped changing (see SETTLED_JS)."""
    session.page.evaluate(SETTLED_JS, hold_ms)


def filter_round_trip(session: Session, target: Target, expected: int, timeout_ms: float = 60_000) -> float:
    """Untick the liaison offices on the settled page; milliseconds from the press to the map showing
    ``expected``."""
    page = session.page
    wait_settled(session)
    page.evaluate(PRESS_INIT)
    try:
        target.untick(page)
    except Exception as err:
        raise MeasureError(f"cannot untick the liaison offices: {str(err).splitlines()[0]}") from err
    done = wait_count(session, target.count_js, expected, timeout_ms)
    pressed = page.evaluate("window.__benchPressAt")
    if pressed is None:
        raise MeasureError("the press was not seen by the page")
    return done - float(pressed)


def longest_task_ms(session: Session) -> float | None:
    """The longest task seen by any frame of the page, or None if the browser has no longtask API."""
    longest: float | None = None
    for frame in session.page.frames:
        with contextlib.suppress(Exception):
            tasks = frame.evaluate("window.__benchLongTasks")
            if tasks is None:
                continue
            longest = max([longest or 0.0, *tasks])
    return longest


def load_responsiveness(
    session: Session, target: Target, expected: int, timeout_s: float = 180.0, interval_s: float = 0.1
) -> dict[str, float]:
    """Open ``target`` while timing a trivial page.evaluate every ``interval_s``: is the tab frozen?

    Returns the seconds to map seen by this coarse probe, the slowest and the median evaluate round
    trip (ms) until then, and the number of probes.
    """
    page = session.page
    start = time.perf_counter()
    try:
        page.goto(target.url, wait_until="commit", timeout=timeout_s * 1000)
    except Exception as err:
        raise MeasureError(f"cannot open {target.url}: {str(err).splitlines()[0]}") from err
    trips: list[float] = []
    while True:
        if session.crashed:
            raise MeasureError("tab crashed while loading")
        if time.perf_counter() - start > timeout_s:
            raise MeasureError(f"not drawn in {timeout_s:.0f} s (slowest probe {max(trips, default=0):.0f} ms)")
        sent = time.perf_counter()
        try:
            seen = page.evaluate(target.count_js)
        except Exception as err:
            raise MeasureError(f"probe failed: {str(err).splitlines()[0]}") from err
        trips.append((time.perf_counter() - sent) * 1000)
        if seen == expected:
            break
        time.sleep(interval_s)
    trips.sort()
    return {
        "map_s": time.perf_counter() - start,
        "max_probe_ms": trips[-1],
        "median_probe_ms": trips[len(trips) // 2],
        "probes": len(trips),
    }
