"""``python -m geo.geocoding`` against a fake Nominatim on 127.0.0.1: what it writes, what it asks,
what it prints, and what a SIGKILL at any moment leaves behind."""

from __future__ import annotations

import codecs
import csv
import io
import os
import random
import shutil
import signal
import sqlite3
import time
from dataclasses import replace
from pathlib import Path

import pytest

from geo.geocoding.cache import query_key
from geo.geocoding.service import REFUSED_USER_AGENTS
from geo.offices.schema import CONTRACT_COLUMNS
from geo.offices.table import parse_offices
from tests import conftest_geocoding
from tests.conftest_geocoding import (
    OFFICES_CSV,
    USER_AGENT,
    Office,
    geocode,
    offices,
    online,
    read_table,
    run_geocode,
    serve,
    start_geocode,
    table_bytes,
)
from tests.fake_nominatim import DROP, EMPTY, HTTP_500, MALFORMED, TIMEOUT, FakeNominatim, rate_limited

fake_nominatim = conftest_geocoding.fake_nominatim


def with_sources(data: bytes, sources: dict[str, str]) -> bytes:
    """A table written by ``table_bytes`` with the coordinate_source of some offices (id -> source) set."""
    header, *records = csv.reader(io.StringIO(data.decode("utf-8"), newline=""))
    at = header.index("coordinate_source")
    for record in records:
        record[at] = sources.get(record[0], record[at])
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([header, *records])
    return out.getvalue().encode("utf-8")


def filled_bytes(rows: list[Office], expected: dict[str, tuple[float, float, str]], count: int) -> bytes:
    """The table with the first ``count`` offices placed by the (fake) Nominatim, which it names."""
    done = filled(rows, expected, count)
    return with_sources(table_bytes(done), {o.id: "geocoder:nominatim" for o in done[:count]})


def filled(rows: list[Office], expected: dict[str, tuple[float, float, str]], count: int) -> list[Office]:
    """The rows with the first ``count`` geocoded as the fake server answers them."""
    done = []
    for index, office in enumerate(rows):
        if index < count:
            lat, lon, precision = expected[office.id]
            office = replace(office, latitude=repr(lat), longitude=repr(lon), precision=precision)
        done.append(office)
    return done


# --- runs against the service --------------------------------------------------------------------


def test_first_run_asks_each_office_once_and_a_second_run_asks_nothing(fake_nominatim, tmp_path, capsys):
    rows = offices(6) + offices(2, with_address=False)
    rows[-2:] = [replace(o, id=f"city-{i}") for i, o in enumerate(rows[-2:])]
    expected = serve(fake_nominatim, rows)
    table, cache = tmp_path / "offices.csv", tmp_path / "geocode.sqlite"
    table.write_bytes(table_bytes(rows))

    status, out, _ = geocode(capsys, table, *online(fake_nominatim, cache))

    assert status == 0
    assert table.read_bytes() == filled_bytes(rows, expected, len(rows))
    assert len(fake_nominatim.requests) == 8
    assert "8 geocoded, 0 from cache, 0 failed; 8 updated, 0 unchanged; 8 requests sent" in out
    assert f"wrote {table}" in out
    assert [r["geocode_precision"] for r in read_table(table)] == ["building"] * 6 + ["city"] * 2

    written = table.stat().st_mtime_ns
    status, out, _ = geocode(capsys, table, *online(fake_nominatim, cache))

    assert status == 0
    assert len(fake_nominatim.requests) == 8  # no new request: every answer came from the cache
    assert "0 geocoded, 8 from cache, 0 failed; 0 updated, 8 unchanged; 0 requests sent" in out
    assert "not written" in out and table.stat().st_mtime_ns == written


