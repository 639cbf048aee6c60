"""Accessibility with axe-core (axe-playwright-python bundles axe.min.js: nothing is fetched).

Every page (``/``, ``/?office=rb-nairobi``, ``/briefing``, ``/directory``, ``/about``) in every
language, in the page and inside the map's iframe, in headless Chromium against a real
``streamlit run``. One browser page per language visits the pages in turn. The violations found
(by impact and rule id) are written to ``test-artifacts/axe-<lang>.json``.

The same visit checks what axe does not: ``<html lang>`` and ``dir`` follow the language (page and
map frame), each page has its own translated title, Streamlit's and Leaflet's built-in English
strings are translated. axe skips Arabic text in its colour-contrast rule, so
:func:`test_arabic_captions_have_enough_contrast` computes that contrast itself.
"""

from __future__ import annotations

import json
from collections import Counter

import pytest

from tests.conftest import ARTIFACTS, MAP_FRAME, wait_until_steady

pytestmark = pytest.mark.browser

LANGS = ("ar", "en", "fr", "es")
# (path, has a map)
PAGES = (
    ("/", True),
    ("/?office=rb-nairobi", True),
    ("/briefing", True),
    ("/directory", False),
    ("/about", False),
)
BLOCKING = ("serious", "critical")
AXE_OPTIONS = {"resultTypes": ["violations"]}


def url_for(base: str, path: str, lang: str) -> str:
    return f"{base}{path}{'&' if '?' in path else '?'}lang={lang}"


IDLE_JS = """() => { const app = document.querySelector('.stApp');
    return app && app.getAttribute('data-test-script-state') === 'notRunning'
        && document.querySelector('.gs-page-script') !== null
        && document.querySelector('[data-stale="true"]') === null; }"""


def wait_until_idle(page, has_map: bool) -> None:
    """The run is over: the page script (drawn early in every run) is there and Streamlit is idle.

    (Right after loading, Streamlit can say "notRunning" before the first run starts; and while a
    rerun runs, it fades the previous elements, which axe would count as low contrast.)
    """
    page.locator('[data-testid="stMainBlockContainer"]').wait_for(timeout=60_000)
    page.wait_for_function(IDLE_JS, timeout=60_000)
    if has_map:  # the frame has height, Leaflet drew its controls and the frame script ran
        page.wait_for_function(
            f"""() => {{ const f = document.querySelector('{MAP_FRAME}');
                       return f && f.getBoundingClientRect().height > 100 && f.contentDocument
                           && f.contentDocument.querySelector('.leaflet-control-zoom-in')
                           && f.contentDocument.querySelector('.gs-map-title'); }}""",
            timeout=60_000,
        )
    wait_until_steady(page)  # a rerun the map's first answer started has begun, or none will
    page.wait_for_function(IDLE_JS, timeout=60_000)  # and has finished


def run_axe(target) -> list[dict]:
    """axe-core's violations in a page or a frame (both have ``evaluate``)."""
    from axe_playwright_python.base import AXE_SCRIPT

    target.evaluate(AXE_SCRIPT)
    result = target.evaluate("(options) => axe.run(document, options)", AXE_OPTIONS)
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "nodes": len(v["nodes"]),
            "targets": [" ".join(map(str, n["target"])) for n in v["nodes"]][:5],
            "summary": v["nodes"][0].get("failureSummary", "")[:300] if v["nodes"] else "",
        }
        for v in result["violations"]
    ]


def summary(violations: list[dict]) -> dict[str, int]:
    return dict(Counter(v["impact"] for v in violations))


# English strings of Streamlit and Leaflet that must not be left in another language's page.
LEAFLET_ENGLISH = ("Zoom in", "Zoom out", "Layers", "A JavaScript library for interactive maps")
LEFTOVERS_JS = """(english) => {
    const wanted = new Set(english), found = new Set();
    document.querySelectorAll('[aria-label], [title], [placeholder]').forEach((el) => {
        for (const attr of ['aria-label', 'title', 'placeholder']) {
            const value = (el.getAttribute(attr) || '').trim();
            if (wanted.has(value)) found.add(attr + '=' + value);
        }
    });
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) {
        const node = walker.currentNode, value = node.nodeValue.trim();
        if (!wanted.has(value) && !/^\\d+MB per file$/.test(value)) continue;
        if (node.parentElement.closest('[data-testid="stMarkdownContainer"], .stHtml, noscript')) continue;
        found.add('text=' + value);
    }
    return [...found];
}"""
LANG_JS = "() => [document.documentElement.getAttribute('lang'), document.documentElement.getAttribute('dir')]"


