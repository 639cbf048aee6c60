"""Concurrent sessions against one server (issue #15): errors, time to map per view (p50/p95), the
server's CPU per view, and who used the machine's CPU meanwhile (server, browsers, the rest).

The benchmark's Chromium (background throttling off, bench/browser.py), one context per session,
driven from one thread: first one session alone does ``views`` views (the reference, same server),
then ``sessions`` sessions start a quarter of a second apart and each does ``views`` views: open the
page (a reload after the first) until every office is drawn. The page itself times each view
(``performance.now()`` at the first 100 ms count that sees every office, 0 = navigation start; an
init script), so the benchmark asking the pages in turn does not distort the times.

CPU: psutil, sampled every half second on every process this benchmark started (each pid's user +
system time since it was first seen or since the phase began), and ``psutil.cpu_times()`` for the
whole machine; shares are of the machine's capacity (wall time × logical cores). "Browsers" are the
Chromium processes, "driver" Playwright's node process, "rest" everything else that ran meanwhile
(other users of a shared machine included).
"""

from __future__ import annotations

import contextlib
import math
import os
import statistics
import threading
import time
from dataclasses import dataclass
from typing import Any

import psutil

from bench import browser as br
from bench.servers import Server

POLL_MS = 100  # in the page: how often it counts the offices drawn
ROUND_S = 0.2  # in the benchmark: how often it asks each page whether its view is drawn
SAMPLE_S = 0.5
START_SPACING_S = 0.25
# Every frame gets this; the top page records performance.now() when it first counts every office.
DRAWN_INIT = """(() => {
    if (window !== window.top) return;
    const expected = %d;
    const count = %s;
    const timer = setInterval(() => {
        let n = -1;
        try { n = count(); } catch (e) { n = -1; }
        if (n === expected) { window.__benchDrawnAt = performance.now(); clearInterval(timer); }
    }, %d);
})();"""


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(q / 100 * len(ordered))))
    return ordered[rank - 1]


class CpuWatch:
    """CPU seconds per kind of process (server, browser, driver) between start() and stop()."""

    def __init__(self, server: Server):
        self.server_pid = server.process.pid
        self.first: dict[tuple[int, float], float] = {}
        self.last: dict[tuple[int, float], float] = {}
        self.kind: dict[tuple[int, float], str] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _classify(self, proc: psutil.Process) -> str:
        name = proc.name().lower()
        if proc.pid == self.server_pid or any(p.pid == self.server_pid for p in proc.parents()):
            return "server"
        if "chrom" in name or "headless" in name:
            return "browsers"
        if "node" in name or "playwright" in name:
            return "driver"
        return "other"  # e.g. a second server of the benchmark

    def sample(self) -> None:
        for proc in psutil.Process().children(recursive=True):
            with contextlib.suppress(psutil.Error):
                key = (proc.pid, proc.create_time())
                times = proc.cpu_times()
                used = times.user + times.system
                if key not in self.first:
                    # Born during the phase: all its time counts; seen at the start: from there on.
                    self.first[key] = used if self.started_wall > key[1] else 0.0
                    self.kind[key] = self._classify(proc)
                self.last[key] = used

    def _run(self) -> None:
        while not self._stop.wait(SAMPLE_S):
            self.sample()

    def start(self) -> None:
        self.started_wall = time.time()
        self.machine0 = psutil.cpu_times()
        self.started = time.monotonic()
        self.sample()
        self._thread.start()

    def stop(self) -> dict[str, Any]:
        self._stop.set()
        self._thread.join()
        self.sample()
        wall = time.monotonic() - self.started
        machine = psutil.cpu_times()
        fields = machine._fields
        total = sum(getattr(machine, f) - getattr(self.machine0, f) for f in fields if f != "guest"
                    and f != "guest_nice")  # guest time is already in user
        idle = sum(getattr(machine, f) - getattr(self.machine0, f) for f in ("idle", "iowait") if f in fields)
        used: dict[str, float] = {"server": 0.0, "browsers": 0.0, "driver": 0.0, "other": 0.0}
        for key, last in self.last.items():
            used[self.kind[key]] += max(0.0, last - self.first[key])
        busy = total - idle
        shares = {k: v / total * 100 for k, v in used.items()} if total else {}
        shares["machine_busy"] = busy / total * 100 if total else 0.0
        shares["rest"] = max(0.0, shares["machine_busy"] - sum(shares[k] for k in used))
        return {"wall_s": wall, "cpu_s": used, "machine_cpu_s": total, "machine_busy_s": busy,
                "share_pct": shares, "cores": os.cpu_count()}


