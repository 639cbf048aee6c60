"""The presenter-tour benchmark of issue #10: ``python -m bench.tour`` (or ``python -m bench --only tour``).

In headless Chromium (Debian's, through Playwright, 1280x720, every request not to 127.0.0.1 aborted)
against a real ``streamlit run app.py``, for ``/briefing`` (English) and ``/briefing?lang=ar``:

1. press the forward key through the whole tour (overview, then every office) and then back to the
   overview; per step, the time from the key press to the first animation frame where BOTH the card's
   text has changed (and its ``data-step`` is the expected one) AND the map's centre has moved. Times
   are taken inside the page with ``performance.now()`` of the top document: a keydown listener in
   capture phase (in the top document and in the map's iframe, whichever receives the key) records the
   press, a ``requestAnimationFrame`` probe started before the press sees the change. The probe also
   records when the card alone and the map alone changed, and when the screen settled (nothing
   changed for 400 ms, no stale element, no script running). The next key is pressed once it settled.
2. count, over the whole tour, the animation frames in which any map or card element had an effective
   (ancestor-multiplied) computed opacity below 0.9: the ancestors of the map's iframe and of the card
   in the top document, the card and the Leaflet container inside the iframe (Streamlit greys stale
   elements to about 0.33);
3. lost presses: from the overview, 5 forward presses 30 ms apart must end at step 5, then 5 back
   presses at the overview (and the URL's ``step=`` is read too);
4. in the same run, the reference's widget round trip: bench/reference_app.py (minimal ``st_folium``
   app), unticking one office type until the map shows the rest, the same code as row 2 of
   ``python -m bench`` (bench.browser.filter_round_trip), at the same viewport.

Goal (issue #10): per language p50 ≤ 100 ms, p95 ≤ 250 ms and p50 ≤ 0.5x the reference's median round
trip; 0 greyed frames; no lost press. Prints a Markdown table and writes bench/results/tour.md and
tour.json. Works with the old briefing page (card in the top document, one Streamlit rerun per step,
ArrowRight/ArrowLeft swapped in Arabic) and the new one (card ``.tour-card`` and ``window.__tour``
inside the map's iframe, the same keys in every language).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import browser as br
from bench import report, servers

RESULTS = Path(__file__).resolve().parent / "results"
VIEWPORT = {"width": 1280, "height": 720}
LANGUAGES = ("en", "ar")
FAST_PRESSES = 5
FAST_GAP_MS = 30
STEP_TIMEOUT_MS = 15_000
QUIET_MS = 400
# Goals of issue #10.
GOAL_P50_MS = 100.0
GOAL_P95_MS = 250.0
GOAL_RATIO = 0.5
GOAL_TEXT = "p50 ≤ 100 ms, p95 ≤ 250 ms, p50 ≤ 0.5x reference; 0 greyed frames; no lost press"


def log(message: str) -> None:
    print(f"[bench.tour {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- pure helpers (tested in tests/test_bench_tour_smoke.py) -----------------------------------


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (0..100) with linear interpolation between closest ranks (numpy's default)."""
    data = sorted(v for v in values if v is not None and not math.isnan(v))
    if not data:
        return None
    if len(data) == 1:
        return float(data[0])
    pos = (len(data) - 1) * min(max(q, 0.0), 100.0) / 100.0
    low = math.floor(pos)
    high = min(low + 1, len(data) - 1)
    return float(data[low] + (data[high] - data[low]) * (pos - low))


def keys_for(new_page: bool, lang: str) -> tuple[str, str]:
    """(forward, back) keys. The old page followed the layout (in Arabic ArrowLeft went forward)."""
    if not new_page and lang == "ar":
        return "ArrowLeft", "ArrowRight"
    return "ArrowRight", "ArrowLeft"


def tour_plan(total: int) -> list[tuple[str, int, int]]:
    """(direction, from step, to step) of every timed press: forward 0 → total, then back to 0."""
    forward = [("forward", s, s + 1) for s in range(total)]
    back = [("back", s, s - 1) for s in range(total, 0, -1)]
    return forward + back


