"""The office table of INTERPOL's General Secretariat: schema, loading, geocoding and map building.

Nothing in this package imports Streamlit: it is used by the app, the command-line tools,
the exports and the benchmark alike.
"""
