"""About: the General Secretariat's facts, each with its source and an "as of" date."""

import json
from datetime import date

import streamlit as st

import i18n
from dashboard import data
from dashboard.labels import type_label
from dashboard.page import finish_page, start_page
from geo.markup import esc
from geo.offices.organisation import FACTS_PATH, load_organisation
from geo.offices.schema import OfficeType
from geo.offices.table import URL_PATTERN
from i18n import N_, _

# Labels of the facts in data/organisation.json, marked for the catalogues.
FACT_LABELS = (N_("Role"), N_("Secretary General"), N_("Staff"), N_("Working languages"), N_("Global presence"))

page = start_page(title=N_("About"))
organisation = load_organisation(i18n.language())
# A note (e.g. what the seed page says) has its own source and date: data/organisation.json's
# note_source and note_as_of, read here because geo.offices.organisation.Fact does not carry them.
NOTE_SOURCES = {
    item["key"]: (item.get("note_source", ""), item.get("note_as_of", ""))
    for item in json.loads(FACTS_PATH.read_text(encoding="utf-8"))["facts"]
}


def when(iso: str) -> str:
    try:
        return i18n.format_date(date.fromisoformat(iso))
    except ValueError:
        return iso


def link(url: str) -> str:
    if not URL_PATTERN.fullmatch(url):
        return esc(url)
    # An address reads left to right, also in an Arabic sentence (isolated, so a wrapped address
    # keeps its order); a long one may break anywhere rather than overflow a phone's width.
    return (f'<a href="{esc(url)}" target="_blank" rel="noopener noreferrer" dir="ltr" class="fact-link">'
            f"{esc(url)}</a>")


st.subheader(_("About the General Secretariat"))
direction = "rtl" if i18n.is_rtl() else "ltr"
items = []
for fact in organisation.facts:
    note_source, note_as_of = NOTE_SOURCES.get(fact.key, ("", ""))
    cited = (f' ({esc(_("Source"))}: {link(note_source)} · {esc(_("as of {date}").format(date=when(note_as_of)))})'
             if note_source and note_as_of else "")
    note = f'<p class="fact-note">{esc(_(fact.note))}{cited}</p>' if fact.note else ""
    items.append(
        f'<section class="fact" data-fact="{esc(fact.key)}"><h3>{esc(_(fact.label))}</h3>'
        f"<p>{esc(fact.text)}</p>{note}"
        f'<p class="fact-source">{esc(_("Source"))}: {link(fact.source)} · '
        f"{esc(_('as of {date}').format(date=when(fact.as_of)))}</p></section>"
    )
st.html(
    "<style>.fact{margin:0 0 18px}.fact h3{margin:0 0 4px;font-size:1.15rem}"
    ".fact-source,.fact-note{color:#4b5563;font-size:.9rem;margin:2px 0}"
    ".fact-link{unicode-bidi:isolate;overflow-wrap:anywhere}</style>"
    f'<div class="facts" dir="{direction}">{"".join(items)}</div>'
)

st.markdown(f"#### {_('The office data')}")
counts = data.base_offices()["office_type"].value_counts()
for office_type in OfficeType:
    st.markdown(f"- {type_label(office_type.value)}: **{i18n.number(int(counts.get(office_type.value, 0)))}**")
if data.upload_name() is None:
    st.markdown(
        _("Office data last checked on {date}, from INTERPOL's own pages; each office names its source.").format(
            date=when(organisation.offices_checked)
        )
    )
else:
    # The counts above are the upload's: say so, and never credit it to INTERPOL.
    st.markdown(data.table_note())
finish_page(page)
