"""Where the browser's time goes until the map is drawn (issue #15, figure 1): app against reference.

    python -m bench.ttmprofile [--runs 3] [--app-root DIR] [--out /tmp/ttm-profile.json]

Starts the app (``--app-root``: a changed copy, default the working tree) and the reference app on
data/offices.csv, opens each ``runs`` times in a fresh Chromium context (after one warm-up visit
each, alternating who goes first), and records with Chromium's tracing, from navigation to the
first animation frame where every office is drawn (bench/browser.py's probe):

* the renderer main thread's busy time by kind of work (script, style, layout, paint, parse, GC ...),
  the top-level trace events' own durations;
* the same thread's JavaScript time by script URL (a CPU profile from the trace's profiler samples);
* the map frame's requests (Resource Timing inside the iframe): when each started and ended, so
  scripts loaded one after another show as a staircase.

Prints medians per target and the app minus the reference; ``--out`` keeps every visit as JSON.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import browser as br
from bench import servers
from bench.run import app_target, reference_target, table_counts

ROOT = Path(__file__).resolve().parent.parent
CATEGORIES = ",".join([
    "devtools.timeline", "disabled-by-default-devtools.timeline", "v8.execute", "blink",
    "disabled-by-default-v8.cpu_profiler", "v8",
])
# Top-level events on the main thread and the kind of work they stand for.
KINDS = {
    "RunTask": None,  # a container: its children are counted
    "ThreadControllerImpl::RunTask": None,
    "EvaluateScript": "script", "v8.compile": "compile", "v8.compileModule": "compile",
    "FunctionCall": "script", "TimerFire": "script", "EventDispatch": "script", "FireAnimationFrame": "script",
    "v8.run": "script", "V8.Execute": "script", "v8.callFunction": "script", "RunMicrotasks": "script",
    "ParseHTML": "parse HTML", "ParseAuthorStyleSheet": "parse CSS",
    "UpdateLayoutTree": "style", "RecalculateStyles": "style", "Layout": "layout",
    "PrePaint": "paint", "Paint": "paint", "PaintImage": "paint", "UpdateLayer": "paint",
    "Layerize": "paint", "Commit": "paint", "UpdateLayerTree": "paint",
    "MajorGC": "GC", "MinorGC": "GC", "V8.GCScavenger": "GC", "V8.GCFinalizeMC": "GC",
    "BlinkGC.AtomicPhase": "GC", "ThreadState::performIdleLazySweep": "GC",
    "ResourceReceivedData": "network", "ResourceReceiveResponse": "network", "ResourceFinish": "network",
    "ResourceSendRequest": "network",
}
IFRAME_RESOURCES_JS = """() => {
    const f = document.querySelector('iframe[title="streamlit_folium.st_folium"]');
    if (!f || !f.contentWindow) return [];
    const p = f.contentWindow.performance;
    const t0 = p.timeOrigin - performance.timeOrigin;  // the iframe's 0 on the page's clock
    return p.getEntriesByType('resource').map(e => ({
        name: e.name.replace(location.origin, ''), start: t0 + e.startTime, end: t0 + e.responseEnd,
        bytes: e.transferSize}));
}"""
# The page's own requests (Streamlit's code split in chunks, loaded as its elements first appear).
PAGE_RESOURCES_JS = """() => performance.getEntriesByType('resource').map(e => ({
    name: e.name.replace(location.origin, ''), start: e.startTime, end: e.responseEnd, bytes: e.transferSize}))"""
NAV_JS = """() => {
    const n = performance.getEntriesByType('navigation')[0];
    const f = document.querySelector('iframe[title="streamlit_folium.st_folium"]');
    const fo = f && f.contentWindow ? f.contentWindow.performance.timeOrigin - performance.timeOrigin : null;
    return {domContentLoaded: n ? n.domContentLoadedEventEnd : null, iframeOrigin: fo};
}"""


def main_thread(events: list[dict[str, Any]]) -> tuple[int, int] | None:
    """(pid, tid) of the renderer main thread that ran the page (the busiest CrRendererMain)."""
    names = {(e["pid"], e["tid"]) for e in events
             if e.get("ph") == "M" and e.get("name") == "thread_name" and e["args"].get("name") == "CrRendererMain"}
    busy: collections.Counter[tuple[int, int]] = collections.Counter()
    for e in events:
        if (e.get("pid"), e.get("tid")) in names and e.get("ph") == "X":
            busy[(e["pid"], e["tid"])] += e.get("dur", 0)
    return busy.most_common(1)[0][0] if busy else None


def work_by_kind(events: list[dict[str, Any]], thread: tuple[int, int], t_end: float) -> dict[str, float]:
    """Own (self) time in ms of complete events on ``thread`` up to ``t_end`` (trace µs), by kind:
    an event's duration less its direct children's; unknown names are kept as ``other: name``."""
    spans = sorted(
        (e for e in events if e.get("ph") == "X" and (e["pid"], e["tid"]) == thread and "dur" in e
         and e["ts"] < t_end),
        key=lambda e: (e["ts"], -e["dur"]))
    totals: collections.Counter[str] = collections.Counter()
    stack: list[list[Any]] = []  # [end, name, duration, children's time]

    def pop() -> None:
        _end, name, dur, child = stack.pop()
        kind = KINDS.get(name, f"other: {name}") or "task overhead"
        totals[kind] += max(0.0, dur - child) / 1000
        if stack:
            stack[-1][3] += dur

    for e in spans:
        while stack and stack[-1][0] <= e["ts"]:
            pop()
        dur = min(e["dur"], t_end - e["ts"])
        stack.append([e["ts"] + dur, e["name"], dur, 0.0])
    while stack:
        pop()
    return dict(totals)


def js_by_url(events: list[dict[str, Any]], thread: tuple[int, int], t_end: float) -> dict[str, float]:
    """JavaScript self time (ms) by script URL from the trace's CPU profile samples on ``thread``."""
    nodes: dict[tuple[str, int], dict[str, Any]] = {}
    totals: collections.Counter[str] = collections.Counter()
    for e in events:
        if e.get("name") not in ("Profile", "ProfileChunk") or e.get("pid") != thread[0]:
            continue
        if e.get("tid") != thread[1] and e.get("name") == "Profile":
            continue
        data = e.get("args", {}).get("data", {})
        pid = e.get("id", "")
        if e["name"] == "Profile":
            nodes.setdefault((pid, -1), {"start": data.get("startTime", 0), "t": data.get("startTime", 0)})
            continue
        state = nodes.setdefault((pid, -1), {"start": 0, "t": 0})
        for node in data.get("cpuProfile", {}).get("nodes", []):
            frame = node.get("callFrame", {})
            url = frame.get("url", "") or frame.get("functionName", "") or "(native)"
            nodes[(pid, node["id"])] = {"url": url.split("?")[0].rpartition("/")[2] or url}
        samples = data.get("cpuProfile", {}).get("samples", [])
        for node_id, delta in zip(samples, data.get("timeDeltas", []), strict=False):
            state["t"] += delta
            if state["t"] > t_end:
                continue
            url = nodes.get((pid, node_id), {}).get("url", "?")
            totals[url] += delta / 1000
    totals.pop("(idle)", None)
    return dict(totals)


