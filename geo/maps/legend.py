"""The map's legend: each office type's shape, colour, label and count; on the map page, buttons.

With ``legend_actions`` each entry toggles its type and an "only" button isolates it; the choice
reaches the server as a click whose "tooltip" names the action (:func:`legend_action_from_tooltip`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

import i18n
from geo.maps.markers import office_id_from_tooltip
from geo.maps.styles import TYPE_STYLES, TYPES, marker_svg
from geo.markup import esc

if TYPE_CHECKING:
    from geo.maps.build import MapOptions

# Words the legend shows (English defaults; the app passes them translated).
UI_TEXT: dict[str, str] = {
    "only": "only",
    "only_label": "Show only: {type}",
}
LEGEND_ACTION = "legend:"  # a legend click's "tooltip": LEGEND_ACTION + "toggle:<type>" or "only:<type>"
LEGEND_VERBS = ("toggle", "only")


def _plain_item(office_type: str, label: str, count: int, options: MapOptions) -> str:
    return (
        f'<li class="legend-{office_type}{" is-empty" if not count else ""}">'
        f"{marker_svg(office_type, 18)}<span>{esc(label)}</span>"
        f'<span class="count">{i18n.number(count, options.lang or i18n.language())}</span></li>'
    )


def _action_item(office_type: str, label: str, count: int, on: bool, options: MapOptions) -> str:
    only_text = esc(options.ui_text.get("only", UI_TEXT["only"]))
    only_label = options.ui_text.get("only_label", UI_TEXT["only_label"])
    return (
        f'<li class="has-actions legend-{office_type}{"" if on else " is-off"}">'
        f'<button type="button" class="legend-entry" data-type="{office_type}" '
        f'aria-pressed="{"true" if on else "false"}">'
        f'{marker_svg(office_type, 18)}<span class="name">{esc(label)}</span>'
        f'<span class="count">{i18n.number(count, options.lang or i18n.language())}</span></button>'
        f'<button type="button" class="legend-only" data-type="{office_type}" '
        f'aria-label="{esc(only_label.replace("{type}", label))}">{only_text}</button></li>'
    )


def legend_html(offices: pd.DataFrame, options: MapOptions) -> str:
    """The legend: each type's shape, colour, label and number of offices shown.

    With ``options.legend_actions`` each entry is a button that toggles its type (``aria-pressed``
    says whether it is ticked), with an "only" button beside it, and the title is a button that
    folds the legend away.
    """
    counts = offices["office_type"].value_counts() if len(offices) else pd.Series(dtype=int)
    active = set(options.active_types) if options.active_types is not None else {t.value for t in TYPES}
    items = []
    for office_type in TYPES:
        count = int(counts.get(office_type.value, 0))
        if not count and options.large_text:
            continue  # the presenter's legend lists only what is on the map
        label = options.type_labels.get(office_type.value, TYPE_STYLES[office_type].label)
        if options.legend_actions:
            items.append(_action_item(office_type.value, label, count, office_type.value in active, options))
        else:
            items.append(_plain_item(office_type.value, label, count, options))
    if options.legend_actions:
        title = (
            f'<h4 class="legend-title"><button type="button" class="legend-toggle" aria-expanded="true" '
            f'aria-controls="office-legend-items">{esc(options.legend_title)}</button></h4>'
        )
        return f'{title}<ul id="office-legend-items">{"".join(items)}</ul>{_coverage_note(options)}'
    return f"<h4>{esc(options.legend_title)}</h4><ul>{''.join(items)}</ul>{_coverage_note(options)}"


def _coverage_note(options: MapOptions) -> str:
    if not options.coverage or not options.coverage_note:
        return ""
    return f'<p class="coverage-note"><span class="coverage-swatch" aria-hidden="true"></span>{options.coverage_note}</p>'


def legend_action_from_tooltip(text: str | None) -> tuple[str, str] | None:
    """("toggle" or "only", office type) when a click came from a legend button, else None."""
    value = office_id_from_tooltip(text)
    if not value or not value.startswith(LEGEND_ACTION):
        return None
    verb, _sep, office_type = value[len(LEGEND_ACTION):].partition(":")
    if verb not in LEGEND_VERBS or office_type not in {t.value for t in TYPES}:
        return None
    return verb, office_type
