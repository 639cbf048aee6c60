"""The app as it is served: ``streamlit run launch.py`` (``./run app``, ``./run serve``, the Dockerfile).

app.py stays the Streamlit script (its pages, AppTest); this launcher wraps it in Streamlit's public
``st.App`` with two ASGI middlewares: deploy.headers.SecurityHeaders, so every answer of the app's
server carries frame protection and a content security policy (Streamlit has no setting for
response headers), and deploy.precompressed.PrecompressedStatic, which serves the gzip copies of
the large static files instead of Streamlit gzipping them again for every request.
``streamlit run launch.py`` finds ``app`` and serves it with Streamlit's own server (uvicorn), with
the usual options (``--server.port 8502``) and .streamlit/config.toml.
"""

import streamlit as st
from starlette.middleware import Middleware

from deploy.headers import SecurityHeaders
from deploy.precompressed import PrecompressedStatic

app = st.App("app.py", middleware=[Middleware(SecurityHeaders), Middleware(PrecompressedStatic)])
