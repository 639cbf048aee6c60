"""More than one server: ``./run serve``'s topology (deploy/serve.py) with 2 replicas behind nginx.

20 browser sessions at once (async Playwright, one Chromium, as in tests/test_load.py, whose helpers
this reuses) open a share link with a filter through the balancer; every map is drawn with every
office it should show. Then one replica is killed (SIGKILL, as a crash): the sessions on the other
one make a filter change without noticing anything; the killed replica's sessions reload and come
back on the survivor with their filters (the share link in the address bar), every office drawn.
(No more actions than these: 20 Streamlit pages loading at once is most of the work, and the test
must stay within about 4 minutes on a busy 2-core machine.) /_stcore/health answers through the
balancer before, during and after. SIGTERM to serve stops nginx and every replica.

Round trips (p50/p95), first-map and reload times, errors, and what the killed replica's users saw
are printed and written to test-artifacts/replicas.json.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import pytest

from geo.offices.schema import OfficeType
from tests.conftest import ARTIFACTS, CHROMIUM, MAP_FRAME, ROOT, free_port, port_open, wait_until
from tests.load_sessions import (
    FILTER_ACTIONS,
    expected_counts,
    filter_action,
    launch_load_chromium,
    open_session,
    run_in_own_thread,
    summary,
    wait_drawn,
)

pytestmark = [pytest.mark.load, pytest.mark.browser, pytest.mark.slow]

REPLICAS = 2
SESSIONS = int(os.environ.get("REPLICA_SESSIONS", "20"))
# Sessions open a share link with the first filter change of tests/test_load.py already made (so
# the reload after the kill has filters to restore); the other replica's users then make the second.
SHARE_QUERY = "type=" + ",".join(t.value for t in OfficeType if t.value != FILTER_ACTIONS[0][1])
FIRST_MAP_TIMEOUT_MS = 150_000
BUDGET_S = float(os.environ.get("REPLICA_BUDGET_S", "300"))  # the sessions, from the first to the last
START_TIMEOUT_S = 120


@dataclass
class Session:
    index: int
    replica: str = ""  # host:port that served the page, from nginx's X-Replica header
    replica_after: str = ""  # the same after the reload (killed replica's sessions only)
    load_ms: float = 0.0
    reload_ms: float = 0.0
    action_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # failures: must stay empty
    outage: list[str] = field(default_factory=list)  # what a killed replica's user saw before reloading
    in_outage: bool = False
    done: str = ""  # "", "before", "after"
    ready: asyncio.Event = field(default_factory=asyncio.Event)  # set once the first map is drawn, or failed

    def note(self, message: str) -> None:
        (self.outage if self.in_outage else self.errors).append(message)


@dataclass
class Serve:
    process: subprocess.Popen
    run_dir: Path
    url: str
    nginx_pid: int
    replicas: dict[str, int]  # "127.0.0.1:port" -> pid

    def stderr(self) -> str:
        return (self.run_dir / "serve.stderr").read_text(errors="replace")


def health(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(f"{url}/_stcore/health", timeout=10) as answer:
        return answer.status, answer.read().decode()


def start_serve(run_dir: Path) -> Serve:
    port = free_port()
    stderr = (run_dir / "serve.stderr").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "deploy.serve", "--replicas", str(REPLICAS), "--port", str(port),
         "--run-dir", str(run_dir)],
        cwd=ROOT, stdout=stderr, stderr=subprocess.STDOUT,
    )
    state_file = run_dir / "serve.json"
    try:
        wait_until(state_file.exists, START_TIMEOUT_S, f"./run serve to write {state_file}", process=process)
    except (TimeoutError, RuntimeError) as err:
        process.kill()
        raise RuntimeError(f"./run serve did not start ({err}):\n{(run_dir / 'serve.stderr').read_text()}") from None
    state = json.loads(state_file.read_text())
    replicas = {r["url"].removeprefix("http://"): r["pid"] for r in state["replicas"]}
    return Serve(process, run_dir, state["url"], state["nginx_pid"], replicas)


async def run_session(browser, url: str, session: Session, counts: list[int], killed: asyncio.Event,
                      victim: dict[str, str]) -> None:
    page = await open_session(browser, session.index, lambda kind, message: session.note(f"{kind}: {message}"))
    step = "first map"
    try:
        start = time.perf_counter()
        response = await page.goto(f"{url}/?{SHARE_QUERY}", timeout=FIRST_MAP_TIMEOUT_MS)
        session.replica = response.headers.get("x-replica", "?")
        await wait_drawn(page, counts[0], FIRST_MAP_TIMEOUT_MS)
        assert await page.frame_locator(MAP_FRAME).locator(".office-marker").count() > 0
        session.load_ms = (time.perf_counter() - start) * 1000
        session.done = "before"
        session.ready.set()
        await killed.wait()
        if session.replica == victim["address"]:
            step = "reload after the kill"
            start = time.perf_counter()
            response = await page.reload(timeout=FIRST_MAP_TIMEOUT_MS)
            session.replica_after = response.headers.get("x-replica", "?")
            # The filters come back from the share link in the address bar.
            await wait_drawn(page, counts[0], FIRST_MAP_TIMEOUT_MS)
            session.reload_ms = (time.perf_counter() - start) * 1000
            session.in_outage = False
        else:  # the other replica's users carry on as if nothing happened
            step = "action after the kill"
            session.action_ms.append(await filter_action(page, 1, counts[1]))
        session.done = "after"
    except Exception as err:
        session.errors.append(f"{step}: {type(err).__name__}: {str(err).splitlines()[0]}")
    finally:
        session.ready.set()  # drawn, or failed: the kill waits no longer for this one
        await page.context.close()


async def run_all(serve: Serve, sessions: list[Session], counts: list[int], report: dict) -> None:
    from playwright.async_api import async_playwright

    killed = asyncio.Event()
    victim: dict[str, str] = {}

    async def kill_when_ready() -> None:
        await asyncio.gather(*(s.ready.wait() for s in sessions))
        served = {address: sum(s.replica == address for s in sessions) for address in serve.replicas}
        report["sessions_per_replica_before_kill"] = served
        victim["address"] = max(served, key=served.get)  # the busier one: more users to move
        for session in sessions:
            if session.replica == victim["address"]:
                session.in_outage = True
        os.kill(serve.replicas[victim["address"]], signal.SIGKILL)
        report["killed_replica"] = victim["address"]
        report["killed_at_s"] = round(time.perf_counter() - report["t0"], 1)
        # Its port closes when the process is gone: then the balancer's health answer counts.
        await asyncio.to_thread(wait_until, lambda: not port_open(victim["address"]), 30,
                                f"killed replica {victim['address']} to stop listening")
        report["health_after_kill"] = await asyncio.to_thread(health, serve.url)
        killed.set()

    async with async_playwright() as playwright:
        browser = await launch_load_chromium(playwright)
        try:
            await asyncio.wait_for(
                asyncio.gather(kill_when_ready(),
                               *(run_session(browser, serve.url, s, counts, killed, victim) for s in sessions)),
                timeout=BUDGET_S,
            )
        finally:
            await browser.close()


def test_two_replicas_behind_nginx_twenty_sessions_and_one_replica_killed(tmp_path):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (./run test does)")
    counts = expected_counts()
    started = time.perf_counter()
    serve = start_serve(tmp_path)
    sessions = [Session(i) for i in range(SESSIONS)]
    report: dict = {"t0": time.perf_counter()}
    timed_out = False
    try:
        report["health_before"] = health(serve.url)
        try:
            run_in_own_thread(lambda: run_all(serve, sessions, counts, report), "replica-sessions")
        except TimeoutError:
            timed_out = True
        report["health_after"] = health(serve.url)
    finally:
        serve.process.send_signal(signal.SIGTERM)  # as Ctrl+C: everything stops
        try:
            serve.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            serve.process.kill()
        survivors = [pid for pid in (serve.nginx_pid, *serve.replicas.values()) if psutil.pid_exists(pid)
                     and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE]
    killed = report.get("killed_replica", "")
    moved = [s for s in sessions if s.replica == killed]
    stayed = [s for s in sessions if s.replica and s.replica != killed]
    report.pop("t0")
    report.update({
        "sessions": SESSIONS,
        "replicas": REPLICAS,
        "actions_done": sum(len(s.action_ms) for s in sessions),
        "round_trip_ms": summary([ms for s in sessions for ms in s.action_ms]),
        "first_map_ms": summary([s.load_ms for s in sessions if s.load_ms]),
        "reload_on_survivor_ms": summary([s.reload_ms for s in moved if s.reload_ms]),
        "killed_replica_sessions": len(moved),
        "killed_replica_sessions_back_on": sorted({s.replica_after for s in moved}),
        "other_replica_sessions_working_after_kill": sum(s.done == "after" for s in stayed),
        "outage_events_seen_by_moved_sessions": sum(len(s.outage) for s in moved),
        "outage_event_examples": sorted({re.sub(r"\d+", "N", e)[:120] for s in moved for e in s.outage})[:6],
        "errors": {s.index: s.errors for s in sessions if s.errors},
        "serve_reported": [line for line in serve.stderr().splitlines() if "exited" in line],
        "processes_left_after_sigterm": survivors,
        "serve_exit_code": serve.process.returncode,
        "duration_s": round(time.perf_counter() - started, 1),
        "timed_out": timed_out,
        "load_average_at_end": round(os.getloadavg()[0], 1),
    })
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "replicas.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print("\nreplicas:", json.dumps(report, indent=2))

    assert not timed_out, f"the sessions did not finish within {BUDGET_S} s"
    assert report["health_before"] == (200, "ok")
    assert report["health_after_kill"] == (200, "ok")
    assert report["health_after"] == (200, "ok")
    assert not report["errors"], report["errors"]
    assert set(report["sessions_per_replica_before_kill"]) == set(serve.replicas)
    assert all(report["sessions_per_replica_before_kill"].values()), "sticky hashing used one replica only"
    assert moved and stayed
    survivor = next(address for address in serve.replicas if address != killed)
    assert all(s.done == "after" for s in sessions)
    assert all(s.replica_after.split(",")[-1].strip() == survivor for s in moved), report
    assert any(f"{killed}" in line for line in report["serve_reported"]), serve.stderr()
    assert not survivors, f"processes still running after SIGTERM: {survivors}"
    assert serve.process.returncode == 0, serve.stderr()
