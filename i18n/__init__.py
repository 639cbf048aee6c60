"""The four working languages: gettext catalogues (compiled with Babel at start-up) and locale formats.

Catalogues live in ``i18n/locales/<lang>/LC_MESSAGES/messages.po``; ``pybabel extract`` builds the
template ``i18n/messages.pot`` from the code (see README). English is the source language.
Nothing here imports Streamlit: the app sets the language of the current run with
:func:`set_language`, and :func:`_` translates into it.
"""

from __future__ import annotations

import io
from contextvars import ContextVar
from datetime import date as date_type
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from babel import Locale
from babel.dates import format_date as babel_format_date
from babel.dates import format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations

LOCALE_DIR = Path(__file__).resolve().parent / "locales"
LANGUAGES: dict[str, str] = {"en": "English", "fr": "Français", "es": "Español", "ar": "العربية"}
DEFAULT_LANGUAGE = "en"
RTL_LANGUAGES = frozenset({"ar"})

_current: ContextVar[str] = ContextVar("language", default=DEFAULT_LANGUAGE)


def catalogue_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po"


@lru_cache(maxsize=8)
def translations(lang: str) -> NullTranslations:
    """The compiled catalogue of ``lang`` (English and unknown languages translate to themselves)."""
    path = catalogue_path(lang)
    if lang == DEFAULT_LANGUAGE or not path.exists():
        return NullTranslations()
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=lang)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return Translations(buffer)


def set_language(lang: str) -> str:
    """Make ``lang`` the language of the current run (falls back to English); return it."""
    lang = lang if lang in LANGUAGES else DEFAULT_LANGUAGE
    _current.set(lang)
    return lang


def language() -> str:
    return _current.get()


def is_rtl(lang: str | None = None) -> bool:
    return (lang or language()) in RTL_LANGUAGES


def _(message: str) -> str:
    """Translate ``message`` into the current language."""
    return translations(language()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """Translate a message with a number into the current language, with its plural form."""
    return translations(language()).ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark ``message`` for extraction without translating it now."""
    return message


def locale(lang: str | None = None) -> Locale:
    return Locale.parse(lang or language())


def number(value: float | int, lang: str | None = None) -> str:
    """A number written the locale's way (Arabic uses Arabic-Indic digits in Babel's default)."""
    return format_decimal(value, locale=locale(lang))


def local_time(moment: datetime, lang: str | None = None) -> str:
    """A date and time with its zone, written the locale's way."""
    return format_datetime(moment, "EEEE d MMMM, HH:mm (zzzz)", locale=locale(lang))


def country_name(code: str, fallback: str, lang: str | None = None) -> str:
    """The country's name in the language (CLDR), or ``fallback`` when CLDR has none."""
    if not code:
        return fallback
    return locale(lang).territories.get(code.upper(), fallback)


def language_from_header(accept_language: str | None) -> str:
    """The first of our languages named in an Accept-Language header, else English."""
    if not accept_language:
        return DEFAULT_LANGUAGE
    weighted = []
    for index, part in enumerate(accept_language.split(",")):
        pieces = part.strip().split(";q=")
        tag = pieces[0].strip().lower().split("-")[0]
        try:
            weight = float(pieces[1]) if len(pieces) > 1 else 1.0
        except ValueError:
            weight = 0.0
        weighted.append((-weight, index, tag))
    for _weight, _index, tag in sorted(weighted):
        if tag in LANGUAGES:
            return tag
    return DEFAULT_LANGUAGE


def format_date(value: date_type, lang: str | None = None) -> str:
    """A date written the locale's way (long form)."""
    return babel_format_date(value, format="long", locale=locale(lang))