def test_only_missing_on_the_complete_shipped_table_asks_nothing_and_changes_no_byte(
    fake_nominatim, tmp_path, capsys
):
    table = tmp_path / "offices.csv"
    shutil.copyfile(OFFICES_CSV, table)
    before = table.stat().st_mtime_ns

    status, out, _ = geocode(capsys, table, "--only-missing", *online(fake_nominatim, tmp_path / "c.sqlite"))

    assert status == 0
    assert fake_nominatim.requests == []
    assert table.read_bytes() == OFFICES_CSV.read_bytes() and table.stat().st_mtime_ns == before
    assert "14 offices, 0 to geocode" in out


def test_faults_are_retried_and_an_empty_answer_falls_back(fake_nominatim, tmp_path, capsys):
    rows = offices(6)
    expected = serve(fake_nominatim, rows)
    for office, fault in zip(rows, [HTTP_500, rate_limited(0), TIMEOUT, DROP, MALFORMED, EMPTY], strict=True):
        fake_nominatim.script(office.address_query, fault)
    table = tmp_path / "offices.csv"
    table.write_bytes(table_bytes(rows))

    status, _, err = geocode(
        capsys, table, *online(fake_nominatim, tmp_path / "c.sqlite"), "--timeout", "0.5"
    )

    assert status == 0, err
    got = {
        r["id"]: (float(r["latitude"]), float(r["longitude"]), r["geocode_precision"])
        for r in read_table(table)
    }
    for office in rows[:5]:  # answered on the retry
        assert got[office.id] == expected[office.id]
    # The sixth had no result for its address nor its city: the gazetteer answered.
    assert got[rows[5].id] == (*rows[5].gazetteer_point(), "city")
    assert err.count("warning: ") == 5 and err.count("retry 1/3") == 5
    assert "Traceback" not in err
    outcomes = [r.outcome for r in fake_nominatim.requests]
    assert outcomes.count("answer") == 5 and len(outcomes) == 12  # 6 first tries, 5 retries, 1 city query


def test_unreachable_service_falls_back_to_the_gazetteer(tmp_path, capsys):
    with FakeNominatim() as server:
        pass  # stopped: its port now refuses connections
    rows = offices(4)
    table = tmp_path / "offices.csv"
    table.write_bytes(table_bytes(rows))

    status, out, err = geocode(capsys, table, *online(server, tmp_path / "c.sqlite"), "--max-retries", "1")

    assert status == 0
    for row, office in zip(read_table(table), rows, strict=True):
        lat, lon = office.gazetteer_point()
        assert (row["latitude"], row["longitude"], row["geocode_precision"]) == (repr(lat), repr(lon), "city")
    assert "not asking it again" in err
    assert "4 geocoded" in out and "6 requests sent" in out  # 2 tries for 3 offices, then given up


def test_the_rate_limit_holds_for_real_at_the_server(fake_nominatim, tmp_path, capsys):
    """The one test with the real default delay of one second."""
    rows = offices(3, with_address=False)
    serve(fake_nominatim, rows)
    table = tmp_path / "offices.csv"
    table.write_bytes(table_bytes(rows))
    args = [table, "--geocoder-url", fake_nominatim.url, "--user-agent", USER_AGENT]

    status, _, err = geocode(capsys, *args, "--cache", tmp_path / "c.sqlite")

    assert status == 0, err
    gaps = fake_nominatim.gaps()
    assert len(gaps) == 2 and min(gaps) >= 1.0, f"requests arrived {gaps} s apart"


def test_a_table_changed_by_someone_else_meanwhile_is_not_overwritten(fake_nominatim, tmp_path, capsys):
    rows = offices(3)
    serve(fake_nominatim, rows)
    table = tmp_path / "offices.csv"
    table.write_bytes(table_bytes(rows))
    edited = table_bytes([*rows, Office("added-by-hand", "Lyon", "France", "FR")])
    fake_nominatim.on_request = lambda request: table.write_bytes(edited)

    status, _, err = geocode(capsys, table, *online(fake_nominatim, tmp_path / "c.sqlite"))

    assert status == 1
    assert "changed by another program" in err and len(err.strip().splitlines()) == 1
    assert table.read_bytes() == edited


