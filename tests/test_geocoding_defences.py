"""The geocoder's defences (issue #17) against a fake Nominatim on 127.0.0.1: it keeps to the server
it was given, bounds each request in total time, caps an answer's size, refuses a point out of range
without retrying it, refuses a table the user may not write, saves what it has before it stops, and
tells a busy cache from a broken one."""

from __future__ import annotations

import logging
import os
import sqlite3
import stat
import time
import tracemalloc
import warnings

import pytest
from geopy.geocoders import options as geopy_options

from geo.geocoding import cache as cache_module
from geo.geocoding.cache import GeocodeCache, GeocodeCacheBusy
from geo.geocoding.service import (
    GeocodingRefused,
    GeocodingUnavailable,
    NominatimClient,
    NominatimGeocoder,
    OfficeAddress,
    build_geocoder,
)
from geo.geocoding.transport import same_server
from tests import conftest_geocoding
from tests.conftest_geocoding import USER_AGENT, geocode, offices, read_table, serve, table_bytes
from tests.conftest_geocoding import online as online_at
from tests.fake_nominatim import FakeNominatim, drip, huge, place, redirect

fake_nominatim = conftest_geocoding.fake_nominatim
tls = conftest_geocoding.tls

LYON = OfficeAddress("Lyon", "France", "FR")


def online(server: FakeNominatim, cache) -> list[str]:
    return online_at(server, cache, min_delay="0")


def client_for(server: FakeNominatim, **options: object) -> NominatimClient:
    settings: dict[str, object] = {"user_agent": USER_AGENT, "url": server.url, "min_delay_seconds": 0.0}
    settings.update(options)
    return NominatimClient(**settings)  # type: ignore[arg-type]


# --- one origin ----------------------------------------------------------------------------------


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"], ids=["other-port", "other-host"])
def test_a_redirect_to_another_server_is_refused_and_nothing_reaches_it(fake_nominatim, host):
    with FakeNominatim() as elsewhere:
        target = elsewhere.url.replace("127.0.0.1", host) + "/search?q=x"
        fake_nominatim.script("Lyon, France", redirect(target))
        client = client_for(fake_nominatim)

        with pytest.raises(GeocodingRefused) as refused:
            client.search("Lyon, France", "FR")

        assert elsewhere.requests == []  # neither the address nor the user agent went there
    message = str(refused.value)
    assert f"redirected to {target.split('/search')[0]}" in message and "not followed" in message
    assert "q=x" not in message  # a message never quotes the query (an office's address)
    assert len(fake_nominatim.requests) == 1  # not retried


def test_a_redirect_on_the_same_server_is_followed(fake_nominatim):
    fake_nominatim.answer("Lyon, France", place(45.75, 4.85))
    fake_nominatim.script("Lyon, France", redirect("{same}"))
    answer = client_for(fake_nominatim).search("Lyon, France", "FR")
    assert answer is not None and answer["latitude"] == 45.75
    assert [r.outcome for r in fake_nominatim.requests] == ["redirect", "answer"]


def test_an_https_server_is_asked_over_tls_and_its_downgrade_to_http_is_refused(tls, monkeypatch):
    monkeypatch.setattr(geopy_options, "default_ssl_context", tls.client)  # trust the test certificate
    with FakeNominatim(tls=tls.server) as secure:
        secure.answer("Lyon, France", place(45.75, 4.85))
        client = client_for(secure)
        assert secure.url.startswith("https://")
        assert client.search("Lyon, France", "FR")["latitude"] == 45.75

        # The same host and port, in clear: the address and user agent would cross the network unencrypted.
        plain = secure.url.replace("https://", "http://")
        secure.script("Lyon, France", redirect(f"{plain}{{same}}"))
        with pytest.raises(GeocodingRefused, match=f"redirected to {plain}; not followed"):
            client.search("Lyon, France", "FR")
        assert [r.outcome for r in secure.requests] == ["answer", "redirect"]


