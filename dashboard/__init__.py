"""The Streamlit side of the dashboard: shared state, sidebar, map view and detail panel.

Pages in ``pages/`` call into this package; the domain logic lives in ``geo/`` (no Streamlit there).
"""