@dataclass
class LanguageResult:
    """Everything measured for one page (code version x language) over the runs."""

    code: str
    lang: str
    new_page: bool | None = None
    keys: tuple[str, str] | None = None
    total: int | None = None
    steps: list[dict[str, Any]] = field(default_factory=list)  # one per timed press
    frames: int = 0  # animation frames seen by the probe during the timed tours
    grey_frames: int = 0
    min_opacity: float | None = None
    grey_examples: list[dict[str, Any]] = field(default_factory=list)
    fast: list[dict[str, Any]] = field(default_factory=list)  # the lost-press checks
    errors: list[str] = field(default_factory=list)  # a tour that could not run
    page_errors: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    loads: list[float] = field(default_factory=list)  # 1-minute load average when each tour started

    # --- statistics ---------------------------------------------------------------------------
    def values(self, key: str) -> list[float]:
        return [s[key] for s in self.steps if s.get(key) is not None]

    def failed_steps(self) -> list[dict[str, Any]]:
        return [s for s in self.steps if s.get("both_ms") is None]

    def stat(self, key: str, q: float) -> float | None:
        return percentile(self.values(key), q)

    def lost(self) -> list[dict[str, Any]]:
        return [f for f in self.fast if f.get("ended") != f.get("expected")]

    def goal_misses(self, reference_ms: float | None) -> list[str]:
        """Which goals are missed ([] = all met); 'not measured' when there is nothing to judge."""
        p50, p95 = self.stat("both_ms", 50), self.stat("both_ms", 95)
        if p50 is None:
            return ["not measured"]
        misses = []
        if p50 > GOAL_P50_MS:
            misses.append("p50")
        if p95 is None or p95 > GOAL_P95_MS:
            misses.append("p95")
        if reference_ms is None:
            misses.append("no reference")
        elif p50 > GOAL_RATIO * reference_ms:
            misses.append("ratio")
        if self.grey_frames:
            misses.append("greyed frames")
        if self.failed_steps():
            misses.append("steps not seen")
        if not self.fast or self.lost():
            misses.append("lost presses" if self.fast else "fast presses not checked")
        if self.errors:
            misses.append("tour failed")
        return misses

    def as_json(self, reference_ms: float | None) -> dict[str, Any]:
        summary = {key: {"p50": self.stat(key, 50), "p95": self.stat(key, 95),
                         "max": max(self.values(key), default=None), "n": len(self.values(key))}
                   for key in ("both_ms", "card_ms", "map_ms", "settled_ms")}
        p50 = summary["both_ms"]["p50"]
        return {
            "code": self.code, "lang": self.lang, "new_page": self.new_page, "keys": self.keys,
            "total_steps": self.total, "summary": summary,
            "ratio_to_reference": p50 / reference_ms if p50 is not None and reference_ms else None,
            "frames": self.frames, "grey_frames": self.grey_frames, "min_opacity": self.min_opacity,
            "grey_examples": self.grey_examples[:20], "fast_presses": self.fast,
            "goal_misses": self.goal_misses(reference_ms), "errors": self.errors,
            "page_errors": self.page_errors[:20], "blocked_requests": self.blocked[:20],
            "load_average_1min_at_each_tour": self.loads, "steps": self.steps,
        }


def ms(value: float | None) -> str:
    return "—" if value is None else report.fmt(value, "ms")


def fast_cell(result: LanguageResult) -> str:
    if not result.fast:
        return "not checked"
    parts = []
    for f in result.fast:
        arrow = "→" if f["direction"] == "forward" else "←"
        ok = f.get("ended") == f.get("expected")
        parts.append(f"{arrow} {f.get('ended')}/{f['expected']}" + ("" if ok else " **lost**"))
    lost = len(result.lost())
    return ("none lost" if not lost else f"**{lost} of {len(result.fast)} lost**") + f" ({', '.join(parts)})"


def met_cell(result: LanguageResult, reference_ms: float | None) -> str:
    misses = result.goal_misses(reference_ms)
    return "yes" if not misses else "**no**: " + ", ".join(misses)