# --- offline -------------------------------------------------------------------------------------


def test_offline_fills_coordinates_from_the_gazetteer_at_city_precision(fake_nominatim, tmp_path, capsys):
    rows = offices(5)
    table = tmp_path / "offices.csv"
    table.write_bytes(table_bytes(rows))

    status, out, _ = geocode(
        capsys, table, "--offline", "--geocoder-url", fake_nominatim.url, "--cache", tmp_path / "c.sqlite"
    )

    assert status == 0
    for row, office in zip(read_table(table), rows, strict=True):
        lat, lon = office.gazetteer_point()
        assert (row["latitude"], row["longitude"], row["geocode_precision"]) == (repr(lat), repr(lon), "city")
    assert fake_nominatim.requests == []
    assert "5 geocoded" in out and "0 requests sent" in out
    parse_offices(table.read_bytes(), require_coordinates=True)


@pytest.mark.parametrize("only_missing", [False, True])
def test_offline_rerun_of_the_shipped_table_changes_no_byte(tmp_path, capsys, only_missing):
    table = tmp_path / "offices.csv"
    shutil.copyfile(OFFICES_CSV, table)
    flags = ["--only-missing"] if only_missing else []

    status, out, _ = geocode(capsys, table, "--offline", *flags, "--cache", tmp_path / "c.sqlite")

    assert status == 0
    assert table.read_bytes() == OFFICES_CSV.read_bytes()
    assert "0 updated, 14 unchanged" in out and "not written" in out


def test_offline_keeps_building_coordinates_the_gazetteer_cannot_match(tmp_path, capsys):
    office = replace(offices(1)[0], latitude="45.76543", longitude="4.83333", precision="building")
    table = tmp_path / "offices.csv"
    original = with_sources(table_bytes([office]), {office.id: "https://example.org/the-building"})
    table.write_bytes(original)

    status, _, err = geocode(capsys, table, "--offline", "--cache", tmp_path / "c.sqlite")

    assert status == 0
    assert table.read_bytes() == original
    assert "kept its building-precision coordinates" in err


def test_dry_run_prints_the_changes_and_writes_nothing(tmp_path, capsys):
    rows = offices(2)
    table = tmp_path / "offices.csv"
    table.write_bytes(table_bytes(rows))

    status, out, _ = geocode(capsys, table, "--offline", "--dry-run", "--cache", tmp_path / "c.sqlite")

    assert status == 0
    assert table.read_bytes() == table_bytes(rows)
    lat, lon = rows[0].gazetteer_point()
    assert f"row 2 (office-001) would change: latitude '' -> '{lat!r}', longitude '' -> '{lon!r}'" in out
    assert "dry run" in out


def test_failed_rows_are_named_and_exit_1(tmp_path, capsys):
    rows = [*offices(2), Office("nowhere", "Atlantis", "France", "FR")]
    table = tmp_path / "offices.csv"
    table.write_bytes(table_bytes(rows))

    status, out, err = geocode(capsys, table, "--offline", "--cache", tmp_path / "c.sqlite")

    assert status == 1
    assert "failed: row 4 (nowhere): no coordinates found for 'Atlantis, France'" in err
    assert "2 geocoded, 0 from cache, 1 failed" in out
    assert [r["latitude"] != "" for r in read_table(table)] == [True, True, False]  # the others are saved


