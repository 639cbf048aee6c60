"""Write the malformed office tables of tests/corpus/bad/ and what loading each must give.

    python tests/corpus/make_corpus.py

Every file is data/offices.csv with one thing broken (or one thing a safe repair fixes). Rows are
numbered as in a spreadsheet: the header is row 1, hq-lyon row 2, igci-singapore row 3, ...,
lo-caribbean row 15. ``expected.json`` holds, for each file, either ``{"ok": true, "notes": [...]}``
(substrings of the repair notes) or ``{"problems": [{"row", "column", "message"}]}`` (every problem,
located exactly; ``message`` is a substring). The output is deterministic.

The 10 MB table is not committed: :func:`ten_megabyte_table` builds it, and the tests write it into
a temporary folder.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
GOOD = ROOT / "data" / "offices.csv"
BAD = HERE / "bad"
EXPECTED = HERE / "expected.json"
TEN_MEGABYTES = "ten_megabytes.csv"


def good_table() -> tuple[list[str], list[list[str]]]:
    """The header and rows of data/offices.csv."""
    header, *rows = csv.reader(io.StringIO(GOOD.read_text(encoding="utf-8"), newline=""))
    return header, rows


def to_csv(header: list[str], rows: list[list[str]], delimiter: str = ",", newline: str = "\n") -> str:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator=newline).writerows([header, *rows])
    return out.getvalue()


def with_cells(changes: dict[tuple[int, str], str]) -> bytes:
    """data/offices.csv with some cells replaced; keys are (spreadsheet row, column name)."""
    header, rows = good_table()
    for (row, column), value in changes.items():
        rows[row - 2][header.index(column)] = value
    return to_csv(header, rows).encode("utf-8")


def without_column(column: str) -> bytes:
    header, rows = good_table()
    index = header.index(column)
    return to_csv(
        [h for i, h in enumerate(header) if i != index],
        [[c for i, c in enumerate(r) if i != index] for r in rows],
    ).encode("utf-8")


def renamed_column(old: str, new: str) -> bytes:
    header, rows = good_table()
    header[header.index(old)] = new
    return to_csv(header, rows).encode("utf-8")


def added_column(name: str, value: Callable[[list[str], list[str]], str]) -> bytes:
    header, rows = good_table()
    return to_csv([*header, name], [[*r, value(header, r)] for r in rows]).encode("utf-8")


def good_text() -> str:
    header, rows = good_table()
    return to_csv(header, rows)


def ragged(row: int, cells: Callable[[list[str]], list[str]]) -> bytes:
    header, rows = good_table()
    rows[row - 2] = cells(rows[row - 2])
    return to_csv(header, rows).encode("utf-8")


def unclosed_quote_at_end() -> bytes:
    """lo-caribbean's description opens a quote that nothing closes."""
    header, rows = good_table()
    last = rows[-1]
    index = header.index("description")
    start = to_csv(header, rows[:-1]) + to_csv(last[:index], []).rstrip("\n")
    return (start + ',"' + last[index] + "," + last[index + 1] + "\n").encode("utf-8")


def text_after_closing_quote() -> bytes:
    """rb-nairobi's address is quoted, then more text follows the closing quote."""
    text = good_text()
    old = '"Directorate of Criminal Investigations headquarters, Mazingira House"'
    assert old in text
    return text.replace(old, '"Directorate of Criminal Investigations headquarters" Mazingira House').encode(
        "utf-8"
    )


def multiline_cell_then_bad_region() -> bytes:
    """CRLF line ends and a two-line address in row 2; the bad region of row 4 is on line 5."""
    header, rows = good_table()
    rows[0][header.index("address")] = "200 Quai Charles de Gaulle\r\n69006 Lyon"
    rows[2][header.index("region")] = "South America"
    return to_csv(header, rows, newline="\r\n").encode("utf-8")


def blank_lines_before_header() -> bytes:
    header, rows = good_table()
    rows[2][0] = "hq-lyon"  # rb-buenos-aires takes hq-lyon's id
    return ("\n\n" + to_csv(header, rows)).encode("utf-8")


def trailing_empty_columns() -> bytes:
    header, rows = good_table()
    return to_csv([*header, "", ""], [[*r, "", ""] for r in rows]).encode("utf-8")


def semicolons_with_decimal_commas() -> bytes:
    header, rows = good_table()
    lat, lon = header.index("latitude"), header.index("longitude")
    for r in rows:
        r[lat], r[lon] = r[lat].replace(".", ","), r[lon].replace(".", ",")
    return to_csv(header, rows, delimiter=";").encode("utf-8")


