"""Every program that reads an office table reads it the same way (issue #16: geo.validate accepted a
semicolon table with a blank first line, or two byte-order marks, that geo.geocoding then failed on)."""

from __future__ import annotations

import codecs
import csv
import io
import os
import subprocess
import sys

import pytest

from geo.offices.table import load_offices
from tests.conftest import ROOT

TABLE = (ROOT / "data" / "offices.csv").read_text(encoding="utf-8")


def semicolons_after_a_blank_line() -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=";", lineterminator="\n").writerows(csv.reader(io.StringIO(TABLE)))
    return ("\n" + out.getvalue()).encode()


VARIANTS = {
    "semicolons after a blank line": semicolons_after_a_blank_line,
    "two UTF-8 byte-order marks": lambda: codecs.BOM_UTF8 * 2 + TABLE.encode(),
}


@pytest.mark.parametrize("variant", VARIANTS)
def test_validate_and_geocode_agree(tmp_path, variant):
    path = tmp_path / "offices.csv"
    raw = VARIANTS[variant]()
    path.write_bytes(raw)
    assert len(load_offices(path)) == 14
    validate = subprocess.run([sys.executable, "-m", "geo.validate", str(path)], cwd=ROOT,
                              capture_output=True, text=True, timeout=120)
    assert validate.returncode == 0, validate.stderr
    geocode = subprocess.run([sys.executable, "-m", "geo.geocoding", str(path), "--offline", "--dry-run"],
                             cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert geocode.returncode == 0, geocode.stderr
    assert "summary: 14 offices" in geocode.stdout + geocode.stderr
    assert path.read_bytes() == raw  # a dry run writes nothing


def test_geocoder_refuses_a_named_pipe_as_the_validator_does(tmp_path):
    """geo.offices.files.read_regular_file is the one way to open a table: a FIFO is refused at once
    (open() on it would block until a writer appears)."""
    fifo = tmp_path / "offices.csv"
    os.mkfifo(fifo)
    for command in (["geo.validate"], ["geo.geocoding", "--offline", "--dry-run"]):
        done = subprocess.run([sys.executable, "-m", command[0], str(fifo), *command[1:]], cwd=ROOT,
                              capture_output=True, text=True, timeout=60)
        assert done.returncode != 0
        assert "named pipe" in done.stderr + done.stdout, (command, done.stderr)
