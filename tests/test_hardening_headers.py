"""Frame protection and a content security policy on every answer (issue #17, 4).

The app's own server, started as ./run app, the Dockerfile and ./run serve start it
(``streamlit run launch.py``: Streamlit's public ``st.App`` with deploy.headers.SecurityHeaders),
and nginx in front of it (deploy/nginx.conf.template, through deploy/serve.py) send the same
headers, once each. Chromium's view of them (no violation, no framing from another origin):
tests/test_hardening_browser.py.
"""

from __future__ import annotations

import re
import shutil
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from deploy.headers import CONTENT_SECURITY_POLICY, SECURITY_HEADERS
from tests.conftest import ROOT, free_port, start_streamlit, stop_streamlit

PATHS = (
    "/",
    "/directory",
    "/_stcore/health",
    "/component/streamlit_folium.st_folium/index.html",
    "/no-such-page/at/all",
)


def fetch(url: str):
    """(status, headers as a list of (name, value)) of a GET, 4xx and 5xx included."""
    try:
        with urllib.request.urlopen(url, timeout=30) as answer:  # our own http server
            return answer.status, answer.headers.items()
    except urllib.error.HTTPError as err:
        return err.code, err.headers.items()


def assert_protected(url: str) -> None:
    status, headers = fetch(url)
    names = [name.lower() for name, _value in headers]
    for name, value in SECURITY_HEADERS.items():
        assert names.count(name.lower()) == 1, (url, status, name, headers)
        assert dict((k.lower(), v) for k, v in headers)[name.lower()] == value, (url, name)


def test_the_policy_forbids_framing_by_others_and_keeps_scripts_to_the_app():
    directives = dict(d.split(" ", 1) for d in CONTENT_SECURITY_POLICY.split("; "))
    assert directives["frame-ancestors"] == "'self'"
    assert SECURITY_HEADERS["X-Frame-Options"] == "SAMEORIGIN"
    assert "*" not in directives["script-src"] and "http" not in directives["script-src"]
    assert directives["object-src"] == "'none'" and directives["base-uri"] == "'self'"
    assert directives["connect-src"] == "'self'"


def test_the_launcher_is_streamlits_public_app_with_the_middleware():
    import streamlit as st
    from streamlit.web.server.app_discovery import discover_asgi_app

    import launch

    assert isinstance(launch.app, st.App)
    assert launch.app.script_path == Path("app.py")
    # `streamlit run launch.py` must find the app; if Streamlit stops doing so, this fails loudly.
    found = discover_asgi_app(ROOT / "launch.py")
    assert found.is_asgi_app and found.import_string.endswith(":app"), found


@pytest.fixture(scope="module")
def launched(tmp_path_factory):
    server = start_streamlit(tmp_path_factory.mktemp("launched"))
    yield server
    stop_streamlit(server)


@pytest.mark.parametrize("path", PATHS)
def test_every_answer_of_the_apps_server_carries_the_headers(launched, path):
    assert_protected(launched.url + path)


def static_script() -> str:
    """The address of one of the map's scripts the app serves itself (Leaflet & co. in ./static)."""
    script = next(p for p in sorted((ROOT / "static").rglob("*.js")))
    return "/app/static/" + script.relative_to(ROOT / "static").as_posix()


def test_the_app_still_works_behind_the_launcher(launched):
    status, _headers = fetch(launched.url + "/_stcore/health")
    assert status == 200
    status, headers = fetch(launched.url + static_script())
    assert status == 200 and "javascript" in dict((k.lower(), v) for k, v in headers)["content-type"]
    assert_protected(launched.url + static_script())


def test_the_nginx_template_sends_the_same_headers():
    template = (ROOT / "deploy" / "nginx.conf.template").read_text(encoding="utf-8")
    for name, value in SECURITY_HEADERS.items():
        assert re.search(rf'^\s*add_header {re.escape(name)} "{re.escape(value)}" always;$', template, re.M), name
        assert re.search(rf"^\s*proxy_hide_header {re.escape(name)};$", template, re.M), name


@pytest.mark.skipif(shutil.which("nginx") is None and not Path("/usr/sbin/nginx").exists(), reason="no nginx")
def test_every_answer_through_the_balancer_carries_the_headers_once(tmp_path):
    from deploy.serve import Topology

    topology = Topology(1, free_port(), "127.0.0.1", tmp_path, [])
    try:
        topology.start()
        for path in PATHS:
            assert_protected(topology.url + path)
    finally:
        topology.stop()
