/* The office layer of a large table (over geo.maps.markers.LARGE_TABLE offices; issue #15).
 *
 * web/markers.js hands over its render state `c` when `cfg.largeTable` is set (geo/maps/markers.py).
 * render(c) has a Web Worker (web/large-worker.js, from the app's own origin: cfg.largeTable.worker)
 * load the table, either the static file named by cfg.largeTable.data (the map page: fetched once,
 * kept while later renders name the same file) or the rows' JSON string `rows` (an export), and
 * build a Supercluster index, then draws only the clusters and offices of the view, asking the
 * worker again after every move. The page's main thread never parses, filters or clusters the table.
 *
 * What the user sees is what markers.js draws for a small table: clusters (class office-cluster,
 * the count in <b>, one small shape per office type inside) that zoom in on click, offices as
 * DivIcons (class office-marker, data-office-id, the type's colour and shape from cfg.types) whose
 * click highlights them and reaches the server the same way (a tooltip carrying cfg.sep + id, sent
 * at once on the map page), the legend with counts, and the view.
 *
 * On the map page (cfg.filter, web/filters.js) the worker applies the filters: the server's at each
 * render, the user's own change at once with filter(c, f) ({types, regions, words}); the legend's
 * counts follow the worker's. Every string in `cfg` and in the rows was HTML-escaped on the server.
 */
