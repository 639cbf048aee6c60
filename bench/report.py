"""Figures, their statistics and the Markdown/JSON report of a benchmark run."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

Samples = list[float]


@dataclass
class Figure:
    """One row of the table: the app's samples, the reference's, and the goal on their ratio."""

    name: str
    unit: str  # "ms", "bytes", "MB" (resident memory), "s"
    reference_label: str
    goal: str = "—"
    # (app median, reference median, ratio) -> met? ; None: no goal.
    check: Callable[[float, float | None, float | None], bool] | None = None
    paired: bool = False  # ratio per run (app run i / reference run i), then the median of those
    app: Samples | str | None = None  # samples, or "failed: why"
    reference: Samples | str | None = None
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    # --- statistics -------------------------------------------------------------------------
    @staticmethod
    def _ok(samples: Samples | str | None) -> bool:
        return isinstance(samples, list) and len(samples) > 0

    def app_median(self) -> float | None:
        return statistics.median(self.app) if self._ok(self.app) else None

    def reference_median(self) -> float | None:
        return statistics.median(self.reference) if self._ok(self.reference) else None

    def ratios(self) -> Samples:
        """Per-run ratios when app and reference were measured back to back (the spread)."""
        if not (self._ok(self.app) and self._ok(self.reference)):
            return []
        if self.paired and len(self.app) == len(self.reference):
            return [a / r for a, r in zip(self.app, self.reference, strict=True) if r]
        return []

    def ratio(self) -> float | None:
        """Median of the app over median of the reference (robust to one disturbed run)."""
        app, ref = self.app_median(), self.reference_median()
        return app / ref if app is not None and ref else None

    def met(self) -> bool | None:
        if self.check is None or not self._ok(self.app):
            return None
        try:
            return bool(self.check(self.app_median(), self.reference_median(), self.ratio()))
        except (TypeError, ZeroDivisionError):
            return None

    # --- cells --------------------------------------------------------------------------------
    def cell(self, samples: Samples | str | None) -> str:
        if samples is None:
            return "—"
        if isinstance(samples, str):
            return samples.replace("|", "/").replace("\n", " ")
        if not samples:
            return "failed: no samples"
        median = statistics.median(samples)
        if len(samples) == 1:
            return fmt(median, self.unit)
        return f"{fmt(median, self.unit)} ({fmt(min(samples), self.unit, False)}–{fmt(max(samples), self.unit, False)})"

    def ratio_cell(self) -> str:
        ratio = self.ratio()
        if ratio is None:
            return "—"
        text = f"{ratio:.2f}x" if ratio >= 0.1 else f"{ratio:.4f}x (1/{1 / ratio:.0f})"
        ratios = self.ratios()
        if len(ratios) > 1:
            text += f" ({min(ratios):.2f}–{max(ratios):.2f})"
        return text

    def met_cell(self) -> str:
        if isinstance(self.app, str) or (self.check is not None and self.reference is not None
                                         and isinstance(self.reference, str) and self.ratio() is None
                                         and "ratio" in self.goal):
            return "?"
        return {True: "yes", False: "**no**", None: "—"}[self.met()]

    def as_json(self) -> dict[str, Any]:
        return {
            "figure": self.name,
            "unit": self.unit,
            "app": self.app,
            "reference": self.reference,
            "reference_label": self.reference_label,
            "app_median": self.app_median(),
            "reference_median": self.reference_median(),
            "ratio": self.ratio(),
            "ratios": self.ratios(),
            "goal": self.goal,
            "met": self.met(),
            "note": self.note,
            **({"extra": self.extra} if self.extra else {}),
        }


def fmt(value: float, unit: str, with_unit: bool = True) -> str:
    if unit == "ms":
        text = f"{value:,.0f}" if value >= 100 else f"{value:.1f}"
    elif unit == "s":
        text = f"{value:.1f}"
    elif unit == "bytes":
        text = f"{value / 1e6:.2f}" if value >= 1e5 else f"{value / 1e3:.1f}"
        unit = "MB" if value >= 1e5 else "kB"
    elif unit == "MB":
        text = f"{value:,.0f}" if abs(value) >= 100 else f"{value:.1f}"
    else:
        text = f"{value:g}"
    return f"{text} {unit}" if with_unit else text


def failed(err: BaseException) -> str:
    text = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    return f"failed: {text[:160]}"


# --- the machine -------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    import psutil

    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    packages = {}
    for name in ("streamlit", "folium", "streamlit-folium", "pandas", "playwright", "branca", "jinja2"):
        try:
            packages[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            packages[name] = "missing"
    chromium = ""
    try:
        chromium = subprocess.run(["/usr/bin/chromium", "--version"], capture_output=True, text=True,
                                  timeout=20).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        chromium = "not found"
    git = ""
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        git = subprocess.run(["git", "-C", str(Path(__file__).resolve().parent.parent), "describe",
                              "--always", "--dirty"], capture_output=True, text=True, timeout=20).stdout.strip()
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu,
        "cores_logical": os.cpu_count(),
        "cores_physical": psutil.cpu_count(logical=False),
        "ram_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "os": platform.platform(),
        "python": sys.version.split()[0],
        "packages": packages,
        "chromium": chromium,
        "git": git,
    }


# --- the report -------------------------------------------------------------------------------


def markdown(figures: list[Figure], info: dict[str, Any], settings: dict[str, Any],
             title: str = "Benchmark: speed and scale (issue #6)") -> str:
    lines = [
        f"# {title}",
        "",
        f"`python -m bench {settings.get('argv', '')}`".replace(" `", "`"),
        "",
        settings.get("intro") or (
            f"{settings['runs']} measured runs per figure (after a warm-up) unless a note says otherwise "
            f"(time budget {settings.get('budget_min', '?')} min); "
            "cells are **median (min–max)**; ratio = median app / median reference, and in parentheses the "
            "range of the per-run ratios where app and reference were measured back to back."),
        "",
        "| Figure | App | Reference | Ratio | Goal | Met? |",
        "|---|---|---|---|---|---|",
    ]
    for f in figures:
        reference = f.cell(f.reference)
        if f.reference_label:
            reference = f"{reference}<br><sub>{f.reference_label}</sub>"
        lines.append(
            f"| {f.name} | {f.cell(f.app)} | {reference} | {f.ratio_cell()} | {f.goal} | {f.met_cell()} |"
        )
    notes = [f"- **{f.name}**: {f.note}" for f in figures if f.note]
    if notes:
        lines += ["", "Notes:", "", *notes]
    packages = ", ".join(f"{k} {v}" for k, v in info["packages"].items())
    lines += [
        "",
        "Machine:",
        "",
        f"- {info['cpu']}, {info['cores_logical']} logical cores ({info['cores_physical']} physical), "
        f"{info['ram_gb']} GiB RAM; load average at start {info['load_average_at_start']}, "
        f"at end {info.get('load_average_at_end', '?')}",
        f"- {info['os']}; Python {info['python']}; {info['chromium']}",
        f"- {packages}",
        f"- code: {settings.get('code', '')}; bench/ at git {info.get('git', '')}; {info['date']}; "
        f"run took {settings.get('duration_s', 0) / 60:.1f} min",
        "",
    ]
    return "\n".join(lines)


def write(out_dir: Path, figures: list[Figure], info: dict[str, Any], settings: dict[str, Any],
          stem: str = "latest", title: str | None = None) -> str:
    out_dir.mkdir(parents=True, exist_ok=True)
    text = markdown(figures, info, settings, **({"title": title} if title else {}))
    payload = {"settings": settings, "machine": info, "figures": [f.as_json() for f in figures]}
    for name, content in ((f"{stem}.md", text),
                          (f"{stem}.json", json.dumps(payload, indent=2, default=str) + "\n")):
        tmp = out_dir / f"{name}.tmp"
        tmp.write_text(content, encoding="utf-8")
        tmp.replace(out_dir / name)
    return text