@pytest.mark.parametrize(
    ("first", "target", "kept"),
    [
        ("https://nominatim.example.org", "http://nominatim.example.org/search", False),  # downgrade
        ("https://nominatim.example.org", "https://evil.example/search", False),
        ("https://nominatim.example.org", "https://nominatim.example.org:8443/search", False),
        ("https://nominatim.example.org", "https://NOMINATIM.example.org:443/search", True),
        ("http://nominatim.example.org", "https://nominatim.example.org/search", True),  # upgrade
        ("http://127.0.0.1:8080", "ftp://127.0.0.1:8080/search", False),
    ],
)
def test_same_server_allows_no_other_host_and_no_downgrade(first, target, kept):
    assert same_server(first, target) is kept


def test_a_refused_redirect_stops_the_run_saving_the_offices_done_and_caching_nothing_of_it(
    fake_nominatim, tmp_path, capsys
):
    rows = offices(3, with_address=False)
    expected = serve(fake_nominatim, rows)
    fake_nominatim.script(rows[1].city_query, redirect("http://localhost:9/search"))
    table, cache = tmp_path / "offices.csv", tmp_path / "c.sqlite"
    table.write_bytes(table_bytes(rows))

    status, _, err = geocode(capsys, table, *online(fake_nominatim, cache))

    assert status == 1
    [line] = err.strip().splitlines()
    assert line.startswith("error: the geocoder at http://127.0.0.1:") and "localhost:9" in line
    assert "are saved in" in line
    got = read_table(table)
    assert (float(got[0]["latitude"]), float(got[0]["longitude"])) == expected[rows[0].id][:2]
    assert got[1]["latitude"] == "" and got[2]["latitude"] == ""
    with GeocodeCache(cache) as answers:
        assert len(answers) == 1  # the first office's answer only


# --- a total deadline and a size cap -------------------------------------------------------------


@pytest.mark.parametrize("in_headers", [False, True], ids=["body", "headers"])
def test_a_server_dripping_one_byte_at_a_time_is_cut_at_the_total_timeout(fake_nominatim, in_headers):
    fake_nominatim.answer("Lyon, France", place(45.75, 4.85))
    fake_nominatim.script("Lyon, France", drip(0.1, in_headers=in_headers))  # about 30 s in all
    client = client_for(fake_nominatim, timeout=1.0, max_retries=0)

    started = time.monotonic()
    with pytest.raises(GeocodingUnavailable, match="timed out"):
        client.search("Lyon, France", "FR")
    took = time.monotonic() - started

    assert took < 3.0, f"one request took {took:.1f} s with --timeout 1"


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "no-content-length"])
def test_an_answer_over_one_megabyte_is_refused_without_reading_it_all(fake_nominatim, caplog, declared):
    fake_nominatim.script("Lyon, France", huge(50 * 2**20, declared=declared))
    client = client_for(fake_nominatim, max_retries=3)

    tracemalloc.start()
    try:
        with pytest.raises(GeocodingUnavailable, match="larger than 1 MB"):
            client.search("Lyon, France", "FR")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert peak < 8 * 2**20, f"{peak / 2**20:.1f} MB held for a refused answer"
    assert len(fake_nominatim.requests) == 1  # a refused answer is not asked again


# --- a point out of range ------------------------------------------------------------------------


def test_a_point_out_of_range_is_an_invalid_answer_not_retried_and_without_a_geopy_warning(
    fake_nominatim, caplog
):
    fake_nominatim.answer("Lyon, France", place(91.0, 4.85))
    geocoder, _ = build_geocoder(
        cache=None, user_agent=USER_AGENT, url=fake_nominatim.url, min_delay_seconds=0
    )

    with (
        warnings.catch_warnings(record=True) as caught,
        caplog.at_level(logging.WARNING, logger="geo.geocoding"),
    ):
        warnings.simplefilter("always")
        result = geocoder.geocode(LYON)

    assert result is not None and result.source == "gazetteer"  # the next geocoder answered
    assert len(fake_nominatim.requests) == 1  # not retried as a transient fault
    [message] = [r.getMessage() for r in caplog.records]
    assert "invalid answer for 'Lyon, France'" in message and "(91, 4.85) is out of range" in message
    assert "not valid Nominatim JSON" not in message
    assert [str(w.message) for w in caught] == []