@dataclass
class View:
    """One session of the load and the view it is waiting for."""

    session: br.Session
    left: int
    opened: float = 0.0
    done: bool = False


def _open(view: View, url: str, out: dict[str, list]) -> None:
    view.opened = time.monotonic()
    try:
        view.session.page.goto(url, wait_until="commit", timeout=60_000)
    except Exception as err:
        out["errors"].append(_why(err))
        _next(view, url, out)


def _next(view: View, url: str, out: dict[str, list]) -> None:
    view.left -= 1
    if view.left > 0:
        _open(view, url, out)
    else:
        view.done = True


def _why(err: BaseException) -> str:
    text = str(err).strip()
    return text.splitlines()[0][:200] if text else type(err).__name__


def _poll(view: View, url: str, timeout_s: float, out: dict[str, list]) -> None:
    """Has this view drawn every office? Record its time and start the next view; or time it out."""
    try:
        drawn = view.session.page.evaluate("window.__benchDrawnAt ?? null")
    except Exception:
        drawn = None  # navigating: ask again at the next round
    if drawn is not None:
        out["times_ms"].append(float(drawn))
        _next(view, url, out)
    elif view.session.crashed or time.monotonic() - view.opened > timeout_s:
        out["errors"].append("tab crashed" if view.session.crashed else f"not drawn in {timeout_s:.0f} s")
        _next(view, url, out)


def phase(browser: br.Browser, server: Server, sessions: int, views: int, total: int,
          timeout_s: float) -> dict[str, Any]:
    """``sessions`` sessions, started START_SPACING_S apart, each doing ``views`` views."""
    from bench.serverload import server_cpu_s, wait_quiet

    out: dict[str, list] = {"times_ms": [], "errors": []}
    live: list[View] = []
    wait_quiet(server)
    watch = CpuWatch(server)
    cpu0 = server_cpu_s(server)
    watch.start()
    try:
        for _ in range(sessions):
            session = browser.session()
            session.context.add_init_script(DRAWN_INIT % (int(total), br.APP_COUNT_JS, POLL_MS))
            live.append(View(session, views))
            _open(live[-1], server.url, out)
            time.sleep(START_SPACING_S)  # the load's start spacing, not a wait for a result
        while not all(v.done for v in live):
            for view in live:
                if not view.done:
                    _poll(view, server.url, timeout_s, out)
            time.sleep(ROUND_S)  # the polling period of the condition above
        wait_quiet(server)
    finally:
        machine = watch.stop()
        page_errors = [e for v in live for e in v.session.errors]
        for view in live:
            view.session.close()
    server_ms = (server_cpu_s(server) - cpu0) * 1000
    times = out["times_ms"]
    done = len(times)
    return {
        "sessions": sessions, "views_per_session": views, "views_done": done,
        "errors": len(out["errors"]), "error_samples": out["errors"][:3],
        "page_errors": len(page_errors), "page_error_samples": page_errors[:3],
        "times_ms": times,
        "p50_ms": statistics.median(times) if times else None,
        "p95_ms": percentile(times, 95) if times else None,
        "server_cpu_ms": server_ms,
        "server_cpu_per_view_ms": server_ms / done if done else None,
        "machine": machine,
    }


def run(browser: br.Browser, server: Server, total: int, sessions: int = 20, views: int = 3,
        timeout_s: float = 240.0) -> dict[str, Any]:
    """One session alone (the reference), then ``sessions`` at once, on the same server; one view
    before them warms the server up (imports, caches) and is dropped."""
    phase(browser, server, 1, 1, total, timeout_s)
    return {"alone": phase(browser, server, 1, views, total, timeout_s),
            "concurrent": phase(browser, server, sessions, views, total, timeout_s)}
