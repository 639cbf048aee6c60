"""Run one function in a child process with limits on memory, CPU time, wall-clock time and output size.

Uploads are parsed here (issue #17) so that a hostile or unlucky file can cost at most the child, never
the server that every other session shares. The child comes from a "forkserver" (a single-threaded
process that has already imported the worker's modules), not from forking the multithreaded Streamlit
server, so it starts in milliseconds and safely. It sets its own limits before it reads anything:
``RLIMIT_AS`` (address space: what it already holds plus ``memory_bytes``) and ``RLIMIT_CPU``; the
parent kills it after ``wall_seconds`` and refuses an answer over ``max_output_bytes``.

A child that hits a limit becomes a :class:`SandboxLimit` naming the limit, never a hung or dead server.
Nothing here imports Streamlit or pandas.
"""

from __future__ import annotations

import multiprocessing
import pickle
import resource
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

GIB = 1024**3
DEFAULT_MEMORY_BYTES = 1 * GIB
DEFAULT_CPU_SECONDS = 20
DEFAULT_WALL_SECONDS = 60.0
DEFAULT_OUTPUT_BYTES = 256 * 1024 * 1024


@dataclass(frozen=True)
class Limits:
    memory_bytes: int = DEFAULT_MEMORY_BYTES
    cpu_seconds: int = DEFAULT_CPU_SECONDS
    wall_seconds: float = DEFAULT_WALL_SECONDS
    max_output_bytes: int = DEFAULT_OUTPUT_BYTES


@dataclass(frozen=True)
class Cost:
    """What the child used: peak resident memory (bytes), CPU seconds, wall seconds."""

    peak_rss_bytes: int
    cpu_seconds: float
    wall_seconds: float


class SandboxLimit(RuntimeError):
    """The child was stopped: ``kind`` is "memory", "cpu", "wall", "output" or "crash"."""

    def __init__(self, kind: str, limits: Limits, detail: str = ""):
        self.kind = kind
        self.limits = limits
        self.detail = detail
        super().__init__(f"{kind} limit ({detail})" if detail else f"{kind} limit")


def _address_space() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


def _child(connection, func: Callable[..., Any], args: tuple, limits: Limits) -> None:
    """In the child: set the limits, run ``func(*args)``, send back (status, payload, peak RSS, CPU)."""
    memory = _address_space() + limits.memory_bytes
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds + 2))
    try:
        status, payload = "ok", func(*args)
    except MemoryError:
        status, payload = "memory", ""
    except Exception as err:  # anything else is reported to the parent as a crash
        status, payload = "crash", f"{type(err).__name__}: {err}"[:500]
    usage = resource.getrusage(resource.RUSAGE_SELF)
    try:
        message = pickle.dumps((status, payload, usage.ru_maxrss * 1024, usage.ru_utime + usage.ru_stime))
    except MemoryError:
        message = pickle.dumps(("memory", "", usage.ru_maxrss * 1024, usage.ru_utime + usage.ru_stime))
    if len(message) > limits.max_output_bytes:
        message = pickle.dumps(("output", str(len(message)), usage.ru_maxrss * 1024, usage.ru_utime))
    connection.send_bytes(message)
    connection.close()


def _context(preload: list[str]):
    context = multiprocessing.get_context("forkserver")
    # Only effective before the fork server starts; it then serves every later child.
    context.set_forkserver_preload(["__main__", *preload])
    return context


def run_limited(
    func: Callable[..., Any], args: tuple = (), limits: Limits | None = None, *, preload: list[str] | None = None
) -> tuple[Any, Cost]:
    """``func(*args)`` run in a limited child process: its result and what it cost.

    ``func`` must be a module-level function (it is sent by name); ``preload`` lists modules the fork
    server imports once (by default ``func``'s module). Raises :class:`SandboxLimit` when a limit stopped
    the child or it died.
    """
    limits = limits or Limits()
    context = _context(preload or [func.__module__])
    receiver, sender = context.Pipe(duplex=False)
    started = time.monotonic()
    process = context.Process(target=_child, args=(sender, func, args, limits), daemon=True)
    process.start()
    sender.close()
    try:
        message = _receive(receiver, process, limits, started)
    finally:
        receiver.close()
        if process.is_alive():
            process.kill()
        process.join(5)
        if process.exitcode is not None:
            process.close()
    status, payload, peak, cpu = pickle.loads(message)  # noqa: S301 - our own child's answer
    cost = Cost(int(peak), float(cpu), time.monotonic() - started)
    if status == "ok":
        return payload, cost
    detail = payload if status in ("crash", "output") else ""
    raise SandboxLimit(status, limits, detail)


def _receive(receiver, process, limits: Limits, started: float) -> bytes:
    """The child's answer, or :class:`SandboxLimit` when it ran out of time or died without one."""
    while True:
        left = limits.wall_seconds - (time.monotonic() - started)
        if left <= 0:
            process.kill()
            raise SandboxLimit("wall", limits, f"{limits.wall_seconds:g} s")
        if receiver.poll(min(left, 0.25)):
            try:
                return receiver.recv_bytes(limits.max_output_bytes + 4096)
            except EOFError:
                break  # the child died (closed its end) without an answer
            except OSError as err:  # the answer is longer than allowed
                process.kill()
                raise SandboxLimit("output", limits, str(err)) from None
        elif not process.is_alive():
            if receiver.poll(0):
                continue
            break
    process.join(5)
    code = process.exitcode
    if code == -signal.SIGXCPU:
        # The kernel stops a child at its CPU limit with SIGXCPU (then SIGKILL at the hard limit).
        raise SandboxLimit("cpu", limits, f"{limits.cpu_seconds} s")
    raise SandboxLimit("crash", limits, f"exit code {code}")
