"""The benchmark of issue #6 ("Speed and scale"): ``python -m bench [--runs N] [--quick]``.

Every figure is measured in the same run next to a reference, over several runs, and printed as a
Markdown table (also written to bench/results/latest.md and latest.json):

1. time to map: opening the page in headless Chromium until every office is drawn, the app
   (``streamlit run app.py``) against bench/reference_app.py (plain CircleMarkers), 14 offices;
2. filter round trip: unticking the liaison offices until the map shows the rest, same pair;
3. scale (synthetic tables of 1,000, 10,000 and 100,000 offices, bench/synthetic.py): server-side
   build + serialisation and bytes (against one folium.Marker per office), websocket bytes, time
   to map and filter round trip (against the app's 14-office figures), and at 100,000 whether the
   tab stays responsive while loading;
4. memory: the app server's resident memory after 10 browser sessions at 10,000 offices.

A measurement that fails prints "failed: why" in its cell; every server started is stopped and
every temporary folder removed, also on Ctrl-C.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import browser as br
from bench import report, servers, synthetic
from bench.report import Figure, failed

RESULTS = Path(__file__).resolve().parent / "results"
BASE_TABLE = "data/offices.csv"


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- settings ----------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=None, help="measured runs per figure (default 5; 3 with --quick)")
    parser.add_argument("--quick", action="store_true",
                        help="fewer runs, 100,000 offices only server-side and one browser load (under ~4 min)")
    parser.add_argument("--sizes", default=None,
                        help="comma-separated synthetic table sizes (default 1000,10000,100000)")
    parser.add_argument("--app-ref", default=None, metavar="GITREF",
                        help="benchmark the app as committed at GITREF (a `git archive` snapshot) "
                             "instead of the working tree")
    parser.add_argument("--out", type=Path, default=RESULTS, help="where latest.md and latest.json go")
    parser.add_argument("--seed", type=int, default=synthetic.SEED)
    args = parser.parse_args(argv)
    args.runs = max(1, args.runs if args.runs is not None else (3 if args.quick else 5))
    args.sizes = tuple(int(s) for s in args.sizes.split(",")) if args.sizes else synthetic.SIZES
    return args


# --- server side (child processes) -------------------------------------------------------------


def serverside(root: Path, approach: str, table: Path, runs: int, timeout: float) -> dict[str, Any]:
    """bench.serverside in a child process with the app's code on its path; one warm-up run dropped."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root), str(Path(__file__).resolve().parent.parent)])}
    try:
        done = subprocess.run(
            [sys.executable, "-m", "bench.serverside", approach, str(table), "--runs", str(runs + 1)],
            cwd=root, env=env, capture_output=True, text=True, timeout=timeout,
        )
    except subprocess.TimeoutExpired as err:
        raise RuntimeError(f"timeout {timeout:.0f} s") from err
    if done.returncode != 0:
        tail = [line for line in done.stderr.splitlines() if line.strip()][-1:] or [f"exit {done.returncode}"]
        raise RuntimeError(tail[0])
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["warmup_ms"] = result["times_ms"].pop(0)
    return result


# --- browser helpers ---------------------------------------------------------------------------


def table_counts(path: Path) -> tuple[int, int]:
    """(placed offices, placed liaison offices) in the table, as the app will draw them."""
    import csv

    with path.open(encoding="utf-8", newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r.get("latitude") and r.get("longitude")]
    return len(rows), sum(1 for r in rows if r.get("office_type") == "liaison_office")


def app_target(server: servers.Server) -> br.Target:
    return br.Target("app", server.url, br.APP_COUNT_JS, br.untick_app)


def reference_target(server: servers.Server) -> br.Target:
    return br.Target("reference", server.url, br.REFERENCE_COUNT_JS, br.untick_reference)


