"""The benchmark of issue #6 ("Speed and scale"): ``python -m bench [--runs N] [--quick]``.

Every figure is measured in the same run next to a reference, over several runs, and printed as a
Markdown table (also written to bench/results/latest.md and latest.json):

1. time to map: opening the page in headless Chromium until every office is drawn, the app
   (``streamlit run app.py``) against bench/reference_app.py (plain CircleMarkers), 14 offices;
2. filter round trip: unticking the liaison offices until the map shows the rest, same pair;
3. scale (synthetic tables of 1,000, 10,000 and 100,000 offices, bench/synthetic.py): server-side
   build + serialisation and bytes (against one folium.Marker per office), websocket bytes, time
   to map and filter round trip (against the app's 14-office figures), and whether the tab stays
   responsive while loading (against the same probe on 14 offices);
4. memory per additional session at 10,000 offices: (RSS with 11 sessions − RSS with 1) / 10;
5. the server's CPU per page view and per filter change, the app against the reference (issue #15);
6. with ``--concurrent``: 20 sessions at once (errors, p50/p95, server CPU per view, CPU shares).

Rows 4–6 alone: ``python -m bench --only server-cpu|memory|concurrent|server-load`` (bench/serverload.py).

A measurement that fails prints "failed: why" in its cell; every server started is stopped and
every temporary folder removed, also on Ctrl-C. A time budget (``--budget-min``) trims the runs
beyond the first ones when the machine is slow; the table says so in a note.
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
from bench import report, serverload, servers, synthetic
from bench.report import Figure, failed

RESULTS = Path(__file__).resolve().parent / "results"
BASE_TABLE = "data/offices.csv"
# Share of the time budget each phase may use for runs beyond its minimum (cumulative deadlines).
PHASES = {"server side": 0.12, "14 offices": 0.15, 1_000: 0.10, 10_000: 0.28, 100_000: 0.35}


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- settings ----------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=None,
                        help="measured runs per figure after a warm-up (default 5; 3 with --quick)")
    parser.add_argument("--quick", action="store_true",
                        help="3 runs, fewer at 100,000 offices, no per-marker folium there (~4 min)")
    parser.add_argument("--budget-min", type=float, default=None,
                        help="time budget in minutes (default 15; 4 with --quick): runs beyond the first "
                             "ones are dropped when a phase runs out of time")
    parser.add_argument("--sizes", default=None,
                        help="comma-separated synthetic table sizes (default 1000,10000,100000)")
    parser.add_argument("--per-marker-100k", action="store_true",
                        help="also build 100,000 folium.Markers (takes minutes; linear, so the default "
                             "estimates it from the 10,000 figure)")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--app-ref", default=None, metavar="GITREF",
                       help="benchmark the app as committed at GITREF (a `git archive` snapshot) instead "
                            "of the working tree")
    where.add_argument("--app-root", type=Path, default=None, metavar="DIR",
                       help="benchmark the app in DIR (e.g. a changed copy) instead of the working tree")
    parser.add_argument("--out", type=Path, default=RESULTS, help="where latest.md and latest.json go")
    parser.add_argument("--tour", action="store_true",
                        help="also run the presenter-tour benchmark (bench/tour.py, issue #10) after the others, "
                             "writing tour.md and tour.json; `--only tour [options]` runs it alone")
    parser.add_argument("--concurrent", action="store_true",
                        help="also run 20 concurrent sessions (bench/concurrent.py, a few minutes); "
                             "`--only concurrent` runs it alone")
    parser.add_argument("--scale-only", action="store_true",
                        help="only rows 1-3 (no memory per session, no server CPU rows): the large-table "
                             "figures in a few minutes (issue #15 item 3)")
    parser.add_argument("--seed", type=int, default=synthetic.SEED)
    args = parser.parse_args(argv)
    args.runs = max(1, args.runs if args.runs is not None else (3 if args.quick else 5))
    args.budget_min = args.budget_min or (4.0 if args.quick else 15.0)
    args.sizes = tuple(int(s) for s in args.sizes.split(",")) if args.sizes else synthetic.SIZES
    return args


# --- server side (child processes) -------------------------------------------------------------


def serverside(root: Path, approach: str, table: Path, runs: int, timeout: float) -> dict[str, Any]:
    """bench/serverside.py in a child process with the app's code on its path; one warm-up run dropped."""
    # Run the file, not the module: ``root`` may hold an older bench/ of its own (a snapshot).
    env = {**os.environ, "PYTHONPATH": str(root)}
    script = Path(__file__).resolve().parent / "serverside.py"
    try:
        done = subprocess.run(
            # -P: not bench/ first on the path, where bench/concurrent.py hides the standard library's
            # concurrent package (pandas imports concurrent.futures).
            [sys.executable, "-P", str(script), approach, str(table), "--runs", str(runs + 1)],
            cwd=root, env=env, capture_output=True, text=True, timeout=timeout,
        )
    except subprocess.TimeoutExpired as err:
        raise RuntimeError(f"timeout {timeout:.0f} s") from err
    if done.returncode != 0:
        tail = [line for line in done.stderr.splitlines() if line.strip()][-1:] or [f"exit {done.returncode}"]
        raise RuntimeError(tail[0])
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["warmup_ms"] = result["times_ms"].pop(0)
    if result.get("cpu_ms"):
        result["warmup_cpu_ms"] = result["cpu_ms"].pop(0)
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
            visit["map_cpu_ms"] = session.main_thread_cpu_ms()
            complete = br.page_complete_ms(session, target, timeout_ms)
            if complete == complete:  # not NaN
                visit["complete_ms"] = max(visit["map_ms"], complete)
        except Exception as err:
            visit["map_error"] = failed(err)
            return visit
        before = session.ws_bytes()
        try:
            visit["filter_ms"] = br.filter_round_trip(session, target, after, timeout_ms)
            visit["filter_ws_bytes"] = session.ws_bytes() - before
            cpu = session.main_thread_cpu_ms()
            if cpu is not None and visit["map_cpu_ms"] is not None:
                visit["filter_cpu_ms"] = cpu - visit["map_cpu_ms"]  # includes the wait before the press
        except Exception as err:
            visit["filter_error"] = failed(err)
        visit["longest_task_ms"] = br.longest_task_ms(session)
        return visit
    finally:
        session.close()


