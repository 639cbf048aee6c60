"""Map building (folium), one job per module: ``styles`` (how each office type looks), ``frame`` (the
map's frame), ``basemap`` (base layers), ``markers`` and ``legend`` (the office layer), ``view``
(bounds across 180°), ``build`` (options and the map), ``tour`` (the presenter's layer), ``coverage``
(countries served), ``assets`` (files served and inlined; the map's own scripts are in ``web/``)."""
