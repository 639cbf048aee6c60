"""Streamlit servers for the benchmark: the app and the reference app, always stopped again.

Same command line as tests/conftest.py's ``start_streamlit`` (a free local port, headless, no file
watcher), plus a working directory for the reference and process-group clean-up.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
REFERENCE_SCRIPT = Path(__file__).resolve().parent / "reference_app.py"
REFERENCE_CONFIG = """\
[server]
enableStaticServing = true
headless = true
runOnSave = false

[browser]
gatherUsageStats = false

[client]
toolbarMode = "minimal"
"""
START_TIMEOUT = 90.0
# How the bench serves every app: "streamlit" (``streamlit run script``, as tests/conftest.py does)
# or "uvicorn" (``python -m uvicorn`` on ``st.App(script)``, the same app behind uvicorn's own
# listening socket, which gets TCP_NODELAY; a diagnostic for issue #15, see bench/RESULTS.md).
SERVER = os.environ.get("BENCH_SERVER", "streamlit")

_LIVE: set[subprocess.Popen] = set()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    """One ``streamlit run`` on 127.0.0.1."""

    name: str
    url: str
    process: subprocess.Popen
    log_path: Path

    def log_tail(self, lines: int = 15) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def rss_bytes(self) -> int:
        """Resident memory of the server process and its children."""
        proc = psutil.Process(self.process.pid)
        total = proc.memory_info().rss
        for child in proc.children(recursive=True):
            with contextlib.suppress(psutil.Error):
                total += child.memory_info().rss
        return total

    def alive(self) -> bool:
        return self.process.poll() is None


def start(
    name: str,
    script: str,
    cwd: Path,
    log_dir: Path,
    env_extra: dict[str, str] | None = None,
    root: Path = ROOT,
    server: str | None = None,
) -> Server:
    """Start ``streamlit run script`` in ``cwd`` with ``root`` (the app's code) first on PYTHONPATH."""
    port = free_port()
    # MALLOC_ARENA_MAX as ./run app and the Dockerfile deploy the app (the reference gets it too).
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "MALLOC_ARENA_MAX": os.environ.get("MALLOC_ARENA_MAX", "2"),
           **(env_extra or {})}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(root), env.get("PYTHONPATH", "")) if p)
    server = server or SERVER
    if server == "uvicorn":  # the options the streamlit command line sets, as environment variables
        env.update(STREAMLIT_SERVER_HEADLESS="true", STREAMLIT_BROWSER_GATHER_USAGE_STATS="false",
                   STREAMLIT_SERVER_FILE_WATCHER_TYPE="none")
    log_path = log_dir / f"{name}-{port}.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            _command(name, script, port, log_dir, server),
            cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
    _LIVE.add(process)
    server = Server(name, f"http://127.0.0.1:{port}", process, log_path)
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            stop(server)
            raise RuntimeError(f"{name} exited early: {server.log_tail()}")
        with contextlib.suppress(OSError), urllib.request.urlopen(
            f"{server.url}/_stcore/health", timeout=2
        ) as response:
            if response.status == 200:
                return server
        time.sleep(0.25)
    stop(server)
    raise RuntimeError(f"{name} did not start in {START_TIMEOUT:.0f} s: {server.log_tail()}")


def _command(name: str, script: str, port: int, log_dir: Path, server: str) -> list[str]:
    if server != "uvicorn":
        return [
            sys.executable, "-m", "streamlit", "run", script,
            "--server.port", str(port), "--server.address", "127.0.0.1",
            "--server.headless", "true", "--browser.gatherUsageStats", "false",
            "--server.fileWatcherType", "none",
        ]
    # st.App(script) resolves the script from the working directory; the wrapper lives in log_dir.
    module = f"bench_asgi_{name}_{port}"
    (log_dir / f"{module}.py").write_text(f"import streamlit as st\n\napp = st.App({script!r})\n", encoding="utf-8")
    return [sys.executable, "-m", "uvicorn", f"{module}:app", "--app-dir", str(log_dir), "--host", "127.0.0.1",
            "--port", str(port), "--no-access-log", "--log-level", "warning",
            # As Streamlit's own server configures uvicorn (no websocket compression: its default).
            "--ws", "websockets-sansio", "--ws-per-message-deflate", "false"]


def stop(server: Server) -> None:
    """Stop the server and anything it started (its own process group)."""
    _terminate(server.process)


def _terminate(process: subprocess.Popen) -> None:
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
    _LIVE.discard(process)


def stop_all() -> None:
    """Stop every server still running (the last line of defence, e.g. on Ctrl-C)."""
    for process in list(_LIVE):
        _terminate(process)


@contextlib.contextmanager
def app_server(log_dir: Path, table: Path, root: Path = ROOT, via: str | None = None) -> Iterator[Server]:
    """The app as ``./run app`` serves it, ``streamlit run launch.py`` (app.py in the app's middleware:
    security headers, precompressed static files), from ``root`` (the repository or a snapshot; an older
    one without launch.py: ``streamlit run app.py``) on ``table`` (OFFICES_CSV); ``via="uvicorn"``: app.py
    served by uvicorn instead (see SERVER)."""
    script = "launch.py" if via != "uvicorn" and (root / "launch.py").is_file() else "app.py"
    server = start("app", script, root, log_dir, {"OFFICES_CSV": str(table)}, root, via)
    try:
        yield server
    finally:
        stop(server)


@contextlib.contextmanager
def reference_server(log_dir: Path, table: Path, root: Path = ROOT,
                     script: str = "reference_app.py", via: str | None = None) -> Iterator[Server]:
    """The reference app, run from a temporary folder with its config and static files.

    ``root`` is the app's code (geo.maps.assets), put on the reference's PYTHONPATH. ``script``: another
    script of bench/ run the same way (bench/maponly_app.py, a diagnostic).
    """
    folder = Path(tempfile.mkdtemp(prefix="bench-reference-"))
    try:
        # A snapshot's own reference (it imports that snapshot's geo), else this one.
        own = root / "bench" / script
        shutil.copy(own if own.is_file() else REFERENCE_SCRIPT.with_name(script), folder / script)
        (folder / ".streamlit").mkdir()
        (folder / ".streamlit" / "config.toml").write_text(REFERENCE_CONFIG, encoding="utf-8")
        _install_static(root, folder / "static")
        server = start(script.removesuffix("_app.py"), script, folder, log_dir, {"OFFICES_CSV": str(table)}, root,
                       via)
        try:
            yield server
        finally:
            stop(server)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _install_static(root: Path, target: Path) -> None:
    """geo.maps.assets.install_static_assets(target), with ``root``'s geo package (a subprocess)."""
    code = "import sys; from pathlib import Path; from geo.maps.assets import install_static_assets; " \
        "install_static_assets(Path(sys.argv[1]))"
    env = {**os.environ, "PYTHONPATH": str(root)}
    subprocess.run([sys.executable, "-c", code, str(target)], cwd=root, env=env, check=True, timeout=60,
                   capture_output=True)


@contextlib.contextmanager
def snapshot(ref: str) -> Iterator[Path]:
    """The repository's files at git ``ref`` in a temporary folder (``git archive``), removed after."""
    folder = Path(tempfile.mkdtemp(prefix="bench-snapshot-"))
    try:
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", ref],
                                 check=True, capture_output=True, timeout=60).stdout
        subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True, timeout=60)
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