(function () {
  var parts = function () { return window.GsOfficeMarkers.parts; };
  // A DivIcon that carries attributes (office id, accessible name) on its element.
  var Icon = L.DivIcon.extend({
    createIcon: function (old) {
      var el = L.DivIcon.prototype.createIcon.call(this, old);
      var o = this.options;
      if (o.officeId) { el.setAttribute("data-office-id", o.officeId); }
      if (o.label) { el.setAttribute("aria-label", o.label); }
      if (o.current) { el.setAttribute("aria-current", "true"); }
      return el;
    }
  });

  // --- the index: one worker per map frame, kept by every render; answers go to the current one ---
  function channel(c) {
    var ux = c.ux;
    if (ux.largeChannel) { return ux.largeChannel; }
    var ch = {sent: null};
    var answer = function (m) {
      var st = ux.large;
      if (st && m.gen === st.gen) { onAnswer(st, m); }
    };
    var local = function () {  // no worker (a page opened from a file): the same code on this thread
      var queue = [], handle = null;
      ch.send = function (m) { if (handle) { setTimeout(function () { handle(m); }, 0); } else { queue.push(m); } };
      if (ch.sent) { queue.push(ch.sent); }
      var start = function () {
        handle = window.GsLargeIndex(function (m) { setTimeout(function () { answer(m); }, 0); });
        queue.splice(0).forEach(ch.send);
      };
      // An export has Supercluster and the index in the page; a served page loads them now (the
      // worker's file holds both).
      var need = [[!window.Supercluster || !window.GsLargeIndex, c.cfg.largeTable.worker]]
        .filter(function (n) { return n[0]; });
      var next = function () {
        if (!need.length) { start(); return; }
        var s = document.createElement("script");
        s.src = need.shift()[1];
        s.onload = next;
        s.onerror = function () { if (window.console) { window.console.error("office layer: cannot load " + s.src); } };
        document.head.appendChild(s);
      };
      next();
    };
    try {
      var worker = new Worker(c.cfg.largeTable.worker);
      worker.onmessage = function (e) { answer(e.data); };
      worker.onerror = function (e) { e.preventDefault(); worker.terminate(); local(); };
      ch.send = function (m) { worker.postMessage(m); };
    } catch (e) {
      local();
    }
    ux.largeChannel = ch;
    return ch;
  }

  function send(st, m) {
    var ch = st.c.ux.largeChannel;
    m.gen = st.gen;
    if (m.type === "load") { ch.sent = m; }
    ch.send(m);
  }

  function onAnswer(st, m) {
    if (m.type === "ready") {
      st.ready = true;
      st.c.ux.largeCount = m.n;
      st.bounds = m.bounds;
      if (st.c.cfg.filter && window.GsOfficeFilters) { window.GsOfficeFilters.counts(st.c, m.counts); }
      refresh(st);
    } else if (m.type === "clusters" && m.req === st.req) {
      draw(st, m.items);
      var refit = st.refit;
      st.refit = false;
      if (refit && !m.items.length && st.bounds) {  // the offices a filter now shows are all out of view
        var b = st.bounds;
        parts().fitTo(st.c, {bounds: [[b[0], b[1]], [b[2], b[3]]]});
      }
    } else if (m.type === "expand" && st.expand && m.req === st.expand.req) {
      var map = st.c.map, at = st.expand.at;
      st.expand = null;
      map.setView(at, Math.min(Math.max(m.zoom, map.getZoom() + 1), map.getMaxZoom()));
    } else if (m.type === "error") {
      if (window.console) { window.console.error("office layer: " + m.message); }
      failed(st);
    }
  }

  // The table could not be loaded (its file gone, the server unreachable): say so on the map.
  function failed(st) {
    var ux = st.c.ux;
    if (ux.largeFailed) { return; }
    var note = L.control({position: "topright"});
    note.onAdd = function () {
      var div = L.DomUtil.create("div", "leaflet-control office-load-failed");
      div.setAttribute("role", "alert");
      div.setAttribute("dir", st.c.cfg.rtl ? "rtl" : "ltr");
      div.style.cssText = "background:#fff;color:#1f2937;border:2px solid #b91c1c;border-radius:4px;" +
        "padding:6px 10px;max-width:260px;font:14px/1.4 sans-serif";
      div.textContent = parts().plain(st.c.cfg.loadFailed || "");
      return div;
    };
    note.addTo(st.c.map);
    ux.largeFailed = note;
  }

  // --- drawing the view ---
  function refresh(st) {
    var map = st.c.map;
    if (!st.ready || !map.hasLayer(st.offices)) { return; }
    var b = map.getBounds();
    st.req += 1;
    send(st, {type: "clusters", req: st.req, zoom: map.getZoom(),
              bbox: [b.getWest(), Math.max(-90, b.getSouth()), b.getEast(), Math.min(90, b.getNorth())]});
  }

  function clusterMarker(st, it, at) {
    var c = st.c, cfg = c.cfg, n = it[2], names = it[5], p = parts();
    var glyphs = cfg.types.filter(function (t, i) { return it[4] & (1 << i); })
      .map(function (t) { return t.mini; }).join("");
    var text = names.map(p.plain).join(cfg.listSep) + (n > names.length ? cfg.listSep + "…" : "");
    var category = c.plural ? c.plural.select(n) : (n === 1 ? "one" : "other");
    var m = L.marker(at, {keyboard: true, icon: new Icon({
      html: "<div><b>" + n + "</b><span>" + glyphs + "</span></div>", className: "office-cluster",
      iconSize: [48, 48], label: p.fill(cfg.clusterLabel[category] || cfg.clusterLabel.other, n, text, cfg.lang)})});
    if (names.length) {
      var more = n > names.length ? "<br>… +" + (n - names.length) : "";
      m.bindTooltip('<div class="office-tip"' + cfg.dir + ">" + names.join("<br>") + more + "</div>",
        {direction: "top"});
    }
    m.on("click", function () {
      st.expand = {req: st.req, at: m.getLatLng()};
      send(st, {type: "expand", req: st.req, id: it[3]});
    });
    return m;
  }

  function officeMarker(st, it, at) {
    var c = st.c, cfg = c.cfg, t = cfg.types[it[4]], id = it[5], name = it[6], p = parts();
    var selected = id === cfg.selected;
    var hit = c.touch ? Math.max(44, t.size) : t.size;  // the element is the hit area
    var m = L.marker(at, {
      icon: new Icon({html: t.svg, iconSize: [hit, hit], iconAnchor: [hit / 2, hit / 2],
        className: "office-marker office-" + id + " type-" + t.key + (selected ? " is-selected" : ""),
        officeId: id, current: selected, label: p.plain(name)}),
      keyboard: true, riseOnHover: true, zIndexOffset: selected ? 1000 : t.z,
      officeId: id, officeName: name, officeType: it[4]
    });
    m.bindTooltip('<div class="office-tip"' + cfg.dir + ">" + name + "<span hidden>" + cfg.sep + id + "</span></div>",
      {direction: "top", offset: [0, -t.size / 2], permanent: selected, className: selected ? "office-tip-selected" : ""});
    m.on("click", function () { p.highlight(c, this); setTimeout(function () { p.sendNow(cfg); }, 0); });
    c.markers[id] = m;
    return m;
  }

  function draw(st, items) {
    var c = st.c, centre = c.map.getCenter().lng;
    var focused = document.activeElement, refocus = focused && focused.getAttribute && c.box.contains(focused)
      ? focused.getAttribute("data-office-id") : null;
    st.clusters.clearLayers();
    st.offices.clearLayers();
    c.markers = {};
    c.ux.markers = c.markers;
    var placed = items.map(function (it) {  // the copy nearest the view's centre
      return {it: it, at: [it[0], it[1] + 360 * Math.round((centre - it[1]) / 360)]};
    });
    // Added west to east (north first at the same longitude): the keyboard's tab order, as for a small table.
    placed.sort(function (a, b) { return a.at[1] - b.at[1] || b.at[0] - a.at[0]; });
    for (var k = 0; k < placed.length; k++) {
      var it = placed[k].it, at = placed[k].at;
      if (it[2]) { st.clusters.addLayer(clusterMarker(st, it, at)); } else { st.offices.addLayer(officeMarker(st, it, at)); }
    }
    var again = refocus && c.markers[refocus] && c.markers[refocus].getElement();
    if (again) { again.focus({preventScroll: true}); }
  }

  // --- the view: the server's (first render, or a new selection), else the user's ---
  function setView(st) {
    var c = st.c, cfg = c.cfg, ux = c.ux, map = c.map;
    if (!cfg.keep || !ux.viewed) {
      ux.viewed = true;
      parts().fitTo(c, cfg.view);
    } else if (cfg.selected && cfg.selected !== ux.selected && cfg.selected !== ux.clicked && cfg.view.center) {
      map.setView(cfg.view.center, Math.max(map.getZoom(), cfg.view.zoom));
    } else if (cfg.fit && !cfg.selected && ux.auto && map.getZoom() === ux.auto.z) {
      parts().fitTo(c, cfg.fit);  // the view is still the one the map chose: follow the offices
    }
    ux.selected = cfg.selected;
    ux.clicked = null;
  }

  function render(c) {
    var ux = c.ux, map = c.map;
    if (ux.largeFailed) { ux.largeFailed.remove(); ux.largeFailed = null; }  // a new render tries again
    // Offices in a FeatureGroup: their clicks reach streamlit-folium through the office group.
    // Clusters in a plain LayerGroup: a click on one zooms in and goes nowhere else.
    var st = {c: c, gen: (ux.largeGen || 0) + 1, req: 0, ready: false, expand: null,
              offices: L.featureGroup(), clusters: L.layerGroup()};
    ux.largeGen = st.gen;
    ux.large = st;
    c.layer = st.offices;
    ux.layer = st.offices;
    ux.markers = c.markers;
    c.group.addLayer(st.clusters);
    c.group.addLayer(st.offices);
    if (!ux.largeInstalled) {  // once per frame: the map outlives the layer
      ux.largeInstalled = true;
      map.on("moveend", function () { if (ux.large) { refresh(ux.large); } });
      map.on("movestart", function () { if (ux.large) { ux.large.expand = null; } });  // moved since the click
    }
    parts().addShapes(c);  // the countries served, when the sidebar asks for them
    parts().addLegend(c);
    setView(st);
    var f = c.cfg.filter && window.GsOfficeFilters ? window.GsOfficeFilters.startLarge(c) : null;
    // The worker starts, and gets the table, in a task of its own: the frame's first render (the map,
    // its basemap, this script) is already the page's longest task (bench/results/large.md).
    setTimeout(function () {
      if (ux.large !== st) { return; }
      channel(c);
      send(st, {type: "load", data: c.cfg.largeTable.data || null,
                rows: typeof c.all === "string" ? c.all : null, filter: f});
    }, 0);
  }

  // The user's own filter change (web/filters.js): the worker indexes the rows it keeps, then redraws.
  function filter(c, f) {
    var st = c.ux.large;
    if (!st || st.c !== c) { return; }
    st.ready = false;
    st.refit = true;
    send(st, {type: "filter", filter: f});
  }

  window.GsLargeOffices = {render: render, filter: filter};
})();
