"""Smoke test of bench/tour.py's parts that need no browser (the timings themselves are measured by
``python -m bench.tour``, never here)."""

from __future__ import annotations

import json

from bench import tour


def test_percentile_interpolates_like_numpy():
    assert tour.percentile([], 50) is None
    assert tour.percentile([7.0], 95) == 7.0
    assert tour.percentile([1, 2, 3, 4], 50) == 2.5
    assert tour.percentile(list(range(1, 101)), 95) == 95.05
    assert tour.percentile([5, 1, 3], 0) == 1 and tour.percentile([5, 1, 3], 100) == 5


def test_plan_and_keys():
    plan = tour.tour_plan(3)
    assert plan == [("forward", 0, 1), ("forward", 1, 2), ("forward", 2, 3),
                    ("back", 3, 2), ("back", 2, 1), ("back", 1, 0)]
    assert tour.keys_for(new_page=True, lang="ar") == ("ArrowRight", "ArrowLeft")
    assert tour.keys_for(new_page=False, lang="ar") == ("ArrowLeft", "ArrowRight")
    assert tour.keys_for(new_page=False, lang="en") == ("ArrowRight", "ArrowLeft")


def result(times: list[float], grey: int = 0, ended: int = 5) -> tour.LanguageResult:
    r = tour.LanguageResult("working tree", "en", new_page=True, keys=("ArrowRight", "ArrowLeft"), total=14)
    r.steps = [{"run": 0, "direction": "forward", "from": i, "to": i + 1, "both_ms": t, "card_ms": t,
                "map_ms": t, "settled_ms": t + 100} for i, t in enumerate(times)]
    r.frames, r.grey_frames = 500, grey
    r.fast = [{"direction": "forward", "expected": 5, "ended": ended, "url_step": str(ended)}]
    return r


def test_goals_and_report(tmp_path):
    fast = result([20, 30, 40, 50])
    assert fast.goal_misses(reference_ms=300) == []
    assert fast.goal_misses(reference_ms=60) == ["ratio"]
    slow = result([300, 400, 900], grey=3, ended=4)
    assert slow.goal_misses(reference_ms=300) == ["p50", "p95", "ratio", "greyed frames", "lost presses"]
    broken = result([20, 30])
    broken.steps.append({"from": 2, "to": 3, "both_ms": None, "error": "not seen"})
    assert "steps not seen" in broken.goal_misses(300)

    info = {"cpu": "test", "cores_logical": 2, "load_average_at_start": [1.0, 1.0, 1.0],
            "load_average_at_end": [2.0, 1.0, 1.0], "packages": {"streamlit": "x"}}
    text = tour.write(tmp_path, [fast, slow], [250.0, 300.0, 350.0], info, {"runs": 1, "argv": "--quick"})
    assert (tmp_path / "tour.md").read_text(encoding="utf-8") == text
    assert "| Page |" in text and "300 ms (250–350, n=3)" in text
    assert "**no**: p50, p95, ratio, greyed frames, lost presses" in text
    assert "load average at start [1.0, 1.0, 1.0], at end [2.0, 1.0, 1.0]" in text
    payload = json.loads((tmp_path / "tour.json").read_text(encoding="utf-8"))
    assert payload["reference"]["median_ms"] == 300.0
    assert payload["pages"][0]["summary"]["both_ms"]["p50"] == 35.0
    assert payload["pages"][1]["goal_misses"][0] == "p50"
    # A failed reference is a cell, not a crash.
    assert "failed: no server" in tour.markdown([fast], "failed: no server", info, {"runs": 1})
