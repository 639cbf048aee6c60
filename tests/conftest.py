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


@dataclass
class StreamlitServer:
    """A real ``streamlit run app.py`` on a free local port."""

    url: str
    process: subprocess.Popen
    log_path: Path
    env: dict[str, str] = field(default_factory=dict)

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


def start_streamlit(
    tmp_dir: Path, env_extra: dict[str, str] | None = None, script: str = "app.py", cwd: Path = ROOT
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
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited early:\n{log_path.read_text()}")
        with contextlib.suppress(OSError), urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            if response.status == 200:
                return StreamlitServer(url, process, log_path, env)
        time.sleep(0.25)
    process.kill()
    raise RuntimeError(f"streamlit did not start:\n{log_path.read_text()}")


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


@dataclass
class PageWatch:
    """What went wrong in a page: JavaScript errors, failed requests, dialogs."""

    errors: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def assert_clean(self) -> None:
        assert not self.errors, f"JavaScript errors: {self.errors}"
        assert not self.failed, f"failed requests: {self.failed}"
        assert not self.dialogs, f"dialogs opened: {self.dialogs}"


def new_watched_page(browser, viewport: dict | None = None, locale: str = "en-US"):
    """A fresh page (and its context) with no internet: every request that is not to 127.0.0.1 is
    aborted and counted. ``page.watch`` collects JavaScript errors, failed requests and dialogs."""
    context = browser.new_context(viewport=viewport or {"width": 1400, "height": 1000}, locale=locale)
    watch = PageWatch()

    def route(route_, request):
        if request.url.startswith(("http://127.0.0.1", "data:", "blob:", "about:")):
            route_.continue_()
        else:
            watch.failed.append(f"blocked external request {request.url}")
            route_.abort()

    context.route("**/*", route)
    pg = context.new_page()
    pg.on("pageerror", lambda err: watch.errors.append(str(err)))
    pg.on(
        "console",
        lambda msg: watch.errors.append(msg.text)
        if msg.type == "error" and not any(s in msg.text for s in IGNORED_CONSOLE)
        else None,
    )
    # net::ERR_ABORTED: the browser cancelled the request because its document went away (a
    # navigation, a frame replaced); blocked external requests are counted by route() above.
    pg.on(
        "requestfailed",
        lambda req: None if "ERR_ABORTED" in str(req.failure) else watch.failed.append(f"{req.url} {req.failure}"),
    )
    pg.on("response", lambda res: watch.failed.append(f"HTTP {res.status} {res.url}") if _bad_response(res) else None)

    def on_dialog(dialog):
        watch.dialogs.append(dialog.message)
        dialog.dismiss()

    pg.on("dialog", on_dialog)
    pg.watch = watch
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


def screenshot(pg, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    pg.screenshot(path=str(path), full_page=True)
    return path


def has_chromium() -> bool:
    return shutil.which("chromium") is not None or Path(CHROMIUM).exists()
