"""Countries by name: the ISO 3166-1 alpha-2 codes of ``serves_countries`` in a reader's language.

Names come from CLDR (Babel's ``Locale.territories``), never from the table: the table holds codes
only, so every export and the dashboard name the same countries the same way in each language.
A code CLDR does not know (a user's typo that validation let through, or a private-use code such as
``XK`` in an older CLDR) stays as the code: nothing is guessed.

:func:`served_codes` reads a cell; :func:`served_country_names` names its countries;
:func:`served_names_text` joins them for a file cell (CSV, GeoJSON), separated like the codes;
:func:`served_line` says "serves N countries: A, B, …" in a language (KML balloons, the offline map).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache

from babel import Locale, UnknownLocaleError

import i18n
from geo.offices.schema import COUNTRY_LIST_SEPARATOR

# Between names in a file cell: the codes' own separator, so the n-th name is the n-th code
# (a name may hold a comma: "Bonaire, Sint Eustatius and Saba").
NAMES_SEPARATOR = COUNTRY_LIST_SEPARATOR + " "


def served_codes(value: object) -> list[str]:
    """The ISO alpha-2 codes of a ``serves_countries`` cell, in order, upper case, without blanks."""
    if not isinstance(value, str):
        return []
    return [code.strip().upper() for code in value.split(COUNTRY_LIST_SEPARATOR) if code.strip()]


@lru_cache(maxsize=8)
def _territories(lang: str) -> Mapping[str, str]:
    try:
        return Locale.parse(lang).territories
    except (UnknownLocaleError, ValueError) as error:
        raise ValueError(f"country names: unknown language {lang!r} (CLDR has no locale of that name)") from error


def country_name(code: str, lang: str) -> str:
    """The CLDR name of the country ``code`` (ISO alpha-2) in ``lang``; the code itself if CLDR has none."""
    code = code.strip().upper()
    return _territories(lang).get(code, code) if code else ""


def served_country_names(value: object, lang: str) -> list[str]:
    """The names, in ``lang``, of the countries in a ``serves_countries`` cell, in the cell's order."""
    return [country_name(code, lang) for code in served_codes(value)]


def served_names_text(value: object, lang: str) -> str:
    """The names of a ``serves_countries`` cell as one cell, "; "-separated like the codes ("" for none)."""
    return NAMES_SEPARATOR.join(served_country_names(value, lang))


def served_line(value: object, lang: str) -> str:
    """"serves N countries: A, B, …" in ``lang`` (the catalogue's words, CLDR's names and list comma) for
    a ``serves_countries`` cell; "" when none are listed. ``lang`` is passed, never the current run's:
    a deferred download is made outside the page's run."""
    names = served_country_names(value, lang)
    if not names:
        return ""
    count = i18n.translations(lang).ngettext("serves {n} country", "serves {n} countries", len(names))
    return f"{count.format(n=i18n.number(len(names), lang))}: {i18n.list_separator(lang).join(names)}"
