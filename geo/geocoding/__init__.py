"""Geocoding: the Nominatim service (geopy), its cache, the offline gazetteer and the command line
(``python -m geo.geocoding PATH``)."""
