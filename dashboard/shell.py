"""What every page shares: assets, language, direction, navigation and the sidebar."""

from __future__ import annotations

import json

import streamlit as st

import i18n
from dashboard.labels import TYPE_LABELS
from dashboard.process import return_freed_memory
from dashboard.sidebar import too_large_message
from dashboard.state import TYPE_KEYS, init_state, type_widget_key
from geo.maps import assets
from i18n import N_

PERSISTENT_KEYS = ("lang", "q", "regions", "office", "hq_lines", "coverage", *(type_widget_key(t) for t in TYPE_KEYS))

RTL_CSS = """
<style>
html, body, .stApp, [data-testid="stSidebar"], [data-testid="stMain"] { direction: rtl; }
[data-testid="stMarkdownContainer"], [data-testid="stCaptionContainer"], .stAlert,
[data-testid="stWidgetLabel"], [data-testid="stDataFrame"] { text-align: right; }
/* Markdown lists: Streamlit aligns and indents them on the left. */
[data-testid="stMarkdownContainer"] :is(ul, ol, li) { text-align: right; }
[data-testid="stMarkdownContainer"] li { margin-left: 0; margin-right: 1.15rem; padding-left: 0; padding-right: .3rem; }
/* The sidebar sits on the right; Streamlit hides a collapsed one by sliding it left, over the page. */
[data-testid="stSidebar"][data-collapsed="true"] { overflow: hidden; }
/* The chevrons that open and close the sidebar point the other way. */
[data-testid="stExpandSidebarButton"] [data-testid="stIconMaterial"],
[data-testid="stSidebarCollapseButton"] [data-testid="stIconMaterial"] { transform: scaleX(-1); }
/* The map stays left-to-right (its legend and tooltips are right-to-left inside it). */
iframe[title="streamlit_folium.st_folium"] { direction: ltr; }
</style>
"""
FONT_CSS = """
<style>
/* Streamlit writes font-family: "Source Sans", sans-serif on each label, heading and widget, and
   Source Sans has no Arabic: Chromium would draw Arabic in DejaVu Sans. Every element but the icon
   ligatures and code gets Noto Sans Arabic (Debian's fonts-noto-core, Regular and Bold) between
   Source Sans and sans-serif, so only Arabic text changes. (Adding Arabic faces to the "Source Sans"
   family instead loses either Source Sans or the bold weight in Chromium.) */
body *:not([data-testid="stIconMaterial"], code, code *, pre, pre *, kbd, samp, .katex, .katex *) {
  font-family: "Source Sans", "Noto Sans Arabic", "Noto Naskh Arabic", sans-serif; }
[data-testid="stMainBlockContainer"] { padding-top: 2.2rem; }
/* With the sidebar closed (always on a phone), Streamlit's header shows the button that opens it,
   over the first 60 px of the page: the page starts below it. */
.stApp:has([data-testid="stExpandSidebarButton"]) [data-testid="stMainBlockContainer"] { padding-top: 4.25rem; }
/* Streamlit draws captions in text colour at 60 % opacity (#828180 on white: 3.9:1). This grey at
   full opacity has 6.3:1 on white and 5.6:1 on the sidebar's #f0f2f6 (WCAG AA asks 4.5:1). */
.stApp [data-testid="stCaptionContainer"], .stApp [data-testid="stFileUploaderDropzoneInstructions"] span {
  color: #5e6069; opacity: 1; }
/* The element that holds the page script (PAGE_SCRIPT) takes no room. */
[data-testid="stElementContainer"]:has(> .stHtml .gs-page-script) { display: none; }
html, body, .stApp { font-family: "Source Sans", "Noto Sans", "Noto Sans Arabic", "Noto Naskh Arabic", sans-serif; }
</style>
"""