def test_a_point_out_of_range_is_never_cached(fake_nominatim, tmp_path):
    fake_nominatim.answer("Lyon, France", place(45.0, 181.0))
    with GeocodeCache(tmp_path / "c.sqlite") as cache:
        with pytest.raises(GeocodingUnavailable, match="out of range"):
            NominatimGeocoder(client_for(fake_nominatim), cache).geocode(LYON)
        assert len(cache) == 0


# --- the table and the cache ---------------------------------------------------------------------


def test_a_read_only_table_is_refused_before_anything_is_asked(fake_nominatim, tmp_path, capsys):
    rows = offices(2)
    serve(fake_nominatim, rows)
    table, cache = tmp_path / "offices.csv", tmp_path / "c.sqlite"
    table.write_bytes(table_bytes(rows))
    table.chmod(0o444)

    status, _, err = geocode(capsys, table, *online(fake_nominatim, cache))

    assert status == 1
    assert err.startswith(f"error: {table} is read-only (mode 0444); not replacing it"), err
    assert fake_nominatim.requests == [] and not cache.exists()
    assert table.read_bytes() == table_bytes(rows) and stat.S_IMODE(table.stat().st_mode) == 0o444
    # --dry-run writes nothing, so it may still show the changes.
    status, out, _ = geocode(capsys, table, *online(fake_nominatim, cache), "--dry-run")
    assert status == 0 and "would change" in out


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a file to another user needs root")
def test_a_table_owned_by_someone_else_is_refused(fake_nominatim, tmp_path, capsys):
    table = tmp_path / "offices.csv"
    table.write_bytes(table_bytes(offices(1)))
    os.chown(table, 4242, 4242)  # writable by its owner only; the folder is writable

    status, _, err = geocode(capsys, table, "--offline", "--cache", tmp_path / "c.sqlite")

    assert status == 1 and "belongs to user 4242, not to you" in err, err
    assert table.stat().st_uid == 4242 and table.read_bytes() == table_bytes(offices(1))


def test_a_cache_locked_mid_run_stops_the_run_with_the_offices_done_saved(
    fake_nominatim, tmp_path, capsys, monkeypatch
):
    monkeypatch.setattr(cache_module, "BUSY_TIMEOUT_SECONDS", 0.2)
    rows = offices(4, with_address=False)
    expected = serve(fake_nominatim, rows)
    table, cache = tmp_path / "offices.csv", tmp_path / "c.sqlite"
    table.write_bytes(table_bytes(rows))
    other = sqlite3.connect(cache, check_same_thread=False, isolation_level=None)

    def lock_at_the_third(request) -> None:
        if len(fake_nominatim.requests) == 3:
            other.execute("BEGIN IMMEDIATE")  # another program's write lock, held

    fake_nominatim.on_request = lock_at_the_third
    try:
        status, _, err = geocode(capsys, table, *online(fake_nominatim, cache))
    finally:
        other.close()

    assert status == 1
    [line] = err.strip().splitlines()
    assert "is in use by another program" in line and "try again" in line, line
    assert "not a usable SQLite database" not in line and "delete it" not in line
    assert f"the offices changed so far (2) are saved in {table}" in line
    got = read_table(table)
    for row, office in zip(got[:2], rows[:2], strict=True):
        assert (float(row["latitude"]), float(row["longitude"])) == expected[office.id][:2]
    assert [row["latitude"] for row in got[2:]] == ["", ""]


def test_a_cache_locked_by_another_program_is_busy_not_broken(tmp_path):
    path = tmp_path / "c.sqlite"
    other = sqlite3.connect(path, isolation_level=None)  # a rollback-journal database, as others make
    other.execute("CREATE TABLE t (x)")
    other.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(GeocodeCacheBusy) as busy:
            GeocodeCache(path, busy_timeout=0.1)
    finally:
        other.close()
    assert "in use by another program" in str(busy.value) and "try again" in str(busy.value)
    assert "not a usable SQLite database" not in str(busy.value)
    with GeocodeCache(path, busy_timeout=0.1) as cache:  # free again: usable
        assert len(cache) == 0
