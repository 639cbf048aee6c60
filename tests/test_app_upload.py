"""A user's own table through the sidebar upload, in AppTest: every corpus file is handled in the app.

For each malformed table the app shows the validator's message (row and column) with st.error and
keeps running on the shared table; repairable tables load with their notes; data/offices.csv is
never written.
"""

from __future__ import annotations

import hashlib
import json

import pytest

from tests.apptest_helpers import new_app, sent_office_ids
from tests.conftest import ROOT

pytestmark = pytest.mark.filterwarnings("ignore")
CORPUS = ROOT / "tests" / "corpus" / "bad"
EXPECTED = json.loads((ROOT / "tests" / "corpus" / "expected.json").read_text(encoding="utf-8"))
SHARED = ROOT / "data" / "offices.csv"


def digest() -> str:
    return hashlib.sha256(SHARED.read_bytes()).hexdigest()


def upload(at, name: str, content: bytes):
    at.file_uploader(key="upload").upload(name, content, "text/csv").run()
    return at


def errors(at) -> str:
    return "\n".join(e.value for e in at.error)


@pytest.fixture(scope="module")
def shared_digest():
    before = digest()
    yield before
    assert digest() == before, "data/offices.csv was changed"


@pytest.mark.parametrize("name", sorted(p.name for p in CORPUS.glob("*.csv")))
def test_every_corpus_table_is_handled_in_the_app(name, shared_digest):
    expected = EXPECTED.get(name)
    at = new_app().run()
    upload(at, name, (CORPUS / name).read_bytes())
    assert not at.exception, at.exception
    if expected is None or "problems" not in expected:
        # A table that loads (possibly repaired): no error, the map shows its offices.
        assert not at.error, errors(at)
        assert len(sent_office_ids(at)) > 0
        return
    text = errors(at)  # each problem is shown as a literal code span
    assert "Your table cannot be used" in text
    for problem in expected["problems"][:3]:
        if problem.get("row") is not None:
            assert f"row {problem['row']}" in text, (problem, text)
        if problem.get("column") is not None:
            assert f"column {problem['column']}" in text, (problem, text)
    # The app keeps running on the shared table.
    assert len(sent_office_ids(at)) == 14
    assert digest() == shared_digest


def test_upload_places_rows_without_coordinates_and_lists_the_rest(shared_digest):
    rows = SHARED.read_text(encoding="utf-8").splitlines()
    header = rows[0].split(",")
    lat, lon = header.index("latitude"), header.index("longitude")

    def blank(line: str) -> str:
        import csv
        import io

        cells = next(csv.reader([line]))
        cells[lat] = cells[lon] = ""
        out = io.StringIO()
        csv.writer(out, lineterminator="").writerow(cells)
        return out.getvalue()

    nowhere = blank(rows[1]).replace("hq-lyon", "hq-nowhere").replace(",Lyon,", ",Atlantis City,")
    table = "\n".join([rows[0], blank(rows[1]), nowhere, *rows[2:5]]) + "\n"
    at = new_app().run()
    upload(at, "mine.csv", table.encode("utf-8"))
    assert not at.exception and not at.error
    ids = sent_office_ids(at)
    assert "hq-lyon" in ids and "hq-nowhere" not in ids
    assert any("could not be placed" in w.value for w in at.warning)
    assert len(ids) == 4


def test_oversized_upload_is_refused_with_the_limit(shared_digest):
    at = new_app().run()
    upload(at, "big.csv", b"x" * (5 * 1024 * 1024 + 10))
    assert not at.exception
    assert "5" in errors(at) and "MB" in errors(at)
    assert len(sent_office_ids(at)) == 14


def test_extra_columns_are_kept_and_shown_in_the_panel():
    rows = SHARED.read_text(encoding="utf-8").splitlines()
    table = "\n".join([rows[0] + ",phone", *(r + ",+33 4 72 44 70 00" for r in rows[1:])]) + "\n"
    at = new_app(office="hq-lyon").run()
    upload(at, "mine.csv", table.encode("utf-8"))
    assert not at.exception and not at.error
    body = "\n".join(e.proto.body for e in at.get("html"))
    assert "phone" in body and "+33 4 72 44 70 00" in body