def header_spaces_and_case() -> bytes:
    header, rows = good_table()
    header = [f" {h.upper()} " if h in ("id", "name") else h.title() for h in header]
    return to_csv(header, rows).encode("utf-8")


def ten_megabyte_table() -> bytes:
    """A valid table of at least 10 MiB: the 14 offices repeated with unique ids (about 17,000 rows)."""
    header, rows = good_table()
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    number = 0
    while out.tell() < 10 * 1024 * 1024:
        for r in rows:
            writer.writerow([f"{r[0]}-{number:06d}", *r[1:]])
            number += 1
    return out.getvalue().encode("utf-8")


def problem(row: int | None, column: str | None, message: str) -> dict[str, object]:
    return {"row": row, "column": column, "message": message}


def ok(*notes: str) -> dict[str, object]:
    return {"ok": True, "notes": list(notes)}


@dataclass(frozen=True)
class Case:
    name: str
    checks: str
    content: Callable[[], bytes]
    expect: dict[str, object] | list[dict[str, object]]


ARABIC_NAME = "الأمانة العامة للإنتربول"  # "INTERPOL General Secretariat"
RLM = "\u200f"  # a right-to-left mark: allowed, unlike the overrides

CASES: tuple[Case, ...] = (
    Case(
        "missing_column.csv",
        "the required longitude column is absent",
        lambda: without_column("longitude"),
        [problem(1, "longitude", "the required column 'longitude' is missing")],
    ),
    Case(
        "misspelled_column.csv",
        "latitude spelled lattitude: missing column with a spelling hint",
        lambda: renamed_column("latitude", "lattitude"),
        [problem(1, "latitude", "is 'lattitude' a misspelling of it?")],
    ),
    Case("empty.csv", "a file of 0 bytes", lambda: b"", [problem(None, None, "is empty")]),
    Case(
        "whitespace_only.csv",
        "only spaces, tabs and line ends",
        lambda: b"  \n\t\r\n   \n",
        [problem(None, None, "is empty")],
    ),
    Case(
        "header_only.csv",
        "the header and no office rows",
        lambda: good_text().split("\n", 1)[0].encode("utf-8") + b"\n",
        [problem(2, None, "has a header but no office rows")],
    ),
    Case(
        "duplicate_id.csv",
        "rb-buenos-aires reuses hq-lyon's id",
        lambda: with_cells({(4, "id"): "hq-lyon"}),
        [problem(4, "id", "the id 'hq-lyon' is already used in row 2")],
    ),
    Case(
        "empty_id.csv",
        "igci-singapore has no id",
        lambda: with_cells({(3, "id"): ""}),
        [problem(3, "id", "the id is empty")],
    ),
    Case(
        "id_spaces_uppercase.csv",
        "an id with a space and capitals",
        lambda: with_cells({(2, "id"): "HQ Lyon"}),
        [problem(2, "id", "'HQ Lyon' is not a valid id")],
    ),
    Case(
        "unknown_office_type.csv",
        "office_type regional_office, with a did-you-mean hint",
        lambda: with_cells({(5, "office_type"): "regional_office"}),
        [problem(5, "office_type", "did you mean 'regional_bureau'?")],
    ),
    Case(
        "coordinate_text.csv",
        "a latitude written in degrees and minutes",
        lambda: with_cells({(2, "latitude"): "45°44′N"}),
        [problem(2, "latitude", "'45°44′N' is not a number")],
    ),
    Case(
        "coordinate_nan.csv",
        "longitude NaN",
        lambda: with_cells({(3, "longitude"): "NaN"}),
        [problem(3, "longitude", "'NaN' is not a finite number")],
    ),
    Case(
        "coordinate_inf.csv",
        "latitude -inf and longitude 1e999 (a number that overflows to infinity)",
        lambda: with_cells({(4, "latitude"): "-inf", (4, "longitude"): "1e999"}),
        [
            problem(4, "latitude", "'-inf' is not a finite number"),
            problem(4, "longitude", "'1e999' is not a finite number"),
        ],
    ),
    Case(
        "coordinate_decimal_comma.csv",
        "a decimal comma in a comma-delimited file (no repair: it is ambiguous there)",
        lambda: with_cells({(6, "latitude"): "5,35444"}),
        [problem(6, "latitude", "use a point as the decimal separator")],
    ),
    Case(
        "latitude_out_of_range.csv",
        "latitude 95.35444 for Abidjan",
        lambda: with_cells({(6, "latitude"): "95.35444"}),
        [problem(6, "latitude", "'95.35444' is out of range (-90 to 90)")],
    ),
    Case(
        "longitude_out_of_range.csv",
        "longitude -189.18718 for San Salvador",
        lambda: with_cells({(7, "longitude"): "-189.18718"}),
        [problem(7, "longitude", "'-189.18718' is out of range (-180 to 180)")],
    ),
    Case(
        "swapped_repairable.csv",
        "Lyon as 4.84838,45.78219 with country_code FR: swapped back, with a note",
        lambda: with_cells({(2, "latitude"): "4.84838", (2, "longitude"): "45.78219"}),
        ok("row 2: swapped latitude and longitude (4.84838, 45.78219)", "lies in FR"),
    ),
    Case(
        "swapped_repairable_over_90.csv",
        "Singapore as 103.85007,1.28967 with country_code SG: swapped back, with a note",
        lambda: with_cells({(3, "latitude"): "103.85007", (3, "longitude"): "1.28967"}),
        ok("row 3: swapped latitude and longitude (103.85007, 1.28967)"),
    ),
    Case(
        "swapped_no_country.csv",
        "Singapore as 103.85007,1.28967 without a country code: an error that suggests the swap",
        lambda: with_cells(
            {(3, "latitude"): "103.85007", (3, "longitude"): "1.28967", (3, "country_code"): ""}
        ),
        [
            problem(
                3, "latitude", "'103.85007' is out of range (-90 to 90) (are latitude and longitude swapped?)"
            )
        ],
    ),
    Case(
        "one_coordinate.csv",
        "Yaoundé has a latitude but no longitude",
        lambda: with_cells({(5, "longitude"): ""}),
        [problem(5, "longitude", "the longitude is empty but the other coordinate is given")],
    ),
    Case(
        "country_code_unknown.csv",
        "country_code XX",
        lambda: with_cells({(2, "country_code"): "XX"}),
        [problem(2, "country_code", "'XX' is not an ISO 3166-1 alpha-2 country code")],
    ),
    Case(
        "country_code_alpha3.csv",
        "country_code FRA (alpha-3), with a hint towards FR",
        lambda: with_cells({(2, "country_code"): "FRA"}),
        [problem(2, "country_code", "'FRA' is not an ISO 3166-1 alpha-2 country code; did you mean 'FR'?")],
    ),
    Case(
        "country_code_lowercase.csv",
        "country_code sg: upper-cased, with a note",
        lambda: with_cells({(3, "country_code"): "sg"}),
        ok("upper-cased lower-case country codes"),
    ),
    Case(
        "timezone_unknown.csv",
        "timezone Europe/Lyon (not an IANA zone)",
        lambda: with_cells({(2, "timezone"): "Europe/Lyon"}),
        [problem(2, "timezone", "'Europe/Lyon' is not an IANA time zone")],
    ),
    Case(
        "latin1.csv",
        "the whole file in Latin-1: the é of Yaoundé in row 5 is byte 0xE9",
        lambda: good_text().encode("latin-1"),
        [problem(5, "name", "is not UTF-8 text: byte 0xE9 at line 5, character 43")],
    ),
    Case(
        "utf16.csv",
        "UTF-16 with a byte-order mark: read, with a note",
        lambda: good_text().encode("utf-16"),
        ok("read the file as UTF-16"),
    ),
    Case(
        "utf16_no_bom.csv",
        "UTF-16 little-endian without a byte-order mark",
        lambda: good_text().encode("utf-16-le"),
        [problem(None, None, "looks like UTF-16 text without a byte-order mark")],
    ),
    Case(
        "utf8_bom.csv",
        "UTF-8 with a byte-order mark (Excel's CSV UTF-8): read, with a note",
        lambda: codecs.BOM_UTF8 + good_text().encode("utf-8"),
        ok("removed a UTF-8 byte-order mark"),
    ),
    Case(
        "semicolons.csv",
        "semicolon delimiters: read, with a note",
        lambda: to_csv(*good_table(), delimiter=";").encode("utf-8"),
        ok("read semicolons as the column delimiter"),
    ),
    Case(
        "semicolons_decimal_comma.csv",
        "semicolon delimiters and decimal commas (European Excel): read, with notes",
        semicolons_with_decimal_commas,
        ok("read semicolons as the column delimiter", "read decimal commas in coordinates as decimal points"),
    ),
    Case(
        "tabs.csv",
        "tab delimiters: read, with a note",
        lambda: to_csv(*good_table(), delimiter="\t").encode("utf-8"),
        ok("read tabs as the column delimiter"),
    ),
    Case(
        "ragged_too_many.csv",
        "San Salvador's row has one cell too many",
        lambda: ragged(7, lambda r: [*r, "extra"]),
        [problem(7, None, "has 22 cells but the header has 21 columns; the extra cells hold 'extra'")],
    ),
    Case(
        "ragged_too_few.csv",
        "Harare's row has one cell too few",
        lambda: ragged(9, lambda r: r[:-1]),
        [problem(9, None, "has 20 cells but the header has 21 columns; nothing for 'serves_source'")],
    ),
    Case(
        "unclosed_quote.csv",
        "the last row opens a quote that is never closed",
        unclosed_quote_at_end,
        [problem(15, None, "a quoted cell is never closed")],
    ),
    Case(
        "text_after_closing_quote.csv",
        "Nairobi's address has text after its closing \" (a quote gone wrong mid-file)",
        text_after_closing_quote,
        [problem(8, None, "a quoted cell has more text after its closing")],
    ),
    Case(
        "formula_dde.csv",
        "a DDE formula as the name: =cmd|' /C calc'!A0",
        lambda: with_cells({(2, "name"): "=cmd|' /C calc'!A0"}),
        [problem(2, "name", "looks like a spreadsheet formula")],
    ),
    Case(
        "formula_at.csv",
        "@SUM(1) as the partner",
        lambda: with_cells({(3, "partner"): "@SUM(1)"}),
        [problem(3, "partner", "'@SUM(1)' looks like a spreadsheet formula")],
    ),
    Case(
        "formula_hyperlink.csv",
        "+HYPERLINK(...) as the address",
        lambda: with_cells({(4, "address"): '+HYPERLINK("https://example.com/x","Click for the address")'}),
        [problem(4, "address", "looks like a spreadsheet formula; remove the leading '+'")],
    ),
    Case(
        TEN_MEGABYTES,
        "10 MiB of valid rows (about 17,000 offices): loads, under MAX_FILE_BYTES (generated, not committed)",
        ten_megabyte_table,
        ok(),
    ),
    Case(
        "long_cell.csv",
        "a description of 10,000 characters",
        lambda: with_cells({(2, "description"): "Lyon " * 1999 + "Lyon."}),
        [problem(2, "description", "the cell has 10,000 characters; the limit is 5,000")],
    ),
    Case(
        "control_bell.csv",
        "a BEL (U+0007) inside a name",
        lambda: with_cells({(3, "name"): "INTERPOL Global\x07 Complex for Innovation"}),
        [problem(3, "name", "contains the control character U+0007")],
    ),
    Case(
        "control_escape.csv",
        "a terminal escape sequence (U+001B) in a city",
        lambda: with_cells({(4, "city"): "\x1b[31mBuenos Aires\x1b[0m"}),
        [problem(4, "city", "contains the control character U+001B")],
    ),
    Case(
        "bidi_override.csv",
        "a right-to-left override (U+202E) that disguises a name",
        lambda: with_cells({(5, "name"): "INTERPOL Regional Bureau \u202eéodnuoY"}),
        [problem(5, "name", "contains the control character U+202E")],
    ),
    Case(
        "arabic_rtl.csv",
        "VALID: an Arabic name, description and a right-to-left mark must load unchanged",
        lambda: with_cells(
            {
                (2, "name"): ARABIC_NAME,
                (2, "description"): f"{RLM}المقر الرئيسي للإنتربول في ليون، فرنسا.",
                (2, "city"): "Lyon",
            }
        ),
        ok(),
    ),
    Case(
        "nul_bytes.csv",
        "a NUL byte inside Abidjan's name",
        lambda: with_cells({(6, "name"): "INTERPOL Regional\x00 Bureau Abidjan"}),
        [problem(6, "name", "contains a NUL byte (line 6")],
    ),
    Case(
        "javascript_url.csv",
        "a javascript: source_url",
        lambda: with_cells({(7, "source_url"): "javascript:alert(document.cookie)"}),
        [problem(7, "source_url", "'javascript:alert(document.cookie)' is not an http(s) address")],
    ),
    Case(
        "opened_not_year.csv",
        "opened 'late 1990s'",
        lambda: with_cells({(8, "opened"): "late 1990s"}),
        [problem(8, "opened", "'late 1990s' is not a year between 1900 and")],
    ),
    Case(
        "duplicate_header.csv",
        "a second 'name' column at the end of the header",
        lambda: added_column("name", lambda header, r: r[header.index("name")]),
        [problem(1, "name", "the column 'name' appears twice in the header")],
    ),
    Case(
        "blank_header.csv",
        "a 22nd column with values but no name",
        lambda: added_column("", lambda header, r: "note"),
        [problem(1, None, "the header's column 22 has no name")],
    ),
    Case(
        "trailing_empty_columns.csv",
        "two nameless, empty columns at the end (spreadsheet residue): dropped, with a note",
        trailing_empty_columns,
        ok("ignored 2 empty column(s) without a name"),
    ),
    Case(
        "unknown_region.csv",
        "region Oceania",
        lambda: with_cells({(9, "region"): "Oceania"}),
        [problem(9, "region", "'Oceania' is not a region (one of Africa, Americas, Asia-Pacific, Europe)")],
    ),
    Case(
        "header_spaces_and_case.csv",
        "column names with spaces and capitals: normalised, with a note",
        header_spaces_and_case,
        ok("trimmed spaces and lower-cased the column names"),
    ),
    Case(
        "blank_lines_before_header.csv",
        "two blank lines before the header (now row 3) and a duplicate id in row 6",
        blank_lines_before_header,
        [problem(6, "id", "the id 'hq-lyon' is already used in row 4")],
    ),
    Case(
        "multiline_cell_row_numbers.csv",
        "CRLF and a two-line address in row 2: rows are counted, not lines (bad region in row 4)",
        multiline_cell_then_bad_region,
        [problem(4, "region", "'South America' is not a region")],
    ),
    # Issue #17: column names are checked like cells (a KML export of such a header was not XML).
    Case(
        "header_control_character.csv",
        "a 22nd column named 'notes' with a BEL (U+0007) in its name",
        lambda: added_column("notes\x07", lambda header, r: "note"),
        [problem(1, None, "the name of the header's column 22 contains the control character U+0007")],
    ),
    Case(
        "header_bidi_override.csv",
        "a 22nd column whose name starts with a right-to-left override (U+202E)",
        lambda: added_column("\u202esetoN", lambda header, r: "note"),
        [problem(1, None, "the name of the header's column 22 contains the control character U+202E")],
    ),
    Case(
        "header_too_long.csv",
        "a 22nd column whose name is 6,000 characters long",
        lambda: added_column("n" * 6000, lambda header, r: "note"),
        [problem(1, None, "the name of the header's column 22 has 6,000 characters; the limit is 64")],
    ),
    # Issue #17: a link must go where its text says.
    Case(
        "source_url_userinfo.csv",
        "a source_url with user information: the link reads www.interpol.int but goes to evil.example",
        lambda: with_cells({(2, "source_url"): "https://www.interpol.int@evil.example/en"}),
        [problem(2, "source_url", "hides its real host: a link to it goes to 'evil.example'")],
    ),
    Case(
        "source_url_lookalike.csv",
        "a source_url whose host has a Cyrillic і (U+0456) in place of the Latin i",
        lambda: with_cells({(3, "source_url"): "https://www.\u0456nterpol.int/en"}),
        [problem(3, "source_url", "has a non-ASCII host 'www.іnterpol.int' (its ASCII form is 'www.xn--")],
    ),
    # Issue #17: what Excel writes where a formula failed is not a name, a city, a number or a year.
    Case(
        "spreadsheet_errors.csv",
        "#DIV/0! as a name, #N/A as a city, #REF! as a latitude, #VALUE! as the year opened",
        lambda: with_cells(
            {(2, "name"): "#DIV/0!", (3, "city"): "#N/A", (4, "latitude"): "#REF!", (5, "opened"): "#VALUE!"}
        ),
        [
            problem(2, "name", "'#DIV/0!' is a spreadsheet error value"),
            problem(3, "city", "'#N/A' is a spreadsheet error value"),
            problem(4, "latitude", "'#REF!' is a spreadsheet error value"),
            problem(5, "opened", "'#VALUE!' is a spreadsheet error value"),
        ],
    ),
)


def expected() -> dict[str, dict[str, object]]:
    """File name -> {"checks", "generated", and "ok"/"notes" or "problems"}."""
    table: dict[str, dict[str, object]] = {}
    for case in CASES:
        entry: dict[str, object] = {"checks": case.checks}
        if case.name == TEN_MEGABYTES:
            entry["generated"] = True
        if isinstance(case.expect, list):
            entry["problems"] = case.expect
        else:
            entry.update(case.expect)
        table[case.name] = entry
    return table


def write_corpus(folder: Path = BAD, expected_path: Path = EXPECTED) -> list[Path]:
    """Write every committed corpus file and expected.json; return the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for case in CASES:
        if case.name == TEN_MEGABYTES:
            continue
        path = folder / case.name
        path.write_bytes(case.content())
        written.append(path)
    expected_path.write_text(json.dumps(expected(), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return written


if __name__ == "__main__":
    files = write_corpus()
    print(f"wrote {len(files)} files to {BAD.relative_to(ROOT)} and {EXPECTED.relative_to(ROOT)}")
