"""Shared fixtures: the real Streamlit server on 127.0.0.1 and Debian's Chromium through Playwright."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = ROOT / "test-artifacts"
MAP_FRAME = 'iframe[title="streamlit_folium.st_folium"]'


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(condition, timeout: float, what: str, *, interval: float = 0.25, process=None):
    """Poll ``condition()`` until it returns something truthy, and return that. Raise TimeoutError
    naming ``what`` after ``timeout`` seconds, or RuntimeError as soon as ``process`` (a Popen the
    condition depends on) has exited. The one polling loop of the tests: every wait on a server, a
    port or a file goes through it, so none sleeps for a fixed time."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"waiting for {what}: the process exited with code {process.returncode}")
        if time.monotonic() >= deadline:
            raise TimeoutError(f"waiting for {what}: not there after {timeout:g} s")
        time.sleep(interval)  # the polling interval, not a wait on its own


def health_ok(url: str) -> bool:
    """True when ``url``/_stcore/health answers 200 (Streamlit, or nginx in front of it)."""
    with contextlib.suppress(OSError), urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:
        return answer.status == 200
    return False


def port_open(address: str) -> bool:
    """True when something accepts connections on ``host:port``."""
    host, port = address.rsplit(":", 1)
    with contextlib.suppress(OSError), socket.create_connection((host, int(port)), timeout=1):
        return True
    return False


@dataclass
class StreamlitServer:
    """A real ``streamlit run launch.py`` (app.py as it is served, with its security headers) on a free
    local port."""

    url: str
    process: subprocess.Popen
    log_path: Path
    env: dict[str, str] = field(default_factory=dict)

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


def start_streamlit(
    tmp_dir: Path, env_extra: dict[str, str] | None = None, script: str = "launch.py", cwd: Path = ROOT
) -> StreamlitServer:
    from geo.maps.assets import install_static_assets

    install_static_assets(cwd / "static")  # Streamlit serves ./static only if it exists at start
    port = free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env_extra or {})}
    log_path = tmp_dir / f"streamlit-{port}.log"
    log = log_path.open("w")
    process = subprocess.Popen(
        [
            sys.executable, "-m", "streamlit", "run", script,
            "--server.port", str(port), "--server.address", "127.0.0.1",
            "--server.headless", "true", "--browser.gatherUsageStats", "false",
            "--server.fileWatcherType", "none",
        ],
        cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: health_ok(url), 60, f"streamlit on {url} answering /_stcore/health", process=process)
    except (TimeoutError, RuntimeError) as err:
        process.kill()
        raise RuntimeError(f"{err}:\n{log_path.read_text()}") from None
    return StreamlitServer(url, process, log_path, env)


def stop_streamlit(server: StreamlitServer) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.process.kill()


@pytest.fixture(scope="session")
def streamlit_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StreamlitServer]:
    server = start_streamlit(tmp_path_factory.mktemp("streamlit"))
    yield server
    stop_streamlit(server)


@pytest.fixture(scope="session")
def offices_table():
    """The shared office table (``data/offices.csv``) as the app reads it, read once per run. Do not
    change it: take the ``offices`` fixture (a copy) for that."""
    from geo.offices.table import load_offices

    return load_offices(ROOT / "data" / "offices.csv")


@pytest.fixture
def offices(offices_table):
    """The shared office table, unlocalised (English, the columns of the contract): a fresh copy for
    each test, which may change it."""
    return offices_table.copy()


