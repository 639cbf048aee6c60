"""A hostile workbook uploaded through a real server and browser (issue #17): a clear refusal within
seconds, the server's memory unchanged, and the shared table still shown; then a good upload works.

Before issue #17 the same 1.6 KB file (A1 and XFD1048576) grew the server until the kernel killed it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import hostile
from tests.conftest import wait_for_offices

pytestmark = pytest.mark.browser


def server_rss(pid: int) -> int:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def test_a_corner_cell_workbook_is_refused_without_growing_the_server(streamlit_server, page, tmp_path: Path):
    bomb = tmp_path / "corner.xlsx"
    bomb.write_bytes(hostile.corner_cells_xlsx())
    page.goto(streamlit_server.url + "/")
    wait_for_offices(page, 14)
    before = server_rss(streamlit_server.process.pid)
    page.get_by_text("Use your own table").click()
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(bomb))
    page.get_by_text("declares its size as XFD1048576").first.wait_for(timeout=60_000)
    assert server_rss(streamlit_server.process.pid) - before < 100 * 1024 * 1024
    wait_for_offices(page, 14)  # the shared table is still shown

    good = tmp_path / "mine.csv"
    good.write_bytes(hostile.tiny_offices_csv(3))
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(good))
    wait_for_offices(page, 3)
    assert streamlit_server.process.poll() is None
