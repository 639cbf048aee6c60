"""Filtering the office table: by type, by region and by a free-text search."""

from __future__ import annotations

from collections.abc import Collection, Iterable

import pandas as pd

from geo.geocoding.gazetteer import fold
from geo.offices.schema import TYPE_ORDER

SEARCH_COLUMNS = ("name", "city", "country")


def search_haystack(offices: pd.DataFrame, extra_columns: Iterable[str] = ()) -> pd.Series:
    """Per row, the folded text a search looks in: name, city, country (and ``extra_columns``).

    The map page sends it to the browser, which applies a search as the user types with the same
    rule as :func:`search_mask` (every folded word of the query is in it).

    A column whose text repeats an earlier one in the same row (an English page's ``name_en``) is
    left out: a word of the query has no space, so it is in the joined text exactly when it is in
    one of the columns. Whole columns become lists first (a row-wise ``agg`` took 7 s at 100,000
    offices; this takes under one).
    """
    columns = [c for c in (*SEARCH_COLUMNS, *extra_columns) if c in offices.columns]
    if not columns or offices.empty:
        return pd.Series("", index=offices.index, dtype=object)
    values = zip(*(offices[c].astype(str).tolist() for c in columns), strict=True)
    return pd.Series([fold(" ".join(dict.fromkeys(row))) for row in values], index=offices.index, dtype=object)


def search_mask(offices: pd.DataFrame, query: str, extra_columns: Iterable[str] = ()) -> pd.Series:
    """True for rows whose name, city or country contains every word of ``query``.

    Case and accents are ignored ("yaounde" finds Yaoundé, "cote" finds Côte d'Ivoire).
    """
    words = fold(query).split()
    if not words:
        return pd.Series(True, index=offices.index)
    haystack = search_haystack(offices, extra_columns)
    mask = pd.Series(True, index=offices.index)
    for word in words:
        mask &= haystack.str.contains(word, regex=False)
    return mask


def filter_offices(
    offices: pd.DataFrame,
    types: Collection[str] | None = None,
    regions: Collection[str] | None = None,
    query: str = "",
    extra_search_columns: Iterable[str] = (),
) -> pd.DataFrame:
    """The offices whose type is in ``types`` and region in ``regions`` (None: any) matching ``query``."""
    mask = pd.Series(True, index=offices.index)
    if types is not None:
        mask &= offices["office_type"].isin(list(types))
    if regions is not None and len(regions):
        mask &= offices["region"].isin(list(regions))
    if query.strip():
        mask &= search_mask(offices, query, extra_search_columns)
    return offices[mask]


def briefing_order(offices: pd.DataFrame) -> pd.DataFrame:
    """Headquarters, global complex, regional bureaus, representative and liaison offices; west to east."""
    order = offices["office_type"].map(TYPE_ORDER).fillna(len(TYPE_ORDER))
    return offices.assign(_order=order).sort_values(["_order", "longitude", "id"]).drop(columns="_order")
