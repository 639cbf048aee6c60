"""deploy.precompressed and geo.maps.precompressed: large static files answered from their gzip
copies, written once, instead of Streamlit gzipping them at level 9 on every request (issue #15)."""

from __future__ import annotations

import gzip
import urllib.error
import urllib.request

import pytest

from deploy.precompressed import accepts_gzip, copy_for
from geo.maps import assets, precompressed
from tests.conftest import ROOT


@pytest.mark.parametrize("header,accepted", [
    ("gzip, deflate, br, zstd", True), ("br;q=1.0, gzip;q=0.8", True), ("*", True), ("GZIP", True),
    ("", False), ("identity", False), ("br", False), ("gzip;q=0", False), ("*;q=0.5, gzip;q=0", False),
    ("gzip;q=x", False),
])
def test_accept_encoding_is_read_with_its_weights(header, accepted):
    assert accepts_gzip(header) is accepted


def test_only_the_files_with_a_digest_in_their_address_have_copies(tmp_path):
    name = "0123456789abcdef0123456789abcdef.json"
    assert copy_for(f"/app/static/tables/{name}", "", tmp_path) == (tmp_path / "tables" / f"{name}.gz", "application/json")
    assert copy_for("/base/app/static/tables/" + name, "", tmp_path)[0] == tmp_path / "tables" / f"{name}.gz"
    assert copy_for("/app/static/map/map.js", "v=0123456789", tmp_path) == (
        tmp_path / "map" / "map.js.0123456789.gz", "application/javascript")
    for path, query in [
        ("/app/static/map/map.js", ""),  # no digest: which content is not known
        ("/app/static/map/map.js", "v=../../x"),
        ("/app/static/map/../tables/x.js", "v=0123456789"),
        ("/app/static/tables/../../app.py", ""),
        ("/app/static/tables/0123.json", ""),
        ("/app/static/basemap/world-50m.geojson", ""),
        ("/_stcore/health", ""),
    ]:
        assert copy_for(path, query, tmp_path) is None, (path, query)


def test_bundles_get_one_copy_per_content(tmp_path):
    stale = tmp_path / "map" / "map.js.00000000aa.gz"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"old")
    assets.install_static_assets(tmp_path)
    for key, (name, _parts) in assets.BUNDLES.items():
        url = assets.bundle_url(key, "/app/static")
        digest = url.split("?v=")[1]
        copy = precompressed.bundle_copy(tmp_path / name, digest)
        assert gzip.decompress(copy.read_bytes()) == (tmp_path / name).read_bytes()
    assert not stale.exists()
    assert precompressed.gzip_bytes(b"x" * 1000) == precompressed.gzip_bytes(b"x" * 1000)  # no time in it


def get(url: str, **headers: str):
    request = urllib.request.Request(url, headers=headers, method=headers.pop("method", "GET"))
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, answer.headers, answer.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers, err.read()


def test_the_server_answers_with_the_copy_only_when_gzip_is_accepted(streamlit_server):
    url = streamlit_server.url + assets.bundle_url(assets.BUNDLE, "/app/static")
    plain = (ROOT / "static" / assets.BUNDLES[assets.BUNDLE][0]).read_bytes()
    status, headers, body = get(url, **{"Accept-Encoding": "gzip, deflate"})
    assert status == 200 and headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in headers["Vary"]
    assert gzip.decompress(body) == plain and int(headers["Content-Length"]) == len(body) < len(plain) / 2
    assert headers["Content-Type"].startswith("application/javascript")
    assert headers["Content-Security-Policy"]  # deploy.headers still applies
    # A browser revalidating: 304, no body.
    status, _, body = get(url, **{"Accept-Encoding": "gzip", "If-None-Match": headers["ETag"]})
    assert status == 304 and body == b""
    status, head_headers, body = get(url, **{"Accept-Encoding": "gzip", "method": "HEAD"})
    assert status == 200 and body == b"" and head_headers["Content-Encoding"] == "gzip"
    # No gzip, or a range: Streamlit's own answer, the file itself.
    status, headers, body = get(url, **{"Accept-Encoding": "identity"})
    assert status == 200 and "Content-Encoding" not in headers and body == plain
    status, headers, body = get(url, **{"Accept-Encoding": "gzip", "Range": "bytes=0-9"})
    assert status == 206 and body == plain[:10]
    # Another content than the copy's: never the copy.
    status, headers, body = get(url.split("?v=")[0] + "?v=0000000000", **{"Accept-Encoding": "gzip"})
    assert headers.get("Content-Encoding") != "gzip" or gzip.decompress(body) == plain
    assert "gz-" not in (headers.get("ETag") or "")
