"""The upload sandbox (geo/offices/sandbox.py, issue #17): each limit stops the child, never the caller.

The children run the module-level functions below (the fork server imports this module by name).
"""

from __future__ import annotations

import os
import signal
import time

import pytest

from geo.offices.sandbox import Limits, SandboxLimit, run_limited

SMALL = Limits(memory_bytes=256 * 1024**2, cpu_seconds=2, wall_seconds=30.0, max_output_bytes=1024 * 1024)


def answer(value: int) -> dict[str, int]:
    return {"value": value, "pid": os.getpid()}


def allocate(megabytes: int) -> int:
    block = bytearray(megabytes * 1024 * 1024)
    return len(block)


def spin() -> int:
    count = 0
    while True:
        count += 1


def block_forever() -> None:
    read_end, _ = os.pipe()
    os.read(read_end, 1)  # nothing is ever written: only the wall clock ends this


def big_answer(megabytes: int) -> bytes:
    return b"x" * (megabytes * 1024 * 1024)


def die() -> None:
    os.kill(os.getpid(), signal.SIGSEGV)


def run(func, *args, limits: Limits = SMALL):
    return run_limited(func, args, limits, preload=[__name__])


def test_the_answer_comes_back_from_another_process_with_its_cost():
    value, cost = run(answer, 7)
    assert value["value"] == 7 and value["pid"] != os.getpid()
    assert cost.peak_rss_bytes > 0 and cost.cpu_seconds >= 0 and cost.wall_seconds > 0


def test_memory_over_the_limit_stops_the_child_not_the_caller():
    before = _rss()
    with pytest.raises(SandboxLimit) as caught:
        run(allocate, 2048)
    assert caught.value.kind == "memory"
    assert _rss() - before < 100 * 1024 * 1024  # the 2 GiB were never asked of this process
    assert run(allocate, 16)[0] == 16 * 1024 * 1024  # and a modest allocation works


def test_cpu_time_over_the_limit_stops_the_child():
    limits = Limits(memory_bytes=SMALL.memory_bytes, cpu_seconds=1, wall_seconds=60.0)
    with pytest.raises(SandboxLimit) as caught:
        run(spin, limits=limits)
    assert caught.value.kind == "cpu"


def test_wall_clock_over_the_limit_kills_the_child():
    limits = Limits(memory_bytes=SMALL.memory_bytes, cpu_seconds=10, wall_seconds=1.0)
    started = time.monotonic()
    with pytest.raises(SandboxLimit) as caught:
        run(block_forever, limits=limits)
    assert caught.value.kind == "wall"
    assert time.monotonic() - started < 20


def test_an_answer_over_the_output_limit_is_refused():
    with pytest.raises(SandboxLimit) as caught:
        run(big_answer, 4)
    assert caught.value.kind == "output"


def test_a_child_that_dies_is_a_crash_with_its_exit_code():
    with pytest.raises(SandboxLimit) as caught:
        run(die)
    assert caught.value.kind == "crash" and f"exit code {-signal.SIGSEGV}" in caught.value.detail


def _rss() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")