def markdown(results: list[LanguageResult], reference: list[float] | str, info: dict[str, Any],
             settings: dict[str, Any]) -> str:
    ref_ms = statistics.median(reference) if isinstance(reference, list) and reference else None
    if isinstance(reference, list) and reference:
        ref_cell = f"{ms(ref_ms)} ({report.fmt(min(reference), 'ms', False)}–" \
                   f"{report.fmt(max(reference), 'ms', False)}, n={len(reference)})"
    else:
        ref_cell = str(reference).replace("|", "/")
    lines = [
        "# Benchmark: presenter tour (issue #10)",
        "",
        f"`python -m bench.tour {settings.get('argv', '')}`".replace(" `", "`"),
        "",
        f"Headless Chromium at {VIEWPORT['width']}x{VIEWPORT['height']}, {settings.get('runs', '?')} tour(s) "
        "per page and language: forward from the overview to the last office, then back. Per key press: "
        "milliseconds from the keydown (capture phase) to the first animation frame where the card's text "
        "has changed **and** the map's centre has moved (both, performance.now() in the page); also the card "
        "alone, the map alone, and until the screen settled (nothing changed for "
        f"{QUIET_MS} ms). Greyed frames: animation frames during the tours where the map or the card had an "
        f"effective opacity below 0.9. Fast presses: {FAST_PRESSES} presses {FAST_GAP_MS} ms apart from the "
        f"overview, then {FAST_PRESSES} back (ended/expected step).",
        "",
        f"Reference (bench/reference_app.py, widget round trip, same run, same viewport): **{ref_cell}**.",
        "",
        f"Goal: {GOAL_TEXT}.",
        "",
        "| Page | Keys (fwd/back) | Presses timed | Card + map: p50 | p95 | max | Card p50 | Map p50 "
        "| Settled p50 | p50 / reference | Greyed frames | Fast presses | Met? |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        kind = "new" if r.new_page else "old" if r.new_page is not None else "?"
        page = f"{r.code}, `/briefing{'?lang=ar' if r.lang == 'ar' else ''}` ({kind} page)"
        if r.errors and not r.steps:
            lines.append(f"| {page} | — | failed: {r.errors[0][:120].replace('|', '/')} | — | — | — | — | — | — "
                         f"| — | — | — | **no** |")
            continue
        failed = len(r.failed_steps())
        timed = f"{len(r.steps) - failed} of {len(r.steps)}" + (f" (**{failed} not seen**)" if failed else "")
        p50 = r.stat("both_ms", 50)
        ratio = f"{p50 / ref_ms:.2f}x" if p50 is not None and ref_ms else "—"
        grey = f"{r.grey_frames} of {r.frames}"
        if r.min_opacity is not None and r.grey_frames:
            grey += f" (min {r.min_opacity:.2f})"
        keys = " / ".join(r.keys) if r.keys else "—"
        lines.append(
            f"| {page} | {keys} | {timed} | {ms(p50)} | {ms(r.stat('both_ms', 95))} "
            f"| {ms(max(r.values('both_ms'), default=None))} | {ms(r.stat('card_ms', 50))} "
            f"| {ms(r.stat('map_ms', 50))} | {ms(r.stat('settled_ms', 50))} | {ratio} | {grey} "
            f"| {fast_cell(r)} | {met_cell(r, ref_ms)} |"
        )
    notes = []
    for r in results:
        label = f"{r.code} {r.lang}"
        if r.errors:
            notes.append(f"- {label}: {len(r.errors)} tour(s) failed: {r.errors[0][:200]}")
        for s in r.failed_steps()[:3]:
            notes.append(f"- {label}: step {s['from']} → {s['to']} not seen: {s.get('error', '?')[:200]}")
        if r.page_errors:
            notes.append(f"- {label}: {len(r.page_errors)} page errors, e.g. {r.page_errors[0][:160]}")
        if r.blocked:
            notes.append(f"- {label}: {len(r.blocked)} requests not to 127.0.0.1 aborted, e.g. {r.blocked[0][:120]}")
        urls = [f.get("url_step") for f in r.fast]
        if r.fast:
            notes.append(f"- {label}: `step=` in the URL after the fast presses: "
                         + ", ".join("none" if u is None else u for u in urls))
    if notes:
        lines += ["", "Notes:", "", *notes]
    packages = ", ".join(f"{k} {v}" for k, v in info.get("packages", {}).items())
    loads = [x for r in results for x in r.loads]
    during = f"; 1-minute load average when each tour started {min(loads):.1f}–{max(loads):.1f}" if loads else ""
    lines += [
        "",
        "Machine:",
        "",
        f"- {info.get('cpu', '?')}, {info.get('cores_logical', '?')} logical cores; load average at start "
        f"{info.get('load_average_at_start', '?')}, at end {info.get('load_average_at_end', '?')}{during}",
        f"- {info.get('os', '?')}; Python {info.get('python', '?')}; {info.get('chromium', '?')}",
        f"- {packages}",
        f"- code: {settings.get('code', '')}; bench/ at git {info.get('git', '')}; {info.get('date', '')}; "
        f"run took {settings.get('duration_s', 0) / 60:.1f} min",
        "",
    ]
    return "\n".join(lines)


def write(out_dir: Path, results: list[LanguageResult], reference: list[float] | str,
          info: dict[str, Any], settings: dict[str, Any]) -> str:
    out_dir.mkdir(parents=True, exist_ok=True)
    text = markdown(results, reference, info, settings)
    ref_ms = statistics.median(reference) if isinstance(reference, list) and reference else None
    payload = {"settings": settings, "machine": info,
               "reference": {"samples_ms": reference, "median_ms": ref_ms,
                             "label": "bench/reference_app.py widget round trip (bench.browser.filter_round_trip)"},
               "goal": GOAL_TEXT, "pages": [r.as_json(ref_ms) for r in results]}
    for name, content in (("tour.md", text), ("tour.json", json.dumps(payload, indent=2, default=str) + "\n")):
        tmp = out_dir / f"{name}.tmp"
        tmp.write_text(content, encoding="utf-8")
        tmp.replace(out_dir / name)
    return text


# --- in the page ---------------------------------------------------------------------------------

# The probe, installed in the top document once the page is ready. One requestAnimationFrame loop
# reads the card (top document first, else inside the map's iframe), the map's centre and the
# effective opacity of the map and card elements every frame; arm(expected) snapshots the state
# before a press, a capture-phase keydown listener (top window and the iframe's window) records the
# press, and the loop records the first frames where the card, the map, and both have changed.
PROBE_JS = r"""() => {
    if (window.__tourBench) { window.__tourBench.running = false; }
    const FRAME = 'iframe[title="streamlit_folium.st_folium"]';
    const B = window.__tourBench = {
        running: true, counting: false, frames: 0, grey: 0, minOpacity: 1, greyLog: [],
        armed: null, state: null, lastKey: null, lastChange: performance.now(),
    };
    const frameEl = () => document.querySelector(FRAME);
    // Product of the computed opacities of el and its ancestors in its own document.
    const chain = (el) => {
        let o = 1;
        const win = el.ownerDocument.defaultView;
        for (let e = el; e && e.nodeType === 1; e = e.parentElement) {
            const v = parseFloat(win.getComputedStyle(e).opacity);
            if (!isNaN(v)) o *= v;
        }
        return o;
    };
    const onKey = (where) => (ev) => {
        const a = B.armed;
        if (a && a.pressAt === null) { a.pressAt = performance.now(); a.key = ev.key; a.where = where; }
    };
    const hook = () => {
        const f = frameEl();
        const w = f && f.contentWindow;
        if (w && !w.__tourBenchKey) {
            try { w.addEventListener('keydown', onKey('iframe'), {capture: true}); w.__tourBenchKey = true; }
            catch (e) {}
        }
    };
    window.addEventListener('keydown', onKey('top'), {capture: true});
    const read = () => {
        const f = frameEl();
        let w = null, d = null;
        try { w = f && f.contentWindow; d = f && f.contentDocument; } catch (e) {}
        // The new page's card is inside the map's iframe; the old page's in the top document.
        const inner = d ? d.querySelector('.tour-card') : null;
        const card = inner || document.querySelector('.tour-card');
        let centre = null;
        try {
            const m = w && w.map;
            if (m && m.getCenter && m._loaded) { const c = m.getCenter(); centre = [c.lat, c.lng]; }
        } catch (e) {}
        let op = 1, what = null;
        const see = (v, name) => { if (v < op) { op = v; what = name; } };
        let frameOp = 1;
        if (f) { frameOp = chain(f); see(frameOp, 'map iframe'); }
        if (d) {
            const lc = d.querySelector('.leaflet-container');
            if (lc) see(chain(lc) * frameOp, 'map');
        }
        const top = document.querySelector('.tour-card');
        if (top) see(chain(top), 'card (top document)');
        if (inner) see(chain(inner) * frameOp, 'card (iframe)');
        const tour = w && w.__tour;
        return {
            text: card ? card.textContent.replace(/\s+/g, ' ').trim() : null,
            step: card ? card.getAttribute('data-step') : null,
            tourStep: tour && typeof tour.step === 'number' ? tour.step : null,
            centre, op, what,
            stale: !!document.querySelector('[data-stale="true"]'),
            running: !!document.querySelector('[data-testid^="stStatusWidgetRunning"]'),
            iframeHeight: f ? f.getBoundingClientRect().height : 0,
        };
    };
    B.read = read;
    const moved = (a, b) => !!(a && b) && (Math.abs(a[0] - b[0]) > 1e-7 || Math.abs(a[1] - b[1]) > 1e-7);
    const tick = () => {
        if (!B.running) return;
        const now = performance.now();
        hook();
        let s;
        try { s = read(); } catch (e) { s = {error: String(e)}; }
        B.state = s;
        if (B.counting) {
            B.frames++;
            if (s.op !== undefined && s.op < 0.9) {
                B.grey++;
                if (B.greyLog.length < 50) B.greyLog.push({t: now, op: s.op, what: s.what, step: s.step});
            }
            if (s.op !== undefined && s.op < B.minOpacity) B.minOpacity = s.op;
        }
        const key = JSON.stringify([s.text, s.step, s.centre, Math.round((s.op || 0) * 100), s.stale, s.running]);
        if (key !== B.lastKey) { B.lastKey = key; B.lastChange = now; }
        const a = B.armed;
        if (a && a.pressAt !== null && a.doneAt === null) {
            const cardOk = s.text !== null && s.text !== a.text
                && (s.step === null || s.step === String(a.expect));
            const mapOk = moved(s.centre, a.centre);
            if (cardOk && a.cardAt === null) a.cardAt = now;
            if (mapOk && a.mapAt === null) a.mapAt = now;
            if (cardOk && mapOk) a.doneAt = now;
        }
        if (a && a.pressAt !== null && s.op !== undefined && s.op < 0.9) a.grey++;
        requestAnimationFrame(tick);
    };
    B.arm = (expect) => {
        hook();
        const s = read();
        B.armed = {expect, text: s.text, step: s.step, centre: s.centre, pressAt: null, key: null,
                   where: null, cardAt: null, mapAt: null, doneAt: null, grey: 0};
        return s;
    };
    requestAnimationFrame(tick);
    return true;
}"""

READY_JS = """() => {
    const f = document.querySelector('iframe[title="streamlit_folium.st_folium"]');
    if (!f || f.getBoundingClientRect().height < 100) return false;
    let w, d;
    try { w = f.contentWindow; d = f.contentDocument; } catch (e) { return false; }
    if (!w || !d || !w.map || !w.map._loaded || !d.querySelector('.leaflet-container')) return false;
    return !!(document.querySelector('.tour-card') || d.querySelector('.tour-card'));
}"""

QUIET_JS = """(quietMs) => {
    const B = window.__tourBench;
    const s = B && B.state;
    return !!s && !s.stale && !s.running && s.text !== null && performance.now() - B.lastChange >= quietMs;
}"""

STEP_JS = """() => {
    const s = window.__tourBench && window.__tourBench.state;
    if (!s) return null;
    if (s.tourStep !== null) return String(s.tourStep);
    return s.step;
}"""


# --- the browser ---------------------------------------------------------------------------------


@dataclass
class Page:
    context: Any
    page: Any
    errors: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.context.close()


def new_page(chromium: br.Browser) -> Page:
    """A fresh context at 1280x720 with no internet: requests not to 127.0.0.1 are aborted and noted."""
    context = chromium.browser.new_context(viewport=VIEWPORT, locale="en-US")
    holder = Page(context, None)

    def route(route_: Any, request: Any) -> None:
        if request.url.startswith(("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:", "about:")):
            route_.continue_()
        else:
            holder.blocked.append(request.url)
            route_.abort()

    context.route("**/*", route)
    page = context.new_page()
    page.on("pageerror", lambda err: holder.errors.append(str(err)[:300]))
    holder.page = page
    return holder


def open_tour(page: Any, url: str, timeout_ms: float = 90_000) -> None:
    try:
        page.goto(url, wait_until="commit", timeout=timeout_ms)
    except Exception as err:
        raise br.MeasureError(f"cannot open {url}: {str(err).splitlines()[0]}") from err
    try:
        page.wait_for_function(READY_JS, polling=100, timeout=timeout_ms)
    except Exception as err:
        raise br.MeasureError(f"the briefing map and card did not appear in {timeout_ms / 1000:.0f} s") from err
    page.evaluate(PROBE_JS)
    wait_quiet(page, 1_000, 30_000)


def wait_quiet(page: Any, quiet_ms: float = QUIET_MS, timeout_ms: float = 30_000) -> bool:
    try:
        page.wait_for_function(QUIET_JS, arg=quiet_ms, polling=50, timeout=timeout_ms)
        return True
    except Exception:
        return False


def focus_top(page: Any) -> None:
    """Focus the top document's body (the key then goes to the page, not to a button or the map)."""
    page.evaluate("""() => {
        if (document.activeElement && document.activeElement !== document.body) document.activeElement.blur();
        window.focus();
    }""")


def current_step(page: Any) -> int | None:
    value = page.evaluate(STEP_JS)
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def is_new_page(page: Any) -> bool:
    return bool(page.evaluate("""() => {
        const f = document.querySelector('iframe[title="streamlit_folium.st_folium"]');
        try { return !!(f && f.contentWindow && f.contentWindow.__tour); } catch (e) { return false; }
    }"""))


def tour_total(page: Any, fallback: int) -> int:
    total = page.evaluate("""() => {
        const f = document.querySelector('iframe[title="streamlit_folium.st_folium"]');
        try { const t = f.contentWindow.__tour; return t && typeof t.total === 'number' ? t.total : null; }
        catch (e) { return null; }
    }""")
    return int(total) if total else fallback


def timed_press(page: Any, key: str, expected: int) -> dict[str, Any]:
    """Press ``key`` and time it; waits until the screen settled before returning."""
    focus_top(page)
    before = page.evaluate("(e) => window.__tourBench.arm(e)", expected)
    page.keyboard.press(key)
    step: dict[str, Any] = {"key": key, "to": expected}
    try:
        page.wait_for_function("() => window.__tourBench.armed.doneAt !== null", polling=50,
                               timeout=STEP_TIMEOUT_MS)
    except Exception:
        step["error"] = f"card and map not both changed in {STEP_TIMEOUT_MS / 1000:.0f} s"
    settled = wait_quiet(page, QUIET_MS, 30_000)
    armed = page.evaluate("""() => { const a = window.__tourBench.armed;
        return {pressAt: a.pressAt, cardAt: a.cardAt, mapAt: a.mapAt, doneAt: a.doneAt, grey: a.grey,
                where: a.where, seenKey: a.key, lastChange: window.__tourBench.lastChange,
                state: window.__tourBench.state}; }""")
    press = armed["pressAt"]
    if press is None:
        step["error"] = "the key press was not seen by the page"
    else:
        for name, at in (("card_ms", "cardAt"), ("map_ms", "mapAt"), ("both_ms", "doneAt")):
            step[name] = armed[at] - press if armed[at] is not None else None
        step["settled_ms"] = armed["lastChange"] - press if settled else None
    state = armed.get("state") or {}
    step.update({"grey_frames": armed["grey"], "received_by": armed["where"], "settled": settled,
                 "card_step_after": state.get("step"),
                 "card_step_before": before.get("step") if isinstance(before, dict) else None})
    if step.get("both_ms") is None and "error" not in step:
        step["error"] = "not seen"
    if step.get("error"):
        step["card_changed"] = armed["cardAt"] is not None
        step["map_moved"] = armed["mapAt"] is not None
    return step


def fast_presses(page: Any, key: str, start: int, count: int, direction: str, total: int) -> dict[str, Any]:
    """``count`` presses ``FAST_GAP_MS`` apart; where does the tour end?"""
    expected = max(0, min(total, start + (count if direction == "forward" else -count)))
    focus_top(page)
    for i in range(count):
        page.keyboard.press(key)
        if i < count - 1:
            page.wait_for_timeout(FAST_GAP_MS)
    with contextlib.suppress(Exception):
        page.wait_for_function(f"() => ({STEP_JS})() === '{expected}'", polling=50, timeout=10_000)
    wait_quiet(page, 1_000, 30_000)
    ended = current_step(page)
    url_step = None
    with contextlib.suppress(Exception):  # the URL follows without blocking: give it a moment
        page.wait_for_function(
            f"() => new URLSearchParams(location.search).get('step') === '{expected}'"
            + (" || !new URLSearchParams(location.search).has('step')" if expected == 0 else ""),
            polling=100, timeout=5_000)
    with contextlib.suppress(Exception):
        url_step = page.evaluate("() => new URLSearchParams(location.search).get('step')")
    return {"direction": direction, "presses": count, "gap_ms": FAST_GAP_MS, "from": start,
            "expected": expected, "ended": ended, "url_step": url_step}


def one_tour(chromium: br.Browser, url: str, lang: str, result: LanguageResult, run: int,
             fallback_total: int, check_fast: bool) -> None:
    session = new_page(chromium)
    page = session.page
    try:
        open_tour(page, url)
        new = is_new_page(page)
        total = tour_total(page, fallback_total)
        forward, back = keys_for(new, lang)
        result.new_page, result.keys, result.total = new, (forward, back), total
        start = current_step(page)
        if start != 0:
            raise br.MeasureError(f"the tour did not open at the overview (step {start})")
        page.evaluate("() => { const B = window.__tourBench; B.counting = true; B.frames = 0; B.grey = 0; }")
        for direction, frm, to in tour_plan(total):
            step = timed_press(page, forward if direction == "forward" else back, to)
            step.update({"run": run, "direction": direction, "from": frm})
            result.steps.append(step)
            now = current_step(page)
            if now != to:  # lost or doubled: go on from where the tour is, and say so
                step.setdefault("error", f"ended at step {now}, expected {to}")
                if now is None:
                    raise br.MeasureError(f"no step shown after {direction} {frm} → {to}")
        probe = page.evaluate("""() => { const B = window.__tourBench; B.counting = false;
            return {frames: B.frames, grey: B.grey, min: B.minOpacity, log: B.greyLog}; }""")
        result.frames += probe["frames"]
        result.grey_frames += probe["grey"]
        result.min_opacity = min(probe["min"], result.min_opacity if result.min_opacity is not None else 1.0)
        result.grey_examples.extend({"run": run, **g} for g in probe["log"][:10])
        if check_fast:
            if current_step(page) == 0:
                result.fast.append({"run": run, **fast_presses(page, forward, 0, FAST_PRESSES, "forward", total)})
                here = current_step(page)
                if here:  # back to the overview: as many presses as steps (a clamp would hide a loss)
                    count = min(FAST_PRESSES, here)
                    result.fast.append({"run": run, **fast_presses(page, back, here, count, "back", total)})
            else:
                result.fast.append({"run": run, "direction": "forward", "expected": FAST_PRESSES, "ended": None,
                                    "error": "the tour did not end at the overview"})
    except Exception as err:
        result.errors.append(report.failed(err))
        log(f"{result.code} {lang} run {run}: {report.failed(err)}")
    finally:
        result.page_errors.extend(session.errors)
        result.blocked.extend(session.blocked)
        session.close()


def reference_round_trip(chromium: br.Browser, server: servers.Server, total: int, after: int) -> float:
    """The reference's widget round trip: bench.browser.filter_round_trip, at this benchmark's viewport."""
    holder = new_page(chromium)
    session = br.Session(holder.context, holder.page)
    holder.page.on("crash", lambda _page: setattr(session, "crashed", True))
    target = br.Target("reference", server.url, br.REFERENCE_COUNT_JS, br.untick_reference)
    try:
        br.time_to_map(session, target, total, 60_000)
        holder.page.wait_for_timeout(500)
        return br.filter_round_trip(session, target, after, 60_000)
    finally:
        holder.close()


# --- the run -----------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.tour", description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=2, help="tours per page and language (default 2)")
    parser.add_argument("--reference-runs", type=int, default=None,
                        help="reference round trips after a warm-up (default 3 per tour run, at least 8)")
    parser.add_argument("--quick", action="store_true", help="1 tour per language, 3 reference round trips")
    parser.add_argument("--langs", default=",".join(LANGUAGES), help="comma-separated (default en,ar)")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--app-ref", default=None, metavar="GITREF",
                       help="measure the app as committed at GITREF (a `git archive` snapshot) instead of "
                            "the working tree")
    where.add_argument("--app-root", type=Path, default=None, metavar="DIR", help="measure the app in DIR")
    parser.add_argument("--before-ref", default=None, metavar="GITREF",
                        help="also measure the app at GITREF in the same run (e.g. the old briefing page)")
    parser.add_argument("--no-fast", action="store_true", help="skip the lost-press check")
    parser.add_argument("--out", type=Path, default=RESULTS, help="where tour.md and tour.json go")
    args = parser.parse_args(argv)
    if args.quick:
        args.runs = 1
    args.runs = max(1, args.runs)
    if args.reference_runs is None:
        args.reference_runs = 3 if args.quick else max(8, 3 * args.runs)
    args.langs = tuple(lang.strip() for lang in args.langs.split(",") if lang.strip())
    return args


