/* The offline basemap fetched by zoom (geo/maps/basemap.py, OfflineBasemap).
 *
 * load(base, url, cfg): the 1:110m countries from `url` at once into the L.geoJSON layer `base`;
 * then, each only when first needed, the 1:50m land and borders from zoom cfg.z50, the 1:10m cells
 * in view from zoom cfg.z10 (where they exist) and the offices' city names (in cfg.lang) from zoom
 * cfg.zPlaces.
 */
(function () {
  window.GsBasemap = {load: function (base, url, cfg) {
    var LAND = "#f7f5ef", SEA = "#cfe3f1";
    var COAST = {color: "#7b91a6", weight: 1, opacity: 1, interactive: false};
    var BORDER = {color: "#9b8fa6", weight: 1, opacity: 1, dashArray: "5 3", interactive: false};
    var PANES = [["gs-base", 210], ["gs-sea", 220], ["gs-land", 230], ["gs-lines", 240], ["gs-places", 450]];
    var map = null, state = {};
    var l110 = L.geoJSON(null, {pane: "gs-base", interactive: false,
        style: {color: "#8a9aa9", weight: 0.7, fillColor: LAND, fillOpacity: 1}});
    var l50 = L.layerGroup(), cells = L.layerGroup(), places = L.layerGroup();
    var toggle = function (layer, on) {
        if (on && !base.hasLayer(layer)) { base.addLayer(layer); }
        if (!on && base.hasLayer(layer)) { base.removeLayer(layer); }
    };
    var get = function (url, draw) {  // once per URL; the view is updated when it arrives
        if (state[url]) { return; }
        state[url] = "loading";
        fetch(url).then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
            .then(function (d) { draw(d); state[url] = "ok"; update(); })
            .catch(function (e) { state[url] = "failed"; console.warn("basemap part not loaded", url, e); });
    };
    // One level: land filled (no stroke), the coast (its rings less the edges on the bbox, where
    // it was cut), the borders; a 1:10m cell also paints its sea over the coarser level.
    var drawLevel = function (d, group, cell) {
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
        if (cell) {
            group.addLayer(L.rectangle([[b[1], b[0]], [b[3], b[2]]],
                {pane: "gs-sea", stroke: false, fillColor: SEA, fillOpacity: 1, interactive: false}));
        }
        group.addLayer(L.geoJSON(d.features[0], {pane: cell ? "gs-land" : "gs-base", interactive: false,
            style: {stroke: false, fillColor: LAND, fillOpacity: 1}}));
        group.addLayer(L.geoJSON({type: "MultiLineString", coordinates: coast},
            {pane: cell ? "gs-lines" : "gs-base", interactive: false, style: COAST}));
        group.addLayer(L.geoJSON(d.features[1], {pane: cell ? "gs-lines" : "gs-base",
            interactive: false, style: BORDER}));
    };
    var drawPlaces = function (d) {
        d.features.forEach(function (f) {
            var text = document.createElement("span"), c = f.geometry.coordinates;
            text.textContent = f.properties.name[cfg.lang] || f.properties.name.en;
            var m = L.marker([c[1], c[0]], {pane: "gs-places", interactive: false, keyboard: false,
                icon: L.divIcon({className: "gs-place", html: text, iconSize: null})});
            m.on("add", function () { m.getElement().setAttribute("aria-hidden", "true"); });
            places.addLayer(m);
        });
    };
    var cellList = cfg.cells.map(function (c) {
        var m = /^([ew])(\d{3})([ns])(\d{2})$/.exec(c[0]);
        var w = (m[1] === "w" ? -1 : 1) * +m[2], s = (m[3] === "s" ? -1 : 1) * +m[4];
        return {url: cfg.cellBase + c[0] + ".geojson?v=" + c[1],
                bounds: L.latLngBounds([s, w], [s + cfg.size, w + cfg.size])};
    });
    var update = function () {
        if (!map || !map.hasLayer(base)) { return; }
        var z = map.getZoom();
        if (z >= cfg.z50) { get(cfg.u50, function (d) { drawLevel(d, l50, false); }); }
        var fine = z >= cfg.z50 && state[cfg.u50] === "ok";
        toggle(l50, fine);
        toggle(l110, !fine);
        if (z >= cfg.z10) {
            var view = map.getBounds().pad(0.25);
            cellList.forEach(function (c) {
                if (view.intersects(c.bounds)) {
                    get(c.url, function (d) { var g = L.layerGroup(); drawLevel(d, g, true); cells.addLayer(g); });
                }
            });
        }
        toggle(cells, z >= cfg.z10);
        if (z >= cfg.zPlaces) { get(cfg.places, drawPlaces); }
        toggle(places, z >= cfg.zPlaces);
    };
    base.on("add", function () {
        if (!map) {
            map = base._map;
            PANES.forEach(function (p) { if (!map.getPane(p[0])) { map.createPane(p[0]).style.zIndex = p[1]; } });
            map.getPane("gs-places").style.pointerEvents = "none";
            var css = document.createElement("style");
            css.textContent = ".gs-place{width:0;height:0}" +
                ".gs-place span{position:absolute;left:0;top:19px;transform:translateX(-50%);white-space:nowrap;" +
                "font:600 13px/1.2 'Noto Sans','Noto Sans Arabic','DejaVu Sans',sans-serif;color:#2f3a48;" +
                "text-shadow:0 0 2px #fff,0 0 2px #fff,0 0 3px #fff,0 0 4px #fff}";
            document.head.appendChild(css);
            base.addLayer(l110);
            map.on("zoomend moveend", update);
        }
        update();
    });
    fetch(url).then(function (r) { return r.json(); })
        .then(function (d) { l110.addData(d); })
        .catch(function (e) { console.warn("basemap not loaded", e); });
  }};
})();
