"""Exports: tables (CSV, GeoJSON, KML), the offline HTML map and sheet, pictures, slides and the PDF sheet."""
