"""Operations log: one line per rejected upload and per share-link value the app did not use.

The lines name the kind of event and the size of the value, never the value itself: no office data
and nothing a user typed into a URL or a file reaches the log.
"""

from __future__ import annotations

import logging

import pytest

from tests.apptest_helpers import new_app

pytestmark = pytest.mark.filterwarnings("ignore")
SECRET = "Jane-Doe-555-0100"  # stands for personal data a user might put in a URL or a table


def dashboard_lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "dashboard"]


def test_unknown_share_link_values_are_logged_once_each_without_the_value(caplog):
    caplog.set_level(logging.INFO, logger="dashboard")
    at = new_app(lang="xx-" + SECRET, type="bureau," + SECRET, region=SECRET, office=SECRET).run()
    assert not at.exception
    lines = dashboard_lines(caplog)
    assert len(lines) == 4, lines
    for kind in ("language", "office type", "region", "office"):
        assert any(f"Ignored the unknown {kind} (a value of" in line for line in lines), (kind, lines)
    assert f"(a value of {len('xx-' + SECRET)} characters)" in "\n".join(lines)
    assert SECRET not in "\n".join(lines)
    caplog.clear()
    at.run()  # a rerun of the same session logs nothing new
    assert dashboard_lines(caplog) == []


def test_a_valid_share_link_logs_nothing(caplog):
    caplog.set_level(logging.INFO, logger="dashboard")
    at = new_app(type="regional_bureau", lang="fr", office="rb-nairobi").run()
    assert not at.exception
    assert dashboard_lines(caplog) == []


def test_an_office_hidden_by_the_filters_is_logged_like_the_notice(caplog):
    caplog.set_level(logging.INFO, logger="dashboard")
    at = new_app(type="regional_bureau", office="lo-europol").run()
    assert not at.exception
    assert dashboard_lines(caplog) == [
        "share link: The office (a value of 10 characters) is hidden by the filters."
    ]


def test_a_rejected_upload_is_logged_with_its_kind_and_size_only(caplog):
    caplog.set_level(logging.INFO, logger="dashboard")
    at = new_app().run()
    content = f"id,name\n{SECRET},{SECRET}\n".encode()
    at.file_uploader(key="upload").upload(f"{SECRET}.csv", content, "text/csv").run()
    assert not at.exception
    assert "Your table cannot be used" in "\n".join(e.value for e in at.error)
    lines = dashboard_lines(caplog)
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"upload rejected: csv file of {len(content)} bytes, ")
    assert SECRET not in lines[0]
