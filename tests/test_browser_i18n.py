"""Arabic (right-to-left) and French in headless Chromium against a real ``streamlit run``.

Screenshots land in test-artifacts/ (ar-map, ar-panel, ar-tour, fr-map, fr-panel, fr-tour): look at
them after changing shell.RTL_CSS / FONT_CSS or the catalogues.
"""

from __future__ import annotations

import pytest

from tests.conftest import MAP_FRAME, screenshot, wait_for_map

pytestmark = pytest.mark.browser

SIDEBAR = '[data-testid="stSidebar"]'
MAIN_BLOCK = '[data-testid="stMainBlockContainer"]'


def direction(page, selector: str) -> str:
    return page.evaluate("(s) => getComputedStyle(document.querySelector(s)).direction", selector)


def open_page(page, url: str, *, with_map: bool = True):
    page.goto(url)
    if with_map:
        return wait_for_map(page)
    page.locator(MAIN_BLOCK).wait_for(timeout=30_000)
    return None


def rendered_fonts(page, selector: str) -> set[str]:
    """The fonts Chromium really drew the first ``selector`` element's text with (DevTools protocol)."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument", {"depth": -1})["root"]["nodeId"]
    node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
    assert node, f"nothing matches {selector}"
    fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    cdp.detach()
    return {font["familyName"] for font in fonts}


def test_arabic_map_page_is_right_to_left_with_arabic_labels_and_fonts(streamlit_server, page):
    frame = open_page(page, streamlit_server.url + "/?lang=ar")
    page.get_by_text("14 مكتبًا معروضًا").wait_for(timeout=30_000)
    assert direction(page, SIDEBAR) == "rtl"
    assert direction(page, MAIN_BLOCK) == "rtl"
    assert direction(page, "html") == "rtl"
    sidebar = page.locator(SIDEBAR)
    for label in ("اللغة", "بحث", "المنطقة", "نوع المكتب"):
        assert sidebar.get_by_text(label, exact=True).first.is_visible(), label
    assert sidebar.get_by_text("المكتب الإقليمي (6)").is_visible()
    assert page.get_by_text("الأمانة العامة للإنتربول: المكاتب في أنحاء العالم").is_visible()
    # The sidebar is on the right of the page, the map on its left.
    side_box, main_box = sidebar.bounding_box(), page.locator(MAIN_BLOCK).bounding_box()
    assert side_box["x"] > main_box["x"] + main_box["width"] / 2
    # The map itself stays left-to-right; its legend is right-to-left and in Arabic.
    assert page.evaluate(f"() => getComputedStyle(document.querySelector('{MAP_FRAME}')).direction") == "ltr"
    legend = frame.locator(".office-legend")
    assert legend.get_attribute("dir") == "rtl"
    assert "أنواع المكاتب" in legend.inner_text() and "المكتب الإقليمي" in legend.inner_text()
    # Arabic in Streamlit's own "Source Sans" labels is drawn with Noto Sans Arabic, not DejaVu Sans.
    fonts = rendered_fonts(page, f'{SIDEBAR} [data-testid="stWidgetLabel"] p')
    assert "Noto Sans Arabic" in fonts and "DejaVu Sans" not in fonts, fonts
    screenshot(page, "ar-map")
    page.watch.assert_clean()


def test_arabic_panel_is_right_to_left(streamlit_server, page):
    page.set_viewport_size({"width": 1400, "height": 1500})  # the panel below the map, in the picture
    open_page(page, streamlit_server.url + "/?lang=ar&office=rb-nairobi")
    panel = page.locator("section.office-panel")
    panel.wait_for(timeout=30_000)
    assert panel.get_attribute("dir") == "rtl"
    assert page.evaluate("() => getComputedStyle(document.querySelector('section.office-panel')).direction") == "rtl"
    assert panel.locator("h2").inner_text() == "المكتب الإقليمي للإنتربول في نيروبي"
    text = panel.inner_text()
    for value in ("نيروبي", "كينيا", "شرق أفريقيا", "نطاق التغطية", "التوقيت المحلي"):
        assert value in text, value
    # Labels (dt) on the right of their values (dd), or above them in a narrow panel; the words of both
    # start at the panel's right edge.
    dt, dd = panel.locator("dt").first.bounding_box(), panel.locator("dd").first.bounding_box()
    assert dt["x"] > dd["x"] or dt["y"] + dt["height"] <= dd["y"] + 1, (dt, dd)
    text_right = """(el) => { const r = document.createRange(); r.selectNodeContents(el);
        return r.getBoundingClientRect().right; }"""
    assert abs(panel.locator("dt").first.evaluate(text_right) - (dt["x"] + dt["width"])) <= 2
    if dt["x"] <= dd["x"]:  # stacked
        assert abs(panel.locator("dd").first.evaluate(text_right) - (dd["x"] + dd["width"])) <= 2
    panel.scroll_into_view_if_needed()
    screenshot(page, "ar-panel")
    page.watch.assert_clean()


def test_arabic_tour_card_is_right_to_left_and_the_collapsed_sidebar_stays_hidden(streamlit_server, page):
    open_page(page, streamlit_server.url + "/?lang=ar")  # a first run registers the pages (see report)
    frame = open_page(page, streamlit_server.url + "/briefing?lang=ar&step=3")
    card = frame.locator('.tour-card[data-step="3"]')
    card.wait_for(timeout=30_000)
    assert card.evaluate("(c) => getComputedStyle(c).direction") == "rtl"
    assert "المكتب الإقليمي" in card.inner_text()
    assert frame.get_by_role("button", name="التالي").is_visible()
    assert frame.get_by_text("3 من 14").is_visible()
    # The card sits on the left of the map in Arabic, the map stays left-to-right.
    handle = page.query_selector(MAP_FRAME).content_frame()
    assert handle.evaluate("""() => document.querySelector('.tour-panel').getBoundingClientRect().right
        <= document.getElementById('map_div').getBoundingClientRect().left + 1""")
    assert handle.evaluate("() => getComputedStyle(document.getElementById('map_div')).direction") == "ltr"
    # Streamlit slides a collapsed sidebar to the left; on the right-hand side that would leave it
    # over the page. Nothing of it may show.
    assert page.evaluate(f"() => document.querySelector('{SIDEBAR}').getAttribute('data-collapsed')") == "true"
    covered = page.evaluate(
        f"""() => {{ const side = document.querySelector('{SIDEBAR}');
            const hits = [];
            for (let x = 900; x < innerWidth; x += 10) for (let y = 100; y < innerHeight; y += 50) {{
                const e = document.elementFromPoint(x, y);
                if (e && side.contains(e)) hits.push([x, y]);
            }}
            return hits; }}"""
    )
    assert not covered, f"the collapsed sidebar shows at {covered[:5]}"
    screenshot(page, "ar-tour")
    page.watch.assert_clean()


def test_french_pages_show_french_labels(streamlit_server, page):
    frame = open_page(page, streamlit_server.url + "/?lang=fr")
    page.get_by_text("14 bureaux affichés").wait_for(timeout=30_000)
    assert direction(page, SIDEBAR) == "ltr" and direction(page, MAIN_BLOCK) == "ltr"
    sidebar = page.locator(SIDEBAR)
    for label in ("Langue", "Rechercher", "Région", "Type de bureau"):
        assert sidebar.get_by_text(label, exact=True).first.is_visible(), label
    assert sidebar.get_by_text("Bureau régional (6)").is_visible()
    legend = frame.locator(".office-legend")
    assert legend.get_attribute("dir") == "ltr"
    assert "Types de bureaux" in legend.inner_text() and "Bureau de liaison" in legend.inner_text()
    # The Arabic font rules leave Latin text in Streamlit's Source Sans.
    fonts = rendered_fonts(page, f'{SIDEBAR} [data-testid="stWidgetLabel"] p')
    assert fonts and all(name.startswith("SourceSans") for name in fonts), fonts
    screenshot(page, "fr-map")
    page.watch.assert_clean()


def test_french_panel_and_tour(streamlit_server, page):
    page.set_viewport_size({"width": 1400, "height": 1500})
    open_page(page, streamlit_server.url + "/?lang=fr&office=rb-yaounde")
    panel = page.locator("section.office-panel")
    panel.wait_for(timeout=30_000)
    assert panel.get_attribute("dir") == "ltr"
    assert panel.locator("h2").inner_text() == "Bureau régional d'INTERPOL à Yaoundé"
    text = panel.inner_text()
    for value in ("Yaoundé, Cameroun", "Afrique centrale", "Zone couverte", "Heure locale"):
        assert value in text, value
    panel.scroll_into_view_if_needed()
    screenshot(page, "fr-panel")
    page.watch.assert_clean()

    page.wait_for_load_state("networkidle")  # leaving while the basemap loads would abort it
    page.set_viewport_size({"width": 1400, "height": 1000})
    frame = open_page(page, streamlit_server.url + "/briefing?lang=fr&step=3")
    frame.locator('.tour-card[data-step="3"]').wait_for(timeout=30_000)
    assert frame.get_by_role("button", name="Suivant").is_visible()
    assert frame.get_by_text("3 sur 14").is_visible()
    assert "Bureau régional" in frame.locator(".tour-card").inner_text()
    screenshot(page, "fr-tour")
    page.watch.assert_clean()