def check_language(page, frame, lang: str, path: str) -> list[str]:
    """What is wrong with the page's (and its map frame's) language: lang, dir, English leftovers."""
    from dashboard.shell import BUILTIN_STRINGS

    problems = []
    direction = "rtl" if lang == "ar" else "ltr"
    if page.evaluate(LANG_JS) != [lang, direction]:
        problems.append(f"{path}: page <html> lang/dir {page.evaluate(LANG_JS)}")
    if frame is not None and frame.evaluate(LANG_JS) != [lang, direction]:
        problems.append(f"{path}: map frame <html> lang/dir {frame.evaluate(LANG_JS)}")
    if lang != "en":
        left = page.evaluate(LEFTOVERS_JS, list(BUILTIN_STRINGS))
        if frame is not None:
            left += [f"map {x}" for x in frame.evaluate(LEFTOVERS_JS, list(LEAFLET_ENGLISH))]
        if left:
            problems.append(f"{path}: English left: {left}")
    return problems


@pytest.mark.parametrize("lang", LANGS)
def test_pages_have_no_serious_axe_violations_and_speak_the_language(streamlit_server, page, lang):
    report: dict[str, dict] = {}
    problems: list[str] = []
    titles: dict[str, str] = {}
    for path, has_map in PAGES:
        page.goto(url_for(streamlit_server.url, path, lang))
        wait_until_idle(page, has_map)
        frame = page.query_selector(MAP_FRAME).content_frame() if has_map else None
        entry = {"page": run_axe(page)}
        if frame is not None:
            entry["map"] = run_axe(frame)
        report[path] = entry
        problems += check_language(page, frame, lang, path)
        titles[path.split("?")[0]] = page.title()
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"axe-{lang}.json").write_text(json.dumps(report, indent=1, ensure_ascii=False))
    blocking = [
        f"{path} [{where}] {v['id']} ({v['impact']}, {v['nodes']} nodes: {v['targets']})"
        for path, entry in report.items()
        for where, violations in entry.items()
        for v in violations
        if v["impact"] in BLOCKING
    ]
    assert not blocking, "\n".join(blocking)
    assert not problems, "\n".join(problems)
    # The tab's title is in the language (each page's own name: test_each_page_has_its_own_title).
    site = {"en": "INTERPOL General Secretariat", "fr": "Secrétariat général d'INTERPOL",
            "es": "Secretaría General de INTERPOL", "ar": "الأمانة العامة للإنتربول"}[lang]
    assert all(site in title for title in titles.values()), titles
    page.watch.assert_clean()


def test_each_page_has_its_own_title(streamlit_server, page):
    """Browser tabs and screen readers tell the pages apart: the page's name, then the site's."""
    titles = {}
    for path in ("/", "/briefing", "/directory", "/about"):
        page.goto(url_for(streamlit_server.url, path, "es"))
        page.wait_for_function(IDLE_JS, timeout=60_000)
        titles[path] = page.title()
    assert titles["/directory"].startswith("Directorio · "), titles
    assert titles["/about"].startswith("Acerca de · "), titles
    assert len(set(titles.values())) == len(titles), f"pages with the same title: {titles}"


