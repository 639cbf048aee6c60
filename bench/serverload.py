"""The server's side of a viewer (issue #15, item 4): CPU per page view and per filter change, memory
per additional session, and 20 concurrent sessions.

    python -m bench --only server-cpu [--views N] [--changes N]
    python -m bench --only memory [--offices 10000] [--extra-sessions 10]
    python -m bench --only concurrent [--sessions 20] [--session-views 3]
    python -m bench --only server-load          # all three, one report

Every figure is taken with psutil on the ``streamlit run`` process (and its children, if any):

* **server CPU**: user + system CPU time of the server around N page views (a fresh browser
  context opens the page and waits until every office is drawn, then the server goes quiet and the
  context is closed) and around N filter changes (the liaison offices unticked and ticked again, each
  a change, in one open page), divided by N; the app and bench/reference_app.py are measured in
  turns (app, reference, app, …) after one warm-up each, so a drift in the machine's load hits both.
* **memory**: resident memory (RSS) of the server right after start, with 1 session open (its map
  drawn) and with 1 + ``extra`` sessions open; (RSS with 11 − RSS with 1) / 10 per extra session.
* **concurrent**: bench/concurrent.py.

"The server is quiet" is a condition, not a pause: its CPU time grew by less than
``QUIET_CPU_MS`` in each of two consecutive ``QUIET_WINDOW_S`` windows.
"""

from __future__ import annotations

import contextlib
import os
import statistics
import sys
import time
from dataclasses import dataclass
from typing import Any

import psutil

from bench import browser as br
from bench.report import Figure, failed
from bench.servers import Server

QUIET_WINDOW_S = 0.25
QUIET_CPU_MS = 8.0
QUIET_TIMEOUT_S = 30.0
PARTS = ("server-cpu", "memory", "concurrent")


# --- the server process -------------------------------------------------------------------------


def _tree(server: Server) -> list[psutil.Process]:
    proc = psutil.Process(server.process.pid)
    return [proc, *proc.children(recursive=True)]


def server_cpu_s(server: Server) -> float:
    """User + system CPU seconds of the server process and its children so far."""
    total = 0.0
    for proc in _tree(server):
        with contextlib.suppress(psutil.Error):
            times = proc.cpu_times()
            total += times.user + times.system
    return total


def wait_quiet(server: Server, timeout_s: float = QUIET_TIMEOUT_S) -> bool:
    """Wait until the server's CPU time grows by < QUIET_CPU_MS in two windows in a row.

    Returns False (and stops waiting) after ``timeout_s``: a busy neighbour thread never settles.
    """
    deadline = time.monotonic() + timeout_s
    calm = 0
    last = server_cpu_s(server)
    while time.monotonic() < deadline:
        time.sleep(QUIET_WINDOW_S)  # the sampling period of the condition, not a fixed wait
        now = server_cpu_s(server)
        calm = calm + 1 if (now - last) * 1000 < QUIET_CPU_MS else 0
        last = now
        if calm >= 2:
            return True
    return False


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


# --- 1. CPU per page view and per filter change ---------------------------------------------------


@dataclass
class Side:
    """One of the two servers measured in turns, and what it has cost so far."""

    name: str
    server: Server
    target: br.Target
    toggles: tuple[Any, Any]  # (untick, tick again) of the liaison offices
    samples_ms: list[float]
    total_ms: float = 0.0
    count: int = 0
    error: str | None = None
    unsettled: int = 0  # how often the server did not go quiet within QUIET_TIMEOUT_S


def tick_reference(page: Any) -> None:
    """Put "Liaison office" back into the reference's multiselect."""
    page.locator('[data-testid="stMultiSelect"] input').first.click(timeout=10_000)
    page.get_by_role("option", name="Liaison office").first.click(timeout=10_000)
    page.keyboard.press("Escape")


def app_side(server: Server) -> Side:
    return Side("app", server, br.Target("app", server.url, br.APP_COUNT_JS, br.untick_app),
                (br.untick_app, br.untick_app), [])  # a second click ticks the box again


