"""The geocoding library against a fake Nominatim on 127.0.0.1: queries, precision, faults, retries,
rate limit, cache, user agent and the offline gazetteer. The real geopy client is used throughout."""

from __future__ import annotations

import logging
import sqlite3
import time

import pytest

from geo.geocoding.cache import GeocodeCache, GeocodeCacheError, query_key
from geo.geocoding.service import (
    REFUSED_USER_AGENTS,
    FallbackGeocoder,
    GazetteerGeocoder,
    GeocodeResult,
    GeocodingConfigError,
    GeocodingUnavailable,
    NominatimClient,
    NominatimGeocoder,
    OfficeAddress,
    ServiceAbandoned,
    build_geocoder,
    parse_service_url,
    precision_of,
)
from tests import conftest_geocoding
from tests.conftest_geocoding import USER_AGENT
from tests.fake_nominatim import (
    DROP,
    EMPTY,
    HTTP_500,
    MALFORMED,
    TIMEOUT,
    FakeNominatim,
    building,
    place,
    rate_limited,
)

fake_nominatim = conftest_geocoding.fake_nominatim

LYON = OfficeAddress("Lyon", "France", "FR", "200 Quai Charles de Gaulle")
LYON_ADDRESS_QUERY = "200 Quai Charles de Gaulle, Lyon, France"