def ref_label(ref: str) -> str:
    """``ref`` and its short commit, e.g. ``HEAD (1a2b3c4)``."""
    short = subprocess.run(["git", "-C", str(servers.ROOT), "rev-parse", "--short", ref],
                           capture_output=True, text=True, timeout=20).stdout.strip() or "?"
    return short if ref.startswith(short) or short.startswith(ref) else f"{ref} ({short})"


def measure(chromium: br.Browser, args: argparse.Namespace, apps: list[tuple[str, Path]], logs: Path,
            table: Path) -> tuple[list[LanguageResult], list[float] | str]:
    """Tours of every app (label, root) and language, interleaved with the reference's round trips."""
    from bench.run import table_counts

    total, liaison = table_counts(table)
    results: dict[tuple[str, str], LanguageResult] = {
        (label, lang): LanguageResult(label, lang) for label, _root in apps for lang in args.langs}
    reference: list[float] = []
    ref_errors: list[str] = []
    with contextlib.ExitStack() as stack:
        app_servers: dict[str, servers.Server | str] = {}
        for label, root in apps:
            try:
                app_servers[label] = stack.enter_context(servers.app_server(logs, table, root))
            except Exception as err:
                app_servers[label] = report.failed(err)
        try:
            ref_server: servers.Server | str = stack.enter_context(servers.reference_server(logs, table))
        except Exception as err:
            ref_server = report.failed(err)

        def ref_once(keep: bool) -> None:
            if isinstance(ref_server, str):
                return
            try:
                value = reference_round_trip(chromium, ref_server, total, total - liaison)
                if keep:
                    reference.append(value)
            except Exception as err:
                ref_errors.append(report.failed(err))

        # Warm-up: imports and caches of every server, dropped.
        log("warm-up: every page once, the reference once")
        for label, _root in apps:
            server = app_servers[label]
            for lang in args.langs:
                if isinstance(server, str):
                    continue
                warm = new_page(chromium)
                with contextlib.suppress(Exception):
                    open_tour(warm.page, tour_url(server, lang))
                warm.close()
        ref_once(False)
        pages = [(label, lang) for label, _root in apps for lang in args.langs]
        tours, done = len(pages) * args.runs, 0
        for run in range(args.runs):
            # Alternate the order, so a drift in the machine's load hits every page alike.
            for label, lang in (reversed(pages) if run % 2 else pages):
                server = app_servers[label]
                result = results[(label, lang)]
                done += 1
                if isinstance(server, str):
                    if not result.errors:
                        result.errors.append(server)
                else:
                    result.loads.append(round(os.getloadavg()[0], 2))
                    log(f"{label} {lang}: tour {run + 1} of {args.runs} (load average {result.loads[-1]:.1f})")
                    one_tour(chromium, tour_url(server, lang), lang, result, run, total,
                             check_fast=not args.no_fast)
                # The reference's round trips spread over the run, between the tours.
                while (len(reference) < math.ceil(args.reference_runs * done / tours)
                       and not isinstance(ref_server, str) and len(ref_errors) < 3):
                    log(f"reference round trip {len(reference) + 1} of {args.reference_runs}")
                    ref_once(True)
    ref: list[float] | str = reference
    if not reference:
        ref = ref_server if isinstance(ref_server, str) else (ref_errors[0] if ref_errors else "failed: no sample")
    return list(results.values()), ref


