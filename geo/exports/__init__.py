"""Exports: the office table and the map as files, one module per format (no Streamlit).

- ``table``: CSV (formulas neutralised) and the record helpers every export shares
- ``geojson``: RFC 7946 FeatureCollection; ``kml``: KML 2.2 for Google Earth (well-formed whatever the table holds)
- ``html_map``: the map as one self-contained offline HTML file; ``sheet``: the printable HTML briefing sheet
- ``cartography``: what map pictures share (texts, fonts, basemap rings, views); ``drawing``: one map drawn
  with matplotlib (markers, legend, scale bar, labels); ``pictures``: the world and region pictures
- ``slides``: the PPTX deck; ``pdfsheet``: the one-page PDF sheet

Every export that shows where the offices come from takes a ``source`` text and has no default for it.
"""