# --- the bytes of the file -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("delimiter", "line_end", "bom", "final_newline"),
    [(",", "\n", False, True), (",", "\r\n", True, False), (";", "\n", False, True)],
    ids=["comma-lf", "comma-crlf-bom-no-final-newline", "semicolon"],
)
def test_only_the_point_cells_change_byte_for_byte(tmp_path, capsys, delimiter, line_end, bom, final_newline):
    def record(**raw: str) -> str:
        cells = {"id": "a", "name": "n", "office_type": "liaison_office", **raw}
        return delimiter.join(cells.get(c, "") for c in CONTRACT_COLUMNS)

    # Needless quotes, a quoted delimiter and a quoted line break must all survive as they are.
    first = dict(
        id='"lyon"', name='"Lyon; office, ""HQ"""', city='"Lyon"', country="France", country_code="FR"
    )
    first["description"] = '"two\nlines"'
    second = dict(id="paris", city="Paris", country="France", country_code="FR", latitude="48.85341")
    second.update(longitude="2.3488", geocode_precision="city", address='"1 Rue, Paris"')
    lines = [delimiter.join(CONTRACT_COLUMNS), record(**first), record(**second)]
    text = line_end.join(lines) + (line_end if final_newline else "")
    raw = (codecs.BOM_UTF8 if bom else b"") + text.encode()
    table = tmp_path / "offices.csv"
    table.write_bytes(raw)

    status, _, err = geocode(capsys, table, "--offline", "--cache", tmp_path / "c.sqlite")

    assert status == 0, err
    first.update(latitude="45.74906", longitude="4.84789", geocode_precision="city")
    first.update(coordinate_source="geocoder:geonames")
    second.update(coordinate_source="geocoder:geonames")  # same point, now with where it comes from
    lines[1], lines[2] = record(**first), record(**second)
    expected = line_end.join(lines) + (line_end if final_newline else "")
    assert table.read_bytes() == (codecs.BOM_UTF8 if bom else b"") + expected.encode()


# --- errors are one line -------------------------------------------------------------------------


@pytest.mark.parametrize("agent", [None, "geopy/2.5.0", *sorted(REFUSED_USER_AGENTS)])
def test_sample_user_agents_are_refused(fake_nominatim, tmp_path, capsys, agent):
    table = tmp_path / "offices.csv"
    table.write_bytes(table_bytes(offices(2)))
    args = [table, "--geocoder-url", fake_nominatim.url, "--cache", tmp_path / "c.sqlite"]
    if agent is not None:
        args += ["--user-agent", agent]

    status, _, err = geocode(capsys, *args)

    assert status == 2
    assert err.startswith("error: ") and len(err.strip().splitlines()) == 1 and "--user-agent" in err
    assert fake_nominatim.requests == [] and not (tmp_path / "c.sqlite").exists()
    assert table.read_bytes() == table_bytes(offices(2))


@pytest.mark.parametrize(
    ("setup", "extra", "status", "message"),
    [
        ("missing", [], 1, "does not exist"),
        ("folder", [], 1, "is a folder"),
        ("table", ["--geocoder-url", "localhost:8080"], 2, "is not a geocoder URL"),
        ("table", ["--min-delay", "-1"], 2, "--min-delay"),
        ("table", ["--cache", "{tmp}"], 1, "cannot open the geocoding cache"),
        ("table", ["--cache", "{tmp}/not-a-cache.txt"], 1, "not a usable SQLite database"),
    ],
)
def test_errors_are_one_clear_line(tmp_path, capsys, setup, extra, status, message):
    table = tmp_path / "offices.csv"
    if setup == "table":
        table.write_bytes(table_bytes(offices(1)))
    elif setup == "folder":
        table.mkdir()
    (tmp_path / "not-a-cache.txt").write_text("hello " * 200)
    extra = [e.replace("{tmp}", str(tmp_path)) for e in extra]

    got, _, err = geocode(capsys, table, "--offline", *extra)

    assert got == status
    assert err.startswith("error: ") and message in err and len(err.strip().splitlines()) == 1, err


