/* The offline basemap fetched by zoom (geo/maps/basemap.py, OfflineBasemap).
 *
 * load(base, url, cfg): the 1:110m countries from `url` at once into the L.geoJSON layer `base`;
 * then, each only when first needed, the 1:50m land and borders from zoom cfg.z50, the 1:10m cells
 * in view from zoom cfg.z10 (where they exist) and the offices' city names (in cfg.lang) from zoom
 * cfg.zPlaces.
 */
(function () {
  var LAND = "#f7f5ef", SEA = "#cfe3f1";
  var COAST = {color: "#7b91a6", weight: 1, opacity: 1, interactive: false};
  var BORDER = {color: "#9b8fa6", weight: 1, opacity: 1, dashArray: "5 3", interactive: false};
  var PANES = [["gs-base", 210], ["gs-sea", 220], ["gs-land", 230], ["gs-lines", 240], ["gs-places", 450]];

  function toggle(base, layer, on) {
    if (on && !base.hasLayer(layer)) { base.addLayer(layer); }
    if (!on && base.hasLayer(layer)) { base.removeLayer(layer); }
  }

  function get(s, url, draw) {  // once per URL; the view is updated when it arrives
    if (s.state[url]) { return; }
    s.state[url] = "loading";
    fetch(url).then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (d) { draw(d); s.state[url] = "ok"; update(s); })
      .catch(function (e) { s.state[url] = "failed"; console.warn("basemap part not loaded", url, e); });
  }

  // The coast: the land's rings less the edges on the level's bbox (where it was cut).
  function coastOf(d) {
    var b = d.bbox, coast = [];
    var cut = function (p, q) {
      return (p[0] === q[0] && (p[0] === b[0] || p[0] === b[2])) ||
        (p[1] === q[1] && (p[1] === b[1] || p[1] === b[3]));
    };
    d.features[0].geometry.coordinates.forEach(function (poly) {
      poly.forEach(function (ring) {
        var run = [ring[0]];
        for (var i = 1; i < ring.length; i++) {
          if (cut(ring[i - 1], ring[i])) { if (run.length > 1) { coast.push(run); } run = [ring[i]]; }
          else { run.push(ring[i]); }
        }
        if (run.length > 1) { coast.push(run); }
      });
    });
    return coast;
  }

  // One level: land filled (no stroke), the coast, the borders; a 1:10m cell also paints its sea
  // over the coarser level.
  function drawLevel(d, group, cell) {
    var b = d.bbox;
    if (cell) {
      group.addLayer(L.rectangle([[b[1], b[0]], [b[3], b[2]]],
        {pane: "gs-sea", stroke: false, fillColor: SEA, fillOpacity: 1, interactive: false}));
    }
    group.addLayer(L.geoJSON(d.features[0], {pane: cell ? "gs-land" : "gs-base", interactive: false,
      style: {stroke: false, fillColor: LAND, fillOpacity: 1}}));
    group.addLayer(L.geoJSON({type: "MultiLineString", coordinates: coastOf(d)},
      {pane: cell ? "gs-lines" : "gs-base", interactive: false, style: COAST}));
    group.addLayer(L.geoJSON(d.features[1], {pane: cell ? "gs-lines" : "gs-base",
      interactive: false, style: BORDER}));
  }

  function drawPlaces(s, d) {  // city names (style: .gs-place in map.css), hidden from screen readers
    d.features.forEach(function (f) {
      var text = document.createElement("span"), c = f.geometry.coordinates;
      text.textContent = f.properties.name[s.cfg.lang] || f.properties.name.en;
      var m = L.marker([c[1], c[0]], {pane: "gs-places", interactive: false, keyboard: false,
        icon: L.divIcon({className: "gs-place", html: text, iconSize: null})});
      m.on("add", function () { m.getElement().setAttribute("aria-hidden", "true"); });
      s.places.addLayer(m);
    });
  }

  function cellsOf(cfg) {  // "e100n00" -> its URL and its box of cfg.size degrees
    return cfg.cells.map(function (c) {
      var m = /^([ew])(\d{3})([ns])(\d{2})$/.exec(c[0]);
      var w = (m[1] === "w" ? -1 : 1) * +m[2], south = (m[3] === "s" ? -1 : 1) * +m[4];
      return {url: cfg.cellBase + c[0] + ".geojson?v=" + c[1],
              bounds: L.latLngBounds([south, w], [south + cfg.size, w + cfg.size])};
    });
  }

  function update(s) {  // the levels the zoom needs, fetched the first time they are needed
    var map = s.map, cfg = s.cfg, base = s.base;
    if (!map || !map.hasLayer(base)) { return; }
    var z = map.getZoom();
    if (z >= cfg.z50) { get(s, cfg.u50, function (d) { drawLevel(d, s.l50, false); }); }
    var fine = z >= cfg.z50 && s.state[cfg.u50] === "ok";
    toggle(base, s.l50, fine);
    toggle(base, s.l110, !fine);
    if (z >= cfg.z10) {
      var view = map.getBounds().pad(0.25);
      s.cellList.forEach(function (c) {
        if (view.intersects(c.bounds)) {
          get(s, c.url, function (d) { var g = L.layerGroup(); drawLevel(d, g, true); s.cells.addLayer(g); });
        }
      });
    }
    toggle(base, s.cells, z >= cfg.z10);
    if (z >= cfg.zPlaces) { get(s, cfg.places, function (d) { drawPlaces(s, d); }); }
    toggle(base, s.places, z >= cfg.zPlaces);
  }

  function onAdd(s) {
    if (!s.map) {  // the first time: panes for the levels, the coarse level, and updates by zoom
      var map = s.map = s.base._map;
      PANES.forEach(function (p) { if (!map.getPane(p[0])) { map.createPane(p[0]).style.zIndex = p[1]; } });
      map.getPane("gs-places").style.pointerEvents = "none";
      s.base.addLayer(s.l110);
      map.on("zoomend moveend", function () { update(s); });
    }
    update(s);
  }

  window.GsBasemap = {load: function (base, url, cfg) {
    var s = {base: base, cfg: cfg, map: null, state: {}, cellList: cellsOf(cfg),
             l110: L.geoJSON(null, {pane: "gs-base", interactive: false,
                                    style: {color: "#8a9aa9", weight: 0.7, fillColor: LAND, fillOpacity: 1}}),
             l50: L.layerGroup(), cells: L.layerGroup(), places: L.layerGroup()};
    base.on("add", function () { onAdd(s); });
    fetch(url).then(function (r) { return r.json(); })
      .then(function (d) { s.l110.addData(d); })
      .catch(function (e) { console.warn("basemap not loaded", e); });
  }};
})();
