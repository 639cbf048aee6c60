"""The four working languages: gettext catalogues (compiled with Babel at start-up) and locale formats.

Catalogues live in ``i18n/locales/<lang>/LC_MESSAGES/messages.po``; ``pybabel extract`` builds the
template ``i18n/messages.pot`` from the code (see README and babel.cfg). English is the source
language. Nothing here imports Streamlit: the app sets the language of the current run with
:func:`set_language`, and :func:`_` translates into it.

Extract, update and check, from the repository root (babel.cfg names :func:`extract_python`, so
``pybabel`` must be able to import this package: hence ``PYTHONPATH=.``)::

    PYTHONPATH=. pybabel extract -F babel.cfg -k N_ -k ngettext:1,2 -o i18n/messages.pot .
    pybabel update -i i18n/messages.pot -d i18n/locales -D messages --previous -w 100
    # translate every new or "fuzzy" entry in i18n/locales/{fr,es,ar}/LC_MESSAGES/messages.po, then
    for l in fr es ar; do pybabel compile -l $l -i i18n/locales/$l/LC_MESSAGES/messages.po -o /tmp/$l.mo --statistics; done

The compile step is only a check (the app compiles the .po files itself). tests/test_i18n.py fails
while any marked string lacks a translation in any catalogue, or messages.pot lags behind the code.
"""

from __future__ import annotations

import ast
import io
import re
import sys
from collections.abc import Collection, Iterator
from contextvars import ContextVar
from datetime import date as date_type
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from babel import Locale
from babel.dates import format_date as babel_format_date
from babel.dates import format_datetime, match_skeleton
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
    """A number written the locale's way: grouping and decimal signs of the locale.

    Digits are the locale's default numbering system in CLDR; for ``ar`` that is ``latn``
    (0-9, as on the map, in coordinates, years and Babel's Arabic dates), so the page never mixes
    two sets of digits.
    """
    return format_decimal(value, locale=locale(lang))


def _widen(pattern: str, field: str, width: int) -> str:
    """``pattern`` with every run of the letter ``field`` (outside quoted text) made ``width`` long."""
    parts = re.split(r"('(?:[^']|'')*')", pattern)
    return "".join(
        part if part.startswith("'") else re.sub(f"{field}+", field * width, part) for part in parts
    )


@lru_cache(maxsize=16)
def _day_month_pattern(lang: str) -> str:
    """The locale's pattern for a weekday, day and month (CLDR skeleton MMMMEd, weekday in full)."""
    loc = Locale.parse(lang)
    skeleton = match_skeleton("MMMMEd", loc.datetime_skeletons) or "MMMMEd"
    return _widen(str(loc.datetime_skeletons[skeleton]), "E", 4)


def local_time(moment: datetime, lang: str | None = None) -> str:
    """A weekday, date, 24-hour time and zone name, written the locale's way.

    e.g. en "Friday, November 27, 17:06 (Central Standard Time)", fr "vendredi 27 novembre, 17:06
    (heure normale du centre nord-américain)", es "viernes, 27 de noviembre, 17:06 (hora estándar
    central)". Date and time come from CLDR skeletons and are joined with the locale's own
    date-time pattern.
    """
    loc = locale(lang)
    day = format_datetime(moment, _day_month_pattern(str(loc)), locale=loc)
    hours = format_datetime(moment, str(loc.datetime_skeletons["Hm"]), locale=loc)
    joined = str(loc.datetime_formats["full"]).replace("'", "").replace("{1}", day).replace("{0}", hours)
    zone = format_datetime(moment, "zzzz", locale=loc)
    return f"{joined} ({zone})"


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


def extract_python(
    fileobj, keywords: Collection[str], comment_tags: Collection[str], options: dict
) -> Iterator[tuple[int, str, object, list[str]]]:
    """Babel's Python extractor, plus the calls inside f-strings (babel.cfg names it).

    Before Python 3.12 an f-string is a single token, so Babel does not see ``f"{_('Downloads')}"``;
    this reads those calls from the syntax tree and yields them the way Babel's extractor does.
    """
    from babel.messages.extract import extract_python as babel_extract_python

    source = fileobj.read()
    seen: set[tuple[int, str, object]] = set()
    for lineno, funcname, messages, comments in babel_extract_python(
        io.BytesIO(source), keywords, comment_tags, options
    ):
        seen.add((lineno, funcname, messages if not isinstance(messages, list) else tuple(messages)))
        yield lineno, funcname, messages, comments
    if sys.version_info >= (3, 12):  # Babel reads f-strings itself there
        return
    try:
        tree = ast.parse(source.decode(options.get("encoding", "utf-8")))
    except (SyntaxError, UnicodeDecodeError):
        return
    for node in ast.walk(tree):
        if not isinstance(node, ast.JoinedStr):
            continue
        for call in ast.walk(node):
            if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id in keywords):
                continue
            args = tuple(
                arg.value if isinstance(arg, ast.Constant) and isinstance(arg.value, str) else None
                for arg in call.args
            )
            if not args:
                continue
            messages = args[0] if len(args) == 1 else args
            key = (call.lineno, call.func.id, messages)
            if key not in seen:
                seen.add(key)
                yield call.lineno, call.func.id, messages, []


def list_separator(lang: str | None = None) -> str:
    """The comma between list items ("، " in Arabic)."""
    return "، " if (lang or language()) == "ar" else ", "
