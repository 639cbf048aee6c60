"""Organisation facts for the About page, kept as data (data/organisation.json) with sources and dates."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

FACTS_PATH = Path(__file__).resolve().parents[2] / "data" / "organisation.json"


@dataclass(frozen=True)
class Fact:
    key: str
    label: str  # English; translated through the gettext catalogue
    text: str  # in the language asked for, English when there is no translation
    source: str
    as_of: str
    note: str = ""


@dataclass(frozen=True)
class Organisation:
    facts: tuple[Fact, ...]
    offices_checked: str
    offices_source: str


def load_organisation(lang: str = "en", path: Path = FACTS_PATH) -> Organisation:
    """The facts in ``lang`` (English fallback per fact)."""
    raw = json.loads(path.read_text(encoding="utf-8"))
    facts = []
    for item in raw["facts"]:
        texts = item["text"]
        note = item.get("note", "")
        if isinstance(note, dict):
            note = note.get(lang) or note.get("en", "")
        facts.append(
            Fact(
                key=item["key"],
                label=item["label"],
                text=texts.get(lang) or texts["en"],
                source=item["source"],
                as_of=item["as_of"],
                note=note,
            )
        )
    return Organisation(tuple(facts), raw["offices_checked"], raw["offices_source"])