# Streamlit's own English strings (its frontend has no translations): the page script puts these
# in place of them, in aria-label, title and placeholder attributes and in the texts outside the
# app's content. Marked here for the catalogues.
BUILTIN_STRINGS = (
    N_("Skip to main content"),
    N_("Sidebar"),
    N_("Collapse sidebar"),
    N_("Expand sidebar"),
    N_("Main menu"),
    N_("Choose an option"),
    N_("Open"),
    N_("Close"),
    N_("Clear value"),
    N_("Clear all"),
    N_("Clear entry"),
    N_("Selected values"),
    N_("No results"),
    N_("Press Enter to apply"),
    N_("Link to heading"),
    N_("Show/hide columns"),
    N_("Download as CSV"),
    N_("Search"),
    N_("Fullscreen"),
    N_("Close fullscreen"),
    N_("file upload"),
    N_("Browse files"),
    N_("Upload"),
    N_("Drag and drop file here"),
)
# Texts with a number in them: a pattern of the English text, and its translation.
BUILTIN_PATTERNS = (
    (r"^(\d+)MB per file$", N_("{mb} MB per file")),
    (r"^Remove (.+)$", N_("Remove {value}")),  # a chosen region's remove button
)

# Streamlit's uploader refusing a file over its limit ("File must be 5.0MB or smaller.").
TOO_LARGE_PATTERN = r"^File must be [0-9.]+ ?[KMG]?B or smaller\.$"

# Runs in the page itself (st.html with JavaScript): <html lang> and dir follow the language, and
# Streamlit's English strings are replaced as React draws them (a MutationObserver; a rerun with
# another language replaces the observer). Nothing inside Markdown, HTML blocks or tables changes.
PAGE_SCRIPT = r"""
<span class="gs-page-script" hidden></span>
<script>
(function () {
  const cfg = __CONFIG__;
  const doc = document, html = doc.documentElement;
  if (window.__gsPageScript) window.__gsPageScript.disconnect();
  const ATTRS = ["aria-label", "title", "placeholder"];
  const SKIP = '[data-testid="stMarkdownContainer"], .stHtml, [data-testid="stDataFrame"] .dvn-scroller, script, style, code, pre';
  // Streamlit's own words that it draws as Markdown (the uploader's "Upload" button): translated.
  const OWN = '[data-testid="stFileUploaderDropzone"] [data-testid="stMarkdownContainer"]';
  const patterns = cfg.patterns.map(([re, out]) => [new RegExp(re), out]);
  function translate(text) {
    const key = text.trim();
    if (Object.prototype.hasOwnProperty.call(cfg.strings, key)) return text.replace(key, cfg.strings[key]);
    for (const [re, out] of patterns) {
      const m = key.match(re);
      if (m) return text.replace(key, out.replace(/\{\w+\}/, () => m[1]));
    }
    return null;
  }
  // What the page showed before a translation, per node, kept across reruns: a later language
  // (or English again) starts from Streamlit's English, not from the previous translation.
  const memory = window.__gsOriginals || (window.__gsOriginals = new WeakMap());
  function english(node, key, value) {
    const seen = memory.get(node);
    return seen && seen[key] && seen[key].out === value ? seen[key].en : value;
  }
  function place(node, key, value, set) {
    const en = english(node, key, value);
    let out = translate(en);
    if (out === null) out = en;
    if (out !== en) {
      const seen = memory.get(node) || {};
      seen[key] = { en: en, out: out };
      memory.set(node, seen);
      window.__gsTranslated = true;
    }
    if (out !== value) set(out);
  }
  let pending = false;
  function fix() {
    pending = false;
    if (html.lang !== cfg.lang) html.lang = cfg.lang;
    if (html.dir !== cfg.dir) html.dir = cfg.dir;
    // The app's names for its buttons (the type filters' "only": "Show only: Regional bureaus"),
    // for screen readers and as the pointer's tooltip (Streamlit's help tooltips cost each widget time to draw).
    for (const [selector, name] of cfg.names) {
      doc.querySelectorAll(selector).forEach((el) => {
        if (el.getAttribute("aria-label") !== name) el.setAttribute("aria-label", name);
        if (el.getAttribute("title") !== name) el.setAttribute("title", name);
      });
    }
    // English with nothing to put back: only the app's own messages in cfg.scope (the uploader's).
    const whole = cfg.translate || window.__gsTranslated;
    const roots = whole ? [doc.body] : Array.from(doc.querySelectorAll(cfg.scope));
    for (const root of roots) fixIn(root);
  }
  function fixIn(root) {
    for (const attr of ATTRS) {
      root.querySelectorAll("[" + attr + "]").forEach((el) => {
        place(el, attr, el.getAttribute(attr), (out) => el.setAttribute(attr, out));
      });
    }
    const walker = doc.createTreeWalker(root, NodeFilter.SHOW_ELEMENT | NodeFilter.SHOW_TEXT, {
      acceptNode(node) {
        if (node.nodeType === 1) return node.matches(SKIP) && !node.matches(OWN) ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_SKIP;
        return NodeFilter.FILTER_ACCEPT;
      },
    });
    while (walker.nextNode()) {
      const node = walker.currentNode, value = node.nodeValue;
      if (!value || !value.trim()) continue;
      place(node, "text", value, (out) => { node.nodeValue = out; });
    }
  }
  const observer = new MutationObserver(() => {
    if (!pending) { pending = true; setTimeout(fix, 30); }
  });
  observer.observe(html, { subtree: true, childList: true, characterData: true, attributes: true,
                           attributeFilter: ATTRS.concat(["lang", "dir"]) });
  window.__gsPageScript = observer;
  fix();
})();
</script>
"""