def reference_side(server: Server) -> Side:
    return Side("reference", server,
                br.Target("reference", server.url, br.REFERENCE_COUNT_JS, br.untick_reference),
                (br.untick_reference, tick_reference), [])


def one_view(browser: br.Browser, side: Side, total: int, timeout_ms: float) -> float:
    """Server CPU ms of one page view: open, every office drawn, server quiet, close."""
    session = browser.session()
    try:
        wait_quiet(side.server)
        before = server_cpu_s(side.server)
        br.time_to_map(session, side.target, total, timeout_ms)
        side.unsettled += not wait_quiet(side.server)
        return (server_cpu_s(side.server) - before) * 1000
    finally:
        session.close()


def cpu_per_view(browser: br.Browser, sides: list[Side], total: int, views: int,
                 timeout_ms: float = 90_000) -> None:
    """One warm-up view per side, then ``views`` views per side in turns; the total includes the
    closing of each context (the server drops the session)."""
    for side in sides:
        try:
            one_view(browser, side, total, timeout_ms)
        except Exception as err:
            side.error = failed(err)
    for i in range(views):
        for side in sides if i % 2 == 0 else sides[::-1]:
            if side.error:
                continue
            start = server_cpu_s(side.server)
            try:
                side.samples_ms.append(one_view(browser, side, total, timeout_ms))
                side.unsettled += not wait_quiet(side.server)  # the session's closing, counted too
            except Exception as err:
                side.error = failed(err)
                continue
            side.total_ms += (server_cpu_s(side.server) - start) * 1000
            side.count += 1