@pytest.fixture
def localised_offices(offices_table):
    """``localised_offices("fr")``: the shared table in that language, as the pages show it."""
    from geo.offices.localise import localise

    return lambda lang: localise(offices_table, lang)  # localise returns a new frame


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (./run test does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


IGNORED_CONSOLE = (
    "Unrecognized feature",
    "allow-scripts and allow-same-origin",
    # Reported with its URL by the response listener below, which knows which ones matter.
    "Failed to load resource",
)


def _bad_response(response) -> bool:
    """4xx/5xx, except Streamlit's own probe for a base path (/<page>/_stcore/health, host-config),
    which it makes when a page is opened by its URL path and which it follows with the root."""
    if response.status < 400:
        return False
    path = response.url.split("://", 1)[-1].split("/", 1)[-1]
    probe = path.endswith(("_stcore/health", "_stcore/host-config")) and not path.startswith("_stcore")
    return not (probe and response.status == 404)


# Where a page may go: the test servers (and what a page makes itself), or, for a file opened from
# disk, that file and nothing else.
LOCAL_ONLY = ("http://127.0.0.1", "data:", "blob:", "about:")
FILES_ONLY = ("file:", "data:", "blob:", "about:")


@dataclass
class PageWatch:
    """What went wrong in a page: JavaScript errors, failed or blocked requests, dialogs."""

    errors: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def record(self, kind: str, message: str) -> None:
        """The recorder :func:`watch_page` calls: ``kind`` is ``error``, ``failed`` or ``dialog``."""
        {"error": self.errors, "failed": self.failed, "dialog": self.dialogs}[kind].append(message)

    def clear(self) -> None:
        self.errors.clear(), self.failed.clear(), self.dialogs.clear()

    def assert_clean(self) -> None:
        assert not self.errors, f"JavaScript errors: {self.errors}"
        assert not self.failed, f"failed requests: {self.failed}"
        assert not self.dialogs, f"dialogs opened: {self.dialogs}"


def blocking_route(record, allowed: tuple[str, ...] = LOCAL_ONLY):
    """A route handler for ``context.route("**/*", ...)`` that lets through URLs starting with one of
    ``allowed`` and aborts (and records as ``failed``) every other. It returns what ``continue_`` or
    ``abort`` return, so it serves the sync API and the async one alike (Playwright awaits a route
    handler's awaitable result)."""

    def route(route_, request):
        if request.url.startswith(allowed):
            return route_.continue_()
        record("failed", f"blocked request {request.url}")
        return route_.abort()

    return route


def watch_page(pg, record) -> None:
    """Report to ``record(kind, message)`` the page's errors (uncaught exceptions, console errors but
    IGNORED_CONSOLE), failed requests (4xx/5xx but Streamlit's probes, network failures) and dialogs,
    which are dismissed. Sync or async page alike (the async API awaits a listener's result)."""
    pg.on("pageerror", lambda err: record("error", f"page error: {err}"))
    pg.on(
        "console",
        lambda msg: record("error", f"console: {msg.text}")
        if msg.type == "error" and not any(s in msg.text for s in IGNORED_CONSOLE)
        else None,
    )
    # net::ERR_ABORTED: the browser cancelled the request because its document went away (a
    # navigation, a frame replaced); blocked requests are recorded by blocking_route().
    pg.on(
        "requestfailed",
        lambda req: None if "ERR_ABORTED" in str(req.failure) else record("failed", f"{req.url} {req.failure}"),
    )
    pg.on("response", lambda res: record("failed", f"HTTP {res.status} {res.url}") if _bad_response(res) else None)

    def on_dialog(dialog):
        record("dialog", dialog.message)
        return dialog.dismiss()

    pg.on("dialog", on_dialog)


def new_watched_page(browser, viewport: dict | None = None, locale: str = "en-US", *,
                     allowed: tuple[str, ...] = LOCAL_ONLY, **context_options):
    """A fresh page (and its context) that may reach only URLs starting with one of ``allowed``
    (default: 127.0.0.1, no internet). ``page.watch`` (a :class:`PageWatch`) collects JavaScript
    errors, failed and blocked requests and dialogs. Close it with ``page.context.close()``."""
    context = browser.new_context(viewport=viewport or {"width": 1400, "height": 1000}, locale=locale,
                                  **context_options)
    watch = PageWatch()
    context.route("**/*", blocking_route(watch.record, allowed))
    pg = context.new_page()
    watch_page(pg, watch.record)
    pg.watch = watch
    return pg


async def new_watched_page_async(browser, record, viewport: dict | None = None, locale: str = "en-US", *,
                                 allowed: tuple[str, ...] = LOCAL_ONLY, **context_options):
    """:func:`new_watched_page` for Playwright's async API (many sessions at once in one event loop):
    every problem goes to ``record(kind, message)`` (see :meth:`PageWatch.record`)."""
    context = await browser.new_context(viewport=viewport or {"width": 1400, "height": 1000}, locale=locale,
                                        **context_options)
    await context.route("**/*", blocking_route(record, allowed))
    pg = await context.new_page()
    watch_page(pg, record)
    return pg


@pytest.fixture
def page(browser):
    """A fresh 1400x1000 page with no internet (see :func:`new_watched_page`)."""
    pg = new_watched_page(browser)
    yield pg
    pg.context.close()


@pytest.fixture
def page_factory(browser):
    """Pages of other sizes and locales: ``page_factory({"width": 1280, "height": 720}, "ar")``."""
    opened = []

    def make(viewport: dict | None = None, locale: str = "en-US"):
        pg = new_watched_page(browser, viewport, locale)
        opened.append(pg)
        return pg

    yield make
    for pg in opened:
        pg.context.close()


def wait_for_map(pg, min_height: int = 100, timeout: float = 30_000):
    """Wait until the map iframe has height and Leaflet drew; return the frame."""
    pg.wait_for_selector(MAP_FRAME, timeout=timeout)
    pg.wait_for_function(
        f"""() => {{ const f = document.querySelector('{MAP_FRAME}');
                   return f && f.getBoundingClientRect().height > {min_height}; }}""",
        timeout=timeout,
    )
    frame = pg.frame_locator(MAP_FRAME)
    frame.locator(".leaflet-container").wait_for(timeout=timeout)
    frame.locator(".office-legend, .tour-card").first.wait_for(timeout=timeout)  # map page, or presenter view
    return frame


OFFICES_DRAWN_JS = """() => {
    let n = document.querySelectorAll('.office-marker').length;
    document.querySelectorAll('.office-cluster b').forEach(b => n += parseInt(b.textContent, 10));
    return n; }"""

# True once the map's frame shows ``n`` offices, no zoom or cluster animation is running (during
# one, markercluster shows old and new clusters together), and the count has held for 300 ms.
SETTLED_COUNT_JS = """([sel, n]) => {
    const f = document.querySelector(sel); const d = f && f.contentDocument; if (!d) return false;
    let c = d.querySelectorAll('.office-marker').length;
    d.querySelectorAll('.office-cluster b').forEach(b => c += parseInt(b.textContent, 10));
    const busy = d.querySelector('.leaflet-zoom-anim, .leaflet-cluster-anim') !== null;
    const now = performance.now(), seen = window.__officesSeen;
    if (busy || c !== n) { window.__officesSeen = null; return false; }
    if (!seen || seen.doc !== d) { window.__officesSeen = {doc: d, since: now}; return false; }
    return now - seen.since >= 300; }"""


def count_offices_drawn(pg) -> int:
    """Offices drawn in the map now: single markers plus the offices inside each cluster."""
    return pg.query_selector(MAP_FRAME).content_frame().evaluate(OFFICES_DRAWN_JS)


def wait_for_offices(pg, n: int, timeout: float = 30_000) -> None:
    """Wait until the map shows ``n`` offices and has settled (see SETTLED_COUNT_JS)."""
    pg.wait_for_function(SETTLED_COUNT_JS, arg=[MAP_FRAME, n], timeout=timeout, polling=100)


# True once the element (``sel``; the page's body if null) has kept its box, and the page its
# number of elements and its scroll position, for ``ms`` milliseconds: a rerun, a canvas grid or a
# scroll has finished.
STEADY_JS = """([sel, ms]) => {
    const el = sel ? document.querySelector(sel) : document.body; if (!el) return false;
    const r = el.getBoundingClientRect();
    const key = [sel, r.x, r.y, r.width, r.height, document.getElementsByTagName('*').length, scrollX, scrollY].join();
    const now = performance.now(), seen = window.__steady;
    if (!seen || seen.key !== key) { window.__steady = {key, since: now}; return false; }
    return now - seen.since >= ms; }"""
NEXT_FRAMES_JS = "() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))"


def wait_until_steady(pg, selector: str | None = None, hold_ms: int = 300, timeout: float = 60_000) -> None:
    """Wait until nothing moves (see STEADY_JS): the condition a fixed pause used to stand for."""
    pg.evaluate("() => { window.__steady = null; }")
    pg.wait_for_function(STEADY_JS, arg=[selector, hold_ms], timeout=timeout, polling=50)


def next_frames(pg) -> None:
    """Wait until the page has drawn two more frames (what it was asked to draw is on screen)."""
    pg.evaluate(NEXT_FRAMES_JS)


def screenshot(pg, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    pg.screenshot(path=str(path), full_page=True)
    return path


def has_chromium() -> bool:
    return shutil.which("chromium") is not None or Path(CHROMIUM).exists()
