"""Geocoding: the Nominatim service (geopy), its cache, the offline gazetteer and the command line
(``python -m geo.geocoding PATH``).

- ``service``: the front: the geocoders (cache + Nominatim, gazetteer, fallback) and ``build_geocoder``
- ``base``: the office in, the point out, and the errors
- ``nominatim``: settings, the rate-limited client, the cached Nominatim geocoder
- ``transport``: the geopy adapter: one origin, a total deadline per request, a size cap
- ``limiter``: geopy's RateLimiter wrapped with back-off and Retry-After
- ``cache``: answers in SQLite; ``gazetteer``: GeoNames cities and country codes, offline
- ``cli``: the command line; ``update``: one run in steps; ``rawtable``: the table byte for byte;
  ``sourced``: the sourced-coordinates file
"""