def one_visit(browser: br.Browser, target: br.Target, total: int, after: int, timeout_ms: float) -> dict[str, Any]:
    """Open the page, wait for the map, untick the liaison offices: times and websocket bytes."""
    session = browser.session()
    try:
        visit: dict[str, Any] = {}
        try:
            visit["map_ms"] = br.time_to_map(session, target, total, timeout_ms)
            visit["load_ws_bytes"] = session.ws_bytes()
        except Exception as err:
            visit["map_error"] = failed(err)
            return visit
        before = session.ws_bytes()
        try:
            visit["filter_ms"] = br.filter_round_trip(session, target, after, timeout_ms)
            visit["filter_ws_bytes"] = session.ws_bytes() - before
        except Exception as err:
            visit["filter_error"] = failed(err)
        visit["longest_task_ms"] = br.longest_task_ms(session)
        return visit
    finally:
        session.close()


def samples(visits: list[dict[str, Any]], key: str) -> list[float] | str:
    """The values of ``key`` over the visits, or the first failure (with how many runs failed)."""
    values = [v[key] for v in visits if v.get(key) is not None]
    errors = [v.get(f"{key.split('_')[0]}_error") or v.get("map_error") for v in visits if v.get(key) is None]
    errors = [e for e in errors if e]
    if errors and len(values) < max(1, len(visits) // 2 + 1):
        return f"{errors[0]} ({len(errors)} of {len(visits)} runs)"
    return values or (errors[0] if errors else "failed: no run")


# --- the run -----------------------------------------------------------------------------------


class Run:
    def __init__(self, args: argparse.Namespace, root: Path, tmp: Path):
        self.args = args
        self.root = root
        self.tmp = tmp
        self.logs = tmp / "logs"
        self.logs.mkdir()
        self.figures: list[Figure] = []
        self.base_table = root / BASE_TABLE
        self.tables: dict[int, Path] = {}
        self.app14: dict[str, Figure] = {}

    def add(self, figure: Figure) -> Figure:
        self.figures.append(figure)
        return figure

    # 1 and 2: the 14-office app against the reference app --------------------------------------
    def small(self, browser: br.Browser | str) -> None:
        total, liaison = table_counts(self.base_table)
        after = total - liaison
        ttm = self.add(Figure(
            f"1. Time to map, {total} offices", "ms", "reference app (CircleMarkers)",
            goal="ratio ≤ 1.25", check=lambda a, r, q: q is not None and q <= 1.25, paired=True))
        flt = self.add(Figure(
            f"2. Filter round trip, {total} → {after} offices", "ms", "reference app (multiselect)",
            goal="ratio ≤ 1.25", check=lambda a, r, q: q is not None and q <= 1.25, paired=True))
        self.app14 = {"map": ttm, "filter": flt}
        if isinstance(browser, str):
            ttm.app = ttm.reference = flt.app = flt.reference = browser
            return
        runs = self.args.runs
        log(f"time to map and filter, {total} offices: app and reference, 1 warm-up + {runs} runs")
        visits: dict[str, list[dict[str, Any]]] = {"app": [], "reference": []}
        with contextlib.ExitStack() as stack:
            targets: dict[str, br.Target | str] = {}
            for name, factory, make in (("app", servers.app_server, app_target),
                                        ("reference", servers.reference_server, reference_target)):
                try:
                    targets[name] = make(stack.enter_context(factory(self.logs, self.base_table, self.root)))
                except Exception as err:
                    targets[name] = failed(err)
            for i in range(runs + 1):
                # Alternate who goes first, so a drift in the machine's load hits both alike.
                order = ("app", "reference") if i % 2 == 0 else ("reference", "app")
                for name in order:
                    target = targets[name]
                    if isinstance(target, str):
                        continue
                    visit = one_visit(browser, target, total, after, 60_000)
                    if i > 0:  # run 0 warms up the server (imports, caches) and is dropped
                        visits[name].append(visit)
        for name, figure_map, figure_filter in (("app", ttm, flt), ("reference", ttm, flt)):
            target = targets[name]
            for figure, key in ((figure_map, "map_ms"), (figure_filter, "filter_ms")):
                value = target if isinstance(target, str) else samples(visits[name], key)
                setattr(figure, name, value)
        ws = {name: [v["load_ws_bytes"] for v in vs if "load_ws_bytes" in v] for name, vs in visits.items()}
        ttm.extra = {"visits": visits}
        if ws["app"] and ws["reference"]:
            ttm.note = (f"websocket bytes received while loading: app {report.fmt(statistics.median(ws['app']), 'bytes')}, "
                        f"reference {report.fmt(statistics.median(ws['reference']), 'bytes')}.")

    # 3a: server-side build and serialisation ---------------------------------------------------
    def server_side(self) -> None:
        for n in self.args.sizes:
            table = self.tables.get(n)
            build = self.add(Figure(
                f"3. Server build + serialise, {n:,} offices", "ms", "one folium.Marker per office",
                **self._goal_build(n)))
            sent = self.add(Figure(
                f"3. Map bytes to browser, {n:,} offices", "bytes", "one folium.Marker per office (HTML)",
                **self._goal_bytes(n)))
            if table is None:
                build.app = build.reference = sent.app = sent.reference = "failed: no table"
                continue
            runs = self.args.runs
            log(f"server-side build, {n:,} offices: app x{runs}")
            try:
                result = serverside(self.root, "app", table, runs, timeout=60 + n / 200)
                build.app = result["times_ms"]
                sent.app = [result["bytes"]]
                sent.extra = {"parts": result.get("parts", {})}
            except Exception as err:
                build.app = sent.app = failed(err)
            marker_runs = runs if n <= 1_000 else min(runs, 3) if n <= 10_000 else 1
            if n > 10_000 and self.args.quick:
                build.reference = sent.reference = "skipped (--quick)"
                continue
            log(f"server-side build, {n:,} offices: per-marker folium x{marker_runs}")
            try:
                result = serverside(self.root, "per-marker", table, marker_runs if n <= 10_000 else 0,
                                    timeout=120 + n / 250)
                # At 100,000 the single (warm-up) run is the sample: it is long enough for import
                # costs not to matter.
                build.reference = result["times_ms"] or [result["warmup_ms"]]
                sent.reference = [result["bytes"]]
                if n > 10_000:
                    build.note = "per-marker folium measured once (no warm-up) at this size."
            except Exception as err:
                build.reference = sent.reference = failed(err)

    @staticmethod
    def _goal_build(n: int) -> dict[str, Any]:
        if n == 10_000:
            return {"goal": "< 300 ms and ≥ 30x faster (ratio ≤ 0.033)",
                    "check": lambda a, r, q: a < 300 and q is not None and q <= 1 / 30}
        return {}

    @staticmethod
    def _goal_bytes(n: int) -> dict[str, Any]:
        if n == 10_000:
            return {"goal": "< 2 MB", "check": lambda a, r, q: a < 2e6}
        return {}

    # 3b, 3c and 4: the app on the synthetic tables in the browser ------------------------------
    def scale_browser(self, browser: br.Browser | str) -> None:
        ref_map = self.app14.get("map")
        ref_filter = self.app14.get("filter")
        for n in self.args.sizes:
            table = self.tables.get(n)
            big = n > 10_000
            runs = 1 if (big and self.args.quick) else min(self.args.runs, 3) if big else self.args.runs
            ttm = self.add(Figure(
                f"3. Time to map, {n:,} offices", "ms", "app, 14 offices (row 1)",
                **({"goal": "< 2x (ratio < 2)", "check": lambda a, r, q: q is not None and q < 2}
                   if n == 10_000 else {})))
            flt = self.add(Figure(f"3. Filter round trip, {n:,} offices", "ms", "app, 14 offices (row 2)"))
            ws = self.add(Figure(f"3. Websocket bytes, page load, {n:,} offices", "bytes",
                                 "map bytes (server side, above)"))
            usable = self.add(Figure(
                f"3. Slowest page.evaluate while loading, {n:,} offices", "ms",
                "same probe, app, 14 offices",
                **({"goal": "drawn, no crash, < 1,000 ms", "check": lambda a, r, q: a < 1000} if big else {})))
            memory = None
            if n == 10_000:
                memory = self.add(Figure(
                    "4. Server memory after 10 sessions, 10,000 offices", "MB", "right after start",
                    goal="—"))
            # The reference of the scale rows is the app's 14-office figure (median).
            for figure, source in ((ttm, ref_map), (flt, ref_filter)):
                figure.reference = [source.app_median()] if source and source.app_median() else (
                    "failed: no 14-office figure")
            sent = next((f for f in self.figures if f.name == f"3. Map bytes to browser, {n:,} offices"), None)
            ws.reference = sent.app if sent and isinstance(sent.app, list) else "—"
            if isinstance(browser, str) or table is None:
                reason = browser if isinstance(browser, str) else "failed: no table"
                for figure in (ttm, flt, ws, usable, *([memory] if memory else [])):
                    figure.app = reason
                continue
            total, liaison = table_counts(table)
            timeout_ms = 60_000 + n * 2.5  # 100,000 offices: ~5 min
            try:
                server_cm = servers.app_server(self.logs, table, self.root)
                server = server_cm.__enter__()
            except Exception as err:
                for figure in (ttm, flt, ws, usable, *([memory] if memory else [])):
                    figure.app = failed(err)
                continue
            try:
                target = app_target(server)
                if memory is not None:
                    self._memory(browser, server, target, total, timeout_ms, memory)
                log(f"browser, {n:,} offices: 1 warm-up + {runs} runs")
                visits = []
                for i in range(runs + 1):
                    if not server.alive():
                        visits.append({"map_error": "failed: the server died"})
                        break
                    visit = one_visit(browser, target, total, total - liaison, timeout_ms)
                    if i > 0 or (i == 0 and "map_error" in visit):
                        visits.append(visit)
                        if "map_error" in visit and i == 0:
                            break  # the warm-up could not draw the map: do not insist
                ttm.app = samples(visits, "map_ms")
                flt.app = samples(visits, "filter_ms")
                ws.app = samples(visits, "load_ws_bytes")
                ttm.extra = {"visits": visits}
                filter_ws = [v["filter_ws_bytes"] for v in visits if "filter_ws_bytes" in v]
                longest = [v["longest_task_ms"] for v in visits if v.get("longest_task_ms") is not None]
                bits = []
                if filter_ws:
                    bits.append(f"websocket bytes per filter change {report.fmt(statistics.median(filter_ws), 'bytes')}")
                if longest:
                    bits.append(f"longest task during load + filter {report.fmt(max(longest), 'ms')}")
                ttm.note = "; ".join(bits)
                log(f"responsiveness while loading, {n:,} offices")
                session = browser.session()
                try:
                    probe = br.load_responsiveness(session, target, total, timeout_s=timeout_ms / 1000)
                    usable.app = [probe["max_probe_ms"]]
                    longest_task = br.longest_task_ms(session)
                    usable.extra = {**probe, "longest_task_ms": longest_task}
                    usable.note = (f"drawn after {probe['map_s']:.1f} s by this probe ({probe['probes']} probes, "
                                   f"median {probe['median_probe_ms']:.0f} ms); longest task "
                                   + (report.fmt(longest_task, "ms") if longest_task is not None else "n/a")
                                   + (f"; {len(session.errors)} page errors" if session.errors else ""))
                except Exception as err:
                    usable.app = failed(err)
                finally:
                    session.close()
            finally:
                server_cm.__exit__(None, None, None)
            if self.small_probe is not None:
                usable.reference = self.small_probe
            else:
                usable.reference = "—"

    small_probe: list[float] | str | None = None

    def small_responsiveness(self, browser: br.Browser | str) -> None:
        """The evaluate probe on the 14-office app, as the reference of the scale responsiveness rows."""
        if isinstance(browser, str):
            self.small_probe = browser
            return
        total, _ = table_counts(self.base_table)
        try:
            with servers.app_server(self.logs, self.base_table, self.root) as server:
                target = app_target(server)
                one_visit(browser, target, total, total, 60_000)  # warm-up
                session = browser.session()
                try:
                    self.small_probe = [br.load_responsiveness(session, target, total, 60)["max_probe_ms"]]
                finally:
                    session.close()
        except Exception as err:
            self.small_probe = failed(err)

    def _memory(self, browser: br.Browser, server: servers.Server, target: br.Target, total: int,
                timeout_ms: float, figure: Figure) -> None:
        log("memory: RSS right after start, then 10 browser sessions at 10,000 offices")
        try:
            time.sleep(2)
            start_rss = server.rss_bytes() / 1e6
            figure.reference = [start_rss]
            sessions: list[br.Session] = []
            after_first = None
            try:
                for i in range(10):
                    session = browser.session()
                    sessions.append(session)
                    br.time_to_map(session, target, total, timeout_ms)
                    if i == 0:
                        time.sleep(1)
                        after_first = server.rss_bytes() / 1e6
                time.sleep(2)
                after = server.rss_bytes() / 1e6
            finally:
                for session in sessions:
                    session.close()
            time.sleep(3)
            closed = server.rss_bytes() / 1e6
            figure.app = [after]
            per_session = (after - after_first) / 9 if after_first is not None else None
            figure.extra = {"start_mb": start_rss, "after_first_session_mb": after_first,
                            "after_10_sessions_mb": after, "after_closing_mb": closed,
                            "per_extra_session_mb": per_session}
            figure.note = (f"{start_rss:,.0f} MB at start, {after_first:,.0f} MB after the first session "
                           f"(table loaded and cached), {after:,.0f} MB with 10 sessions open "
                           f"(≈ {per_session:,.1f} MB per extra session), {closed:,.0f} MB 3 s after closing them.")
        except Exception as err:
            figure.app = failed(err)


def _install_signal_handlers() -> None:
    def stop(signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    for sig in (signal.SIGTERM, signal.SIGHUP):
        with contextlib.suppress(ValueError, OSError):
            signal.signal(sig, stop)
    atexit.register(servers.stop_all)


def guarded(step: str, action: Callable[[], None]) -> None:
    try:
        action()
    except KeyboardInterrupt:
        raise
    except Exception as err:  # a bug in one step must not lose the others
        log(f"{step} failed: {err!r}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    _install_signal_handlers()
    started = time.monotonic()
    info = report.machine()
    settings: dict[str, Any] = {
        "argv": " ".join(sys.argv[1:] if argv is None else argv),
        "runs": args.runs,
        "quick": args.quick,
        "sizes": list(args.sizes),
        "seed": args.seed,
    }
    with contextlib.ExitStack() as stack:
        stack.callback(servers.stop_all)
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-")))
        if args.app_ref:
            root = stack.enter_context(servers.snapshot(args.app_ref))
            settings["code"] = f"snapshot of {args.app_ref}"
        else:
            root = servers.ROOT
            settings["code"] = "working tree"
        log(f"benchmarking {settings['code']} ({root}); {args.runs} runs; temp {tmp}")
        run = Run(args, root, tmp)
        for n in args.sizes:
            try:
                run.tables[n] = synthetic.write_table(n, tmp / "tables", args.seed)
            except Exception as err:
                log(f"synthetic table of {n} failed: {err!r}")
        guarded("server side", run.server_side)
        try:
            chromium: br.Browser | str = stack.enter_context(br.browser())
            info["chromium_playwright"] = chromium.version
        except Exception as err:
            chromium = failed(err)
        guarded("14 offices", lambda: run.small(chromium))
        guarded("14-office probe", lambda: run.small_responsiveness(chromium))
        guarded("scale", lambda: run.scale_browser(chromium))
        # Order of the table: rows 1 and 2, then per size, then memory.
        figures = sorted(run.figures, key=_order)
        settings["duration_s"] = time.monotonic() - started
        text = report.write(args.out, figures, info, settings)
    print(text)
    log(f"done in {(time.monotonic() - started) / 60:.1f} min; wrote {args.out / 'latest.md'} and latest.json")
    return 0


def _order(figure: Figure) -> tuple[int, int, int]:
    name = figure.name
    section = int(name.split(".", 1)[0])
    size = 0
    for n in (100_000, 10_000, 1_000):
        if f"{n:,} offices" in name:
            size = n
            break
    kinds = ("Server build", "Map bytes", "Websocket", "Time to map", "Filter", "Slowest")
    kind = next((i for i, k in enumerate(kinds) if k in name), 0)
    return (section, size, kind)