ONLY_NAME = N_("Show only: {type}")


def button_names(lang: str) -> list[list[str]]:
    """[selector, accessible name] of the app's buttons whose visible words say too little: each
    type filter's "only" button is named "Show only: <type>" (and shows it as its tooltip). Set
    by the page script: a ``help`` tooltip on the five buttons cost the first view ~50 ms of the
    browser's time (issue #15)."""
    translations = i18n.translations(lang)
    template = translations.gettext(ONLY_NAME)
    return [[f".st-key-only_{key} button", template.replace("{type}", translations.gettext(TYPE_LABELS[key]))]
            for key in TYPE_KEYS]


def page_script_config(lang: str | None = None) -> dict:
    """What the page script needs: the language, its direction and the translated built-in strings."""
    lang = lang or i18n.language()
    strings = {}
    patterns = []
    if lang != i18n.DEFAULT_LANGUAGE:
        translations = i18n.translations(lang)
        strings = {s: translations.gettext(s) for s in BUILTIN_STRINGS if translations.gettext(s) != s}
        patterns = [[re_, translations.gettext(out)] for re_, out in BUILTIN_PATTERNS]
    # Streamlit's own refusal of a file over the uploader's limit becomes the app's (in every
    # language, English too): the limit as the app states it, in the page's language.
    patterns.append([TOO_LARGE_PATTERN, too_large_message(lang)])
    return {
        "lang": lang,
        "dir": "rtl" if i18n.is_rtl(lang) else "ltr",
        "names": button_names(lang),
        "translate": bool(strings),
        "scope": '[data-testid="stFileUploader"]',
        "strings": strings,
        "patterns": patterns,
    }


def page_script(lang: str | None = None) -> str:
    config = json.dumps(page_script_config(lang), ensure_ascii=False)
    config = config.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return PAGE_SCRIPT.replace("__CONFIG__", config)


@st.cache_resource(show_spinner=False)
def _install_assets() -> list[str]:
    return assets.install_static_assets()


def keep_widget_state() -> None:
    """Carry the shared widgets' values across pages.

    Streamlit drops a widget's value when a run does not draw it, and widgets on another page are
    other widgets; re-assigning the keys at the top of every run keeps them (Streamlit's documented
    way to keep state across pages).
    """
    state = st.session_state
    for key in PERSISTENT_KEYS:
        if key in state:
            state[key] = state[key]


def start_run() -> str:
    """Set up the run: static files, state from the URL, kept widget values, language. Idempotent.

    Every page calls it through dashboard.page.start_page (app.py runs pages/map.py), before the
    sidebar's translated navigation; a page also runs on its own (AppTest, benchmarks).
    """
    return_freed_memory()
    _install_assets()
    init_state()
    keep_widget_state()
    return i18n.set_language(st.session_state.get("lang", i18n.DEFAULT_LANGUAGE))


def page_css(css: str = "") -> None:
    """Fonts, right-to-left layout for Arabic (the map itself stays left-to-right), the page's own
    ``css`` and the page script (``<html lang>``/``dir`` and Streamlit's own strings in the page's
    language), in one element: each element of a first run costs the browser time to draw (issue #15)."""
    st.html(FONT_CSS + (RTL_CSS if i18n.is_rtl() else "") + css + page_script(), unsafe_allow_javascript=True)
