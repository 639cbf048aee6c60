"""Where the server's CPU per page view goes (issue #15): cProfile around fresh AppTest sessions.

    python -m bench.cpuprofile [--script app.py] [--views 5] [--lang en] [--top 40] [--sort cumulative]

One warm-up session first (imports, catalogues, the shared table, assets: once per server), then
``views`` fresh sessions of ``script``, each a first run as a new viewer's page view, profiled
together in the thread that runs the script. What this leaves out of a real page view: the
websocket's protobuf serialisation and the static files, which the reference pays for too (and
``python -m bench --only server-cpu`` measures the whole).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import threading
import time

SCRIPT_THREAD = "ScriptRunner.scriptThread"  # the name Streamlit gives the thread that runs a script

def profiled_views(script: str, views: int, lang: str, timeout: float) -> tuple[pstats.Stats, float]:
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    script = str(Path(script).resolve())

    def view() -> None:
        app = AppTest.from_file(script, default_timeout=timeout)
        if lang != "en":
            app.query_params["lang"] = lang
        app.run()
        if app.exception:
            raise RuntimeError(f"{script}: {app.exception[0].message}")

    view()  # warm-up: what a server does once
    profiler = cProfile.Profile()

    def start(*_args) -> None:  # the first event of the script's thread: profile that thread
        sys.setprofile(None)
        if threading.current_thread().name == SCRIPT_THREAD:
            threading.setprofile(None)
            profiler.enable()

    total = 0.0
    for _ in range(views):
        threading.setprofile(start)
        began = time.process_time()
        try:
            view()
        finally:
            threading.setprofile(None)
        total += time.process_time() - began
    out = io.StringIO()
    return pstats.Stats(profiler, stream=out), total / views


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.cpuprofile", description=__doc__.split("\n\n")[0])
    parser.add_argument("--script", default="app.py")
    parser.add_argument("--views", type=int, default=5)
    parser.add_argument("--lang", default="en")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--sort", default="cumulative")
    parser.add_argument("--timeout", type=float, default=120)
    args = parser.parse_args(argv)
    stats, per_view = profiled_views(args.script, args.views, args.lang, args.timeout)
    print(f"process CPU per view (AppTest, under cProfile): {per_view * 1000:.0f} ms")
    stats.stream = sys.stdout
    stats.sort_stats(args.sort).print_stats(args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