class FakeClock:
    """Replaces the rate limiter's clock and sleep: no real waiting, every sleep recorded."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []
        self.calls: list[float] = []  # the clock when each request was sent

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def client_for(server: FakeNominatim, *, fake_clock: bool = True, **options: object):
    """The real geopy-based client pointed at the fake server; with a fake clock by default.

    With the fake clock the delay between requests is 0 (geopy's limiter underneath keeps real time)
    and the first back-off is 2 s, as with the default one-second delay.
    """
    settings: dict[str, object] = {"user_agent": USER_AGENT, "url": server.url, "timeout": 2.0}
    if fake_clock:
        settings.update(min_delay_seconds=0.0, error_wait_seconds=2.0)
    settings.update(options)
    client = NominatimClient(**settings)  # type: ignore[arg-type]
    clock = FakeClock()
    if fake_clock:
        client.limiter.clock = clock.clock
        client.limiter.sleep = clock.sleep
        send = client.limiter.func

        def timed_send(*args: object, **kwargs: object) -> object:
            clock.calls.append(clock.now)
            return send(*args, **kwargs)

        client.limiter.func = timed_send
    return client, clock


# --- queries and precision -----------------------------------------------------------------------


def test_address_query_gives_building_precision(fake_nominatim, tmp_path):
    fake_nominatim.answer(LYON_ADDRESS_QUERY, building(45.78, 4.86))
    client, _ = client_for(fake_nominatim)
    result = NominatimGeocoder(client, GeocodeCache(tmp_path / "c.sqlite")).geocode(LYON)

    assert result == GeocodeResult(45.78, 4.86, "building", "nominatim")
    [request] = fake_nominatim.requests
    assert request.params["q"] == LYON_ADDRESS_QUERY
    assert request.params["countrycodes"] == "fr"
    assert request.params["format"] in ("json", "jsonv2")
    assert request.user_agent == USER_AGENT


def test_office_without_address_asks_city_country_at_city_precision(fake_nominatim):
    fake_nominatim.answer("Yaoundé, Cameroon", building(3.87, 11.52))  # even a building answer
    client, _ = client_for(fake_nominatim)
    result = NominatimGeocoder(client).geocode(OfficeAddress("Yaoundé", "Cameroon", "CM"))

    assert result == GeocodeResult(3.87, 11.52, "city", "nominatim")
    assert fake_nominatim.queries() == ["yaoundé, cameroon"]


def test_address_answered_by_a_city_is_city_precision(fake_nominatim):
    fake_nominatim.answer(LYON_ADDRESS_QUERY, place(45.76, 4.84, cls="boundary", type_="administrative"))
    client, _ = client_for(fake_nominatim)
    assert NominatimGeocoder(client).geocode(LYON) == GeocodeResult(45.76, 4.84, "city", "nominatim")


def test_unknown_address_falls_back_to_the_city_query(fake_nominatim, tmp_path):
    fake_nominatim.answer("Lyon, France", place(45.75, 4.85))
    cache = GeocodeCache(tmp_path / "c.sqlite")
    client, _ = client_for(fake_nominatim)

    assert NominatimGeocoder(client, cache).geocode(LYON) == GeocodeResult(45.75, 4.85, "city", "nominatim")
    assert fake_nominatim.queries() == [LYON_ADDRESS_QUERY.casefold(), "lyon, france"]
    assert cache.get(query_key(LYON_ADDRESS_QUERY, "FR")) is None  # the "no result" is cached too


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"class": "building", "type": "yes"}, "building"),
        ({"class": "place", "type": "house"}, "building"),
        ({"category": "amenity", "type": "police"}, "building"),  # jsonv2 says category
        ({"class": "office", "type": "government"}, "building"),
        ({"class": "highway", "type": "primary", "addresstype": "road"}, "city"),
        ({"class": "boundary", "type": "administrative", "addresstype": "city"}, "city"),
        ({"class": "x", "type": "y", "addresstype": "building"}, "building"),
    ],
)
def test_precision_of_nominatim_answers(raw, expected):
    assert precision_of(raw) == expected


# --- faults --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "outcome", "message"),
    [
        (HTTP_500, "500", "HTTP 500"),
        (rate_limited(1), "429", "HTTP 429"),
        (TIMEOUT, "sleep", "timed out"),
        (DROP, "drop", "closed without an answer"),
        (MALFORMED, "malformed", "not valid Nominatim JSON"),
    ],
    ids=["http-500", "http-429", "timeout", "dropped-connection", "malformed-json"],
)
def test_a_transient_fault_is_retried_after_a_logged_back_off(
    fake_nominatim, caplog, fault, outcome, message
):
    fake_nominatim.answer("Lyon, France", place(45.75, 4.85))
    fake_nominatim.script("Lyon, France", fault)
    client, clock = client_for(fake_nominatim, timeout=0.3)

    with caplog.at_level(logging.WARNING, logger="geo.geocoding"):
        result = NominatimGeocoder(client).geocode(OfficeAddress("Lyon", "France", "FR"))

    assert result == GeocodeResult(45.75, 4.85, "city", "nominatim")
    assert [r.outcome for r in fake_nominatim.requests] == [outcome, "answer"]
    assert client.requests_sent == 2
    [warning] = [r.getMessage() for r in caplog.records if r.name.startswith("geo.geocoding")]
    assert message in warning and "retry 1/3" in warning and "'Lyon, France'" in warning
    assert clock.sleeps == [2.0]  # the first back-off with the default one-second delay


def test_empty_list_is_a_definitive_no_result_and_is_cached(fake_nominatim, tmp_path):
    fake_nominatim.answer("Lyon, France", place(45.75, 4.85))
    fake_nominatim.script("Lyon, France", EMPTY)
    cache = GeocodeCache(tmp_path / "c.sqlite")
    client, clock = client_for(fake_nominatim)
    geocoder = NominatimGeocoder(client, cache)
    office = OfficeAddress("Lyon", "France", "FR")

    assert geocoder.geocode(office) is None
    assert geocoder.geocode(office) is None  # from the cache: the server would answer now
    assert len(fake_nominatim.requests) == 1 and clock.sleeps == []
    assert cache.get(query_key("Lyon, France", "FR")) is None and len(cache) == 1


def test_back_off_doubles_and_gives_up_after_max_retries_without_caching(fake_nominatim, tmp_path, caplog):
    fake_nominatim.answer("Lyon, France", place(45.75, 4.85))
    fake_nominatim.script("Lyon, France", HTTP_500, HTTP_500, HTTP_500, HTTP_500)
    cache = GeocodeCache(tmp_path / "c.sqlite")
    client, clock = client_for(fake_nominatim)
    geocoder = NominatimGeocoder(client, cache)
    office = OfficeAddress("Lyon", "France", "FR")

    with caplog.at_level(logging.WARNING, logger="geo.geocoding"), pytest.raises(GeocodingUnavailable):
        geocoder.geocode(office)
    assert clock.sleeps == [2.0, 4.0, 8.0]
    assert len(fake_nominatim.requests) == 4  # the first try and three retries
    retries = [r.getMessage() for r in caplog.records if "retry" in r.getMessage()]
    assert [m.split("retry ")[1][:3] for m in retries] == ["1/3", "2/3", "3/3"]
    assert len(cache) == 0  # an error is never cached...

    assert geocoder.geocode(office) == GeocodeResult(
        45.75, 4.85, "city", "nominatim"
    )  # ...so it is asked again
    assert len(cache) == 1


def test_retry_after_of_a_429_is_honoured(fake_nominatim):
    fake_nominatim.answer("Lyon, France", place(45.75, 4.85))
    fake_nominatim.script("Lyon, France", rate_limited(7))
    client, clock = client_for(fake_nominatim)

    assert client.search("Lyon, France", "FR") is not None
    assert clock.sleeps == [7.0]  # longer than the 2 s back-off
    assert clock.calls[1] - clock.calls[0] >= 7.0


def test_retry_after_waits_for_real_at_the_server(fake_nominatim):
    fake_nominatim.answer("Lyon, France", place(45.75, 4.85))
    fake_nominatim.script("Lyon, France", rate_limited(1))
    client, _ = client_for(fake_nominatim, fake_clock=False, min_delay_seconds=0.05)

    assert client.search("Lyon, France", "FR") is not None
    [gap] = fake_nominatim.gaps()
    assert gap >= 1.0, f"the retry came {gap:.3f} s after the 429 with Retry-After: 1"


def test_a_retry_after_beyond_the_limit_ends_the_retries(fake_nominatim):
    fake_nominatim.script("Lyon, France", rate_limited(3600))
    client, clock = client_for(fake_nominatim)
    with pytest.raises(GeocodingUnavailable, match="429"):
        client.search("Lyon, France", "FR")
    assert len(fake_nominatim.requests) == 1 and clock.sleeps == []


def test_a_refusal_is_not_retried(fake_nominatim):
    fake_nominatim.script("Lyon, France", ("status", 403))
    client, clock = client_for(fake_nominatim)
    with pytest.raises(GeocodingUnavailable, match="403"):
        client.search("Lyon, France", "FR")
    assert len(fake_nominatim.requests) == 1 and clock.sleeps == []


def test_min_delay_between_requests_holds_at_the_server(fake_nominatim):
    for city in ("Lyon", "Paris", "Nice", "Lille"):
        fake_nominatim.answer(f"{city}, France", place(45.0, 4.0))
    fake_nominatim.delay = 0.05  # answers take a while: the delay counts from the end of each
    client, _ = client_for(fake_nominatim, fake_clock=False, min_delay_seconds=0.3)
    for city in ("Lyon", "Paris", "Nice", "Lille"):
        client.search(f"{city}, France", "FR")
    gaps = fake_nominatim.gaps()
    assert len(gaps) == 3 and all(gap >= 0.3 + 0.05 for gap in gaps), gaps


def test_the_default_delay_is_one_second_and_the_public_server_refuses_less():
    client = NominatimClient(user_agent=USER_AGENT)
    assert client.limiter.min_delay_seconds == 1.0
    assert client.url == "https://nominatim.openstreetmap.org"
    with pytest.raises(GeocodingConfigError, match="one request a second"):
        NominatimClient(user_agent=USER_AGENT, min_delay_seconds=0.5)


# --- configuration -------------------------------------------------------------------------------


@pytest.mark.parametrize("agent", [*sorted(REFUSED_USER_AGENTS), "geopy/2.5.0", None, "", "  "])
def test_default_and_sample_user_agents_are_refused(fake_nominatim, agent):
    with pytest.raises(GeocodingConfigError, match="--user-agent"):
        NominatimClient(user_agent=agent, url=fake_nominatim.url)
    assert fake_nominatim.requests == []


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://127.0.0.1:8080", ("http", "127.0.0.1:8080")),
        ("https://nominatim.example.org/", ("https", "nominatim.example.org")),
        ("https://example.org/nominatim/search", ("https", "example.org/nominatim")),
    ],
)
def test_service_url_gives_geopy_scheme_and_domain(url, expected):
    assert parse_service_url(url) == expected


@pytest.mark.parametrize(
    "url",
    ["127.0.0.1:8080", "ftp://example.org", "http://", "http://host:99999", "http://h/?q=1", "nonsense"],
)
def test_bad_service_urls_are_refused(url):
    with pytest.raises(GeocodingConfigError, match="URL"):
        parse_service_url(url)


# --- gazetteer, fallback, cache ------------------------------------------------------------------


def test_gazetteer_gives_city_precision():
    gazetteer = GazetteerGeocoder()
    assert gazetteer.geocode(OfficeAddress("Yaoundé", "Cameroon", "CM")) == GeocodeResult(
        3.86667, 11.51667, "city", "gazetteer"
    )
    # The country code can be found from the country's name; unknown places have no answer.
    assert gazetteer.geocode(OfficeAddress("Lyon", "France")).latitude == 45.74906
    assert gazetteer.geocode(OfficeAddress("Atlantis", "France", "FR")) is None


def test_unreachable_service_falls_back_to_the_gazetteer_then_is_abandoned(tmp_path, caplog):
    with FakeNominatim() as server:
        url = server.url
    # Nothing listens there any more: every request is refused at once.
    cache = GeocodeCache(tmp_path / "c.sqlite")
    geocoder, client = build_geocoder(
        cache=cache, user_agent=USER_AGENT, url=url, max_retries=1, min_delay_seconds=0.0
    )
    clock = FakeClock()
    client.limiter.clock, client.limiter.sleep = clock.clock, clock.sleep

    with caplog.at_level(logging.WARNING, logger="geo.geocoding"):
        results = [
            geocoder.geocode(OfficeAddress(c, "France", "FR")) for c in ("Lyon", "Paris", "Nice", "Lille")
        ]

    assert all(r is not None and r.source == "gazetteer" and r.precision == "city" for r in results)
    assert client.requests_sent == 6  # two tries each for three offices, none for the fourth
    assert client.abandoned
    with pytest.raises(ServiceAbandoned):
        client.search("Lyon, France")
    messages = [r.getMessage() for r in caplog.records]
    assert any("connection refused" in m and "using the gazetteer" in m for m in messages)
    assert any("not asking it again" in m for m in messages)
    assert len(cache) == 0


def test_cache_only_geocoder_never_takes_a_city_answer_for_an_unasked_address(fake_nominatim, tmp_path):
    cache = GeocodeCache(tmp_path / "c.sqlite")
    cache.put(query_key("Lyon, France", "FR"), {"latitude": 45.75, "longitude": 4.85, "precision": "city"})
    offline = FallbackGeocoder([NominatimGeocoder(None, cache), GazetteerGeocoder()])

    assert offline.geocode(OfficeAddress("Lyon", "France", "FR")).source == "cache"
    assert offline.geocode(LYON).source == "gazetteer"  # the address was never asked
    cache.put(query_key(LYON_ADDRESS_QUERY, "FR"), None)  # asked, no result: the city answer is fine
    assert offline.geocode(LYON) == GeocodeResult(45.75, 4.85, "city", "cache")


def test_cache_is_sqlite_wal_and_persists(tmp_path):
    path = tmp_path / "sub" / "geocode.sqlite"
    with GeocodeCache(path) as cache:
        cache.put(
            query_key(" Lyon,  FRANCE ", "fr"), {"latitude": 45.75, "longitude": 4.85, "precision": "city"}
        )
        cache.put(query_key("Atlantis", ""), None)
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    with GeocodeCache(path) as cache:
        assert cache.get("fr|lyon, france")["latitude"] == 45.75
        assert "|atlantis" in cache and cache.get("|atlantis") is None
        assert "fr|paris, france" not in cache


def test_a_file_that_is_not_a_cache_is_one_clear_error(tmp_path):
    path = tmp_path / "geocode.sqlite"
    path.write_text("not a database, " * 100)
    with pytest.raises(GeocodeCacheError, match="not a usable SQLite database"):
        GeocodeCache(path)


def test_geocoding_takes_no_real_time_with_the_fake_clock(fake_nominatim):
    fake_nominatim.answer("Lyon, France", place(45.75, 4.85))
    fake_nominatim.script("Lyon, France", HTTP_500, HTTP_500, HTTP_500)
    client, clock = client_for(fake_nominatim)
    started = time.monotonic()
    assert client.search("Lyon, France", "FR") is not None
    assert sum(clock.sleeps) == 14.0 and time.monotonic() - started < 2.0
