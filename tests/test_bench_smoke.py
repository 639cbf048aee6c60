"""Smoke test of the benchmark (bench/; timing goals are checked by ``python -m bench``, never here):
its parts that need no browser, and the server-load parts of issue #15 end to end with a tiny N."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time

import pytest

from bench import concurrent, serverload, synthetic
from bench.servers import Server
from bench.serverside import app_once
from geo.offices.schema import REGIONS, OfficeType
from geo.offices.table import parse_offices
from tests.conftest import ROOT


def test_synthetic_table_of_1000_offices_is_valid():
    raw = synthetic.table_bytes(1_000)
    offices = parse_offices(raw, "synthetic-1000.csv")
    assert len(offices) == 1_000
    assert offices["id"].is_unique
    assert set(offices["office_type"]) == {t.value for t in OfficeType}
    assert set(offices["region"]) <= set(REGIONS)
    assert offices[["latitude", "longitude"]].notna().all().all()
    assert not offices.attrs["notes"], offices.attrs["notes"]  # nothing had to be repaired
    liaison = offices[offices["office_type"] == OfficeType.LIAISON_OFFICE.value].iloc[0]
    assert liaison["name"] == f"INTERPOL Liaison Office {liaison['city']}"


def test_synthetic_tables_are_seeded():
    assert synthetic.table_bytes(50) == synthetic.table_bytes(50)
    assert synthetic.table_bytes(50, seed=1) != synthetic.table_bytes(50, seed=2)


@pytest.mark.slow
def test_server_side_build_of_10000_offices_is_a_valid_component_payload():
    offices = parse_offices(synthetic.table_bytes(10_000), "synthetic-10000.csv")
    _elapsed, size, parts, payload = app_once(offices)
    args = json.loads(payload)
    assert size == len(payload.encode("utf-8")) and parts["feature_group"] > 0
    script, layer = args["script"], args["feature_group"]
    assert "map_div" in script
    assert "feature_group_feature_group_0" in layer
    # Every office of the table is in the layer (however its rows are laid out).
    ids = set(re.findall(r'"((?:hq|igci|rb|sro|lo)-[a-z0-9-]+-[0-9]{6})"', layer))
    assert ids == set(offices["id"])
    assert all(link.startswith("/app/static/") for link in args["js_links"] + args["css_links"])


def test_percentile_is_nearest_rank():
    values = [float(v) for v in range(20, 0, -1)]
    assert concurrent.percentile(values, 95) == 19.0
    assert concurrent.percentile(values, 50) == 10.0
    assert concurrent.percentile([7.0], 95) == 7.0


def _child(code: str, tmp_path) -> Server:
    process = subprocess.Popen([sys.executable, "-c", code])
    return Server("child", "http://127.0.0.1:0", process, tmp_path / "child.log")


def test_server_cpu_is_measured_and_quiet_is_a_condition(tmp_path):
    """A 'server' that burns about 0.6 s of CPU, then idles: wait_quiet returns once it idles, its CPU
    shows in server_cpu_s, and CpuWatch puts it under 'server', not 'browsers'."""
    burn = "import time\nend = time.process_time() + 0.6\nwhile time.process_time() < end: pass\ntime.sleep(60)"
    server = _child(burn, tmp_path)
    try:
        watch = concurrent.CpuWatch(server)
        watch.start()
        start = time.monotonic()
        assert serverload.wait_quiet(server, timeout_s=30)
        assert time.monotonic() - start < 29
        assert serverload.server_cpu_s(server) >= 0.5
        used = watch.stop()
        assert used["cpu_s"]["server"] >= 0.4, used
        # The burn is not counted as the browsers' (a browser left open by earlier tests in the same
        # session may idle along: CI saw 0.01 s).
        assert used["cpu_s"]["browsers"] < 0.3, used
        assert 0 < used["share_pct"]["server"] <= 100
    finally:
        server.process.kill()
        server.process.wait()


@pytest.mark.browser
@pytest.mark.slow
def test_server_load_parts_run_end_to_end_with_a_tiny_n(tmp_path):
    """server-cpu, memory and concurrent against real servers and Chromium, with N = 1 or 2: every row
    gets a number (none says "failed"), in serverload.md and serverload.json."""
    # In a child process, as people run it: Playwright's sync API cannot start a second instance in a
    # thread where another one (the session's browser fixture of the browser tests) is running.
    args = ["server-load", "--views", "1", "--changes", "2", "--offices", "60", "--extra-sessions", "1",
            "--sessions", "2", "--session-views", "1", "--out", str(tmp_path)]
    code = f"import sys; from bench import serverload; sys.exit(serverload.main({args!r}))"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    rows = {f["figure"]: f for f in json.loads((tmp_path / "serverload.json").read_text())["figures"]}
    assert len(rows) == 7, list(rows)
    for name, row in rows.items():
        assert isinstance(row["app"], list) and row["app_median"] is not None, (name, row["app"])
    view = next(r for n, r in rows.items() if n.startswith("5. Server CPU per page view"))
    change = next(r for n, r in rows.items() if n.startswith("5. Server CPU per filter change"))
    for row in (view, change):
        assert row["app_median"] > 0 and row["reference_median"] > 0 and row["ratio"] > 0
    assert change["extra"]["app"]["n"] == 2 and view["extra"]["reference"]["n"] == 1
    memory = next(r for n, r in rows.items() if n.startswith("4. Server memory per additional session"))
    assert memory["extra"]["sessions"] == 2 and memory["extra"]["one_session_mb"] > memory["extra"]["start_mb"] > 0
    failed_views = next(r for n, r in rows.items() if n.endswith("failed views"))
    assert failed_views["app"] == [0] and failed_views["reference"] == [0]
    together = next(r for n, r in rows.items() if n.endswith("p50"))["extra"]["concurrent"]
    assert together["views_done"] == 2 and together["server_cpu_ms"] > 0
    assert together["machine"]["cpu_s"]["browsers"] > 0
    assert "load average" in (tmp_path / "serverload.md").read_text(encoding="utf-8").lower()


def test_only_routes_to_the_server_load_parts_and_names_a_wrong_one(capsys):
    from bench import run

    with pytest.raises(SystemExit) as exit_info:
        run.main(["--only", "server-cpu,memry"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "unknown part(s) memry" in err and "server-cpu, memory, concurrent" in err
    assert serverload.parse_args(["server-load"]).parts == ["server-cpu", "memory", "concurrent"]
    assert serverload.parse_args(["memory,server-cpu"]).parts == ["server-cpu", "memory"]
