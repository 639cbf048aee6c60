/* The office layer of the map page and the exports (geo/maps/markers.py hands it its data).
 *
 * render(map, group, cfg, rows): every office of `rows` ([lat, lon, type index, escaped id,
 * escaped name]) as a clustered DivIcon marker in `group`, the legend with counts (and on the map
 * page its buttons), optional lines from headquarters and the countries served, keyboard access
 * (Enter or Space opens a focused office or cluster; tab order west to east) and the view
 * (`cfg.view`, or on the map page only as far as needed: `cfg.keep`, `cfg.fit`).
 *
 * One render's state is the object `c` (map, group, cfg, rows, box, touch, layer, markers, ...);
 * what outlives a render (the frame keeps its map while the filters change) is `c.ux`.
 * Every string in `cfg` and `rows` was HTML-escaped on the server.
 */
(function () {
  var plain = function (s) {  // text of an escaped name, for aria-label (never parsed as HTML)
    return new DOMParser().parseFromString(s, "text/html").documentElement.textContent;
  };
  // A count written the page language's way ("14,959", "14 959"), in the digits 0-9 as the server's
  // i18n.number writes them (CLDR's default numbering for ar is latn).
  var formats = {};
  var number = function (n, lang) {
    var key = lang || "en";
    if (!(key in formats)) {
      try { formats[key] = new Intl.NumberFormat(key + "-u-nu-latn", {useGrouping: "always"}); } catch (e) { formats[key] = null; }
    }
    return formats[key] ? formats[key].format(n) : String(n);
  };
  var fill = function (template, n, names, lang) {  // split/join: no "$&" patterns from the data
    return template.split("{n}").join(number(n, lang)).split("{names}").join(names);
  };
  var byLng = function (a, b) { return a.getLatLng().lng - b.getLatLng().lng; };
  var topWidth = function () {
    try { return window.top.innerWidth; } catch (e) { return window.innerWidth; }
  };
  // A DivIcon that carries attributes (office id, accessible name) on its element.
  var LabelledIcon = L.DivIcon.extend({
    createIcon: function (old) {
      var el = L.DivIcon.prototype.createIcon.call(this, old);
      var o = this.options;
      if (o.officeId) { el.setAttribute("data-office-id", this.options.officeId); }
      if (o.label) { el.setAttribute("aria-label", o.label()); }
      if (o.current) { el.setAttribute("aria-current", "true"); } else { el.removeAttribute("aria-current"); }
      return el;
    }
  });

  // --- the frame: the page's own script once, touch sizes, filling the frame, plural rules ---
  function prepareFrame(c) {
    var cfg = c.cfg;
    c.touch = topWidth() <= 640 || !!(window.matchMedia && window.matchMedia("(pointer: coarse)").matches);
    if (cfg.hostScript) {  // once per page, in the page's own realm (it outlives this frame)
      try {
        var host = window.parent;
        if (host && host !== window && !host.__gsHostScript) {
          host.__gsHostScript = true;
          new host.Function(cfg.hostScript)();
        }
      } catch (e) { /* a page of another origin: nothing to do */ }
    }
    c.box.classList.toggle("gs-touch", c.touch);
    if (cfg.fill && !document.documentElement.classList.contains("fill-frame")) {
      document.documentElement.classList.add("fill-frame");
      c.map.invalidateSize();
    }
    c.plural = null;
    try { c.plural = new Intl.PluralRules(cfg.lang); } catch (e) { c.plural = null; }
  }

  // --- the layer: clusters show their count and one small shape per office type inside ---
  function clusterIcon(c, cluster) {
    // A cluster never hides that it holds, say, the headquarters. Its name lists the offices west to east.
    var cfg = c.cfg, children = cluster.getAllChildMarkers(), present = {};
    children.forEach(function (m) { present[m.options.officeType] = true; });
    var glyphs = cfg.types.filter(function (t, i) { return present[i]; })
      .map(function (t) { return t.mini; }).join("");
    var n = cluster.getChildCount();
    return new LabelledIcon({html: "<div><b>" + n + "</b><span>" + glyphs + "</span></div>",
      className: "office-cluster", iconSize: [48, 48],
      label: function () {
        var sorted = children.slice().sort(byLng);
        var names = sorted.slice(0, 8).map(function (m) { return plain(m.options.officeName); });
        var text = names.join(cfg.listSep) + (sorted.length > 8 ? cfg.listSep + "…" : "");
        var category = c.plural ? c.plural.select(n) : (n === 1 ? "one" : "other");
        return fill(cfg.clusterLabel[category] || cfg.clusterLabel.other, n, text, cfg.lang);
      }});
  }

  function makeLayer(c) {
    var cfg = c.cfg;
    if (!cfg.cluster) { return L.featureGroup(); }
    var layer = L.markerClusterGroup({
      chunkedLoading: true, showCoverageOnHover: false, maxClusterRadius: 40,
      spiderfyOnMaxZoom: true, zoomToBoundsOnClick: true,
      iconCreateFunction: function (cluster) { return clusterIcon(c, cluster); }
    });
    layer.on("clustermouseover", function (e) {
      if (e.layer.getTooltip()) { e.layer.openTooltip(); return; }
      var names = e.layer.getAllChildMarkers().map(function (m) { return m.options.officeName; });
      names.sort();
      var more = names.length > 8 ? "<br>… +" + (names.length - 8) : "";
      e.layer.bindTooltip('<div class="office-tip"' + cfg.dir + ">" +
        names.slice(0, 8).join("<br>") + more + "</div>", {direction: "top"}).openTooltip();
    });
    return layer;
  }

  // streamlit-folium sends a click 250 ms after it happens (a debounce meant for panning);
  // the map page sends it at once, the same value, and marks it sent so it goes only once.
  function sendNow(cfg) {
    var gd = window.__GLOBAL_DATA__, S = window.Streamlit;
    var order = ["last_object_clicked_count", "last_object_clicked_tooltip"];  // its key order
    if (!cfg.keep || !gd || !S || !S.setComponentValue || !gd.returned_objects) { return; }
    if (gd.returned_objects.some(function (k) { return order.indexOf(k) < 0; })) { return; }
    var data = {};
    order.forEach(function (k) { if (gd.returned_objects.indexOf(k) >= 0) { data[k] = gd[k]; } });
    if (JSON.stringify(gd.previous_data) === JSON.stringify(data)) { return; }
    gd.previous_data = data;
    S.setComponentValue(data);
  }

  function highlight(c, marker) {  // at once, before the server answers
    c.box.querySelectorAll(".office-marker.is-selected").forEach(function (el) {
      if (el !== marker.getElement()) { el.classList.remove("is-selected"); }
    });
    var el = marker.getElement();
    if (el) { el.classList.add("is-selected"); }
    c.ux.clicked = marker.options.officeId;
  }

  function makeMarker(c, r) {
    var cfg = c.cfg, t = cfg.types[r[2]];
    var selected = r[3] === cfg.selected;
    var hit = c.touch ? Math.max(44, t.size) : t.size;  // the element is the hit area
    var m = L.marker([r[0], r[1]], {
      icon: new LabelledIcon({html: t.svg, iconSize: [hit, hit], iconAnchor: [hit / 2, hit / 2],
        className: "office-marker office-" + r[3] + " type-" + t.key + (selected ? " is-selected" : ""),
        officeId: r[3], current: selected, label: function () { return plain(r[4]); }}),
      keyboard: true, riseOnHover: true, zIndexOffset: selected ? 1000 : t.z,
      officeId: r[3], officeName: r[4], officeType: r[2]
    });
    m.bindTooltip('<div class="office-tip"' + cfg.dir + ">" + r[4] +
      '<span hidden>' + cfg.sep + r[3] + "</span></div>",
      {direction: "top", offset: [0, -t.size / 2], permanent: selected,
       className: selected ? "office-tip-selected" : ""});
    m.on("click", function () { highlight(c, this); setTimeout(function () { sendNow(cfg); }, 0); });
    c.markers[r[3]] = m;
    return m;
  }

  function addMarkers(c) {
    // Markers are made in slices so a very large table never freezes the tab.
    var CHUNK = 2000, next = 0, rows = c.rows, layer = c.layer;
    var addSlice = function () {
      var end = Math.min(next + CHUNK, rows.length), batch = [];
      for (; next < end; next++) { batch.push(makeMarker(c, rows[next])); }
      if (c.cfg.cluster) { layer.addLayers(batch); } else { batch.forEach(function (m) { layer.addLayer(m); }); }
      if (next < rows.length) { setTimeout(addSlice, 0); }
    };
    addSlice();
    c.group.addLayer(layer);
    c.ux.layer = layer;
  }

  // The countries the offices serve, lines from headquarters (a large table's rows are in its worker:
  // no lines there, and on the map page, which alone draws large tables, there are none to draw).
  function addShapes(c) {
    var cfg = c.cfg, rows = c.rows, group = c.group;
    if (cfg.coverage && cfg.coverage.features.length) {
      L.geoJSON(cfg.coverage, {interactive: false, style: function (f) {
        return {color: f.properties.colour, weight: 1, opacity: 0.9, fillColor: f.properties.colour,
                fillOpacity: 0.3, className: "coverage-area"};
      }}).addTo(group);
    }
    if (cfg.hub && Array.isArray(rows)) {
      for (var j = 0; j < rows.length; j++) {
        if (rows[j][0] === cfg.hub[0] && rows[j][1] === cfg.hub[1]) continue;
        L.polyline([cfg.hub, [rows[j][0], rows[j][1]]], {color: "#1f2937", weight: 1.5,
          opacity: 0.7, dashArray: "4 6", interactive: false, className: "hub-line"}).addTo(group);
      }
    }
  }

  // --- the legend: counts; on the map page also buttons (toggle a type, only this type) ---
  // A legend choice reaches the server the way a marker click does: streamlit-folium
  // returns the "tooltip" of the clicked layer, here a fixed text naming the action.
  function sendText(c, text) {  // a click on a pseudo-layer whose "tooltip" is `text`, sent at once
    c.group.fire("click", {sourceTarget: {
      getTooltip: function () { return {getContent: function () { return text; }}; },
      _tooltip: {_content: text}
    }});
    sendNow(c.cfg);
  }

  function sendLegendAction(c, verb, key) {
    var cfg = c.cfg;
    var known = cfg.types.some(function (t) { return t.key === key; });
    if (!known) { return; }
    sendText(c, cfg.sep + cfg.legendPrefix + verb + ":" + key);
  }

  function filterNow(c, verb, key) {  // the map page: redraw at once (web/filters.js)
    if (c.cfg.filter && window.GsOfficeFilters) { window.GsOfficeFilters.legend(c, verb, key); }
  }

  function setLegendOpen(c, open) {
    var div = c.legendDiv;
    if (!div) { return; }
    div.classList.toggle("is-collapsed", !open);
    var toggle = div.querySelector(".legend-toggle");
    if (toggle) { toggle.setAttribute("aria-expanded", open ? "true" : "false"); }
  }

  function onLegendClick(c, div, e) {
    var button = e.target.closest ? e.target.closest("button") : null;
    if (!button || !div.contains(button)) { return; }
    var key = button.getAttribute("data-type");
    if (button.classList.contains("legend-toggle")) {
      c.ux.legendOpen = div.classList.contains("is-collapsed");
      setLegendOpen(c, c.ux.legendOpen);
    } else if (button.classList.contains("legend-entry")) {
      button.setAttribute("aria-pressed", button.getAttribute("aria-pressed") === "true" ? "false" : "true");
      filterNow(c, "toggle", key);
      sendLegendAction(c, "toggle", key);
    } else if (button.classList.contains("legend-only")) {
      div.querySelectorAll(".legend-entry").forEach(function (b) {
        b.setAttribute("aria-pressed", b.getAttribute("data-type") === key ? "true" : "false");
      });
      filterNow(c, "only", key);
      sendLegendAction(c, "only", key);
    }
  }

  function addLegend(c) {
    var cfg = c.cfg;
    if (window.__officeLegend) { window.__officeLegend.remove(); }
    var legend = L.control({position: "bottomright"});
    legend.onAdd = function () {
      var div = L.DomUtil.create("div", "office-legend");
      div.setAttribute("dir", cfg.rtl ? "rtl" : "ltr");
      div.innerHTML = cfg.legend;
      L.DomEvent.disableClickPropagation(div);
      L.DomEvent.disableScrollPropagation(div);
      div.addEventListener("click", function (e) { onLegendClick(c, div, e); });
      c.legendDiv = div;
      return div;
    };
    legend.addTo(c.map);
    window.__officeLegend = legend;
    if (c.legendDiv.querySelector(".legend-toggle")) {
      // Open unless the map is small (a phone, or a narrow column): then one tap opens it.
      var open = c.ux.legendOpen === undefined ? (!c.touch && c.box.clientWidth >= 520) : c.ux.legendOpen;
      setLegendOpen(c, open);
    }
    c.box.classList.toggle("large-text", !!cfg.large);
  }

  // --- keyboard: Enter or Space opens a focused office or cluster; tab order west to east ---
  function focusFirst(c, ids) {
    var ux = c.ux, lyr = ux.layer;
    for (var i = 0; i < ids.length; i++) {
      var m = ux.markers && ux.markers[ids[i]];
      if (!m) { continue; }
      var shown = lyr && lyr.getVisibleParent ? lyr.getVisibleParent(m) : m;
      var el = shown && shown.getElement ? shown.getElement() : null;
      if (el && c.map.getBounds().contains(shown.getLatLng())) { el.focus({preventScroll: true}); return; }
    }
  }

  function orderMarkers(map) {
    // Tab order follows the map west to east: the marker pane's children are kept sorted.
    var pane = map.getPane("markerPane");
    var items = Array.prototype.filter.call(pane.children, function (el) {
      return el.classList.contains("office-marker") || el.classList.contains("office-cluster");
    });
    var pos = function (el) { return el._leaflet_pos || {x: 0, y: 0}; };
    var sorted = items.slice().sort(function (a, b) { return pos(a).x - pos(b).x || pos(a).y - pos(b).y; });
    if (sorted.every(function (el, i) { return el === items[i]; })) { return; }
    var active = document.activeElement;
    sorted.forEach(function (el) { pane.appendChild(el); });
    if (active && pane.contains(active) && document.activeElement !== active) { active.focus({preventScroll: true}); }
  }

  function onKeyDown(c, e) {
    if (e.key !== "Enter" && e.key !== " " && e.key !== "Spacebar") { return; }
    var el = e.target, map = c.map, ux = c.ux;
    if (!el || !el.classList) { return; }
    var isMarker = el.classList.contains("office-marker"), isCluster = el.classList.contains("office-cluster");
    if (!isMarker && !isCluster) { return; }
    var target = map._targets && map._targets[L.Util.stamp(el)];
    if (!target) { return; }
    e.preventDefault();
    e.stopPropagation();
    if (isMarker) {  // the same click streamlit-folium reports for a pointer
      target.fire("click", {latlng: target.getLatLng(), originalEvent: e}, true);
      return;
    }
    var ids = target.getAllChildMarkers().slice().sort(byLng)
      .map(function (m) { return m.options.officeId; });
    var done = function () {
      map.off("moveend", done); ux.layer.off("spiderfied", done);
      setTimeout(function () { orderMarkers(map); focusFirst(c, ids); }, 60);
    };
    map.on("moveend", done);
    ux.layer.on("spiderfied", done);
    target.fire("click", {latlng: target.getLatLng()}, true);  // zooms in, or spiderfies
  }

  function onFocusIn(ux, e) {  // remembered, so focus can come back after a rerun
    var el = e.target;
    if (el.classList && el.classList.contains("office-marker")) {
      ux.focus = {marker: el.getAttribute("data-office-id")};
    } else if (el.closest && el.closest(".office-legend") && el.tagName === "BUTTON") {
      var kind = ["legend-toggle", "legend-entry", "legend-only"].filter(function (k) {
        return el.classList.contains(k);
      })[0];
      ux.focus = kind ? {legend: kind, type: el.getAttribute("data-type")} : null;
    } else {
      ux.focus = null;
    }
  }

  function installKeyboard(c) {
    var ux = c.ux, map = c.map;
    var orderSoon = function () {
      clearTimeout(ux.orderTimer);
      ux.orderTimer = setTimeout(function () { orderMarkers(map); }, 30);
    };
    ux.markers = c.markers;
    if (!ux.installed) {  // once per frame: the map and its container outlive the layer
      ux.installed = true;
      c.box.addEventListener("keydown", function (e) { onKeyDown(c, e); });
      c.box.addEventListener("focusin", function (e) { onFocusIn(ux, e); });
      map.on("zoomend moveend", orderSoon);
    }
    c.layer.on("animationend spiderfied unspiderfied", orderSoon);
  }

  // Focus lost because the layer was swapped (a rerun) goes back to the same office or button.
  function restoreFocus(c) {
    var f = c.ux.focus;
    var active = document.activeElement;
    if (!f || (active && active !== document.body && active !== document.documentElement)) { return; }
    try { if (window.parent.document.activeElement !== window.frameElement) { return; } } catch (e) { /* alone */ }
    var el = null;
    if (f.marker) {
      var m = c.markers[f.marker];
      el = m ? m.getElement() : null;
    } else if (f.legend && c.legendDiv) {
      c.legendDiv.querySelectorAll("." + f.legend).forEach(function (b) {
        if (!el && (f.type === null || b.getAttribute("data-type") === f.type)) { el = b; }
      });
    }
    if (el) { el.focus({preventScroll: true}); }
  }

  // --- the view ---
  function sameView(map, v) {
    if (!v || v.z !== map.getZoom()) { return false; }
    var a = map.latLngToContainerPoint(v.c), b = map.latLngToContainerPoint(map.getCenter());
    return a.distanceTo(b) < 3;
  }

  function moving(map) {
    return !!(map._animatingZoom || (map._panAnim && map._panAnim._inProgress));
  }

  function fitTo(c, view) {
    var map = c.map, ux = c.ux, size = map.getSize();
    if (view.bounds && (!size.x || !size.y)) {
      // A frame not laid out yet (opened in a background tab, a hidden frame): fitting a map of no
      // size zooms it in as far as allowed, and it would stay there. Fit once it has a size.
      map.once("resize", function () { fitTo(c, view); });
      return;
    }
    if (view.center) { map.setView(view.center, view.zoom); }
    else if (view.bounds) {  // no office under the legend (bottom right)
      var legend = c.legendDiv, below = legend ? legend.offsetHeight + 16 : 0;
      map.fitBounds(view.bounds, {paddingTopLeft: [40, 40], paddingBottomRight: [40, Math.max(40, below)], maxZoom: 5});
    }
    else { return; }
    ux.auto = null;
    map.once("moveend", function () { ux.auto = {c: map.getCenter(), z: map.getZoom()}; });
  }

  function anyInView(c) {
    var b = c.map.getBounds();
    return c.rows.some(function (r) { return b.contains([r[0], r[1]]); });
  }

  function keepView(c) {  // the map page, after its first view: fit only when needed
    var cfg = c.cfg, ux = c.ux, map = c.map;
    if (cfg.selected && cfg.selected !== ux.selected && c.markers[cfg.selected]) {
      // A new selection: move only as far as needed to show it (pan, zoom into its cluster).
      var m = c.markers[cfg.selected];
      if (cfg.selected === ux.clicked && map.getBounds().contains(m.getLatLng())) { /* clicked: in view */ }
      else if (cfg.cluster && m.__parent) { c.layer.zoomToShowLayer(m); }
      else if (!map.getBounds().contains(m.getLatLng())) { map.panTo(m.getLatLng()); }
    } else if (!sameView(map, ux.auto) && anyInView(c)) {
      /* the user's own view still shows offices: keep it */
    } else if (cfg.fit) {
      fitTo(c, cfg.fit);
    }
  }

  // On a phone the panel is a sheet over the map's lower half: lift a new selection above it.
  function liftSelected(c) {
    var map = c.map, m = c.cfg.selected && c.markers[c.cfg.selected];
    if (!m || topWidth() > 640) { return; }
    var lift = function () {
      var p = map.latLngToContainerPoint(m.getLatLng()), h = map.getSize().y;
      var top = 0, host = h / 0.5;
      try { top = window.frameElement.getBoundingClientRect().top; host = window.parent.innerHeight; }
      catch (e) { /* alone: the whole frame */ }
      var visible = Math.max(80, Math.min(h, host * 0.5 - top));  // the sheet takes the lower half
      if (p.y > visible - 24 || p.y < 40) { map.panBy([0, p.y - visible * 0.62]); }
    };
    if (moving(map)) { map.once("moveend", lift); }
    else { lift(); }
  }

  function setView(c) {
    var cfg = c.cfg, ux = c.ux;
    var first = !cfg.keep || !ux.viewed;
    var newSelection = !!cfg.selected && (first || cfg.selected !== ux.selected);
    if (first) {  // the first view (and every view of a map that does not keep it): at once
      ux.viewed = true;
      fitTo(c, cfg.view);
    }
    setTimeout(function () {  // once the layer is on the map (streamlit-folium adds it after this script)
      if (!first && moving(c.map)) {  // a fit of the browser's own filter still running: decide after it
        c.map.once("moveend", function () { if (c.ux.current === undefined || c.ux.current === c) { keepView(c); } });
      } else if (!first) { keepView(c); }
      if (cfg.keep && newSelection) { liftSelected(c); }
      ux.selected = cfg.selected;
      ux.clicked = null;
      orderMarkers(c.map);
      restoreFocus(c);
    }, 0);
  }

  // With cfg.filter (the map page) `rows` is the whole table and web/filters.js says which to draw.
  function shownRows(c) {
    var f = c.cfg.filter;
    if (!f) { return c.all; }
    if (window.GsOfficeFilters) { return window.GsOfficeFilters.start(c); }
    return c.all.filter(function (r, i) { return f.shown[i]; });
  }

  // --- drawn: the page holding the map may wait for it to draw the rest of itself ---
  // Once per frame, after the first render has been painted: when nothing in the holding page
  // matches cfg.readyUnless (the map page's filters, not drawn yet), a click named cfg.readyText
  // goes to the server the way a legend choice does, and the run it starts draws them.
  function signalDrawn(c) {
    var cfg = c.cfg;
    if (!cfg.readyUnless || !cfg.readyText || c.ux.drawnSent) { return; }
    c.ux.drawnSent = true;
    requestAnimationFrame(function () {
      setTimeout(function () {
        try {
          if (window.parent.document.querySelector(cfg.readyUnless)) { return; }
        } catch (e) { return; }  // a page of another origin: it does not wait for this map
        // streamlit-folium sends a first value when its map loads (its default holds nulls, the
        // map a count of 0): the run that value starts is on its way and draws the page's rest.
        var gd = window.__GLOBAL_DATA__;
        if (gd && gd.previous_data && gd.previous_data.last_object_clicked_count != null) { return; }
        sendText(c, cfg.readyText);
      }, 0);
    });
  }

  window.GsOfficeMarkers = {render: function (map, group, cfg, rows) {
    var c = {map: map, group: group, cfg: cfg, all: rows, rows: rows, box: map.getContainer(), markers: {},
             legendDiv: null, ux: window.__officeUx || (window.__officeUx = {})};
    prepareFrame(c);
    signalDrawn(c);  // for a large table: once the frame is up (its clusters follow from the worker)
    if (cfg.largeTable && window.GsLargeOffices) { return window.GsLargeOffices.render(c); }  // web/large.js
    c.rows = shownRows(c);
    c.layer = makeLayer(c);
    addMarkers(c);
    addShapes(c);
    addLegend(c);
    installKeyboard(c);
    setView(c);
    if (cfg.filter && window.GsOfficeFilters) { window.GsOfficeFilters.settle(c); }
  },
  // Only the markers again, for other rows of the same render (a filter applied in the browser).
  redraw: function (c, rows) {
    c.rows = rows;
    c.group.removeLayer(c.layer);
    c.markers = {};
    c.layer = makeLayer(c);
    addMarkers(c);
    installKeyboard(c);
    orderMarkers(c.map);
    if (rows.length && !anyInView(c)) {  // as keepView does: the offices now shown are all out of view
      fitTo(c, {bounds: L.latLngBounds(rows.map(function (r) { return [r[0], r[1]]; }))});
    }
  }};
  // What web/large.js (a table over geo.maps.markers.LARGE_TABLE offices) draws with.
  window.GsOfficeMarkers.parts = {plain: plain, fill: fill, number: number, sendNow: sendNow, highlight: highlight,
                                  addLegend: addLegend, addShapes: addShapes, fitTo: fitTo};
})();
