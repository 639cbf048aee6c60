"""An upload lasts for the session on every page and is named as the source (issue #17, 2 and 3).

AppTest, switching pages as the sidebar's links do: the table uploaded on the map page is the one
the directory, the briefing and the About page show, until the user removes it (the "Use the shared
table again" button on any page, or the uploader's own cross on the page where it was uploaded);
every page says which table it shows, and the exports' source line names the uploaded file and
never credits it to INTERPOL. The upload limit is the app's (geo.offices.upload.MAX_UPLOAD_BYTES).
"""

from __future__ import annotations

import tomllib

import pytest

from tests.apptest_helpers import new_app, sent_office_ids
from tests.conftest import ROOT

pytestmark = pytest.mark.filterwarnings("ignore")
SHARED = ROOT / "data" / "offices.csv"
ROWS = SHARED.read_text(encoding="utf-8").splitlines()
MINE = ("\n".join(ROWS[:5]) + "\n").encode("utf-8")  # the header and four offices
NAME = "my offices.csv"


def uploaded(name: str = NAME, content: bytes = MINE):
    at = new_app().run()
    at.file_uploader(key="upload").upload(name, content, "text/csv").run()
    assert not at.exception, at.exception
    return at


def table_shown(at) -> str:
    return " ".join(c.value for c in at.sidebar.caption if c.value.startswith("Table shown"))


def count_shown(at) -> str:
    return " ".join(m.value for m in at.markdown if "offices shown" in m.value)


def test_an_upload_made_on_the_map_page_is_the_table_of_every_page():
    at = uploaded()
    assert len(sent_office_ids(at)) == 4
    for page in ("pages/directory.py", "pages/briefing.py", "pages/about.py", "app.py"):
        at.switch_page(page).run()
        assert not at.exception, (page, at.exception)
        assert "your upload ` my offices.csv `" in table_shown(at), (page, table_shown(at))
        assert at.button(key="use_shared_table")
    at.switch_page("pages/directory.py").run()
    assert "4 offices shown" in count_shown(at)
    at.switch_page("app.py").run()
    assert len(sent_office_ids(at)) == 4  # back on the map page: its empty uploader removed nothing


def test_use_the_shared_table_again_on_another_page():
    at = uploaded()
    at.switch_page("pages/directory.py").run()
    at.button(key="use_shared_table").click().run()
    assert "the shared office table" in table_shown(at)
    assert "14 offices shown" in count_shown(at)
    at.switch_page("app.py").run()
    assert len(sent_office_ids(at)) == 14
    assert "use_shared_table" not in [b.key for b in at.button]


def test_the_uploaders_own_cross_removes_the_table():
    at = uploaded()
    at.file_uploader(key="upload").clear().run()
    assert len(sent_office_ids(at)) == 14
    assert "the shared office table" in table_shown(at)


def test_the_shared_table_is_named_on_every_page():
    at = new_app().run()
    for page in ("app.py", "pages/directory.py", "pages/briefing.py", "pages/about.py"):
        at.switch_page(page).run()
        assert "Table shown: the shared office table, checked on" in table_shown(at), page


def test_the_source_of_an_upload_names_the_file_and_not_interpol():
    at = uploaded("offices.csv")
    at.switch_page("pages/about.py").run()
    about = " ".join(m.value for m in at.markdown)
    assert "your upload ` offices.csv `, not checked by INTERPOL" in about
    assert "from INTERPOL's own pages" not in about
    # The line every export (HTML map, sheet, KML, slides, PDF) is given as its source.
    from streamlit.testing.v1 import AppTest

    probe = AppTest.from_string(
        "import streamlit as st\nfrom dashboard import data\nst.text(data.source_line())\n", default_timeout=30
    )
    probe.session_state["custom_table"] = at.session_state["custom_table"]
    probe.session_state["_upload_name"] = "offices.csv\u202e.xlsx"
    probe.run()
    line = probe.text[0].value
    assert line == "Source: uploaded table “offices.csv\ufffd.xlsx”, not checked by INTERPOL", line


def test_the_source_of_the_shared_table_is_interpol_with_its_date():
    from streamlit.testing.v1 import AppTest

    probe = AppTest.from_string(
        "import streamlit as st\nfrom dashboard import data\nst.text(data.source_line())\n", default_timeout=30
    ).run()
    assert probe.text[0].value.startswith("Source: INTERPOL (interpol.int), office data checked on ")


def test_a_refused_upload_on_one_page_leaves_the_shared_table_named():
    at = uploaded("broken.csv", b"id,name\n1,2\n")
    assert "Your table cannot be used" in " ".join(e.value for e in at.error)
    assert "the shared office table" in table_shown(at)
    at.switch_page("pages/directory.py").run()
    assert "14 offices shown" in count_shown(at)


def test_the_upload_limit_is_the_apps_everywhere():
    from dashboard.sidebar import too_large_message, upload_limit_mb
    from geo.offices.upload import MAX_UPLOAD_BYTES

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    # The server (which counts 1,048,576 bytes to a megabyte) takes every file the app accepts.
    assert config["server"]["maxUploadSize"] * 1024 * 1024 >= MAX_UPLOAD_BYTES
    # The browser's limit (1,000,000 bytes to a megabyte) is the app's to the megabyte.
    assert upload_limit_mb() * 1_000_000 <= MAX_UPLOAD_BYTES < (upload_limit_mb() + 1) * 1_000_000
    at = new_app().run()
    uploader = at.file_uploader(key="upload")
    assert uploader.proto.max_upload_size_mb == upload_limit_mb()
    at = uploaded("big.csv", b"x" * (MAX_UPLOAD_BYTES + 1))
    assert too_large_message() in " ".join(e.value for e in at.error)
    assert len(sent_office_ids(at)) == 14


def test_the_too_large_message_is_translated():
    at = new_app(lang="fr").run()
    at.file_uploader(key="upload").upload("big.csv", b"x" * (6 * 1024 * 1024), "text/csv").run()
    text = " ".join(e.value for e in at.error)
    assert text == "Ce fichier dépasse 5 Mo, la taille maximale d’un tableau.", text
