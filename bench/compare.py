"""A/B: the same browser and server-side figures for two copies of the app, interleaved run by run.

For trying a change before making it: copy the repository (or ``git archive`` a commit), change
the copy, and compare it with the original on the same machine in the same minutes:

    python -m bench.compare /path/to/original /path/to/changed --size 10000 --runs 5

``--size 0`` uses the copy's data/offices.csv; otherwise a synthetic table of that many offices
(bench/synthetic.py). Prints a Markdown table: median (min–max) for A and B, and B / A.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import browser as br
from bench import servers, synthetic
from bench.report import fmt
from bench.run import app_target, install_signal_handlers, log, one_visit, serverside, table_counts


def cell(values: list[float], unit: str) -> str:
    if not values:
        return "failed"
    med = statistics.median(values)
    return f"{fmt(med, unit)} ({fmt(min(values), unit, False)}–{fmt(max(values), unit, False)})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.compare", description=__doc__.split("\n\n")[0])
    parser.add_argument("a", type=Path, help="the original app folder")
    parser.add_argument("b", type=Path, help="the changed app folder")
    parser.add_argument("--size", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-browser", action="store_true", help="server-side figures only")
    args = parser.parse_args(argv)
    install_signal_handlers()  # SIGTERM/SIGHUP unwind like Ctrl-C: servers stopped, temp removed
    roots = {"A": args.a.resolve(), "B": args.b.resolve()}
    results: dict[str, dict[str, list[float]]] = {k: {} for k in roots}
    with contextlib.ExitStack() as stack:
        stack.callback(servers.stop_all)
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-compare-")))
        (tmp / "logs").mkdir()
        table = (synthetic.write_table(args.size, tmp) if args.size else roots["A"] / "data" / "offices.csv")
        total, liaison = table_counts(table)
        for name, root in roots.items():
            log(f"server side {name}: {args.runs} runs")
            try:
                result = serverside(root, "app", table, args.runs, timeout=120 + total / 100)
                results[name]["build_ms"] = result["times_ms"]
                results[name]["bytes"] = [result["bytes"]]
            except Exception as err:
                log(f"server side {name} failed: {err}")
        if not args.no_browser:
            chromium = stack.enter_context(br.browser())
            targets = {name: app_target(stack.enter_context(servers.app_server(tmp / "logs", table, root)))
                       for name, root in roots.items()}
            timeout_ms = 60_000 + total * 2.5
            for i in range(args.runs + 1):
                order = ("A", "B") if i % 2 == 0 else ("B", "A")
                for name in order:
                    visit: dict[str, Any] = one_visit(chromium, targets[name], total, total - liaison, timeout_ms)
                    log(f"run {i} {name}: {visit}")
                    if i == 0:
                        continue  # warm-up
                    for key in ("map_ms", "map_cpu_ms", "filter_ms", "longest_task_ms", "load_ws_bytes"):
                        if visit.get(key) is not None:
                            results[name].setdefault(key, []).append(visit[key])
    units = {"build_ms": "ms", "bytes": "bytes", "map_ms": "ms", "map_cpu_ms": "ms", "filter_ms": "ms",
             "longest_task_ms": "ms", "load_ws_bytes": "bytes"}
    labels = {"build_ms": "server build + serialise", "bytes": "map bytes", "map_ms": "time to map",
              "map_cpu_ms": "browser main-thread CPU until map", "filter_ms": "filter round trip", "longest_task_ms": "longest task (load + filter)",
              "load_ws_bytes": "websocket bytes, load"}
    lines = [f"A = {roots['A']}", f"B = {roots['B']}", f"{total:,} offices, {args.runs} runs, "
             f"{time.strftime('%Y-%m-%d %H:%M')}", "", "| Figure | A | B | B / A |", "|---|---|---|---|"]
    for key, label in labels.items():
        a, b = results["A"].get(key, []), results["B"].get(key, [])
        ratio = f"{statistics.median(b) / statistics.median(a):.2f}x" if a and b and statistics.median(a) else "—"
        lines.append(f"| {label} | {cell(a, units[key])} | {cell(b, units[key])} | {ratio} |")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
