"""Map building (folium): the office layer, styles, the offline basemap and assets, the tour layer and
the countries-served layer."""