def visit(browser: br.Browser, target: br.Target, total: int, tmp: Path, trace: bool = True) -> dict[str, Any]:
    """One load of ``target`` until every office is drawn: times, CPU, the frame's requests, the
    websocket frames, and with ``trace`` the main thread's work by kind and by script."""
    session = browser.session()
    try:
        path = tmp / f"trace-{target.name}-{time.monotonic_ns()}.json"
        frames: list[tuple[float, int]] = []  # (CDP timestamp s, bytes) of websocket frames received
        navigation: list[float] = []
        if session.cdp is not None:
            session.cdp.send("Network.enable")
            session.cdp.on("Network.webSocketFrameReceived", lambda e: frames.append(
                (e["timestamp"], len(e["response"].get("payloadData", "")))))
            session.cdp.on("Network.requestWillBeSent", lambda e: navigation.append(e["timestamp"])
                           if e.get("type") == "Document" and not navigation else None)
        if trace:
            browser.browser.start_tracing(page=session.page, path=str(path), categories=CATEGORIES.split(","))
        try:
            drawn = br.time_to_map(session, target, total)
            cpu = session.main_thread_cpu_ms()
            complete = br.page_complete_ms(session, target)
            resources = session.page.evaluate(IFRAME_RESOURCES_JS)
            nav = session.page.evaluate(NAV_JS)
            page_resources = session.page.evaluate(PAGE_RESOURCES_JS)
            t_now = session.page.evaluate("performance.now()")
        finally:
            if trace:
                browser.browser.stop_tracing()
        result: dict[str, Any] = {"map_ms": drawn, "map_cpu_ms": cpu, "complete_ms": complete if complete != complete else max(drawn, complete),
                                  "resources": resources, "nav": nav,
                                  "page_resources": page_resources}
        if navigation:  # websocket frames in ms after the document's request (base64 length for binary)
            result["ws"] = [((t - navigation[0]) * 1000, n) for t, n in frames]
        events = json.loads(path.read_text())["traceEvents"] if trace and path.exists() else []
        path.unlink(missing_ok=True)
        thread = main_thread(events)
        if thread:
            # The trace clock's value of "now", then back to the moment the map was drawn.
            last = max(e["ts"] for e in events if "ts" in e and (e.get("pid"), e.get("tid")) == thread)
            t_end = last - (t_now - drawn) * 1000
            result["kinds"] = work_by_kind(events, thread, t_end)
            result["js"] = js_by_url(events, thread, t_end)
        return result
    finally:
        session.close()


