"""Issue #17 defences of the office table reader: only regular files are opened, column names are
checked like cells, source links go where their text says, spreadsheet error values are problems."""

from __future__ import annotations

import os
import random
import re
import subprocess
import sys
import threading
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.exports.kml import to_kml_bytes
from geo.offices import files
from geo.offices.table import (
    URL_PATTERN,
    OfficeTableError,
    link_host,
    link_problem,
    load_offices,
    parse_offices,
)
from tests.corpus import make_corpus

ROOT = Path(__file__).resolve().parent.parent
GOOD = ROOT / "data" / "offices.csv"
needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")


def load_in_thread(path: Path, timeout: float = 30) -> BaseException | None:
    """What load_offices(path) raises, run in a thread so that a blocking open() fails the test."""
    outcome: list[BaseException | None] = []

    def run() -> None:
        try:
            load_offices(path)
        except BaseException as err:  # handed to the test
            outcome.append(err)
        else:
            outcome.append(None)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(timeout)
    assert outcome, f"load_offices({path}) did not return within {timeout} s (blocked in open()?)"
    return outcome[0]


# --- regular files only ---------------------------------------------------------------------------


@needs_fifo
def test_named_pipe_is_refused_not_waited_on(tmp_path: Path):
    fifo = tmp_path / "offices.csv"
    os.mkfifo(fifo)
    error = load_in_thread(fifo)
    assert isinstance(error, OfficeTableError)
    assert [str(p) for p in error.problems] == [f"{fifo}: is a named pipe (FIFO), not a CSV file"]