def test_streamlit_strings_that_appear_later_are_translated_too(streamlit_server, page):
    """The page script follows React: a region list's "Clear all" shows once a region is chosen."""
    page.goto(url_for(streamlit_server.url, "/directory", "fr"))
    wait_until_idle(page, has_map=False)
    page.get_by_role("textbox", name="Rechercher dans l'annuaire").fill("Lyon")
    page.get_by_text("1 bureau affiché").wait_for(timeout=20_000)  # as the user types, no Enter
    assert page.evaluate(LANG_JS) == ["fr", "ltr"]
    # The region list's "Clear all" button appears once a region is chosen.
    page.get_by_role("combobox", name="Région").click()
    page.get_by_role("option", name="Europe").click()
    page.wait_for_function(IDLE_JS, timeout=60_000)
    clear = page.locator('[data-testid="stSidebar"] [aria-label="Tout effacer"]')
    clear.wait_for(timeout=10_000)
    assert page.locator('[aria-label="Clear all"]').count() == 0
    # Another language chosen in the sidebar: the same page follows without a reload.
    page.keyboard.press("Escape")  # the region list's popup hides the rest of the page from roles
    page.get_by_role("combobox", name="Langue").click()
    page.get_by_role("option", name="العربية").click()
    page.wait_for_function("() => document.documentElement.lang === 'ar'", timeout=60_000)
    page.wait_for_function(IDLE_JS, timeout=60_000)
    assert page.evaluate(LANG_JS) == ["ar", "rtl"]
    page.locator('[data-testid="stSidebar"] [aria-label="مسح الكل"]').wait_for(timeout=10_000)
    assert page.locator('[data-testid="stSkipToContent"]').text_content() == "الانتقال إلى المحتوى الرئيسي"
    assert page.locator('[aria-label="Tout effacer"], [aria-label="Ouvrir"]').count() == 0  # no French left
    assert page.locator('[aria-label="إزالة أوروبا"]').count() == 1  # "Remove Europe", a pattern
    # The uploader (drawn once its expander opens): its button, which Streamlit writes as Markdown.
    page.keyboard.press("Escape")
    page.locator('[data-testid="stExpander"] summary').click()
    button = page.locator('[data-testid="stFileUploaderDropzone"] button')
    button.wait_for(timeout=30_000)
    page.wait_for_function("""() => document.querySelector('[data-testid="stFileUploaderDropzone"] button')
                              .textContent.includes('تحميل')""", timeout=10_000)
    assert "Upload" not in button.inner_text()
    # And back to English: Streamlit's own words again.
    page.keyboard.press("Escape")
    page.get_by_role("combobox", name="اللغة").click()
    page.get_by_role("option", name="English").click()
    page.wait_for_function("() => document.documentElement.lang === 'en'", timeout=60_000)
    page.wait_for_function(IDLE_JS, timeout=60_000)
    page.locator('[data-testid="stSidebar"] [aria-label="Clear all"]').wait_for(timeout=10_000)
    assert page.locator('[data-testid="stSkipToContent"]').text_content() == "Skip to main content"
    assert page.evaluate(LANG_JS) == ["en", "ltr"]
    page.watch.assert_clean()


CONTRAST_JS = """() => {
    const lum = (c) => { const v = c / 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    const rgba = (s) => { const m = s.match(/[\\d.]+/g).map(Number); return [m[0], m[1], m[2], m.length > 3 ? m[3] : 1]; };
    const background = (el) => {
        for (let e = el; e; e = e.parentElement) {
            const c = rgba(getComputedStyle(e).backgroundColor);
            if (c[3] > 0) return c;
        }
        return [255, 255, 255, 1];
    };
    const out = [];
    document.querySelectorAll('[data-testid="stCaptionContainer"], .fact-source, .fact-note').forEach((el) => {
        if (!el.offsetParent || !/[\\u0600-\\u06FF]/.test(el.textContent)) return;
        let alpha = 1;
        for (let e = el; e; e = e.parentElement) alpha *= Number(getComputedStyle(e).opacity);
        const fg = rgba(getComputedStyle(el).color), bg = background(el);
        const a = fg[3] * alpha, mix = [0, 1, 2].map((i) => fg[i] * a + bg[i] * (1 - a));
        const l1 = 0.2126 * lum(mix[0]) + 0.7152 * lum(mix[1]) + 0.0722 * lum(mix[2]);
        const l2 = 0.2126 * lum(bg[0]) + 0.7152 * lum(bg[1]) + 0.0722 * lum(bg[2]);
        const ratio = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
        out.push({text: el.textContent.trim().slice(0, 40), ratio: Math.round(ratio * 100) / 100});
    });
    return out;
}"""


def test_arabic_captions_have_enough_contrast(streamlit_server, page):
    """axe-core skips text written only in Arabic in its colour-contrast rule: compute it here."""
    measured = []
    for path, has_map in (("/", True), ("/directory", False), ("/about", False)):
        page.goto(url_for(streamlit_server.url, path, "ar"))
        wait_until_idle(page, has_map)
        measured += [(path, m["text"], m["ratio"]) for m in page.evaluate(CONTRAST_JS)]
    assert len(measured) >= 3, measured  # the sidebar's upload note, the directory's and about's notes
    low = [m for m in measured if m[2] < 4.5]
    assert not low, low
