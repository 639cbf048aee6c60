"""Presenter view: a tour through the offices shown, one large card per step, the map moving in place.

Step 0 is the overview; steps 1..n follow headquarters, the global complex, regional bureaus,
representative and liaison offices, each group west to east. Next/Previous are buttons with the
keyboard keys Right/Left (PageDown/PageUp for clickers); the step is in the URL (``step=N``).
"""

import html

import streamlit as st

import i18n
from dashboard.labels import type_glyph, type_label
from dashboard.mapview import map_options, office_map
from dashboard.page import finish_page, start_page
from dashboard.panel import local_time_text
from geo.filtering import briefing_order
from geo.schema import TYPE_STYLES, OfficeType
from i18n import _

page = start_page(sidebar="collapsed")
state = st.session_state
tour = briefing_order(page.shown.dropna(subset=["latitude", "longitude"]))
ids = list(tour["id"])
last = len(ids)

requested = state.pop("_requested_step", None)
if requested is not None:  # from the share link; dashboard.state checked it is a number
    state["step"] = max(0, min(requested, last))
state["step"] = max(0, min(int(state.get("step", 0)), last))


def go(delta: int) -> None:
    state["step"] = max(0, min(state["step"] + delta, last))


CARD_CSS = """
<style>
.tour-card { font-size: 1.35rem; line-height: 1.45; padding: 18px 22px; border-radius: 10px;
  border: 1px solid rgba(49,51,63,.2); background: #ffffff; }
.tour-card h1 { font-size: 2.1rem; line-height: 1.2; margin: 0 0 10px; padding: 0; }
.tour-card .type { font-weight: 700; font-size: 1.45rem; margin-bottom: 8px; }
.tour-card .glyph { font-size: 1.6rem; }
.tour-card p { margin: 6px 0; }
.tour-card .muted { color: #4b5563; }
.tour-card ul { list-style: none; padding: 0; margin: 8px 0 0; }
.tour-card li { margin: 4px 0; }
.tour-step { font-size: 1.1rem; color: #4b5563; }
[data-testid="stMainBlockContainer"] { padding-top: 3.2rem; max-width: 100%; }
.hidden-keys { display: none; }
</style>
"""


def esc(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def glyph_html(office_type: str) -> str:
    try:
        colour = TYPE_STYLES[OfficeType(office_type)].colour
    except ValueError:
        colour = "inherit"
    return f'<span class="glyph" style="color:{colour}" aria-hidden="true">{esc(type_glyph(office_type))}</span>'


def overview_card() -> str:
    counts = tour["office_type"].value_counts()
    items = "".join(
        f"<li>{glyph_html(t.value)} {esc(type_label(t.value))}: <b>{i18n.number(int(counts.get(t.value, 0)))}</b></li>"
        for t in OfficeType
        if counts.get(t.value, 0)
    )
    return (
        f'<div class="tour-card" data-step="0"><h1>{esc(_("The General Secretariat around the world"))}</h1>'
        f"<p>{esc(_('{n} offices on this tour.').format(n=i18n.number(last)))}</p><ul>{items}</ul></div>"
    )


def office_card(row) -> str:
    place = i18n.list_separator().join(v for v in (row["city"], row["country"]) if v)
    lines = [f'<p class="place">{esc(place)}</p>']
    if row.get("partner"):
        lines.append(f"<p><b>{esc(_('Partner'))}:</b> {esc(row['partner'])}</p>")
    if row.get("serves"):
        lines.append(f"<p><b>{esc(_('Serves'))}:</b> {esc(row['serves'])}</p>")
    if row.get("description"):
        lines.append(f"<p>{esc(row['description'])}</p>")
    local = local_time_text(str(row.get("timezone", "")))
    if local:
        lines.append(f'<p class="muted"><b>{esc(_("Local time"))}:</b> {esc(local)}</p>')
    return (
        f'<div class="tour-card" data-step="{state["step"]}" data-office-id="{esc(row["id"])}">'
        f"<h1>{esc(row['name'])}</h1>"
        f'<div class="type">{glyph_html(row["office_type"])} {esc(type_label(row["office_type"]))}</div>'
        f"{''.join(lines)}</div>"
    )


st.html(CARD_CSS)
if not ids:
    st.info(_("No office matches these filters. Tick more office types, choose other regions or clear the search."),
            icon="🔎")
    finish_page(page)
    st.stop()

step = state["step"]
row = tour.iloc[step - 1] if step else None
hub_row = page.offices[page.offices["office_type"] == OfficeType.HEADQUARTERS.value].dropna(
    subset=["latitude", "longitude"]
)
map_column, card_column = st.columns([3, 2], gap="medium")
with card_column:
    st.html(overview_card() if row is None else office_card(row))
    st.markdown(
        f'<p class="tour-step">{esc(_("Step {step} of {total}").format(step=step, total=last))}</p>',
        unsafe_allow_html=True,
    )
    previous_col, next_col = st.columns(2)
    forward, back = ("Left", "Right") if i18n.is_rtl() else ("Right", "Left")  # keys follow the layout
    previous_col.button(_("◀ Previous"), key="tour_prev", on_click=go, args=(-1,), disabled=step == 0,
                        shortcut=back, width="stretch")
    next_col.button(_("Next ▶"), key="tour_next", on_click=go, args=(1,), disabled=step == last,
                    shortcut=forward, width="stretch", type="primary")
    with st.container(key="hidden_keys"):
        st.button("PageUp", key="tour_prev_page", on_click=go, args=(-1,), shortcut="PageUp")
        st.button("PageDown", key="tour_next_page", on_click=go, args=(1,), shortcut="PageDown")
    st.caption(_("Keys: → or Page Down for next, ← or Page Up for previous."))
    hub = None
    if st.toggle(_("Lines from the Lyon headquarters"), key="hq_lines") and len(hub_row):
        hub = (float(hub_row.iloc[0]["latitude"]), float(hub_row.iloc[0]["longitude"]))
with map_column:
    options = map_options(selected=None if row is None else row["id"], hub=hub, large_text=True,
                          selected_zoom=5)
    clicked = office_map(tour, options, key="briefing_map", height=640)
    if clicked in ids:
        state["step"] = ids.index(clicked) + 1
        st.rerun()

st.html("<style>.st-key-hidden_keys { display: none; }</style>")
finish_page(page, {"step": str(step)} if step else None)