@needs_fifo
def test_validate_cli_refuses_a_named_pipe(tmp_path: Path):
    fifo = tmp_path / "offices.csv"
    os.mkfifo(fifo)
    done = subprocess.run(
        [sys.executable, "-m", "geo.validate", str(fifo)], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert (done.returncode, done.stdout, done.stderr) == (1, f"{fifo}: is a named pipe (FIFO), not a CSV file\n", "")


@needs_fifo
def test_offices_csv_naming_a_pipe_is_refused(tmp_path: Path):
    """The dashboard reads $OFFICES_CSV through load_offices: a pipe there is a message, not a hung server."""
    fifo = tmp_path / "offices.csv"
    os.mkfifo(fifo)
    script = (
        "from dashboard.data import table_path\n"
        "from geo.offices.table import OfficeTableError, load_offices\n"
        "try:\n    load_offices(table_path())\nexcept OfficeTableError as err:\n    print(err)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "OFFICES_CSV": str(fifo)})
    assert done.stdout == f"{fifo}: is a named pipe (FIFO), not a CSV file\n", done.stderr


@needs_fifo
def test_a_pipe_swapped_in_after_the_check_is_refused_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The path passes os.stat as a regular file, then is a pipe when opened: the open must not block,
    and the open descriptor is checked again."""
    fifo = tmp_path / "offices.csv"
    os.mkfifo(fifo)
    real_stat = os.stat
    monkeypatch.setattr(files.os, "stat", lambda path, *a, **k: real_stat(GOOD) if path == fifo else real_stat(path))
    error = load_in_thread(fifo)
    assert isinstance(error, OfficeTableError) and "is a named pipe (FIFO), not a CSV file" in str(error)


@pytest.mark.parametrize(
    ("path", "kind"), [("/dev/null", "a character device"), ("/dev/zero", "a character device"), ("tests", "a folder")]
)
def test_devices_and_folders_are_refused(path: str, kind: str):
    if not Path(path).exists():
        pytest.skip(f"{path} does not exist here")
    error = load_in_thread(Path(path))
    assert isinstance(error, OfficeTableError)
    assert [p.message for p in error.problems] == [f"is {kind}, not a CSV file"]


# --- column names ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("notes\x1b[31m", "contains the control character U+001B ('notes\\x1b[31m')"),
        ("\u202enotes", "contains the control character U+202E ('\\u202enotes')"),
        ("sources\u2066", "contains the control character U+2066"),
        ("n\ufffe", "contains the control character U+FFFE"),
        ("x" * 6000, "has 6,000 characters; the limit is 64 ('" + "x" * 29 + "…')"),
    ],
)
def test_bad_column_names_are_refused_by_position_and_shown_safely(name: str, shown: str):
    raw = make_corpus.added_column(name, lambda header, row: "note")
    with pytest.raises(OfficeTableError) as caught:
        parse_offices(raw, "x.csv")
    (only,) = caught.value.problems
    assert (only.row, only.column) == (1, None)
    assert only.message == f"the name of the header's column 22 {shown}" or shown in only.message
    assert str(only).isprintable() and len(str(only)) < 200


def test_a_64_character_column_name_is_kept():
    name = "n" * 64
    frame = parse_offices(make_corpus.added_column(name, lambda header, row: "note"))
    assert frame.attrs["extra_columns"] == [name]


def test_kml_of_odd_but_accepted_column_names_is_well_formed():
    names = ['<b>&"quoted"\'</b>', "=hyperlink(\"https://evil.example\";\"x\")", "ملاحظات", "😀 notes"]
    header, rows = make_corpus.good_table()
    raw = make_corpus.to_csv([*header, *names], [[*r, "<x>&", "ok", "نص", "\u200f"] for r in rows]).encode()
    frame = parse_offices(raw)
    root = ET.fromstring(to_kml_bytes(frame, source="a test table"))
    assert root.tag.endswith("kml") and len(root.iter().__next__()) > 0


# --- links ----------------------------------------------------------------------------------------

DECEPTIVE = {
    "https://www.interpol.int@evil.example/en": "hides its real host: a link to it goes to 'evil.example'",
    "https://interpol.int:x@evil.example/": "hides its real host",
    "https://evil.example\\@interpol.int/": "(it contains a backslash)",
    "https://www.\u0456nterpol.int/": "has a non-ASCII host 'www.іnterpol.int' (its ASCII form is 'www.xn--nterpol-qog.int')",
    "https://ＩＮＴＥＲＰＯＬ.int/": "has a non-ASCII host",
    "https://interpol.int:8443/": "names a port (':8443')",
    "https://interpol.int:/": "names a port",
    "https://%65vil.example/": "which is not a domain name",
    "https://interpol.int\\.evil.example/": "(it contains a backslash)",
    "https://127.0.0.1/": "which is not a domain name (an IP address?)",
    "https://[::1]/": "which is not a domain name",
    "https://0x7f.1/": "which is not a domain name (an IP address?)",
    "https://interpol.int/a b": "is not an http(s) address (it contains a space)",
    "https://interpol.int/\u202eten.live": "(it contains the invisible character U+202E)",
    "https://interpol.int/\u200fx": "(it contains the invisible character U+200F)",
    "https:/interpol.int/": "is not an http(s) address",
    "javascript:alert(1)": "'javascript:alert(1)' is not an http(s) address",
    "https://": "which is not a domain name",
}
ACCEPTED = {
    "https://www.interpol.int/en/Who-we-are": "www.interpol.int",
    "HTTP://WWW.INTERPOL.INT/": "www.interpol.int",
    "https://xn--nterpol-qog.int/": "xn--nterpol-qog.int",
    "https://fr.wikipedia.org/wiki/Yaoundé": "fr.wikipedia.org",
    "https://example.org/x?a=${alert(13)}&b={{7*7}}#top": "example.org",
    "https://example.org": "example.org",
    "https://www.ena.et/en/?p=40869": "www.ena.et",
}


@pytest.mark.parametrize("url", DECEPTIVE)
def test_deceptive_links_are_refused_with_the_reason(url: str):
    assert not URL_PATTERN.fullmatch(url)
    problem = link_problem(url)
    assert problem is not None and DECEPTIVE[url] in problem, problem


@pytest.mark.parametrize("url", ACCEPTED)
def test_plain_links_are_accepted_and_show_their_host(url: str):
    assert URL_PATTERN.fullmatch(url) and link_problem(url) is None
    assert link_host(url) == ACCEPTED[url]


def test_link_host_is_the_real_host():
    assert link_host("https://www.interpol.int@evil.example/en") == "evil.example"
    assert link_host("https://www.\u0456nterpol.int/") == "www.xn--nterpol-qog.int"
    assert link_host("https://%65vil.example/") == "evil.example"
    assert link_host("https://ＩＮＴＥＲＰＯＬ.int/") == "interpol.int"
    assert link_host("javascript:alert(1)") == ""


def test_source_url_problem_names_row_column_and_value():
    raw = make_corpus.with_cells({(6, "source_url"): "https://www.interpol.int@evil.example/"})
    with pytest.raises(OfficeTableError) as caught:
        parse_offices(raw, "x.csv")
    assert [str(p) for p in caught.value.problems] == [
        "x.csv, row 6, column source_url: 'https://www.interpol.int@evil.example/' hides its real host: a link "
        "to it goes to 'evil.example', not to 'www.interpol.int'; remove the part before '@'"
    ]


@pytest.mark.parametrize("column", ["serves_source", "coordinate_source"])
def test_other_source_columns_refuse_deceptive_links(column: str):
    raw = make_corpus.with_cells({(2, column): "https://www.interpol.int@evil.example/"})
    with pytest.raises(OfficeTableError) as caught:
        parse_offices(raw)
    assert [(p.row, p.column) for p in caught.value.problems] == [(2, column)]
    assert "hides its real host" in caught.value.problems[0].message


URL_TEXT = st.text(st.sampled_from("abcxyzé\u0456-.:@/\\?#%[]09 "), max_size=30)


@settings(max_examples=400, deadline=None)
@given(URL_TEXT)
def test_a_link_is_accepted_exactly_when_no_problem_is_found_and_reads_as_its_host(rest: str):
    url = "https://" + rest
    accepted = bool(URL_PATTERN.fullmatch(url))
    assert accepted == (link_problem(url) is None)
    if accepted:
        written = rest.split("/")[0].split("?")[0].split("#")[0].rstrip(".").lower()
        assert link_host(url) == written


BROWSER_ONLY = (
    "https://0x7f.1/", "https://2130706433/", "https://017700000001/", "https://www.interpol.int./",
    "HTTPS://%77ww.interpol.int/", "https://xn--nterpol-qog.int.evil.example/x", "https://a@b@evil.example/",
    "https:evil.example/", "https:\\\\evil.example/", " https://ev\til.exa\nmple/ ", "https://1.2.3.4.5/",
)


@pytest.mark.browser
def test_the_browser_goes_to_link_host(page):
    """Chromium's own URL parser decides where a link goes: link_host must agree, for every address."""
    urls = [*DECEPTIVE, *ACCEPTED, *BROWSER_ONLY]
    hosts = page.evaluate(
        "urls => urls.map(u => { try { return new URL(u).hostname } catch (e) { return null } })", urls
    )
    compared = 0
    for url, host in zip(urls, hosts, strict=True):
        if host is None or url.startswith("javascript:"):
            continue  # the browser cannot follow it at all
        assert link_host(url) == host.rstrip("."), url
        compared += 1
    assert compared >= len(ACCEPTED) + len(BROWSER_ONLY) + 8


def accepted_urls(count: int, seed: int = 17) -> list[str]:
    """Random addresses that URL_PATTERN accepts: odd but plain hosts, paths full of lookalike text."""
    rng = random.Random(seed)
    label = "abcdefxyz0123456789-"
    path = [*"abcé\u0456ΑΒ/.:@%?#&=;$[]{}|^~!*()+,", "%2e", "%40", "@evil.example", "\u200f", "😀"]
    urls: list[str] = []
    while len(urls) < count:
        labels = ["".join(rng.choice(label) for _ in range(rng.randint(1, 8))) for _ in range(rng.randint(1, 3))]
        top = rng.choice(["int", "org", "example", "xn--p1ai", "COM"])
        host = ".".join([*labels, top]) + rng.choice(["", "", "."])
        url = rng.choice(["https://", "http://", "HTTPS://"]) + host + rng.choice(["/", "?", "#", ""])
        url += "".join(rng.choice(path) for _ in range(rng.randint(0, 12)))
        if URL_PATTERN.fullmatch(url):
            urls.append(url)
    return urls


@pytest.mark.browser
def test_an_accepted_link_goes_to_the_host_its_text_shows(page):
    urls = accepted_urls(500)
    hosts = page.evaluate("urls => urls.map(u => new URL(u).hostname)", urls)
    for url, host in zip(urls, hosts, strict=True):
        written = re.split(r"[/?#]", url.split("://", 1)[1])[0]
        assert link_host(url) == written.rstrip(".").lower() == host.rstrip("."), url


# --- spreadsheet error values ---------------------------------------------------------------------


@pytest.mark.parametrize("value", ["#DIV/0!", "#N/A", "#REF!", "#NAME?", "#VALUE!", "#n/a"])
@pytest.mark.parametrize("column", ["name", "city", "country", "latitude", "opened", "partner"])
def test_spreadsheet_error_values_are_located_problems(value: str, column: str):
    raw = make_corpus.with_cells({(4, column): value})
    with pytest.raises(OfficeTableError) as caught:
        parse_offices(raw, "x.csv")
    located = [p for p in caught.value.problems if (p.row, p.column) == (4, column)]
    assert located and f"{value!r} is a spreadsheet error value" in located[0].message, caught.value.problems


def test_text_starting_with_a_hash_is_still_text():
    raw = make_corpus.with_cells({(2, "address"): "#12 Quai Charles de Gaulle", (3, "partner"): "#N/A team"})
    frame = parse_offices(raw)
    assert frame.loc[0, "address"] == "#12 Quai Charles de Gaulle" and frame.loc[1, "partner"] == "#N/A team"
