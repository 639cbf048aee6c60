"""Where the server's memory per session goes (issue #15): tracemalloc snapshots of a real server.

    python -m bench.memtrace [--offices 10000] [--extra-sessions 10] [--frames 12] [--top 25]

Starts ``streamlit run app.py`` on a synthetic table under tracemalloc (``SERVE``:
tracemalloc first, then Streamlit's own command line; SIGUSR1 writes a snapshot), opens one
browser session (its map drawn), takes snapshot A, opens ``extra`` more sessions, takes snapshot B,
and prints the allocations that grew from A to B grouped by traceback (what the extra sessions
hold), then the same per file. tracemalloc slows the server several times: the figures of
``python -m bench --only memory`` are taken without it.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
import tracemalloc
import urllib.request
from pathlib import Path

SNAP_DIR_ENV = "BENCH_MEMTRACE_DIR"  # where SERVE writes its snapshots


# The server's entry (``python -c SERVE FRAMES <streamlit args>``), standalone so that the app's root,
# first on the path, may be a snapshot with a ``bench`` package of its own.
SERVE = """
import gc, os, signal, sys, tracemalloc
from pathlib import Path
tracemalloc.start(int(sys.argv[1]))
folder = Path(os.environ["BENCH_MEMTRACE_DIR"])
count = [0]
def dump(_signum, _frame):
    gc.collect()
    count[0] += 1
    path = folder / f"snap-{count[0]}.pickle"
    tracemalloc.take_snapshot().dump(str(path) + ".part")
    os.replace(str(path) + ".part", path)
signal.signal(signal.SIGUSR1, dump)
from streamlit.web import cli
sys.argv = ["streamlit", *sys.argv[2:]]
cli.main()
"""


def _start(root: Path, table: Path, snaps: Path, log: Path, frames: int):
    from bench import servers

    port = servers.free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "OFFICES_CSV": str(table), SNAP_DIR_ENV: str(snaps),
           "PYTHONPATH": str(root)}
    with log.open("w") as handle:
        process = subprocess.Popen(
            [sys.executable, "-c", SERVE, str(frames), "run", "app.py",
             "--server.port", str(port), "--server.address", "127.0.0.1", "--server.headless", "true",
             "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
            cwd=root, env=env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True)
    servers._LIVE.add(process)
    server = servers.Server("app", f"http://127.0.0.1:{port}", process, log)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited: {server.log_tail()}")
        with contextlib.suppress(OSError), urllib.request.urlopen(f"{server.url}/_stcore/health", timeout=2):
            return server
        time.sleep(0.5)  # polling period of the start-up condition
    raise RuntimeError(f"server did not start: {server.log_tail()}")


def _snapshot(server, snaps: Path, n: int, timeout_s: float = 600) -> tracemalloc.Snapshot:
    os.kill(server.process.pid, signal.SIGUSR1)
    path = snaps / f"snap-{n}.pickle"
    deadline = time.monotonic() + timeout_s
    while not path.exists():
        if time.monotonic() > deadline:
            raise RuntimeError(f"no snapshot {path} after {timeout_s:.0f} s")
        time.sleep(0.5)  # polling period of the condition "the snapshot file exists"
    return tracemalloc.Snapshot.load(str(path))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.memtrace", description=__doc__.split("\n\n")[0])
    parser.add_argument("--offices", type=int, default=10_000)
    parser.add_argument("--extra-sessions", type=int, default=10)
    parser.add_argument("--frames", type=int, default=12)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--app-root", default=None, metavar="DIR",
                        help="the app in DIR (e.g. a `git archive` of a commit), else this working tree")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)

    from bench import browser as br
    from bench import servers, synthetic
    from bench.run import table_counts
    from bench.serverload import wait_quiet

    root = Path(args.app_root).resolve() if args.app_root else servers.ROOT
    with tempfile.TemporaryDirectory(prefix="bench-memtrace-") as tmp_name, contextlib.ExitStack() as stack:
        tmp = Path(tmp_name)
        stack.callback(servers.stop_all)
        table = synthetic.write_table(args.offices, tmp / "tables", synthetic.SEED)
        total, _liaison = table_counts(table)
        snaps = tmp / "snaps"
        snaps.mkdir()
        server = _start(root, table, snaps, tmp / "server.log", args.frames)
        chromium = stack.enter_context(br.browser())
        target = br.Target("app", server.url, br.APP_COUNT_JS, br.untick_app)
        sessions = [chromium.session()]
        br.time_to_map(sessions[0], target, total, 600_000)
        wait_quiet(server, 120)
        rss_one = server.rss_bytes() / 1e6
        first = _snapshot(server, snaps, 1)
        more = [chromium.session() for _ in range(args.extra_sessions)]
        sessions += more
        for session in more:
            session.page.goto(target.url, wait_until="commit", timeout=600_000)
        for session in more:
            br.wait_count(session, target.count_js, total, 600_000)
        wait_quiet(server, 120)
        rss_many = server.rss_bytes() / 1e6
        second = _snapshot(server, snaps, 2)
        for session in sessions:
            session.close()
        print(f"RSS with 1 session {rss_one:,.0f} MB, with {len(sessions)} {rss_many:,.0f} MB: "
              f"{(rss_many - rss_one) / args.extra_sessions:.1f} MB per extra session (under tracemalloc)")
        report(first, second, args.extra_sessions, args.top)
    return 0


def report(first: tracemalloc.Snapshot, second: tracemalloc.Snapshot, extra: int, top: int) -> None:
    """The traced growth from ``first`` to ``second``: in all, per file, and per traceback."""
    grown = sum(s.size for s in second.statistics("filename")) - sum(s.size for s in first.statistics("filename"))
    print(f"traced Python memory grew {grown / 1e6:,.1f} MB: {grown / 1e6 / extra:.2f} MB per extra session")
    print("\n## by file")
    for stat in second.compare_to(first, "filename")[:top]:
        print(f"{stat.size_diff / 1e6:+9.2f} MB {stat.count_diff:+8d} blocks  {stat.traceback[0].filename}")
    print("\n## by traceback (innermost last)")
    for stat in second.compare_to(first, "traceback")[:top]:
        print(f"\n{stat.size_diff / 1e6:+9.2f} MB {stat.count_diff:+8d} blocks")
        for line in stat.traceback.format()[-24:]:
            print("   ", line)


if __name__ == "__main__":
    sys.exit(main())
