"""``python -m geo.validate``: one line per problem, exit status 0 or 1, never a traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from geo import validate

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "corpus" / "bad"
EXPECTED: dict[str, dict] = json.loads((ROOT / "tests" / "corpus" / "expected.json").read_text("utf-8"))
COMMITTED = sorted(n for n, e in EXPECTED.items() if not e.get("generated"))


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "geo.validate", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
    )


def test_real_table_prints_ok_and_exits_0():
    done = run_cli("data/offices.csv")
    assert (done.returncode, done.stdout, done.stderr) == (0, "ok: 14 offices\n", "")


@pytest.mark.parametrize(
    "name", ["latin1.csv", "nul_bytes.csv", "unclosed_quote.csv", "empty.csv", "duplicate_id.csv"]
)
def test_bad_table_prints_one_line_per_problem_and_exits_1(name: str):
    path = f"tests/corpus/bad/{name}"
    done = run_cli(path)
    lines = done.stdout.splitlines()
    assert done.returncode == 1
    assert len(lines) == len(EXPECTED[name]["problems"])
    for line, problem in zip(lines, EXPECTED[name]["problems"], strict=True):
        assert line.startswith(path)
        assert problem["message"] in line
        if problem["row"] is not None:
            assert f", row {problem['row']}" in line
    assert "Traceback" not in done.stdout + done.stderr


@pytest.mark.parametrize("path", ["no/such/file.csv", "tests/corpus"])
def test_unreadable_path_exits_1_without_traceback(path: str):
    done = run_cli(path)
    assert done.returncode == 1
    assert done.stdout.startswith(path) and len(done.stdout.splitlines()) == 1
    assert "Traceback" not in done.stdout + done.stderr


@pytest.mark.parametrize("name", COMMITTED)
def test_every_corpus_file(name: str, capsys: pytest.CaptureFixture[str]):
    status = validate.main([str(CORPUS / name)])
    lines = capsys.readouterr().out.splitlines()
    assert not any("Traceback" in line for line in lines)
    expected = EXPECTED[name]
    if expected.get("ok"):
        assert status == 0
        assert lines[-1].startswith("ok: ") and lines[-1].endswith(" offices")
        assert all(line.startswith("note: ") for line in lines[:-1])
        for substring in expected["notes"]:
            assert any(substring in line for line in lines[:-1]), (substring, lines)
        if not expected["notes"]:
            assert len(lines) == 1
    else:
        assert status == 1
        assert len(lines) == len(expected["problems"])
        assert all(line.startswith(str(CORPUS / name)) for line in lines)
