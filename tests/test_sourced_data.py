"""Issue #13: where each point comes from (coordinate_source), the sourced-coordinates file that
``python -m geo.geocoding`` applies before any service, and the countries each bureau serves."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from pathlib import Path

import pytest

from geo import validate
from geo.geocoding.cli import main as geocode_main
from geo.geocoding.cli import read_sourced
from geo.offices.schema import CONTRACT_COLUMNS, LATER_COLUMNS
from geo.offices.table import OfficeTableError, load_offices, parse_offices
from tests import conftest_geocoding
from tests.conftest_geocoding import USER_AGENT, offices, read_table, serve, table_bytes

ROOT = Path(__file__).resolve().parent.parent
OFFICES = ROOT / "data" / "offices.csv"
SOURCED = ROOT / "data" / "sourced_coordinates.csv"
fake_nominatim = conftest_geocoding.fake_nominatim


def rows_of(path: Path) -> tuple[list[str], list[list[str]]]:
    header, *rows = csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline=""))
    return header, rows


def table(header: list[str], rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([header, *rows])
    return out.getvalue().encode("utf-8")


def real_with(changes: dict[tuple[str, str], str]) -> bytes:
    """data/offices.csv with cells changed; keys are (office id, column)."""
    header, rows = rows_of(OFFICES)
    for row in rows:
        for (office_id, column), value in changes.items():
            if row[0] == office_id:
                row[header.index(column)] = value
    return table(header, rows)


def problems_of(raw: bytes) -> list[tuple[int | None, str | None, str]]:
    with pytest.raises(OfficeTableError) as caught:
        parse_offices(raw, "offices.csv")
    return [(p.row, p.column, str(p)) for p in caught.value.problems]


# --- the contract: coordinate_source -------------------------------------------------------------


def test_building_point_without_a_source_is_refused_naming_file_row_and_column():
    found = problems_of(real_with({("hq-lyon", "coordinate_source"): ""}))
    assert [(row, column) for row, column, _ in found] == [(2, "coordinate_source")]
    line = found[0][2]
    assert line.startswith("offices.csv, row 2, column coordinate_source: ")
    assert "'building'" in line and "geocoder:<service>" in line


@pytest.mark.parametrize(
    "value", ["wikipedia", "javascript:alert(1)", "geocoder:", "Geocoder:OSM", "ftp://x.org/p"]
)
def test_a_coordinate_source_is_an_address_or_a_named_geocoder(value: str):
    found = problems_of(real_with({("rb-yaounde", "coordinate_source"): value}))
    assert [(row, column) for row, column, _ in found] == [(5, "coordinate_source")]
    assert repr(value)[:20].strip("'") in found[0][2]


@pytest.mark.parametrize(
    "value", ["geocoder:nominatim", "geocoder:geonames", "https://example.org/a?b=c", ""]
)
def test_city_points_may_name_a_geocoder_an_address_or_nothing(value: str):
    frame = parse_offices(real_with({("rb-yaounde", "coordinate_source"): value}), "offices.csv")
    assert frame.set_index("id").loc["rb-yaounde", "coordinate_source"] == value


def test_an_older_table_without_the_new_columns_still_loads_with_them_empty():
    header, rows = rows_of(OFFICES)
    keep = [i for i, name in enumerate(header) if name not in LATER_COLUMNS]
    old_header = [header[i] for i in keep]
    old_rows = [[row[i] for i in keep] for row in rows]
    precision = old_header.index("geocode_precision")
    for row in old_rows:
        row[precision] = "city"
    frame = parse_offices(table(old_header, old_rows), "old.csv")
    assert list(frame.columns) == list(CONTRACT_COLUMNS)
    for column in LATER_COLUMNS:
        assert (frame[column] == "").all()
    assert frame.attrs["notes"] == []  # an absent later column is not a repair worth a note


def test_an_older_table_with_building_rows_loads_with_a_note_that_their_source_is_unknown():
    header, rows = rows_of(OFFICES)
    keep = [i for i, name in enumerate(header) if name != "coordinate_source"]
    frame = parse_offices(table([header[i] for i in keep], [[r[i] for i in keep] for r in rows]), "old.csv")
    assert len(frame) == 14
    assert any("rows 2, 13, 14 are at building precision" in note for note in frame.attrs["notes"])


# --- the contract: serves_countries and serves_source --------------------------------------------


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("CM;XX;GA", "'XX' in 'CM;XX;GA' is not an ISO 3166-1 alpha-2 country code"),
        ("CMR;GA", "did you mean 'CM'?"),
        ("CM;;GA", "has an empty item"),
        ("CM;GA;CM", "'CM' appears twice"),
    ],
)
def test_countries_served_are_iso_codes(value: str, message: str):
    found = problems_of(real_with({("rb-yaounde", "serves_countries"): value}))
    assert [(row, column) for row, column, _ in found] == [(5, "serves_countries")]
    assert message in found[0][2]


def test_lower_case_codes_are_upper_cased_with_a_note():
    frame = parse_offices(real_with({("rb-yaounde", "serves_countries"): "cm;Ga"}), "offices.csv")
    assert frame.set_index("id").loc["rb-yaounde", "serves_countries"] == "CM;GA"
    assert any("upper-cased lower-case codes in serves_countries" in n for n in frame.attrs["notes"])


def test_countries_served_need_their_source():
    found = problems_of(real_with({("rb-yaounde", "serves_source"): ""}))
    assert [(row, column) for row, column, _ in found] == [(5, "serves_source")]
    assert "'CM;CF;TD;CG;CD;GQ;GA;ST'" in found[0][2]
    found = problems_of(real_with({("rb-yaounde", "serves_source"): "CCPAC"}))
    assert "'CCPAC' is not an http(s) address" in found[0][2]


def test_validate_cli_names_the_problem(tmp_path: Path, capsys):
    path = tmp_path / "offices.csv"
    path.write_bytes(real_with({("lo-europol", "coordinate_source"): ""}))
    assert validate.main([str(path)]) == 1
    out = capsys.readouterr().out
    assert f"{path}, row 14, column coordinate_source: is empty but geocode_precision is 'building'" in out


# --- the shipped data ----------------------------------------------------------------------------


def test_real_table_building_points_are_the_sourced_ones():
    frame = load_offices(OFFICES).set_index("id")
    sourced, problems = read_sourced(SOURCED)
    assert problems == []
    buildings = frame[frame["geocode_precision"] == "building"]
    assert sorted(buildings.index) == sorted(sourced) == ["hq-lyon", "lo-europol", "lo-unodc"]
    for office_id, point in sourced.items():
        row = frame.loc[office_id]
        assert (row["latitude"], row["longitude"]) == (point.latitude, point.longitude)
        assert row["coordinate_source"] == point.source_url and point.source_url.startswith("https://")
        assert point.note
    assert set(frame.loc[frame["geocode_precision"] == "city", "coordinate_source"]) == {"geocoder:geonames"}


def test_real_table_countries_served_have_sources_and_the_published_counts():
    frame = load_offices(OFFICES).set_index("id")
    counts = {
        office_id: len(value.split(";")) for office_id, value in frame["serves_countries"].items() if value
    }
    # Yaoundé: the 8 CCPAC countries; San Salvador: 7 (INTERPOL, 2003); Abidjan: 16 (RFI, 2012);
    # Nairobi: 14 EAPCCO countries; Harare: 16 SARPCCO countries; Buenos Aires: the 12 South American
    # NCBs (PDI Chile, 2019, naming them; INTERPOL, 2010: "each of the 12 NCBs in the region"); the
    # Caribbean office: CARICOM's 15 member states (the wider Caribbean is not a defined list).
    assert counts == {
        "rb-buenos-aires": 12,
        "rb-yaounde": 8,
        "rb-abidjan": 16,
        "rb-san-salvador": 7,
        "rb-nairobi": 14,
        "rb-harare": 16,
        "lo-caribbean": 15,
    }
    for office_id in counts:
        assert frame.loc[office_id, "serves_source"].startswith("https://")
    assert frame.loc["rb-san-salvador", "serves_countries"] == "SV;GT;BZ;HN;NI;PA;CR"
    assert frame.loc["rb-buenos-aires", "serves_countries"] == "AR;PY;CO;BR;VE;GY;PE;BO;UY;SR;EC;CL"
    assert frame.loc["lo-caribbean", "serves_countries"] == "AG;BS;BB;BZ;DM;GD;GY;HT;JM;MS;KN;LC;VC;SR;TT"
    assert "not a defined list" in frame.loc["lo-caribbean", "serves"]


def test_shipped_table_is_what_the_sourced_file_and_the_gazetteer_give(tmp_path: Path, capsys):
    table_path = tmp_path / "offices.csv"
    table_path.write_bytes(OFFICES.read_bytes())
    (tmp_path / "sourced_coordinates.csv").write_bytes(SOURCED.read_bytes())
    status = geocode_main([str(table_path), "--offline", "--cache", str(tmp_path / "c.sqlite")])
    out = capsys.readouterr().out
    assert status == 0
    assert "3 placed from sourced coordinates" in out and "0 updated, 14 unchanged" in out
    assert table_path.read_bytes() == OFFICES.read_bytes()


# --- geo.geocoding.cli and the sourced-coordinates file ------------------------------------------------

SOURCE = "https://example.org/the-building"


def sourced_file(path: Path, *rows: str) -> Path:
    path.write_text("id,latitude,longitude,source_url,note\n" + "".join(r + "\n" for r in rows), "utf-8")
    return path


def test_sourced_points_come_first_and_no_service_is_asked_about_them(fake_nominatim, tmp_path, capsys):
    rows = offices(3)
    serve(fake_nominatim, rows)
    path = tmp_path / "offices.csv"
    path.write_bytes(table_bytes(rows))
    lat, lon = rows[0].gazetteer_point()
    sourced_file(tmp_path / "sourced_coordinates.csv", f"{rows[0].id},{lat + 0.001},{lon},{SOURCE},the door")

    status = geocode_main(
        [
            str(path),
            "--geocoder-url",
            fake_nominatim.url,
            "--user-agent",
            USER_AGENT,
            "--cache",
            str(tmp_path / "c.sqlite"),
            "--min-delay",
            "0.05",
        ]
    )
    out = capsys.readouterr().out

    assert status == 0
    placed = read_table(path)[0]
    assert (placed["geocode_precision"], placed["coordinate_source"]) == ("building", SOURCE)
    assert float(placed["latitude"]) == pytest.approx(lat + 0.001)
    asked = {r.params["q"] for r in fake_nominatim.requests}
    assert rows[0].address_query not in asked and rows[0].city_query not in asked
    assert len(fake_nominatim.requests) == 2
    assert "1 placed from sourced coordinates, 2 to geocode" in out
    assert [r["coordinate_source"] for r in read_table(path)[1:]] == ["geocoder:nominatim"] * 2
    parse_offices(path.read_bytes(), str(path))  # and the result is a valid table


def test_sourced_file_is_applied_with_only_missing_and_by_explicit_path(tmp_path, capsys):
    rows = offices(2)
    path = tmp_path / "offices.csv"
    path.write_bytes(table_bytes(rows))
    assert geocode_main([str(path), "--offline", "--cache", str(tmp_path / "c.sqlite")]) == 0
    lat, lon = rows[1].gazetteer_point()
    elsewhere = sourced_file(tmp_path / "points.csv", f"{rows[1].id},{lat},{lon + 0.002},{SOURCE},")

    status = geocode_main(
        [
            str(path),
            "--offline",
            "--only-missing",
            "--sourced",
            str(elsewhere),
            "--cache",
            str(tmp_path / "c.sqlite"),
        ]
    )

    assert status == 0, capsys.readouterr()
    second = read_table(path)[1]
    assert (second["geocode_precision"], second["coordinate_source"]) == ("building", SOURCE)
    assert float(second["longitude"]) == pytest.approx(lon + 0.002)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("office-001,45.7,4.8,wikipedia,", "row 2, column source_url: 'wikipedia' is not an http(s) address"),
        ("office-001,95,4.8,https://example.org/p,", "row 2, column latitude: '95' is not a number"),
        ("office-001,45.7,east,https://example.org/p,", "row 2, column longitude: 'east' is not a number"),
        (",45.7,4.8,https://example.org/p,", "row 2, column id: the id is empty"),
        ("office-001,-33.9,18.4,https://example.org/p,", "is not in FR; check the latitude and longitude"),
    ],
)
def test_a_bad_sourced_file_changes_nothing_and_names_file_row_and_column(tmp_path, capsys, line, message):
    rows = offices(1)  # office-001 is in Lyon, France
    path = tmp_path / "offices.csv"
    path.write_bytes(table_bytes(rows))
    sourced = sourced_file(tmp_path / "sourced_coordinates.csv", line)

    status = geocode_main([str(path), "--offline", "--cache", str(tmp_path / "c.sqlite")])
    out, err = capsys.readouterr()

    assert status == 1
    assert path.read_bytes() == table_bytes(rows)
    assert f"{sourced}" in out and message in out
    assert "nothing was changed" in err


def test_a_table_without_coordinate_source_cannot_take_sourced_points(tmp_path, capsys):
    header, rows = rows_of(OFFICES)
    keep = [i for i, name in enumerate(header) if name not in LATER_COLUMNS]
    precision = header.index("geocode_precision")
    for row in rows:
        row[precision] = "city"
    path = tmp_path / "offices.csv"
    original = table([header[i] for i in keep], [[r[i] for i in keep] for r in rows])
    path.write_bytes(original)
    (tmp_path / "sourced_coordinates.csv").write_bytes(SOURCED.read_bytes())

    assert geocode_main([str(path), "--offline", "--cache", str(tmp_path / "c.sqlite")]) == 1
    assert "has no coordinate_source column" in capsys.readouterr().out
    assert path.read_bytes() == original


def test_the_command_line_entry_point(tmp_path):
    path = tmp_path / "offices.csv"
    path.write_bytes(OFFICES.read_bytes())
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "geo.geocoding",
            str(path),
            "--offline",
            "--dry-run",
            "--sourced",
            str(SOURCED),
            "--cache",
            str(tmp_path / "c.sqlite"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "3 placed from sourced coordinates" in done.stdout


# --- geo.maps.coverage: the data of a "Countries served" layer -----------------------------------------


def test_coverage_has_one_shape_per_office_and_country_and_names_the_missing_ones():
    from geo.maps.coverage import coverage_geojson, coverage_legend

    frame = load_offices(OFFICES)
    collection = coverage_geojson(frame)
    features = collection["features"]
    pairs = {(f["properties"]["office_id"], f["properties"]["country"]) for f in features}
    assert len(pairs) == len(features)
    assert ("rb-yaounde", "CD") in pairs and ("rb-nairobi", "CD") in pairs  # served by both
    assert {f["properties"]["colour"] for f in features} == {"#009E73", "#E69F00"}  # bureaus, liaison office
    assert all(f["properties"]["source"].startswith("https://") for f in features)
    # Islands too small for the 1:110m outlines are listed, never dropped silently.
    assert collection["missing"]["rb-yaounde"] == ["ST"]
    assert len(features) + sum(map(len, collection["missing"].values())) == 8 + 16 + 7 + 14 + 16 + 12 + 15
    legend = coverage_legend(frame)
    assert [row.office_id for row in legend] == [
        "rb-san-salvador",
        "lo-caribbean",
        "rb-buenos-aires",
        "rb-abidjan",
        "rb-yaounde",
        "rb-harare",
        "rb-nairobi",
    ]
    assert [row.countries for row in legend] == [7, 15, 12, 16, 8, 16, 14]


def test_coverage_of_an_older_table_is_empty():
    from geo.maps.coverage import coverage_geojson, coverage_legend

    frame = load_offices(OFFICES).drop(columns=["serves_countries"])
    assert coverage_geojson(frame) == {"type": "FeatureCollection", "features": [], "missing": {}}
    assert coverage_legend(frame) == []
