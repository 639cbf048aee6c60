"""geo.maps.tablefile: a large table written once as a static file for the map's worker (issue #15)."""

from __future__ import annotations

import gzip
import json
import os

import pandas as pd

from geo.maps import precompressed, tablefile
from geo.maps.tablefile import KEEP, TABLES_DIR, table_file


def offices(n: int, start: int = 0) -> pd.DataFrame:
    return pd.DataFrame({
        "id": [f"o{i}" for i in range(start, start + n)], "name": [f"Office {i}" for i in range(start, start + n)],
        "city": ["Lyon"] * n, "country": ["France"] * n, "office_type": ["liaison_office"] * n,
        "region": ["Europe"] * n, "latitude": [45.0] * n, "longitude": [4.0 + i / 1000 for i in range(n)],
    })


def test_the_file_holds_the_placed_offices_and_is_named_by_its_content(tmp_path):
    table = offices(5)
    table.loc[2, "latitude"] = float("nan")  # not placed: not drawn, not in the file
    written = table_file(table, static_dir=tmp_path, base_url="/base/static/")
    data = json.loads(written.path.read_bytes())
    assert [r[3] for r in data["rows"]] == ["o0", "o1", "o3", "o4"] and written.count == 4
    assert data["region"] == ["Europe"] * 4 and data["text"][0] == "office 0 lyon france"
    assert written.path.parent == tmp_path / TABLES_DIR
    assert written.url == f"/base/static/{TABLES_DIR}/{written.path.name}"
    # The same content in another frame: the same file; other content: another name.
    assert table_file(table.copy(), static_dir=tmp_path, base_url="/base/static/").path == written.path
    assert table_file(offices(5, start=1), static_dir=tmp_path).path != written.path
    # Each file has its gzip copy (deploy.precompressed serves it), and no temporary is left.
    assert gzip.decompress(precompressed.table_copy(written.path).read_bytes()) == written.path.read_bytes()
    assert not [p for p in (tmp_path / TABLES_DIR).iterdir() if not p.name.endswith((".json", ".json.gz"))]


def test_a_file_removed_meanwhile_is_written_again(tmp_path):
    table = offices(3)
    written = table_file(table, static_dir=tmp_path)
    written.path.unlink()
    assert table_file(table, static_dir=tmp_path) == written and written.path.exists()


def test_only_the_most_recently_used_files_are_kept(tmp_path):
    first = table_file(offices(2), static_dir=tmp_path)
    os.utime(first.path, (1, 1))  # the oldest...
    others = [table_file(offices(2, start=10 * k), static_dir=tmp_path) for k in range(1, KEEP)]
    for k, other in enumerate(others):  # used in turn, long ago (no two alike, whatever the clock's grain)
        os.utime(other.path, (100 + k, 100 + k))
    assert len(list((tmp_path / TABLES_DIR).glob("*.json"))) == KEEP
    table_file(offices(2), static_dir=tmp_path)  # ...used again (a fresh frame, the same content): the newest
    table_file(offices(2, start=999), static_dir=tmp_path)  # one too many: the least recently used goes
    kept = list((tmp_path / TABLES_DIR).glob("*.json"))
    assert len(kept) == KEEP and first.path in kept and others[0].path not in kept
    # A file's gzip copy goes with it.
    assert sorted((tmp_path / TABLES_DIR).glob("*.json.gz")) == sorted(precompressed.table_copy(p) for p in kept)


def test_a_frame_is_remembered_until_it_is_gone(tmp_path, monkeypatch):
    calls = []
    real = tablefile.table_payload
    monkeypatch.setattr(tablefile, "table_payload", lambda *a: calls.append(1) or real(*a))
    table = offices(3)
    for _ in range(3):
        table_file(table, static_dir=tmp_path)
    assert len(calls) == 1  # a rerun costs a lookup, not a serialisation
    table_file(table, ("name",), static_dir=tmp_path)  # other search columns: another payload
    assert len(calls) == 2
