"""The README's commands work as written, in a scratch copy of the repository.

Every ```bash block of README.md is either run here or skipped for a stated reason: a block marked
``<!-- test: run ... -->`` or listed in RUN_BLOCKS is run (with the project's environment active, as
the README says), one marked ``<!-- test: skip (reason) -->`` is not, and an unmarked, unlisted block
fails the test, so that a new command cannot slip in untested. ``./run app`` serves until stopped:
it is started in the scratch copy (reusing the test environment) until /_stcore/health answers.
The README's links to files in the repository resolve.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import ROOT, free_port, health_ok, wait_until

README = ROOT / "README.md"
ACTIVATE = ". .venv/bin/activate"
# Blocks in sections of the README that carry no marker, by their first command: run them too.
RUN_BLOCKS = ("python -m geo.validate data/offices.csv --allow-missing-coordinates",)
# Inline commands with the output the README promises.
INLINE_COMMANDS = {"python -m geo.validate data/offices.csv": "ok: 14 offices"}
COPY_IGNORE = shutil.ignore_patterns(
    ".git", ".venv", ".venv.lock", "static", "test-artifacts", ".cache", "__pycache__", ".pytest_cache",
    ".ruff_cache", "*.pyc",
)


@dataclass
class Block:
    line: int
    marker: str  # "run", "skip" or "" (no marker)
    code: str

    @property
    def first_command(self) -> str:
        commands = [c for c in self.code.splitlines() if c.strip() and not c.lstrip().startswith("#")]
        return commands[0].strip() if commands else ""


def readme_blocks() -> list[Block]:
    lines = README.read_text(encoding="utf-8").splitlines()
    blocks, index = [], 0
    while index < len(lines):
        if lines[index].strip() == "```bash":
            before = lines[index - 1].strip() if index else ""
            marker = re.match(r"<!-- test: (run|skip)\b", before)
            end = lines.index("```", index + 1)
            blocks.append(Block(index + 1, marker.group(1) if marker else "", "\n".join(lines[index + 1:end])))
            index = end
        index += 1
    return blocks


def blocks_to_run() -> list[Block]:
    return [b for b in readme_blocks() if b.marker == "run" or (not b.marker and b.first_command in RUN_BLOCKS)]


def test_every_readme_block_is_run_or_skipped_for_a_reason():
    blocks = readme_blocks()
    assert len(blocks) >= 5
    unclassified = [f"README.md:{b.line}: {b.first_command}" for b in blocks
                    if not b.marker and b.first_command not in RUN_BLOCKS]
    assert not unclassified, f"mark these with <!-- test: run --> or <!-- test: skip (reason) -->: {unclassified}"
    assert any("pybabel extract" in b.code for b in blocks_to_run())


def test_readme_links_to_files_in_the_repository():
    text = README.read_text(encoding="utf-8")
    assert "../" not in re.sub(r"https?://\S+", "", text), "the README refers to files outside the repository"
    links = re.findall(r"\]\(([^)#]+)\)", text)
    paths = [link for link in links if not link.startswith(("http://", "https://", "/"))]
    assert "docs/FACTS.md" in paths
    missing = [p for p in paths if not (ROOT / p).exists()]
    assert not missing, missing
    for path in re.findall(r"`((?:docs|deploy|data|scripts|bench|tests)/[\w./-]+\.\w+)`", text):
        assert (ROOT / path).exists() or "*" in path, path


@pytest.fixture(scope="module")
def scratch(tmp_path_factory) -> Path:
    """A copy of the working tree whose .venv is the environment running these tests."""
    copy = tmp_path_factory.mktemp("readme") / "repo"
    shutil.copytree(ROOT, copy, ignore=COPY_IGNORE, symlinks=True)
    if sys.prefix != sys.base_prefix:
        (copy / ".venv").symlink_to(sys.prefix)
    else:  # tests run on a plain interpreter: an activate script that puts it first on PATH
        (copy / ".venv" / "bin").mkdir(parents=True)
        (copy / ".venv" / "bin" / "activate").write_text(f'PATH="{Path(sys.executable).parent}:$PATH"\n')
    return copy


def bash(script: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHON", "VENV")}
    return subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout, check=False)


def translated(po: Path) -> dict[str, object]:
    from babel.messages.pofile import read_po

    with po.open("rb") as handle:
        catalog = read_po(handle)
    return {str(m.id): m.string for m in catalog if m.id and m.string and not m.fuzzy}


def test_readme_blocks_run_as_written(scratch):
    catalogues = sorted((scratch / "i18n" / "locales").glob("*/LC_MESSAGES/messages.po"))
    assert catalogues
    before = {po: translated(po) for po in catalogues}
    shared_table = hashlib.sha256((scratch / "data" / "offices.csv").read_bytes()).hexdigest()
    (scratch / "i18n" / "messages.pot").unlink()
    for block in blocks_to_run():
        script = block.code if ACTIVATE in block.code else f"{ACTIVATE}\n{block.code}"
        done = bash(script, scratch)
        assert done.returncode == 0, f"README.md:{block.line} failed:\n{block.code}\n{done.stdout}\n{done.stderr}"
    # The translation commands wrote the template and kept the translation of every message in it.
    from babel.messages.pofile import read_po

    with (scratch / "i18n" / "messages.pot").open("rb") as handle:
        in_code = {str(m.id) for m in read_po(handle) if m.id}
    assert in_code
    for po in catalogues:
        lost = (set(before[po]) & in_code) - set(translated(po))
        assert not lost, f"{po.parent.parent.name}: translations lost by the README commands: {sorted(lost)[:5]}"
    # The geocoding command asks nothing and changes nothing when every office has coordinates.
    assert hashlib.sha256((scratch / "data" / "offices.csv").read_bytes()).hexdigest() == shared_table


@pytest.mark.parametrize("command", sorted(INLINE_COMMANDS))
def test_readme_inline_commands_print_what_it_says(scratch, command):
    assert f"`{command}`" in README.read_text(encoding="utf-8")
    done = bash(f"{ACTIVATE}\n{command}", scratch)
    assert done.returncode == 0, done.stderr
    assert INLINE_COMMANDS[command] in done.stdout


def _installed_as_now(venv: Path, requirements: Path) -> bool:
    stamp = venv / f".installed-{requirements.name}"
    digest = hashlib.sha256(requirements.read_bytes()).hexdigest()
    return stamp.exists() and stamp.read_text().split()[0] == digest


@pytest.mark.skipif(
    sys.prefix == sys.base_prefix or not _installed_as_now(Path(sys.prefix), ROOT / "requirements.txt"),
    reason="needs the tests to run in the environment ./run made (./run test), with its requirements installed",
)
def test_run_app_starts_and_answers_health(scratch):
    """`./run app` in the scratch copy: the environment is there, so nothing is installed and the
    server answers within seconds (the README's "a second ./run app starts in seconds")."""
    port = free_port()
    log = scratch.parent / "run-app.log"
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHON", "VENV")}
    start = time.perf_counter()
    with log.open("w") as output:
        process = subprocess.Popen(
            ["./run", "app", "--server.port", str(port), "--server.address", "127.0.0.1",
             "--server.headless", "true"],
            cwd=scratch, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True,
        )
    try:
        healthy = None
        with contextlib.suppress(TimeoutError, RuntimeError):
            wait_until(lambda: health_ok(f"http://127.0.0.1:{port}"), 60, "./run app's /_stcore/health",
                       process=process)
            healthy = time.perf_counter() - start
        output_text = log.read_text(errors="replace")
        assert healthy is not None, f"./run app did not answer /_stcore/health:\n{output_text}"
        print(f"\n./run app answered /_stcore/health after {healthy:.1f} s")
        assert "installing" not in output_text and "creating" not in output_text, output_text
        assert (scratch / "static").is_dir(), "the offline assets were not installed before the server"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