def test_an_invalid_table_lists_its_problems_and_asks_nothing(fake_nominatim, tmp_path, capsys):
    table = tmp_path / "offices.csv"
    table.write_bytes(table_bytes([replace(offices(1)[0], latitude="45,5", longitude="4.8")]))

    status, out, err = geocode(capsys, table, *online(fake_nominatim, tmp_path / "c.sqlite"))

    assert status == 1
    assert "row 2, column latitude: '45,5' is not a number" in out
    assert "not a valid office table" in err and fake_nominatim.requests == []


def test_a_bad_url_in_a_real_process_is_one_line_without_traceback(tmp_path):
    table = tmp_path / "offices.csv"
    shutil.copyfile(OFFICES_CSV, table)
    done = run_geocode(str(table), "--geocoder-url", "http://host:notaport", "--user-agent", USER_AGENT)
    assert done.returncode == 2
    assert done.stderr.startswith("error: ") and len(done.stderr.strip().splitlines()) == 1
    assert "Traceback" not in done.stderr + done.stdout


# --- SIGKILL -------------------------------------------------------------------------------------


def _cache_keys(path: Path) -> set[str]:
    if not path.exists():
        return set()
    db = sqlite3.connect(path)
    try:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        return {row[0] for row in db.execute("SELECT query FROM answers")} if "answers" in tables else set()
    finally:
        db.close()


@pytest.mark.slow
def test_sigkill_at_random_moments_leaves_a_whole_table_a_sound_cache_and_no_repeated_query(
    fake_nominatim, tmp_path
):
    seed = int(os.environ.get("GEOCODE_KILL_SEED", random.randrange(1_000_000)))
    rng = random.Random(seed)
    rows = offices(60)
    expected = serve(fake_nominatim, rows)
    fake_nominatim.delay = 0.02
    table, cache = tmp_path / "offices.csv", tmp_path / "geocode.sqlite"
    table.write_bytes(table_bytes(rows))
    # The run saves the table every 25 offices and at the end: these are the only states allowed.
    states = {filled_bytes(rows, expected, n): n for n in (0, 25, 50, 60)}
    args = [str(table), *online(fake_nominatim, cache)]
    log = tmp_path / "runs.log"

    def key(request):
        return query_key(request.params["q"], request.params.get("countrycodes", ""))

    answered: set[str] = set()
    kills = 0
    saved: list[int] = []  # offices in the table after each kill
    for _ in range(4):  # at most 4 x (12 + 2) queries answered: each run is killed before the end
        start = len(fake_nominatim.requests)
        target = start + rng.randint(1, 12)
        process = start_geocode(*args, log=log)
        deadline = time.monotonic() + 30
        while (
            process.poll() is None and len(fake_nominatim.requests) < target and time.monotonic() < deadline
        ):
            time.sleep(0.002)
        time.sleep(rng.uniform(0, 0.08))  # anywhere in a request, an answer, a cache commit or a save
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            kills += 1
        process.wait(timeout=10)

        data = table.read_bytes()
        assert data in states, f"seed {seed}: the table is neither the old one nor a complete save"
        saved.append(states[data])
        parse_offices(data, str(table), require_coordinates=False)
        asked_now = {key(r) for r in fake_nominatim.requests[start:]}
        assert not asked_now & answered, f"seed {seed}: a query already in the cache was asked again"
        answered = _cache_keys(cache)

    start = len(fake_nominatim.requests)
    done = run_geocode(*args)
    assert done.returncode == 0, done.stdout + done.stderr
    assert table.read_bytes() == filled_bytes(rows, expected, len(rows))
    assert not {key(r) for r in fake_nominatim.requests[start:]} & answered, f"seed {seed}"
    assert len(_cache_keys(cache)) == len(rows)
    # Only a query in flight at a kill may have been asked twice.
    asked = [key(r) for r in fake_nominatim.requests]
    assert len(asked) - len(set(asked)) <= kills and kills == 4, (seed, kills, log.read_text())
    print(f"seed {seed}: survived {kills} kills (table saved with {saved} offices after each);", end=" ")
    print(f"{len(asked)} requests for {len(set(asked))} queries")
