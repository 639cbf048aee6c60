"""The office table loader: the real table, a corpus of broken tables, and random damage."""

from __future__ import annotations

import csv
import io
import json
import math
import random
from pathlib import Path

import pandas as pd
import pytest

from geo.offices import table as table_module
from geo.offices.files import read_regular_file
from geo.offices.schema import CONTRACT_COLUMNS, MAX_CELL_CHARS, TEXT_COLUMNS
from geo.offices.table import (
    MAX_FILE_BYTES,
    MAX_PROBLEMS,
    OfficeTableError,
    Problem,
    load_offices,
    parse_offices,
)
from tests.corpus import make_corpus

ROOT = Path(__file__).resolve().parent.parent
GOOD = ROOT / "data" / "offices.csv"
CORPUS = ROOT / "tests" / "corpus" / "bad"
EXPECTED: dict[str, dict] = json.loads((ROOT / "tests" / "corpus" / "expected.json").read_text("utf-8"))
# Repairs that must give back exactly the real table.
SAME_AS_GOOD = (
    "utf16.csv",
    "utf8_bom.csv",
    "semicolons.csv",
    "semicolons_decimal_comma.csv",
    "tabs.csv",
    "header_spaces_and_case.csv",
    "trailing_empty_columns.csv",
    "country_code_lowercase.csv",
    "swapped_repairable.csv",
    "swapped_repairable_over_90.csv",
)


