"""Issue #17 in headless Chromium against a real server started the way ./run app starts it
(``streamlit run launch.py``): the content security policy breaks nothing on any page (no violation
reported in the page or its frames, the map and the tour work), another origin cannot frame the
app, an upload lasts across pages, share-link notices stay short, and Streamlit's refusal of a
file over the limit is replaced by the app's own message.
"""

from __future__ import annotations

import http.server
import threading
import urllib.parse
from collections.abc import Iterator

import pytest

from tests.conftest import MAP_FRAME, ROOT, start_streamlit, stop_streamlit, wait_for_map, wait_for_offices

pytestmark = pytest.mark.browser

# Recorded in every frame (the map's srcdoc frame too) before any script of the page runs.
RECORD_VIOLATIONS_JS = """
(() => {
  const store = () => { try { return window.top.__cspViolations || (window.top.__cspViolations = []); }
                        catch (e) { return window.__cspViolations || (window.__cspViolations = []); } };
  document.addEventListener("securitypolicyviolation", (e) => {
    store().push(`${e.violatedDirective} blocked ${e.blockedURI || "inline"} in ${location.href.slice(0, 80)}`);
  });
})();
"""


@pytest.fixture(scope="module")
def launched(tmp_path_factory) -> Iterator:
    server = start_streamlit(tmp_path_factory.mktemp("launched"))
    yield server
    stop_streamlit(server)


def csp_page(pg):
    messages: list[str] = []
    pg.on("console", lambda msg: messages.append(msg.text) if "Content Security Policy" in msg.text else None)
    pg.context.add_init_script(RECORD_VIOLATIONS_JS)
    return messages


def violations(pg, messages: list[str]) -> list[str]:
    found = list(pg.evaluate("() => window.__cspViolations || []"))
    for frame in pg.frames:
        try:
            found += frame.evaluate("() => window.__cspViolations || []") if frame != pg.main_frame else []
        except Exception:  # a frame that went away while asked
            continue
    return found + messages


def test_every_page_works_under_the_policy_with_no_violation(launched, page):
    messages = csp_page(page)
    page.goto(launched.url + "/")
    wait_for_map(page)
    wait_for_offices(page, 14)
    # A marker opens its office (the map's own scripts run, and reach the server).
    page.frame_locator(MAP_FRAME).locator(".office-marker").first.click()
    page.locator(".office-panel").first.wait_for(timeout=30_000)
    page.goto(launched.url + "/briefing?step=1")
    frame = wait_for_map(page)
    frame.locator('.tour-card[data-office-id="hq-lyon"]').wait_for(timeout=30_000)
    frame.get_by_role("button", name="Next").click()
    frame.locator('.tour-card[data-office-id="igci-singapore"]').wait_for(timeout=30_000)
    page.goto(launched.url + "/directory?office=lo-europol")
    page.get_by_text("Downloads").first.wait_for(timeout=30_000)
    page.frame_locator(MAP_FRAME).locator(".office-marker").first.wait_for(timeout=30_000)
    page.goto(launched.url + "/about?lang=ar")
    page.locator('[data-fact="role"]').wait_for(timeout=30_000)
    page.wait_for_function("() => document.documentElement.dir === 'rtl'")  # the inline page script ran
    assert violations(page, messages) == []
    page.watch.assert_clean()


class _Framer(http.server.BaseHTTPRequestHandler):
    target = ""

    def do_GET(self):  # http.server calls it by this name
        body = f'<!doctype html><title>other site</title><iframe id="victim" src="{self.target}"></iframe>'.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        return


def test_another_origin_cannot_frame_the_app(launched, page):
    # Another origin: the same address, another port (a page served by this test).
    handler = type("Framer", (_Framer,), {"target": launched.url + "/"})
    other = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=other.serve_forever, daemon=True).start()
    try:
        # Chromium refuses the frame and says why (frame-ancestors, or X-Frame-Options).
        with page.expect_console_message(
            lambda m: "frame-ancestors" in m.text or "X-Frame-Options" in m.text, timeout=30_000
        ):
            page.goto(f"http://127.0.0.1:{other.server_address[1]}/")
        page.wait_for_load_state("load")
        framed = [f for f in page.frames if f is not page.main_frame]
        assert framed, "the other site's frame is missing"
        for frame in framed:
            # The app's document never loads in it: no Streamlit root, no app script.
            assert not frame.url.startswith(launched.url) or frame.evaluate(
                "() => document.getElementById('root') === null"
            ), frame.url
    finally:
        other.shutdown()


def test_the_app_frames_itself(launched, page):
    # 'self' may: the map component's frame is the app's own origin.
    page.goto(launched.url + "/")
    wait_for_map(page)
    assert page.frame_locator(MAP_FRAME).locator(".leaflet-container").count() == 1


def test_an_upload_lasts_across_pages_and_names_its_file(launched, page, tmp_path):
    rows = (ROOT / "data" / "offices.csv").read_text(encoding="utf-8").splitlines()
    mine = tmp_path / "mine.csv"
    mine.write_text("\n".join(rows[:5]) + "\n", encoding="utf-8")
    page.goto(launched.url + "/")
    wait_for_offices(page, 14)
    page.get_by_text("Use your own table").click()
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(mine))
    wait_for_offices(page, 4)
    page.get_by_text("Table shown: your upload").first.wait_for(timeout=30_000)
    # The sidebar's link, as a user follows it: a new page, whose uploader is empty.
    page.locator('[data-testid="stSidebar"]').get_by_role("link", name="Directory").click()
    page.wait_for_url("**/directory**")
    page.get_by_text("4 offices shown").first.wait_for(timeout=30_000)
    assert page.get_by_text("mine.csv").count() >= 1
    page.get_by_role("button", name="Use the shared table again").click()
    page.get_by_text("14 offices shown").first.wait_for(timeout=30_000)
    page.watch.assert_clean()


def test_huge_share_link_values_are_quoted_short(launched, page):
    query = urllib.parse.urlencode({"office": "o" * 100_000, "region": "r" * 20_000})
    page.goto(f"{launched.url}/?{query}")
    page.get_by_text("Ignored the unknown office").first.wait_for(timeout=30_000)
    lengths = page.evaluate(
        "() => Array.from(document.querySelectorAll('[data-testid=\"stAlert\"]')).map(a => a.innerText.length)"
    )
    assert lengths and max(lengths) < 300, lengths


def test_streamlits_refusal_of_a_large_file_is_the_apps_own_message(launched, page, tmp_path):
    from dashboard.sidebar import too_large_message, upload_limit_mb

    big = tmp_path / "big.csv"
    big.write_bytes(b"x" * (upload_limit_mb() * 1_000_000 + 1))
    page.goto(launched.url + "/?lang=fr")
    wait_for_map(page)
    page.locator('[data-testid="stSidebar"] details summary').first.click()
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(big))
    page.get_by_text(too_large_message("fr")).wait_for(timeout=30_000)
    assert page.get_by_text("or smaller").count() == 0
