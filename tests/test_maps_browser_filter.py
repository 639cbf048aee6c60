"""The map page's layer carries what the browser needs to filter at once (geo.maps.build.BrowserFilter)."""

from __future__ import annotations

import json

import pandas as pd

from geo.maps.build import BROWSER_FILTER_MAX, BrowserFilter, MapOptions, build_office_layer
from geo.maps.tablefile import table_file
from geo.markup import esc
from geo.offices.filtering import filter_offices, search_haystack, search_mask
from tests.apptest_helpers import layer_parts


def test_the_layer_holds_the_whole_table_and_marks_what_the_server_shows(localised_offices):
    table = localised_offices("en")
    shown = filter_offices(table, types=["regional_bureau"], regions=["Africa"])
    bf = BrowserFilter(table=table, types=("regional_bureau",), regions=("Africa",), query="",
                       region_labels={"Africa": "Afrique <b>"}, search_columns=("name_en",))
    cfg, rows = layer_parts(build_office_layer(shown, MapOptions(), bf))
    assert [r[3] for r in rows] == list(table["id"])
    f = cfg["filter"]
    assert [r[3] for r, keep in zip(rows, f["shown"], strict=True) if keep] == list(shown["id"])
    assert len(shown) == 4 and sum(f["shown"]) == 4
    assert f["region"] == list(table["region"])
    assert f["text"] == [esc(t) for t in search_haystack(table, ("name_en",))]
    assert f["types"] == ["regional_bureau"] and f["regions"] == ["Africa"]
    assert f["regionLabels"] == {"Africa": "Afrique &lt;b&gt;"}


def test_other_pages_get_only_the_offices_shown(localised_offices):
    table = localised_offices("en")
    shown = table[table["office_type"] == "liaison_office"]
    cfg, rows = layer_parts(build_office_layer(shown, MapOptions()))
    assert "filter" not in cfg and [r[3] for r in rows] == list(shown["id"])


def test_large_tables_go_once_as_a_static_file_and_the_layer_carries_only_the_filters(localised_offices):
    table = localised_offices("fr")
    big = pd.concat([table] * (BROWSER_FILTER_MAX // len(table) + 1), ignore_index=True)
    big["id"] = [f"office-{i}" for i in range(len(big))]
    big.loc[0, "name"] = "</script><b>\u2028O'Brien & Co"
    extra = ("name_en", "city_en", "country_en")
    bf = BrowserFilter(table=big, types=("liaison_office",), regions=("Europe",), query="vienne <b>",
                       search_columns=extra)
    few = big[big["office_type"] == "liaison_office"]
    layer = build_office_layer(few, MapOptions(), bf)
    cfg, rows = layer_parts(layer)
    assert rows is None  # no row goes through the websocket
    assert cfg["filter"] == {"types": ["liaison_office"], "regions": ["Europe"], "query": "vienne &lt;b&gt;",
                             "regionLabels": {}, "large": True}
    url = layer._children["office_markers"].large_json
    written = table_file(big, extra)
    assert json.loads(url)["data"] == written.url and written.count == len(big)
    data = json.loads(written.path.read_bytes())
    assert [r[3] for r in data["rows"]] == list(big["id"])
    assert data["rows"][0][4] == "&lt;/script&gt;&lt;b&gt;\u2028O&#x27;Brien &amp; Co"  # names drawn as HTML: escaped
    assert data["region"] == list(big["region"]) and data["text"] == search_haystack(big, extra).tolist()
    # Written once per table: the next run of the page finds it, and another table gets its own file.
    before = written.path.stat().st_mtime_ns
    assert table_file(big, extra) == written and written.path.stat().st_mtime_ns == before
    assert table_file(big.iloc[1:], extra).url != written.url


def test_search_texts_and_query_are_escaped():
    table = pd.DataFrame({
        "id": ["a", "b"], "name": ['"};alert(1)//', "O'Brien <office>"], "city": ["Lyon", "Paris"],
        "country": ["France", "France"], "office_type": ["headquarters", "liaison_office"],
        "region": ["Europe", "Europe"], "latitude": [45.0, 48.0], "longitude": [4.0, 2.0],
    })
    bf = BrowserFilter(table=table, types=("headquarters", "liaison_office"), regions=(), query="o'<b>")
    layer = build_office_layer(table, MapOptions(), bf)
    cfg, _rows = layer_parts(layer)
    assert cfg["filter"]["query"] == "o&#x27;&lt;b&gt;"
    assert cfg["filter"]["text"][1] == "o&#x27;brien &lt;office&gt; paris france"
    assert search_mask(table, "o'brien").tolist() == [False, True]
