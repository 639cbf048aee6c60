"""``./run serve --replicas N --port P``: N Streamlit processes behind nginx, stopped together.

A Streamlit session lives in one server process, so scaling out means several app processes and a
balancer with sticky sessions (deploy/nginx.conf.template). Each replica listens on its own free
port on 127.0.0.1; nginx (Debian's) listens on ``--host:--port`` and is the only public address.
All replicas share one cookie secret, so a cookie one replica signed (Streamlit's XSRF token for
uploads) is valid on the others after a failover.

Ctrl+C or SIGTERM stops nginx and every replica. A replica that exits is reported and left out
(nginx sends its users to the others); if nginx exits, everything stops. The process ids and
addresses are written to ``<run dir>/serve.json`` for tools and tests.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import json
import logging
import os
import secrets
import shutil
import signal
import socket
import string
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = Path(__file__).resolve().parent / "nginx.conf.template"
NGINX = os.environ.get("NGINX", shutil.which("nginx") or "/usr/sbin/nginx")
START_TIMEOUT_S = 120.0
STOP_TIMEOUT_S = 10.0

log = logging.getLogger("deploy.serve")

# The main configuration around the template, for an nginx that runs in the foreground as this
# user's child: every path it writes is under the run directory.
MAIN_CONF = """\
worker_processes 1;
pid {run}/nginx.pid;
error_log {run}/nginx-error.log notice;
events {{ worker_connections 4096; }}
http {{
    access_log {run}/nginx-access.log;
    client_body_temp_path {run}/tmp/client_body;
    proxy_temp_path {run}/tmp/proxy;
    fastcgi_temp_path {run}/tmp/fastcgi;
    uwsgi_temp_path {run}/tmp/uwsgi;
    scgi_temp_path {run}/tmp/scgi;
    include {run}/replicas.conf;
}}
"""


@dataclass
class Replica:
    index: int
    port: int
    process: subprocess.Popen

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _die_with_parent() -> None:
    """In the child: get SIGTERM if this script dies without cleaning up (Linux only)."""
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def render_site(listen: str, upstreams: list[str]) -> str:
    """The template with its two placeholders filled; nginx's own $variables are left as they are."""
    servers = "\n    ".join(f"server {address} max_fails=2 fail_timeout=10s;" for address in upstreams)
    return string.Template(TEMPLATE.read_text(encoding="utf-8")).safe_substitute(
        LISTEN_PORT=listen, UPSTREAM_SERVERS=servers
    )


def write_nginx_conf(run_dir: Path, listen: str, upstreams: list[str]) -> Path:
    """Write replicas.conf (the template, filled) and nginx.conf into run_dir; return nginx.conf."""
    for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (run_dir / "tmp" / name).mkdir(parents=True, exist_ok=True)
    (run_dir / "replicas.conf").write_text(render_site(listen, upstreams), encoding="utf-8")
    conf = run_dir / "nginx.conf"
    conf.write_text(MAIN_CONF.format(run=run_dir), encoding="utf-8")
    return conf