def probe_visit(browser: br.Browser, target: br.Target, total: int, timeout_s: float) -> dict[str, Any]:
    """A load watched by the page.evaluate probe (is the tab responsive?), with its longest task."""
    session = browser.session()
    try:
        probe = br.load_responsiveness(session, target, total, timeout_s=timeout_s)
        probe["ws_bytes"] = session.ws_bytes()
        probe["longest_task_ms"] = br.longest_task_ms(session)
        probe["page_errors"] = len(session.errors)
        return probe
    finally:
        session.close()


def samples(visits: list[dict[str, Any]], key: str) -> list[float] | str:
    """The values of ``key`` over the visits, or the first failure (with how many runs failed)."""
    values = [v[key] for v in visits if v.get(key) is not None]
    prefix = key.split("_")[0]
    errors = [v.get(f"{prefix}_error") or v.get("map_error") for v in visits if v.get(key) is None]
    errors = [e for e in errors if e]
    if errors and len(values) < max(1, len(visits) // 2 + 1):
        return f"{errors[0]} ({len(errors)} of {len(visits)} runs)"
    return values or (errors[0] if errors else "failed: no run")


def median_of(values: list[float]) -> float | None:
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


# --- the run -----------------------------------------------------------------------------------


class Run:
    def __init__(self, args: argparse.Namespace, root: Path, tmp: Path, started: float):
        self.args = args
        self.root = root
        self.tmp = tmp
        self.logs = tmp / "logs"
        self.logs.mkdir()
        self.figures: list[Figure] = []
        self.base_table = root / BASE_TABLE
        self.tables: dict[int, Path] = {}
        self.app14: dict[str, Figure] = {}
        self.small_probe: list[float] | str = "—"
        # Cumulative phase deadlines over the budget.
        self.deadlines: dict[object, float] = {}
        budget = args.budget_min * 60
        share = 0.0
        for phase, part in PHASES.items():
            share += part
            self.deadlines[phase] = started + budget * share

    def add(self, figure: Figure) -> Figure:
        self.figures.append(figure)
        return figure

    def in_time(self, phase: object, done: int, minimum: int) -> bool:
        """May the phase start another run? Always up to ``minimum`` runs, then while in its budget."""
        deadline = self.deadlines.get(phase, self.deadlines[100_000])
        return done < minimum or time.monotonic() < deadline

    # 1 and 2: the 14-office app against the reference app --------------------------------------
    def small(self, browser: br.Browser | str) -> None:
        total, liaison = table_counts(self.base_table)
        after = total - liaison
        ttm = self.add(Figure(
            f"1. Time to map, {total} offices", "ms", "reference app (CircleMarkers)",
            goal="ratio ≤ 1.1", check=lambda a, r, q: q is not None and q <= 1.1, paired=True))  # issue #15
        # No goal: what the user waits for until the page is complete (the app's map page draws its
        # sidebar's controls after the map, dashboard/sidebar.py render_sidebar).
        complete = self.add(Figure(
            f"1. Time to map and filter controls, {total} offices", "ms", "reference app (multiselect)",
            paired=True))
        flt = self.add(Figure(
            f"2. Filter round trip, {total} → {after} offices", "ms", "reference app (multiselect)",
            goal="ratio ≤ 1.0", check=lambda a, r, q: q is not None and q <= 1.0, paired=True))
        self.app14 = {"map": ttm, "filter": flt}
        if isinstance(browser, str):
            ttm.app = ttm.reference = flt.app = flt.reference = self.small_probe = browser
            complete.app = complete.reference = browser
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
            done = 0
            for i in range(runs + 1):
                if i > 0 and not self.in_time("14 offices", done, 2):
                    break
                # Alternate who goes first, so a drift in the machine's load hits both alike.
                order = ("app", "reference") if i % 2 == 0 else ("reference", "app")
                for name in order:
                    target = targets[name]
                    if isinstance(target, str):
                        continue
                    visit = one_visit(browser, target, total, after, 60_000)
                    if i > 0:  # run 0 warms the servers up (imports, caches) and is dropped
                        visits[name].append(visit)
                done = i
            app = targets["app"]
            if isinstance(app, str):
                self.small_probe = app
            else:
                try:
                    self.small_probe = [probe_visit(browser, app, total, 60)["max_probe_ms"]]
                except Exception as err:
                    self.small_probe = failed(err)
        for name in ("app", "reference"):
            target = targets[name]
            for figure, key in ((ttm, "map_ms"), (complete, "complete_ms"), (flt, "filter_ms")):
                setattr(figure, name, target if isinstance(target, str) else samples(visits[name], key))
        ttm.extra = {"visits": visits}
        if done < runs:
            ttm.note = f"{done} of {runs} runs (time budget). "
        ws = {name: median_of([v.get("load_ws_bytes") for v in vs]) for name, vs in visits.items()}
        cpu = {name: median_of([v.get("map_cpu_ms") for v in vs]) for name, vs in visits.items()}
        if ws["app"] and ws["reference"]:
            ttm.note += (f"Websocket bytes while loading: app {report.fmt(ws['app'], 'bytes')}, reference "
                         f"{report.fmt(ws['reference'], 'bytes')}.")
        if cpu["app"] and cpu["reference"]:
            ttm.note += (f" Browser main-thread CPU until drawn: app {report.fmt(cpu['app'], 'ms')}, "
                         f"reference {report.fmt(cpu['reference'], 'ms')} ({cpu['app'] / cpu['reference']:.2f}x).")

    # 3a: server-side build and serialisation ---------------------------------------------------
    def server_side(self) -> None:
        per_marker_10k: float | None = None
        for n in sorted(self.args.sizes):
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
            runs = self.args.runs if self.in_time("server side", 0, 1) else 2
            log(f"server-side build, {n:,} offices: app, 1 warm-up + {runs} runs")
            try:
                result = serverside(self.root, "app", table, runs, timeout=60 + n / 200)
                build.app = result["times_ms"]
                sent.app = [result["bytes"]]
                sent.extra = {"parts": result.get("parts", {})}
                build.extra = {"cpu_ms": result.get("cpu_ms"), "warmup_ms": result.get("warmup_ms")}
                if result.get("cpu_ms"):
                    build.note = f"app CPU time {report.fmt(statistics.median(result['cpu_ms']), 'ms')} (median)."
            except Exception as err:
                build.app = sent.app = failed(err)
            if n > 10_000 and not self.args.per_marker_100k:
                if per_marker_10k:
                    build.reference = f"not run: ≈ {per_marker_10k * n / 10_000 / 1000:,.0f} s (linear from 10,000)"
                    sent.reference = "not run"
                    build.note += (" Per-marker folium is not built at this size by default "
                                   "(minutes; `--per-marker-100k` does).")
                else:
                    build.reference = sent.reference = "not run (--per-marker-100k)"
                continue
            marker_runs = runs if n <= 1_000 else min(runs, 3) if n <= 10_000 else 0
            if not self.in_time("server side", 0, 1) or (self.args.quick and n >= 10_000):
                marker_runs = min(marker_runs, 1) if n < 10_000 else 0
            # With 0 runs the single (warm-up) run is the sample: seconds long, imports do not matter.
            log(f"server-side build, {n:,} offices: per-marker folium, "
                + (f"1 warm-up + {marker_runs} runs" if marker_runs else "1 run"))
            try:
                result = serverside(self.root, "per-marker", table, marker_runs, timeout=120 + n / 250)
                build.reference = result["times_ms"] or [result["warmup_ms"]]
                sent.reference = [result["bytes"]]
                if n == 10_000:
                    per_marker_10k = statistics.median(build.reference)
                if not marker_runs:
                    build.note += " Per-marker folium measured once (no warm-up) at this size."
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
        for n in sorted(self.args.sizes):
            guarded(f"browser, {n:,} offices", lambda n=n: self._one_size(browser, n))

    def _one_size(self, browser: br.Browser | str, n: int) -> None:
        table = self.tables.get(n)
        big = n > 10_000
        runs = self.args.runs if not big else (1 if self.args.quick else max(1, min(self.args.runs, 2)))
        ttm = self.add(Figure(
            f"3. Time to map, {n:,} offices", "ms", "app, 14 offices (row 1)",
            **({"goal": "ratio ≤ 1.5", "check": lambda a, r, q: q is not None and q <= 1.5} if n == 10_000
               else {"goal": "ratio ≤ 3", "check": lambda a, r, q: q is not None and q <= 3} if n == 100_000
               else {})))
        flt = self.add(Figure(f"3. Filter round trip, {n:,} offices", "ms", "app, 14 offices (row 2)"))
        ws = self.add(Figure(f"3. Websocket bytes, page load, {n:,} offices", "bytes",
                             "map bytes (server side, above)"))
        usable = self.add(Figure(
            f"3. Slowest page.evaluate while loading, {n:,} offices", "ms", "same probe, app, 14 offices",
            **({"goal": "drawn, no crash, < 1,000 ms", "check": lambda a, r, q: a < 1000} if big else {})))
        memory = None
        if n == 10_000 and not self.args.scale_only:
            memory = self.add(serverload.memory_figure("not measured", n))
        mine = [f for f in (ttm, flt, ws, usable, memory) if f is not None]
        # The references of the scale rows: the app's 14-office figures and the server-side bytes.
        for figure, source in ((ttm, self.app14.get("map")), (flt, self.app14.get("filter"))):
            median = source.app_median() if source else None
            figure.reference = [median] if median else "failed: no 14-office figure"
        sent = next((f for f in self.figures if f.name == f"3. Map bytes to browser, {n:,} offices"), None)
        ws.reference = sent.app if sent is not None and isinstance(sent.app, list) else "—"
        usable.reference = self.small_probe
        if isinstance(browser, str) or table is None:
            for figure in mine:
                figure.app = browser if isinstance(browser, str) else "failed: no table"
            return
        total, liaison = table_counts(table)
        timeout_ms = 60_000 + n * 2.5  # 100,000 offices: ~5 min
        try:
            cm = servers.app_server(self.logs, table, self.root)
            server = cm.__enter__()
        except Exception as err:
            for figure in mine:
                figure.app = failed(err)
            return
        try:
            target = app_target(server)
            if memory is not None:
                self._memory(browser, server, target, total, timeout_ms, memory)
            if big and self.args.quick:  # one cold load, watched by the probe, is all --quick does here
                self._probe_only(browser, target, total, timeout_ms, ttm, flt, ws, usable)
                return
            log(f"browser, {n:,} offices: 1 warm-up + up to {runs} runs")
            visits: list[dict[str, Any]] = []
            for i in range(runs + 1):
                if i > 1 and not self.in_time(n, len(visits), 1 if big else 2):
                    break
                if not server.alive():
                    visits.append({"map_error": "failed: the server died"})
                    break
                visit = one_visit(browser, target, total, total - liaison, timeout_ms)
                if i == 0:
                    if "map_error" in visit:  # the warm-up could not draw the map: do not insist
                        visits.append(visit)
                        break
                    continue
                visits.append(visit)
            ttm.app = samples(visits, "map_ms")
            flt.app = samples(visits, "filter_ms")
            ws.app = samples(visits, "load_ws_bytes")
            ttm.extra = {"visits": visits}
            bits = [f"{len(visits)} of {runs} runs (time budget)"] if len(visits) < runs and isinstance(
                ttm.app, list) else []
            cpu = median_of([v.get("map_cpu_ms") for v in visits])
            if cpu:
                bits.append(f"browser main-thread CPU until drawn {report.fmt(cpu, 'ms')}")
            filter_ws = median_of([v.get("filter_ws_bytes") for v in visits])
            if filter_ws:
                bits.append(f"websocket bytes per filter change {report.fmt(filter_ws, 'bytes')}")
            longest = [v["longest_task_ms"] for v in visits if v.get("longest_task_ms") is not None]
            if longest:
                bits.append(f"longest task during load + filter {report.fmt(max(longest), 'ms')}")
            ttm.note = "; ".join(bits) + ("." if bits else "")
            log(f"responsiveness while loading, {n:,} offices")
            try:
                probe = probe_visit(browser, target, total, timeout_ms / 1000)
                usable.app = [probe["max_probe_ms"]]
                usable.extra = probe
                longest_task = probe.get("longest_task_ms")
                usable.note = (f"drawn after {probe['map_s']:.1f} s as seen by the probe ({probe['probes']} "
                               f"probes, median {probe['median_probe_ms']:.0f} ms); longest task "
                               + (report.fmt(longest_task, "ms") if longest_task is not None else "n/a")
                               + (f"; {probe['page_errors']} page errors" if probe["page_errors"] else "")
                               + ".")
            except Exception as err:
                usable.app = failed(err)
        finally:
            cm.__exit__(None, None, None)

    def _probe_only(self, browser: br.Browser, target: br.Target, total: int, timeout_ms: float,
                    ttm: Figure, flt: Figure, ws: Figure, usable: Figure) -> None:
        log(f"--quick: one load of {total:,} offices watched by the responsiveness probe")
        try:
            probe = probe_visit(browser, target, total, timeout_ms / 1000)
        except Exception as err:
            ttm.app = usable.app = ws.app = failed(err)
            flt.app = "skipped (--quick)"
            return
        ttm.app = [probe["map_s"] * 1000]
        ttm.note = "--quick: the first (cold) load after the server started, timed by the probe (±0.1 s)."
        flt.app = "skipped (--quick)"
        ws.app = [probe["ws_bytes"]]
        usable.app = [probe["max_probe_ms"]]
        usable.extra = probe
        longest = probe.get("longest_task_ms")
        usable.note = (f"{probe['probes']} probes, median {probe['median_probe_ms']:.0f} ms; longest task "
                       + (report.fmt(longest, "ms") if longest is not None else "n/a") + ".")

    def _memory(self, browser: br.Browser, server: servers.Server, target: br.Target, total: int,
                timeout_ms: float, figure: Figure) -> None:
        """Row 4 (bench/serverload.py): RSS after start, with 1 session, with 11 sessions open."""
        log("memory: RSS right after start, with 1 session, with 11 sessions open")
        try:
            result: dict[str, Any] | str = serverload.memory_per_session(
                browser, server, target, total, 10, timeout_ms * 3)
        except Exception as err:
            result = failed(err)
        measured = serverload.memory_figure(result, total)
        figure.app, figure.extra, figure.note = measured.app, measured.extra, measured.note


def install_signal_handlers() -> None:
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
    given = sys.argv[1:] if argv is None else argv
    if given[:2] == ["--only", "tour"] or given[:1] == ["--only=tour"]:
        from bench import tour  # the presenter-tour benchmark alone, with its own options

        return tour.main(given[2:] if given[0] == "--only" else given[1:])
    only = given[1] if given[:1] == ["--only"] and len(given) > 1 else (
        given[0].split("=", 1)[1] if given[:1] and given[0].startswith("--only=") else None)
    if only is not None:  # issue #15's server figures: server-cpu, memory, concurrent or server-load
        rest = given[2:] if given[0] == "--only" else given[1:]
        return serverload.main([only, *rest])
    args = parse_args(argv)
    install_signal_handlers()
    started = time.monotonic()
    info = report.machine()
    settings: dict[str, Any] = {
        "argv": " ".join(sys.argv[1:] if argv is None else argv),
        "runs": args.runs,
        "quick": args.quick,
        "budget_min": args.budget_min,
        "sizes": list(args.sizes),
        "seed": args.seed,
    }
    with contextlib.ExitStack() as stack:
        stack.callback(servers.stop_all)
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-")))
        if args.app_ref:
            root = stack.enter_context(servers.snapshot(args.app_ref))
            commit = subprocess.run(["git", "-C", str(servers.ROOT), "rev-parse", "--short", args.app_ref],
                                    capture_output=True, text=True, timeout=20).stdout.strip()
            settings["code"] = f"snapshot of {args.app_ref} ({commit})"
        elif args.app_root:
            root = args.app_root.resolve()
            settings["code"] = str(root)
        else:
            root = servers.ROOT
            settings["code"] = "working tree"
        log(f"benchmarking {settings['code']} ({root}); {args.runs} runs; budget {args.budget_min:g} min")
        run = Run(args, root, tmp, started)
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
        guarded("scale", lambda: run.scale_browser(chromium))
        # Issue #15: server CPU per view and per change (and with --concurrent, 20 sessions at once).
        if not args.scale_only:
            load_args = serverload.parse_args(["server-cpu,concurrent" if args.concurrent else "server-cpu"])
            load_args.views = load_args.changes = max(4, args.runs * 2)
            guarded("server load", lambda: run.figures.extend(serverload.measure(load_args, root, tmp, chromium)))
        figures = sorted(run.figures, key=_order)
        settings["duration_s"] = time.monotonic() - started
        info["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
        text = report.write(args.out, figures, info, settings)
        if args.tour:
            from bench import tour

            tour_args = tour.parse_args(["--quick"] if args.quick else [])
            tour_args.out = args.out
            shared = None if isinstance(chromium, str) else chromium
            guarded("tour", lambda: print(tour.run(tour_args, shared, "(python -m bench --tour)")))
    print(text)
    log(f"done in {(time.monotonic() - started) / 60:.1f} min; wrote {args.out / 'latest.md'} and latest.json")
    return 0


def _order(figure: Figure) -> tuple[int, int, int]:
    """Rows 1 and 2, then each size (server side, bytes, browser), then memory, server CPU, load."""
    name = figure.name
    section = int(name.split(".", 1)[0])
    size = next((n for n in (100_000, 10_000, 1_000) if f"{n:,} offices" in name), 0)
    kinds = ("Server build", "Map bytes", "Websocket", "Time to map", "Filter", "Slowest")
    kind = next((i for i, k in enumerate(kinds) if k in name), 0)
    return (section, size, kind)
