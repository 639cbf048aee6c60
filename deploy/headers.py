"""Frame protection and a content security policy on every HTTP answer of the app (issue #17).

Streamlit has no setting for response headers; its public ``st.App`` takes ASGI middleware, and
``launch.py`` (what ``./run app``, ``./run serve`` and the Dockerfile start) wraps the app in
:class:`SecurityHeaders`. The nginx template (deploy/nginx.conf.template) sends the same headers,
so a page served through the balancer carries them too (tests/test_hardening_headers.py checks
that both say the same).

The policy, measured in Chromium on every page (tests/test_hardening_browser.py: no violation):

- ``frame-ancestors 'self'`` (and ``X-Frame-Options: SAMEORIGIN`` for older browsers): no other
  site can frame the dashboard and lay its own page over the upload or download buttons; the
  app's own frames (the map component, same origin) still load.
- scripts from the app itself, inline ones and ``eval``: the page script (dashboard.shell) is
  inline; streamlit-folium's frame (``/component/...``) runs the map's layers with ``eval`` (its
  own frontend), and the map page's host script (geo/maps, ``new host.Function``) runs in the
  page's realm. Without ``'unsafe-eval'`` the map stays empty and the phone's sidebar closer is
  blocked (measured: a script-src violation on the map page and in the map frame). Scripts from any
  other host stay refused.
- pictures and tiles from https (the online basemaps: OpenStreetMap, light, dark), data: and blob:;
  connections only to the app (its websocket included); no plugins; forms and <base> to the app.
"""

from __future__ import annotations

SCRIPT_SRC = "script-src 'self' 'unsafe-inline' 'unsafe-eval'"
CSP_DIRECTIVES = (
    "default-src 'self'",
    SCRIPT_SRC,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob: https:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "frame-src 'self' blob: data:",
    "worker-src 'self' blob:",
    "media-src 'self' data: blob:",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'self'",
)
CONTENT_SECURITY_POLICY = "; ".join(CSP_DIRECTIVES)
SECURITY_HEADERS: dict[str, str] = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "SAMEORIGIN",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}
_RAW = [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in SECURITY_HEADERS.items()]
_NAMES = {name for name, _value in _RAW}


class SecurityHeaders:
    """ASGI middleware: every HTTP answer gets SECURITY_HEADERS (replacing any of the same name);
    websockets pass untouched."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message) -> None:
            if message["type"] == "http.response.start":
                kept = [(k, v) for k, v in message.get("headers", []) if bytes(k).lower() not in _NAMES]
                message = {**message, "headers": kept + _RAW}
            await send(message)

        await self.app(scope, receive, send_with_headers)