def tour_url(server: servers.Server, lang: str) -> str:
    return f"{server.url}/briefing" + ("?lang=ar" if lang == "ar" else "" if lang == "en" else f"?lang={lang}")


def run(args: argparse.Namespace, chromium: br.Browser | None = None, argv_text: str = "") -> str:
    started = time.monotonic()
    info = report.machine()
    settings: dict[str, Any] = {"argv": argv_text, "runs": args.runs, "reference_runs": args.reference_runs,
                                "langs": list(args.langs), "viewport": VIEWPORT,
                                "fast_presses": {"count": FAST_PRESSES, "gap_ms": FAST_GAP_MS}}
    with contextlib.ExitStack() as stack:
        stack.callback(servers.stop_all)
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-tour-")))
        logs = tmp / "logs"
        logs.mkdir()
        apps: list[tuple[str, Path]] = []
        if args.before_ref:
            apps.append((f"before: {ref_label(args.before_ref)}",
                         stack.enter_context(servers.snapshot(args.before_ref))))
        if args.app_ref:
            root = stack.enter_context(servers.snapshot(args.app_ref))
            label = ref_label(args.app_ref)
        elif args.app_root:
            root = args.app_root.resolve()
            label = str(root)
        else:
            root = servers.ROOT
            label = f"working tree ({info.get('git', '?')})"
        apps.append((label, root))
        settings["code"] = "; ".join(f"{name} = {path}" for name, path in apps)
        log(f"measuring {settings['code']}; {args.runs} tour(s) per page; languages {', '.join(args.langs)}")
        if chromium is None:
            chromium = stack.enter_context(br.browser())
        info["chromium_playwright"] = chromium.version
        results, reference = measure(chromium, args, apps, logs, root / "data" / "offices.csv")
        settings["duration_s"] = time.monotonic() - started
        info["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
        text = write(args.out, results, reference, info, settings)
    log(f"done in {(time.monotonic() - started) / 60:.1f} min; wrote {args.out / 'tour.md'} and tour.json")
    return text


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)

    def stop(signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    for sig in (signal.SIGTERM, signal.SIGHUP):
        with contextlib.suppress(ValueError, OSError):
            signal.signal(sig, stop)
    try:
        text = run(args, argv_text=" ".join(sys.argv[1:] if argv is None else argv))
    finally:
        servers.stop_all()
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