def medians(visits: list[dict[str, Any]], key: str) -> dict[str, float]:
    keys = sorted({k for v in visits for k in v.get(key, {})})
    return {k: statistics.median([v.get(key, {}).get(k, 0.0) for v in visits]) for k in keys}


def report(visits: dict[str, list[dict[str, Any]]]) -> str:
    names = list(visits)
    lines = []
    for name in names:
        vs = visits[name]
        lines.append(f"{name}: time to map {statistics.median([v['map_ms'] for v in vs]):.0f} ms, "
                     f"main-thread CPU {statistics.median([v['map_cpu_ms'] or 0 for v in vs]):.0f} ms, "
                     f"map frame created at {statistics.median([v['nav'].get('iframeOrigin') or 0 for v in vs]):.0f} ms, "
                     f"page complete (map and filter controls) at "
                     f"{statistics.median([v.get('complete_ms') or v['map_ms'] for v in vs]):.0f} ms")
    med = {name: statistics.median([v["map_ms"] for v in visits[name]]) for name in names}
    lines += [f"time to map, {name} / {ref}: {med[name] / med[ref]:.2f}x"
              for ref in ("reference", "reference-uvicorn") if ref in med for name in names if name != ref]
    for key, title in (("kinds", "main-thread work by kind (ms, until drawn)"),
                       ("js", "JavaScript self time by script (ms)")):
        cols = {name: medians(visits[name], key) for name in names}
        if not any(cols.values()):
            continue
        app, ref = cols["app"], cols["reference"]
        rows = sorted(set().union(*cols.values()), key=lambda k: -(app.get(k, 0) - ref.get(k, 0)))
        lines += ["", f"| {title} | " + " | ".join(names) + " | app - ref |", "|---" * (len(names) + 2) + "|"]
        lines += [f"| {k} | " + " | ".join(f"{cols[n].get(k, 0):.1f}" for n in names)
                  + f" | {app.get(k, 0) - ref.get(k, 0):+.1f} |"
                  for k in rows if max(c.get(k, 0) for c in cols.values()) >= 2.0]
        lines.append("| total | " + " | ".join(f"{sum(cols[n].values()):.1f}" for n in names)
                     + f" | {sum(app.values()) - sum(ref.values()):+.1f} |")
    for name in names:
        vs = visits[name]
        chunk = [next((r for r in v.get("page_resources", []) if "/ComponentInstance." in r["name"]), None) for v in vs]
        chunk = [c for c in chunk if c]
        before = [sum(1 for r in v.get("page_resources", []) if r["start"] < (v["nav"].get("iframeOrigin") or 0))
                  for v in vs]
        if chunk:
            lines.append(f"{name}: the page made {statistics.median(before):.0f} requests before the map frame; "
                         f"its component chunk (ComponentInstance) requested at "
                         f"{statistics.median([c['start'] for c in chunk]):.0f} ms, loaded at "
                         f"{statistics.median([c['end'] for c in chunk]):.0f} ms (medians)")
    for name in names:
        last = visits[name][-1]
        lines += ["", f"{name}: the map frame's requests (last visit; ms from navigation start), drawn at "
                  f"{last['map_ms']:.0f} ms, map frame created at {last['nav'].get('iframeOrigin') or 0:.0f} ms"]
        lines += [f"  {r['start']:7.0f} - {r['end']:7.0f}  {r['bytes'] or 0:>8}  {r['name'][:90]}"
                  for r in last["resources"]]
        lines.append("  websocket frames received (ms after the document's request: bytes): " + ", ".join(
            f"{t:.0f}: {n}" for t, n in last.get("ws", []) if t <= last["map_ms"] + 50))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.ttmprofile", description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--app-root", type=Path, default=ROOT)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--no-trace", action="store_true", help="times and CPU only (no Chromium trace)")
    parser.add_argument("--variant", action="append", default=[], metavar="NAME=DIR",
                        help="also the app in DIR (a changed copy), interleaved with the others")
    parser.add_argument("--reference-variant", action="append", default=[], metavar="NAME=DIR",
                        help="also the reference app run with the geo package (assets) of DIR")
    parser.add_argument("--ab-uvicorn", action="store_true",
                        help="also the app and the reference served by uvicorn (TCP_NODELAY), interleaved")
    parser.add_argument("--maponly", action="store_true",
                        help="also the app's map frame alone (bench/maponly_app.py): the frame's share")
    args = parser.parse_args(argv)
    table = ROOT / "data" / "offices.csv"
    total, _ = table_counts(table)
    visits: dict[str, list[dict[str, Any]]] = {"app": [], "reference": []}
    with contextlib.ExitStack() as stack:
        stack.callback(servers.stop_all)
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-ttm-")))
        (tmp / "logs").mkdir()
        chromium = stack.enter_context(br.browser())
        targets = {
            "app": app_target(stack.enter_context(servers.app_server(tmp / "logs", table, args.app_root.resolve()))),
            "reference": reference_target(stack.enter_context(servers.reference_server(tmp / "logs", table))),
        }
        if args.maponly:
            only = stack.enter_context(servers.reference_server(tmp / "logs", table, args.app_root.resolve(),
                                                                "maponly_app.py"))
            targets["maponly"] = br.Target("maponly", only.url, br.APP_COUNT_JS, br.untick_app)
            visits["maponly"] = []
        for spec in args.variant:
            name, _sep, folder = spec.partition("=")
            server = stack.enter_context(servers.app_server(tmp / "logs", table, Path(folder).resolve()))
            targets[name] = br.Target(name, server.url, br.APP_COUNT_JS, br.untick_app)
            visits[name] = []
        for spec in args.reference_variant:
            name, _sep, folder = spec.partition("=")
            server = stack.enter_context(servers.reference_server(tmp / "logs", table, Path(folder).resolve()))
            targets[name] = br.Target(name, server.url, br.REFERENCE_COUNT_JS, br.untick_reference)
            visits[name] = []
        if args.ab_uvicorn:
            app_uv = stack.enter_context(servers.app_server(tmp / "logs", table, args.app_root.resolve(), "uvicorn"))
            ref_uv = stack.enter_context(servers.reference_server(tmp / "logs", table, via="uvicorn"))
            targets["app-uvicorn"] = br.Target("app-uvicorn", app_uv.url, br.APP_COUNT_JS, br.untick_app)
            targets["reference-uvicorn"] = br.Target("reference-uvicorn", ref_uv.url, br.REFERENCE_COUNT_JS,
                                                     br.untick_reference)
            visits["app-uvicorn"], visits["reference-uvicorn"] = [], []
        for i in range(args.runs + 1):
            for name in (list(targets) if i % 2 == 0 else list(targets)[::-1]):
                try:
                    result = visit(chromium, targets[name], total, tmp, trace=not args.no_trace)
                except br.MeasureError as err:
                    print(f"run {i} {name}: {err}", file=sys.stderr)
                    continue
                print(f"run {i} {name}: {result['map_ms']:.0f} ms, CPU {result['map_cpu_ms'] or 0:.0f} ms, "
                      f"complete {result['complete_ms']:.0f} ms",
                      file=sys.stderr)
                if i > 0:
                    visits[name].append(result)
    if args.out:
        args.out.write_text(json.dumps(visits, indent=1), encoding="utf-8")
    print(report(visits))
    return 0


if __name__ == "__main__":
    sys.exit(main())