def cpu_per_change(browser: br.Browser, sides: list[Side], total: int, after: int, changes: int,
                   timeout_ms: float = 90_000) -> None:
    """In one open page per side: untick the liaison offices, tick them again, … (each a change);
    the first two changes warm up and are dropped."""
    sessions: dict[str, br.Session] = {}
    try:
        for side in sides:
            try:
                sessions[side.name] = session = browser.session()
                br.time_to_map(session, side.target, total, timeout_ms)
            except Exception as err:
                side.error = failed(err)
        for i in range(changes + 2):
            expected = after if i % 2 == 0 else total
            for side in sides if (i // 2) % 2 == 0 else sides[::-1]:
                if side.error:
                    continue
                page = sessions[side.name].page
                try:
                    side.unsettled += not wait_quiet(side.server)
                    before = server_cpu_s(side.server)
                    side.toggles[i % 2](page)
                    br.wait_count(sessions[side.name], side.target.count_js, expected, timeout_ms)
                    side.unsettled += not wait_quiet(side.server)
                except Exception as err:
                    side.error = failed(err)
                    continue
                if i >= 2:
                    spent = (server_cpu_s(side.server) - before) * 1000
                    side.samples_ms.append(spent)
                    side.total_ms += spent
                    side.count += 1
    finally:
        for session in sessions.values():
            session.close()


def cpu_figure(name: str, sides: list[Side], goal: str = "—", limit: float | None = None) -> Figure:
    """Total CPU / N for each side (one value each); per-view median and range in the note."""
    figure = Figure(name, "ms", "reference app (bench/reference_app.py)", goal=goal,
                    check=(lambda a, r, q: q is not None and q <= limit) if limit else None)
    notes = []
    for side in sides:
        if side.error and not side.count:
            value: list[float] | str = side.error
        else:
            value = [side.total_ms / side.count] if side.count else "failed: no sample"
            spread = sorted(side.samples_ms) or [0.0]
            notes.append(f"{side.name}: total {side.total_ms:,.0f} ms / {side.count}; each "
                         f"{statistics.median(spread):.0f} ms median ({spread[0]:.0f}–{spread[-1]:.0f})"
                         + (f"; stopped early: {side.error}" if side.error else "")
                         + (f"; server not quiet {side.unsettled}x within {QUIET_TIMEOUT_S:.0f} s"
                            if side.unsettled else ""))
        setattr(figure, "app" if side.name == "app" else "reference", value)
    figure.note = "Server user+system CPU (psutil). " + "; ".join(notes) + "."
    figure.extra = {s.name: {"samples_ms": s.samples_ms, "total_ms": s.total_ms, "n": s.count,
                             "error": s.error, "unsettled": s.unsettled} for s in sides}
    return figure


def server_cpu(browser: br.Browser, app: Server, reference: Server, total: int, after: int,
               views: int, changes: int) -> list[Figure]:
    """Rows 5a and 5b: the app against the reference, CPU per page view and per filter change."""
    view_sides = [app_side(app), reference_side(reference)]
    cpu_per_view(browser, view_sides, total, views)
    change_sides = [app_side(app), reference_side(reference)]
    cpu_per_change(browser, change_sides, total, after, changes)
    return [
        cpu_figure(f"5. Server CPU per page view, {total} offices", view_sides,
                   goal="ratio ≤ 1.5", limit=1.5),
        cpu_figure(f"5. Server CPU per filter change, {total} ↔ {after} offices", change_sides),
    ]


# --- 2. memory per additional session ----------------------------------------------------------


def memory_per_session(browser: br.Browser, server: Server, target: br.Target, total: int,
                       extra: int = 10, timeout_ms: float = 180_000) -> dict[str, Any]:
    """RSS (MB) after start, with 1 session, with 1 + ``extra`` sessions (each map drawn, server
    quiet), and after closing them; per extra session = (RSS with 1 + extra − RSS with 1) / extra."""
    sessions: list[br.Session] = []
    try:
        wait_quiet(server)
        start = server.rss_bytes() / 1e6
        sessions.append(browser.session())
        br.time_to_map(sessions[0], target, total, timeout_ms)
        wait_quiet(server)
        one = server.rss_bytes() / 1e6
        more = [browser.session() for _ in range(extra)]
        sessions.extend(more)
        for session in more:  # all open at once, then each waits for its map
            session.page.goto(target.url, wait_until="commit", timeout=timeout_ms)
        for session in more:
            br.wait_count(session, target.count_js, total, timeout_ms)
        wait_quiet(server)
        many = server.rss_bytes() / 1e6
    finally:
        for session in sessions:
            session.close()
    wait_quiet(server)
    closed = server.rss_bytes() / 1e6
    return {"start_mb": start, "one_session_mb": one, "sessions": 1 + extra,
            "many_sessions_mb": many, "after_closing_mb": closed,
            "per_extra_session_mb": (many - one) / extra}


def memory_figure(result: dict[str, Any] | str, offices: int) -> Figure:
    figure = Figure(f"4. Server memory per additional session, {offices:,} offices", "MB",
                    "", goal="≤ 5 MB", check=lambda a, r, q: a <= 5)
    if isinstance(result, str):
        figure.app = result
        return figure
    per = result["per_extra_session_mb"]
    figure.app = [per]
    figure.extra = result
    n = result["sessions"]
    figure.note = (f"RSS {result['start_mb']:,.0f} MB after start, {result['one_session_mb']:,.0f} MB with "
                   f"1 session, {result['many_sessions_mb']:,.0f} MB with {n} sessions open: "
                   f"({result['many_sessions_mb']:,.0f} − {result['one_session_mb']:,.0f}) / {n - 1} = "
                   f"{per:.1f} MB per extra session; {result['after_closing_mb']:,.0f} MB after closing them.")
    return figure


# --- 3. concurrent sessions --------------------------------------------------------------------


def concurrent_figures(result: dict[str, Any] | str, total: int, sessions: int, views: int) -> list[Figure]:
    """Rows 6: errors, p50, p95 and server CPU per view, against one session alone on the same server."""
    head = f"6. {sessions} concurrent sessions × {views} views, {total} offices"
    label = "1 session alone, same server"
    errors = Figure(f"{head}: failed views", "views", label, goal="0", check=lambda a, r, q: a == 0)
    p50 = Figure(f"{head}: time to map per view, p50", "ms", label)
    p95 = Figure(f"{head}: time to map per view, p95", "ms", label)
    cpu = Figure(f"{head}: server CPU per view", "ms", label)
    figures = [errors, p50, p95, cpu]
    if isinstance(result, str):
        for figure in figures:
            figure.app = result
        return figures
    for key, mine in (("alone", "reference"), ("concurrent", "app")):
        phase = result[key]
        setattr(errors, mine, [phase["errors"]])
        for figure, field in ((p50, "p50_ms"), (p95, "p95_ms"), (cpu, "server_cpu_per_view_ms")):
            setattr(figure, mine, [phase[field]] if phase[field] is not None else "failed: no view drawn")
    together = result["concurrent"]
    share = together["machine"]["share_pct"]
    used = together["machine"]["cpu_s"]
    errors.note = (f"{together['views_done']} of {sessions * views} views drawn; "
                   f"{together['page_errors']} JavaScript errors"
                   + (f"; first failures: {together['error_samples']}" if together["error_samples"] else ""))
    p50.note = (f"Over {together['machine']['wall_s']:.0f} s wall on {together['machine']['cores']} logical "
                f"cores, share of the machine's CPU: browsers (Chromium) {share['browsers']:.0f}% "
                f"({used['browsers']:.0f} CPU s), Streamlit server {share['server']:.0f}% "
                f"({used['server']:.0f} CPU s), Playwright driver {share['driver']:.0f}%, everything else "
                f"{share['rest']:.0f}% (other users of the machine); machine busy {share['machine_busy']:.0f}%. "
                f"Alone: browsers {result['alone']['machine']['share_pct']['browsers']:.0f}%, server "
                f"{result['alone']['machine']['share_pct']['server']:.0f}%.")
    p95.note = "Nearest-rank p95 over every view drawn; time from navigation start to every office drawn."
    cpu.note = (f"Server user+system CPU over the phase ({together['server_cpu_ms'] / 1000:.1f} s) / views drawn.")
    p50.extra = result
    return figures


# --- the command ---------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> Any:
    import argparse

    from bench import synthetic

    parser = argparse.ArgumentParser(prog="python -m bench --only server-cpu|memory|concurrent|server-load",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("parts", nargs="?", default="server-load",
                        help="server-cpu, memory, concurrent, or server-load (all three); comma-separated")
    parser.add_argument("--views", type=int, default=10, help="page views per app for the CPU figure")
    parser.add_argument("--changes", type=int, default=10, help="filter changes per app for the CPU figure")
    parser.add_argument("--offices", type=int, default=10_000, help="synthetic table size for memory")
    parser.add_argument("--extra-sessions", type=int, default=10, help="sessions opened after the first")
    parser.add_argument("--sessions", type=int, default=20, help="concurrent sessions")
    parser.add_argument("--session-views", type=int, default=3, help="views per concurrent session")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--app-ref", default=None, metavar="GITREF", help="the app as committed at GITREF")
    where.add_argument("--app-root", default=None, metavar="DIR", help="the app in DIR")
    parser.add_argument("--out", default=None, help="folder for serverload.md/.json (bench/results)")
    parser.add_argument("--seed", type=int, default=synthetic.SEED)
    args = parser.parse_args(argv)
    parts = set(args.parts.replace("server-load", ",".join(PARTS)).split(","))
    unknown = parts - set(PARTS)
    if unknown:
        parser.error(f"unknown part(s) {', '.join(sorted(unknown))}: choose from {', '.join(PARTS)}, server-load")
    args.parts = [p for p in PARTS if p in parts]
    return args


def measure(args: Any, root: Any, tmp: Any, browser: br.Browser | str) -> list[Figure]:
    """The chosen parts, each guarded: a failure fills its rows with "failed: why"."""
    from bench import servers, synthetic
    from bench.run import BASE_TABLE, log, table_counts

    logs = tmp / "logs"
    logs.mkdir(exist_ok=True)
    base = root / BASE_TABLE
    total, liaison = table_counts(base)
    figures: list[Figure] = []
    if "server-cpu" in args.parts:
        log(f"server CPU: {args.views} page views and {args.changes} filter changes each, app and reference "
            f"(load average {load_average()})")
        try:
            if isinstance(browser, str):
                raise RuntimeError(browser)
            with servers.app_server(logs, base, root) as app, servers.reference_server(logs, base, root) as ref:
                figures += server_cpu(browser, app, ref, total, total - liaison, args.views, args.changes)
        except Exception as err:
            for name in ("page view", "filter change"):
                figures.append(Figure(f"5. Server CPU per {name}, {total} offices", "ms", "reference app",
                                      app=failed(err)))
    if "memory" in args.parts:
        log(f"memory: {args.offices:,} offices, 1 then {1 + args.extra_sessions} sessions "
            f"(load average {load_average()})")
        try:
            if isinstance(browser, str):
                raise RuntimeError(browser)
            table = synthetic.write_table(args.offices, tmp / "tables", args.seed)
            n, _liaison = table_counts(table)
            with servers.app_server(logs, table, root) as app:
                target = br.Target("app", app.url, br.APP_COUNT_JS, br.untick_app)
                result: dict[str, Any] | str = memory_per_session(browser, app, target, n, args.extra_sessions)
        except Exception as err:
            result = failed(err)
        figures.append(memory_figure(result, args.offices))
    if "concurrent" in args.parts:
        from bench import concurrent

        log(f"concurrent: 1 session alone, then {args.sessions} sessions × {args.session_views} views "
            f"(load average {load_average()})")
        try:
            if isinstance(browser, str):
                raise RuntimeError(browser)
            with servers.app_server(logs, base, root) as app:
                outcome: dict[str, Any] | str = concurrent.run(browser, app, total, args.sessions,
                                                               args.session_views)
        except Exception as err:
            outcome = failed(err)
        figures += concurrent_figures(outcome, total, args.sessions, args.session_views)
    return figures


def main(argv: list[str] | None = None) -> int:
    import subprocess
    import tempfile
    from pathlib import Path

    from bench import report, servers
    from bench.run import RESULTS, install_signal_handlers, log

    args = parse_args(argv)
    install_signal_handlers()  # SIGTERM stops the servers too
    started = time.monotonic()
    info = report.machine()
    settings: dict[str, Any] = {"argv": "--only " + " ".join(sys.argv[1:] if argv is None else argv),
                                "runs": args.views, "parts": args.parts}
    with contextlib.ExitStack() as stack:
        stack.callback(servers.stop_all)
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-serverload-")))
        if args.app_ref:
            root = stack.enter_context(servers.snapshot(args.app_ref))
            commit = subprocess.run(["git", "-C", str(servers.ROOT), "rev-parse", "--short", args.app_ref],
                                    capture_output=True, text=True, timeout=20).stdout.strip()
            settings["code"] = f"snapshot of {args.app_ref} ({commit})"
        else:
            root = Path(args.app_root).resolve() if args.app_root else servers.ROOT
            settings["code"] = str(root) if args.app_root else "working tree"
        try:
            chromium: br.Browser | str = stack.enter_context(br.browser())
            info["chromium_playwright"] = chromium.version
        except Exception as err:
            chromium = failed(err)
        figures = measure(args, root, tmp, chromium)
    settings["duration_s"] = time.monotonic() - started
    info["load_average_at_end"] = load_average()
    settings["intro"] = (
        "Server figures of issue #15, psutil on the `streamlit run` process (user + system CPU, RSS). "
        "CPU rows: total CPU over N page views (or filter changes) / N, app and reference in turns in the "
        "same run, after a warm-up; the ratio is app / reference. Load average (1, 5, 15 min) at start "
        f"{info['load_average_at_start']}, at end {info['load_average_at_end']}: the machine is shared, "
        "so compare only the figures of one run.")
    out = Path(args.out) if args.out else RESULTS
    text = report.write(out, figures, info, settings, stem="serverload",
                        title="Benchmark: the server's side of a viewer (issue #15)")
    print(text)
    log(f"done in {(time.monotonic() - started) / 60:.1f} min; wrote {out / 'serverload.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
