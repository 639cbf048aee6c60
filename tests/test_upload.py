"""A user's own table: CSV or .xlsx, validated, with missing coordinates placed from the gazetteer."""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from geo.offices.table import OfficeTableError, load_offices
from geo.offices.upload import MAX_UPLOAD_BYTES, UNPLACED_COLUMNS, UploadResult, read_upload
from tests.corpus import make_corpus

ROOT = Path(__file__).resolve().parent.parent
GOOD = ROOT / "data" / "offices.csv"
CORPUS = ROOT / "tests" / "corpus" / "bad"
EXPECTED: dict[str, dict] = json.loads((ROOT / "tests" / "corpus" / "expected.json").read_text("utf-8"))
NUMERIC = {"latitude", "longitude", "opened"}


def workbook_bytes(
    tmp_path: Path, header: list[str], rows: list[list[str]], *, start_row: int = 1, start_col: int = 1
) -> bytes:
    """An .xlsx written by openpyxl, numbers stored as numbers, the table placed at (start_row, start_col)."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Offices"
    for r, values in enumerate([header, *rows]):
        for c, value in enumerate(values):
            if value == "":
                continue
            cell: object = value
            if r > 0 and header[c] in NUMERIC:
                cell = int(value) if header[c] == "opened" else float(value)
            sheet.cell(row=start_row + r, column=start_col + c, value=cell)
    book.create_sheet("Notes")["A1"] = "not read"
    path = tmp_path / "offices.xlsx"
    book.save(path)
    return path.read_bytes()


def good_with(changes: dict[tuple[int, str], str]) -> tuple[list[str], list[list[str]]]:
    header, rows = make_corpus.good_table()
    for (row, column), value in changes.items():
        rows[row - 2][header.index(column)] = value
    return header, rows


def csv_bytes(header: list[str], rows: list[list[str]]) -> bytes:
    return make_corpus.to_csv(header, rows).encode("utf-8")


def test_csv_upload_of_the_real_table():
    result = read_upload("offices.csv", GOOD.read_bytes())
    assert isinstance(result, UploadResult)
    pd.testing.assert_frame_equal(result.offices, load_offices(GOOD))
    assert result.notes == []
    assert list(result.unplaced.columns) == list(UNPLACED_COLUMNS) and result.unplaced.empty
    assert result.source == "offices.csv"


def test_xlsx_upload_reads_the_first_sheet_like_the_csv(tmp_path: Path):
    header, rows = make_corpus.good_table()
    result = read_upload("My Offices.XLSX", workbook_bytes(tmp_path, header, rows))
    pd.testing.assert_frame_equal(result.offices, load_offices(GOOD))
    assert result.source == "My Offices.XLSX (sheet 'Offices')"
    assert any("ignored the other sheets ('Notes')" in n for n in result.notes)


def test_xlsx_problems_name_the_sheet_row(tmp_path: Path):
    header, rows = good_with({(4, "region"): "South America", (6, "timezone"): "Africa/Abidjan City"})
    # The table starts at B3: two blank rows and an empty column A before it.
    raw = workbook_bytes(tmp_path, header, rows, start_row=3, start_col=2)
    with pytest.raises(OfficeTableError) as caught:
        read_upload("offices.xlsx", raw)
    located = [(p.source, p.row, p.column) for p in caught.value.problems]
    assert located == [
        ("offices.xlsx (sheet 'Offices')", 6, "region"),
        ("offices.xlsx (sheet 'Offices')", 8, "timezone"),
    ]
    assert "'South America' is not a region" in caught.value.problems[0].message


def test_missing_coordinates_are_placed_from_the_gazetteer_with_progress():
    header, rows = good_with(
        {
            (2, "latitude"): "",
            (2, "longitude"): "",
            (5, "latitude"): "",
            (5, "longitude"): "",
            (5, "timezone"): "",
        }
    )
    calls: list[tuple[int, int]] = []
    result = read_upload("offices.csv", csv_bytes(header, rows), progress=lambda d, t: calls.append((d, t)))
    assert calls == [(0, 2), (1, 2), (2, 2)]
    assert len(result.offices) == 14 and result.unplaced.empty
    offices = result.offices.set_index("id")
    lyon, yaounde = offices.loc["hq-lyon"], offices.loc["rb-yaounde"]
    assert abs(lyon["latitude"] - 45.75) < 0.05 and abs(lyon["longitude"] - 4.85) < 0.05
    assert lyon["geocode_precision"] == "city"
    assert abs(yaounde["latitude"] - 3.87) < 0.05 and yaounde["timezone"] == "Africa/Douala"
    assert any("placed 2 office(s)" in n and "rows 2, 5" in n for n in result.notes)
    assert result.offices["latitude"].dtype == "float64"


def test_country_name_stands_in_for_a_missing_country_code():
    header, rows = good_with({(2, "latitude"): "", (2, "longitude"): "", (2, "country_code"): ""})
    result = read_upload("offices.csv", csv_bytes(header, rows))
    lyon = result.offices.set_index("id").loc["hq-lyon"]
    assert lyon["country_code"] == "FR" and lyon["geocode_precision"] == "city"
    assert any("'France' -> 'FR'" in n for n in result.notes)


def test_unplaceable_offices_are_listed_with_row_and_reason(tmp_path: Path):
    header, rows = good_with(
        {
            (3, "latitude"): "",
            (3, "longitude"): "",
            (3, "city"): "Atlantis",
            (7, "latitude"): "",
            (7, "longitude"): "",
            (7, "city"): "",
        }
    )
    result = read_upload("offices.xlsx", workbook_bytes(tmp_path, header, rows))
    assert len(result.offices) == 12
    assert "igci-singapore" not in set(result.offices["id"])
    unplaced = result.unplaced.set_index("row")
    assert list(unplaced.index) == [3, 7]
    assert unplaced.loc[3, "id"] == "igci-singapore"
    assert "'Atlantis' is not in the offline gazetteer for SG" in unplaced.loc[3, "reason"]
    assert "no city" in unplaced.loc[7, "reason"]
    assert any("left out 2 office(s)" in n and "rows 3, 7" in n for n in result.notes)


def test_extra_columns_are_kept():
    header, rows = make_corpus.good_table()
    raw = csv_bytes([*header, "Desk phone"], [[*r, f"+33 {i}"] for i, r in enumerate(rows)])
    result = read_upload("offices.csv", raw)
    assert list(result.offices.columns)[-1] == "desk phone"
    assert result.offices.loc[1, "desk phone"] == "+33 1"
    assert any("kept the extra columns 'desk phone'" in n for n in result.notes)


def test_oversize_upload_is_refused_with_the_limit():
    raw = GOOD.read_bytes() * (MAX_UPLOAD_BYTES // len(GOOD.read_bytes()) + 1)
    with pytest.raises(OfficeTableError) as caught:
        read_upload("offices.csv", raw)
    (problem,) = caught.value.problems
    assert "the limit for an upload is 5 MB" in problem.message
    assert problem.source == "offices.csv"


def test_ten_megabyte_corpus_file_is_refused():
    with pytest.raises(OfficeTableError, match=re.escape("is 10.5 MB; the limit for an upload is 5 MB")):
        read_upload(make_corpus.TEN_MEGABYTES, make_corpus.ten_megabyte_table())


@pytest.mark.parametrize("filename", ["offices.ods", "offices.xls", "offices", "offices.csv.exe"])
def test_unknown_extensions_get_a_clear_error(filename: str):
    with pytest.raises(OfficeTableError) as caught:
        read_upload(filename, GOOD.read_bytes())
    (problem,) = caught.value.problems
    assert "are not supported (use one of .csv, .tsv, .txt, .xlsx, .xlsm)" in problem.message


def test_damaged_workbooks_are_refused(tmp_path: Path):
    with pytest.raises(OfficeTableError, match=re.escape("is not an Excel .xlsx workbook")):
        read_upload("offices.xlsx", b"id,name\n")
    broken = io.BytesIO()
    with zipfile.ZipFile(broken, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    with pytest.raises(OfficeTableError, match="cannot be read as an Excel workbook"):
        read_upload("offices.xlsx", broken.getvalue())


def test_zip_bomb_is_refused():
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (101 * 1024 * 1024))
    assert len(bomb.getvalue()) < MAX_UPLOAD_BYTES
    with pytest.raises(OfficeTableError, match=re.escape("unpacks to 101.0 MB; the limit is 100 MB")):
        read_upload("offices.xlsx", bomb.getvalue())


def test_workbook_named_csv_is_refused(tmp_path: Path):
    raw = workbook_bytes(tmp_path, *make_corpus.good_table())
    with pytest.raises(OfficeTableError, match=re.escape("upload it as .xlsx")):
        read_upload("offices.csv", raw)


@pytest.mark.parametrize("name", sorted(n for n, e in EXPECTED.items() if not e.get("generated")))
def test_every_corpus_file_gives_a_result_or_office_table_error(name: str):
    raw = (CORPUS / name).read_bytes()
    try:
        result = read_upload(name, raw)
    except OfficeTableError as err:
        assert err.problems
        # A file the loader rejects is rejected here too, for the same reasons (missing coordinates aside).
        assert "problems" in EXPECTED[name], err
    else:
        assert isinstance(result.offices, pd.DataFrame) and isinstance(result.unplaced, pd.DataFrame)
        assert result.offices["latitude"].notna().all()
