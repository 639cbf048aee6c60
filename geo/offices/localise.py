"""Office fields in the four working languages.

Translations the organisation publishes are data, not code: ``data/offices_i18n.csv`` holds one
row per (id, lang, field, value). An empty or missing translation falls back to English. Country
names come from CLDR (Babel) when the table has no translation of its own.
"""

from __future__ import annotations

import csv
from functools import lru_cache
from pathlib import Path

import pandas as pd
from babel import Locale

TRANSLATIONS_PATH = Path(__file__).resolve().parents[2] / "data" / "offices_i18n.csv"
TRANSLATED_FIELDS = ("name", "city", "country", "description", "address", "serves", "opened_note", "partner")


@lru_cache(maxsize=4)
def _translations(path: Path, mtime_ns: int) -> dict[tuple[str, str, str], str]:
    table: dict[tuple[str, str, str], str] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            value = (row.get("value") or "").strip()
            if value and row.get("field") in TRANSLATED_FIELDS:
                table[(row["id"], row["lang"], row["field"])] = value
    return table


def load_translations(path: Path = TRANSLATIONS_PATH) -> dict[tuple[str, str, str], str]:
    if not path.exists():
        return {}
    return _translations(path, path.stat().st_mtime_ns)


def localise(offices: pd.DataFrame, lang: str, path: Path = TRANSLATIONS_PATH) -> pd.DataFrame:
    """A copy of ``offices`` with its text fields in ``lang`` where a translation exists.

    The English originals stay available in ``<field>_en`` columns (used by the search).
    """
    frame = offices.copy()
    for column in TRANSLATED_FIELDS:
        if column in frame.columns:
            frame[f"{column}_en"] = frame[column]
    if lang == "en" or frame.empty:
        return frame
    table = load_translations(path)
    territories = Locale.parse(lang).territories
    for column in TRANSLATED_FIELDS:
        if column not in frame.columns:
            continue
        values = []
        for office_id, original, code in zip(
            frame["id"], frame[column], frame.get("country_code", pd.Series("", index=frame.index)),
            strict=True,
        ):
            translated = table.get((office_id, lang, column))
            if translated is None and column == "country" and code:
                translated = territories.get(code)
            values.append(translated or original)
        frame[column] = values
    return frame