@pytest.fixture(scope="session")
def generated_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The corpus files too big to commit, written once per session."""
    folder = tmp_path_factory.mktemp("corpus")
    (folder / make_corpus.TEN_MEGABYTES).write_bytes(make_corpus.ten_megabyte_table())
    return folder


def corpus_path(name: str, generated_dir: Path) -> Path:
    return generated_dir / name if EXPECTED[name].get("generated") else CORPUS / name


def assert_contract_dtypes(frame: pd.DataFrame) -> None:
    assert list(frame.columns[: len(CONTRACT_COLUMNS)]) == list(CONTRACT_COLUMNS)
    assert frame["latitude"].dtype == "float64"
    assert frame["longitude"].dtype == "float64"
    assert frame["opened"].dtype == "Int64"
    for column in TEXT_COLUMNS:
        assert frame[column].dtype == "str", column
        assert not frame[column].isna().any(), column


# --- the real table -------------------------------------------------------------------------------


def test_good_table_loads_with_contract_dtypes_and_order():
    frame = load_offices(GOOD)
    assert len(frame) == 14
    assert list(frame.columns) == list(CONTRACT_COLUMNS)
    assert_contract_dtypes(frame)
    assert isinstance(frame.index, pd.RangeIndex)
    assert frame.attrs["notes"] == []
    assert frame.attrs["extra_columns"] == []
    assert frame["id"].is_unique
    lyon = frame.set_index("id").loc["hq-lyon"]
    assert (lyon["latitude"], lyon["longitude"], lyon["opened"]) == (45.78219, 4.84838, 1989)
    assert lyon["geocode_precision"] == "building" and lyon["coordinate_source"].startswith("https://")
    assert frame.set_index("id").loc["rb-nairobi", "opened"] is pd.NA
    assert frame["latitude"].between(-90, 90).all() and frame["longitude"].between(-180, 180).all()


def test_row_index_gives_spreadsheet_rows():
    frame = parse_offices(GOOD.read_bytes(), "offices.csv", row_index=True)
    assert frame.index.name == "row"
    assert list(frame.index) == list(range(2, 16))
    assert frame.loc[2, "id"] == "hq-lyon"


# --- the corpus -----------------------------------------------------------------------------------


def test_corpus_is_complete():
    committed = {p.name for p in CORPUS.iterdir()}
    generated = {name for name, entry in EXPECTED.items() if entry.get("generated")}
    assert committed | generated == set(EXPECTED)
    assert not committed & generated
    assert len(EXPECTED) >= 34
    assert set(EXPECTED) == {case.name for case in make_corpus.CASES}
    for entry in EXPECTED.values():
        assert entry.get("ok") is True or entry.get("problems"), entry


def test_corpus_script_is_deterministic(tmp_path: Path):
    first = make_corpus.write_corpus(tmp_path / "a", tmp_path / "a.json")
    second = make_corpus.write_corpus(tmp_path / "b", tmp_path / "b.json")
    assert [p.read_bytes() for p in first] == [p.read_bytes() for p in second]
    assert (tmp_path / "a.json").read_bytes() == (tmp_path / "b.json").read_bytes()
    assert json.loads((tmp_path / "a.json").read_text("utf-8")) == EXPECTED


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_file(name: str, generated_dir: Path):
    path = corpus_path(name, generated_dir)
    expected = EXPECTED[name]
    before = path.read_bytes()
    try:
        frame = load_offices(path)
    except OfficeTableError as err:
        assert "problems" in expected, f"{name} should load, got {err}"
        got = [(p.row, p.column) for p in err.problems]
        want = [(p["row"], p["column"]) for p in expected["problems"]]
        assert sorted(got, key=str) == sorted(want, key=str), err
        for want_problem in expected["problems"]:
            matching = [
                p for p in err.problems if (p.row, p.column) == (want_problem["row"], want_problem["column"])
            ]
            assert any(want_problem["message"] in p.message for p in matching), (want_problem, matching)
        for problem in err.problems:
            assert problem.source == str(path)
            assert str(problem).startswith(str(path))
            assert "\n" not in str(problem)
    else:
        assert expected.get("ok") is True, f"{name} should fail with {expected['problems']}"
        assert_contract_dtypes(frame)
        notes = frame.attrs["notes"]
        if not expected["notes"]:
            assert notes == []
        for substring in expected["notes"]:
            assert any(substring in note for note in notes), (substring, notes)
    assert path.read_bytes() == before, "loading must never change the file"


@pytest.mark.parametrize("name", SAME_AS_GOOD)
def test_repairs_give_back_the_real_table(name: str):
    good = load_offices(GOOD)
    repaired = load_offices(CORPUS / name)
    assert repaired.attrs["notes"], "a repair is always described"
    pd.testing.assert_frame_equal(repaired, good)


def test_right_to_left_text_loads_unchanged():
    frame = load_offices(CORPUS / "arabic_rtl.csv")
    assert frame.loc[0, "name"] == make_corpus.ARABIC_NAME
    assert frame.loc[0, "description"].startswith(make_corpus.RLM)


def test_ten_megabyte_table_loads(generated_dir: Path):
    path = generated_dir / make_corpus.TEN_MEGABYTES
    assert path.stat().st_size >= 10 * 1024 * 1024
    frame = load_offices(path)
    assert len(frame) > 15_000 and frame["id"].is_unique


def test_problems_name_row_column_and_value():
    raw = make_corpus.with_cells({(3, "timezone"): "Mars/Olympus", (5, "region"): "Middle Earth"})
    with pytest.raises(OfficeTableError) as caught:
        parse_offices(raw, "x.csv")
    assert [str(p) for p in caught.value.problems] == [
        "x.csv, row 3, column timezone: 'Mars/Olympus' is not an IANA time zone (e.g. Europe/Paris)",
        "x.csv, row 5, column region: 'Middle Earth' is not a region (one of Africa, Americas, "
        "Asia-Pacific, Europe)",
    ]


# --- limits and edges -----------------------------------------------------------------------------


def test_more_problems_than_listed_are_counted():
    header, rows = make_corpus.good_table()
    many = [[f"BAD ID {i}", *rows[0][1:]] for i in range(MAX_PROBLEMS + 50)]
    with pytest.raises(OfficeTableError) as caught:
        parse_offices(make_corpus.to_csv(header, many).encode(), "many.csv")
    problems = caught.value.problems
    assert len(problems) == MAX_PROBLEMS + 1
    assert problems[-1].message == f"and 50 more problems (only the first {MAX_PROBLEMS} are listed)"


def test_oversize_is_refused_with_the_limit_in_mb():
    with pytest.raises(OfficeTableError) as caught:
        parse_offices(b"x" * (3 * 1024 * 1024), "big.csv", max_bytes=2 * 1024 * 1024)
    assert caught.value.problems == [Problem("big.csv", "is 3.0 MB; the limit is 2 MB")]
    assert MAX_FILE_BYTES == 20 * 1024 * 1024


def test_oversize_file_is_refused_without_reading_past_the_limit(tmp_path: Path):
    path = tmp_path / "huge.csv"
    with path.open("wb") as f:
        f.truncate(10 * MAX_FILE_BYTES)  # sparse: costs no disk
    with pytest.raises(OfficeTableError) as caught:
        load_offices(path)
    assert caught.value.problems == [Problem(str(path), "is 200.0 MB; the limit is 20 MB")]


@pytest.mark.skipif(not Path("/proc/self/maps").is_file(), reason="needs Linux's /proc")
def test_file_larger_than_it_says_is_cut_at_the_limit():
    # /proc files are regular files of size 0 with content: the size check alone would let them through.
    with pytest.raises(OfficeTableError, match=r"is more than \S+ MB; the limit is \S+ MB"):
        read_regular_file("/proc/self/maps", 10)


def test_cell_beyond_the_csv_field_limit():
    header, rows = make_corpus.good_table()
    rows[1][header.index("description")] = "x" * 200_000
    with pytest.raises(OfficeTableError) as caught:
        parse_offices(make_corpus.to_csv(header, rows).encode())
    (only,) = caught.value.problems
    assert (only.row, "a cell is longer than") == (3, only.message[:21])


def test_cell_length_limit_is_the_schema_limit():
    raw = make_corpus.with_cells({(2, "description"): "a" * MAX_CELL_CHARS})
    assert len(parse_offices(raw)) == 14
    raw = make_corpus.with_cells({(2, "description"): "a" * (MAX_CELL_CHARS + 1)})
    with pytest.raises(OfficeTableError, match="5,001 characters"):
        parse_offices(raw)


@pytest.mark.parametrize("value", ["1_000", "٤٥", "45.1.2", "0x1F", " ", "45 N", "1e", "--45"])
def test_coordinates_are_plain_decimal_numbers(value: str):
    raw = make_corpus.with_cells({(2, "latitude"): value, (2, "longitude"): "4.8"})
    with pytest.raises(OfficeTableError) as caught:
        parse_offices(raw)
    assert {(p.row, p.column) for p in caught.value.problems} <= {(2, "latitude"), (2, "longitude")}


def test_unicode_minus_and_exponent_are_numbers():
    raw = make_corpus.with_cells({(4, "latitude"): "\u221234.61315", (4, "longitude"): "-5.837723e1"})
    frame = parse_offices(raw)
    assert (frame.loc[2, "latitude"], frame.loc[2, "longitude"]) == (-34.61315, -58.37723)


def test_missing_coordinates_allowed_when_asked():
    raw = make_corpus.with_cells({(3, "latitude"): "", (3, "longitude"): ""})
    with pytest.raises(OfficeTableError, match="has no coordinates"):
        parse_offices(raw)
    frame = parse_offices(raw, require_coordinates=False)
    assert math.isnan(frame.loc[1, "latitude"]) and math.isnan(frame.loc[1, "longitude"])


def test_optional_columns_may_be_absent_and_extra_columns_are_kept():
    header, rows = make_corpus.good_table()
    keep = [
        header.index(c) for c in ("id", "name", "office_type", "city", "country", "latitude", "longitude")
    ]
    small = [[r[i] for i in keep] + ["kept"] for r in rows]
    text = make_corpus.to_csv([*(header[i] for i in keep), "contry_code"], small)
    frame = parse_offices(text.encode())
    assert list(frame.columns) == [*CONTRACT_COLUMNS, "contry_code"]
    assert_contract_dtypes(frame)
    assert frame.attrs["extra_columns"] == ["contry_code"]
    assert (frame["country_code"] == "").all() and frame["opened"].isna().all()
    assert any(
        "'country_code' is absent" in n and "'contry_code' a misspelling" in n for n in frame.attrs["notes"]
    )


def test_quoted_multiline_description_is_allowed_but_not_in_a_name():
    ok = make_corpus.with_cells({(2, "description"): "line one\nline two\ttabbed"})
    assert parse_offices(ok).loc[0, "description"] == "line one\nline two\ttabbed"
    bad = make_corpus.with_cells({(2, "name"): "line one\nline two"})
    with pytest.raises(OfficeTableError, match="U\\+000A"):
        parse_offices(bad)


@pytest.mark.parametrize(
    "text",
    ["-5 km from the centre", "+ more", "=1+1", "@here", "-2+3+cmd|' /C calc'!A0", '+1+HYPERLINK("x")'],
)
def test_formula_leads_are_refused_in_text(text: str):
    with pytest.raises(OfficeTableError, match="spreadsheet formula"):
        parse_offices(make_corpus.with_cells({(2, "address"): text}))


@pytest.mark.parametrize(
    "text", ["+33 4 72 44 70 00", "+1 (212) 963-1234", "-1", "Lyon = home", "a\u00a0b", "x\u200dy"]
)
def test_harmless_text_is_accepted(text: str):
    assert parse_offices(make_corpus.with_cells({(2, "address"): text})).loc[0, "address"] == text


def test_utf32_is_refused():
    with pytest.raises(OfficeTableError, match="UTF-32"):
        parse_offices(make_corpus.good_text().encode("utf-32"))


def test_unreadable_paths(tmp_path: Path):
    cases = (
        (tmp_path / "nope.csv", "does not exist"),
        (tmp_path, "is a folder, not a CSV file"),
        ("bad\0name.csv", "cannot be read: embedded null byte"),
    )
    for path, message in cases:
        with pytest.raises(OfficeTableError) as caught:
            load_offices(path)
        assert caught.value.problems == [Problem(str(path), message)]


def test_bytearray_and_memoryview_are_accepted():
    raw = GOOD.read_bytes()
    assert len(parse_offices(bytearray(raw))) == 14
    assert len(parse_offices(memoryview(raw))) == 14


def test_swap_is_not_guessed_near_the_country():
    # Lyon's longitude and latitude both shifted into the Atlantic: outside FR's box, but not a swap.
    raw = make_corpus.with_cells({(2, "latitude"): "45.74906", (2, "longitude"): "-12.5"})
    frame = parse_offices(raw)
    assert (frame.loc[0, "latitude"], frame.loc[0, "longitude"]) == (45.74906, -12.5)
    assert frame.attrs["notes"] == []


# --- random damage --------------------------------------------------------------------------------

PALETTE = [b'"', b",", b";", b"\t", b"\n", b"\r", b"\x00", b"\xff", b"\xe9", b"\xef\xbb\xbf", b"=", b" "]


def mutate(raw: bytes, rng: random.Random) -> bytes:
    data = bytearray(raw)
    kind = rng.choice(["delete", "insert", "replace", "shuffle", "mixed"])
    if kind == "shuffle":
        # surrogateescape keeps any bytes as they are, so mutations can be stacked.
        rows = list(csv.reader(io.StringIO(raw.decode("utf-8", "surrogateescape"), newline="")))
        for _ in range(rng.randint(1, 3)):
            row = rows[rng.randrange(len(rows))]
            rng.shuffle(row)
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows(rows)
        return out.getvalue().encode("utf-8", "surrogateescape")
    for _ in range(rng.randint(1, 8)):
        if not data:
            break
        at = rng.randrange(len(data))
        op = kind if kind != "mixed" else rng.choice(["delete", "insert", "replace"])
        if op == "delete":
            del data[at : at + rng.randint(1, 40)]
        elif op == "insert":
            piece = rng.choice(PALETTE) if rng.random() < 0.7 else bytes([rng.randrange(256)])
            data[at:at] = piece
        else:
            data[at] = rng.randrange(256)
    return bytes(data)


def test_random_damage_gives_a_frame_or_office_table_error():
    rng = random.Random(20260127)
    raw = GOOD.read_bytes()
    outcomes = {"frame": 0, "error": 0}
    for attempt in range(300):
        damaged = mutate(raw, rng)
        try:
            frame = parse_offices(damaged, f"mutation-{attempt}.csv")
        except OfficeTableError as err:
            assert err.problems and all(isinstance(p, Problem) for p in err.problems)
            assert all("\n" not in str(p) for p in err.problems)
            outcomes["error"] += 1
        else:
            assert_contract_dtypes(frame)
            outcomes["frame"] += 1
    assert outcomes["frame"] > 0 and outcomes["error"] > 0, outcomes


def test_semicolons_with_old_mac_line_ends():
    header, rows = make_corpus.good_table()
    frame = parse_offices(make_corpus.to_csv(header, rows, delimiter=";", newline="\r").encode())
    assert len(frame) == 14 and frame.attrs["notes"] == ["read semicolons as the column delimiter"]


def test_the_cycle_collector_is_paused_only_while_a_table_is_read(monkeypatch: pytest.MonkeyPatch):
    import gc

    assert gc.isenabled()
    seen = []
    real = table_module._parse

    def spy(*args, **kwargs):
        seen.append(gc.isenabled())
        return real(*args, **kwargs)

    monkeypatch.setattr(table_module, "_parse", spy)
    assert len(parse_offices(GOOD.read_bytes())) == 14
    with pytest.raises(OfficeTableError):
        parse_offices(b"id\n")
    assert seen == [False, False] and gc.isenabled()
    gc.disable()
    try:
        parse_offices(GOOD.read_bytes())
        assert not gc.isenabled()  # a caller's choice is kept
    finally:
        gc.enable()