def wait_healthy(url: str, process: subprocess.Popen, what: str, timeout: float = START_TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with code {process.returncode} while starting")
        with contextlib.suppress(OSError), urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:  # noqa: S310 - our http URL
            if answer.status == 200:
                return
        time.sleep(0.25)
    raise RuntimeError(f"{what} did not answer {url}/_stcore/health within {timeout:.0f} s")


class Topology:
    """The replicas and nginx; start() brings them up, stop() takes them down (idempotent)."""

    def __init__(self, replicas: int, port: int, host: str, run_dir: Path, app_args: list[str]):
        self.count, self.port, self.host, self.run_dir, self.app_args = replicas, port, host, run_dir, app_args
        self.replicas: list[Replica] = []
        self.nginx: subprocess.Popen | None = None
        self.reported: set[int] = set()

    def start(self) -> None:
        env = {
            **os.environ,
            "PYTHONUNBUFFERED": "1",
            # One secret for all replicas: cookies signed by one are valid on the others.
            "STREAMLIT_SERVER_COOKIE_SECRET": os.environ.get("STREAMLIT_SERVER_COOKIE_SECRET")
            or secrets.token_hex(32),
        }
        for index in range(1, self.count + 1):
            port = free_port()
            output = (self.run_dir / f"replica-{index}.log").open("w")
            process = subprocess.Popen(
                [
                    sys.executable, "-m", "streamlit", "run", "launch.py",  # app.py with its headers
                    "--server.port", str(port), "--server.address", "127.0.0.1",
                    "--server.headless", "true", "--browser.gatherUsageStats", "false",
                    "--server.fileWatcherType", "none", *self.app_args,
                ],
                cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT,
                preexec_fn=_die_with_parent,
            )
            self.replicas.append(Replica(index, port, process))
        for replica in self.replicas:
            wait_healthy(replica.url, replica.process, f"replica {replica.index}")
            log.info("replica %d: pid %d, %s", replica.index, replica.process.pid, replica.url)
        conf = write_nginx_conf(self.run_dir, self.listen, [f"127.0.0.1:{r.port}" for r in self.replicas])
        nginx_cmd = [NGINX, "-e", str(self.run_dir / "nginx-error.log"), "-p", str(self.run_dir), "-c", str(conf)]
        checked = subprocess.run([*nginx_cmd, "-t", "-q"], capture_output=True, text=True, check=False)
        if checked.returncode:
            raise RuntimeError(f"nginx refused the configuration:\n{checked.stderr}")
        self.nginx = subprocess.Popen([*nginx_cmd, "-g", "daemon off;"], preexec_fn=_die_with_parent)
        wait_healthy(self.url, self.nginx, "nginx")
        self.write_state()

    @property
    def listen(self) -> str:
        return f"{self.host}:{self.port}" if self.host else str(self.port)

    @property
    def url(self) -> str:
        host = "127.0.0.1" if self.host in ("", "0.0.0.0") else self.host  # noqa: S104
        return f"http://{host}:{self.port}"

    def write_state(self) -> None:
        state = {
            "url": self.url,
            "nginx_pid": self.nginx.pid if self.nginx else None,
            "replicas": [{"index": r.index, "pid": r.process.pid, "url": r.url} for r in self.replicas],
        }
        (self.run_dir / "serve.json").write_text(json.dumps(state, indent=2) + "\n", encoding="utf-8")

    def check(self) -> bool:
        """Report replicas that exited; False when nginx itself is gone."""
        for replica in self.replicas:
            code = replica.process.poll()
            if code is not None and replica.index not in self.reported:
                self.reported.add(replica.index)
                alive = sum(r.process.poll() is None for r in self.replicas)
                log.warning("replica %d (%s) exited with code %s; %d of %d still serving",
                            replica.index, replica.url, code, alive, len(self.replicas))
        return self.nginx is not None and self.nginx.poll() is None

    def stop(self) -> None:
        processes = [p for p in (self.nginx, *(r.process for r in self.replicas)) if p is not None]
        if self.nginx is not None and self.nginx.poll() is None:
            self.nginx.send_signal(signal.SIGQUIT)  # graceful: finish the requests under way
        for process in processes[1:] if self.nginx is not None else processes:
            if process.poll() is None:
                process.terminate()
        deadline = time.monotonic() + STOP_TIMEOUT_S
        for process in processes:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="./run serve", description=__doc__.split("\n\n")[0])
    parser.add_argument("--replicas", type=int, default=2, help="app processes (default 2)")
    parser.add_argument("--port", type=int, default=8080, help="the balancer's port (default 8080)")
    parser.add_argument("--host", default="127.0.0.1",
                        help="the balancer's address (default 127.0.0.1; 0.0.0.0 for every interface)")
    parser.add_argument("--run-dir", type=Path, help="configuration, logs, serve.json (default: a new temporary folder)")
    parser.add_argument("app_args", nargs=argparse.REMAINDER, help="after --: options for every `streamlit run`")
    args = parser.parse_args(argv)
    if args.replicas < 1:
        parser.error("--replicas must be at least 1")
    if args.app_args[:1] == ["--"]:
        args.app_args = args.app_args[1:]
    return args


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="serve: %(message)s", stream=sys.stderr)
    args = parse_args(sys.argv[1:] if argv is None else argv)
    run_dir = (args.run_dir or Path(tempfile.mkdtemp(prefix="gs-serve-"))).resolve()
    run_dir.mkdir(parents=True, exist_ok=True)
    topology = Topology(args.replicas, args.port, args.host, run_dir, args.app_args)
    signals_seen = 0

    def on_signal(signum, _frame) -> None:
        # The first Ctrl+C or SIGTERM, even while starting, ends the loop below; later ones are
        # ignored so that they do not cut the clean-up short.
        nonlocal signals_seen
        signals_seen += 1
        if signals_seen == 1:
            raise KeyboardInterrupt

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        topology.start()
        log.info("%d replicas behind nginx at %s (logs and serve.json in %s); Ctrl+C stops them all",
                 args.replicas, topology.url, run_dir)
        while topology.check():
            time.sleep(0.5)
        log.error("nginx exited (see %s); stopping", run_dir / "nginx-error.log")
        return 1
    except KeyboardInterrupt:
        return 0
    except RuntimeError as err:
        log.error("%s", err)
        return 1
    finally:
        signals_seen += 1
        log.info("stopping nginx and %d replicas", len(topology.replicas))
        topology.stop()


if __name__ == "__main__":
    sys.exit(main())
