/* The presenter view's tour, in the map's own frame (see geo/maps/tour.py for the data it gets).
 *
 * The server sends the whole tour once: every step's office, view, card and label. Steps then
 * change here, with no Streamlit rerun: the card is replaced and the map flies to the office in
 * the same task, so a key press never waits for the network and is never lost. The step is
 * written back into the page's URL (`step=`), which is what the server reads on its next run.
 *
 * Keys follow PowerPoint's slide show: Page Down, Right, Down, Space, Enter and N go forward;
 * Page Up, Left, Up, Backspace and P go back; Home and End; a number then Enter jumps to that
 * step; B (or .) blanks the screen and any key brings it back; F toggles full screen (Esc
 * leaves). They work in every language (a clicker sends the same keys whatever the layout), with
 * the focus in the page or in the map.
 *
 * Every string in `data` was HTML-escaped on the server; it is only ever set with innerHTML.
 */
(function () {
  "use strict";

  var FORWARD = {PageDown: 1, ArrowRight: 1, ArrowDown: 1, " ": 1, Spacebar: 1, Enter: 1, n: 1, N: 1};
  var BACK = {PageUp: 1, ArrowLeft: 1, ArrowUp: 1, Backspace: 1, p: 1, P: 1};
  var FLY_SECONDS = 1.0;
  var LABEL_GAP = 6;
  var OVERVIEW_PADDING = [48, 48];
  var INTERACTIVE = "input, textarea, select, button, a[href], [contenteditable=''], [contenteditable='true'], " +
    "[role='button'], [role='checkbox'], [role='combobox'], [role='listbox'], [role='option'], [role='slider'], " +
    "[role='switch'], [role='tab'], [role='textbox'], [role='menuitem']";

  var doc = document;
  var T = null;  // the one tour of this frame

  // The last things the tour did, for tests and for whoever debugs a projector: [what, ms, zoom].
  var log = window.__tourLog = [];
  function note(what) {
    log.push([what, Math.round(performance.now()), T && T.map ? T.map.getZoom() : null]);
    if (log.length > 60) { log.shift(); }
  }

  function textOf(escapedHtml) {  // the text of an escaped name, for an attribute (never parsed as markup)
    return new DOMParser().parseFromString(escapedHtml, "text/html").documentElement.textContent;
  }

  function el(tag, className, attrs) {
    var node = doc.createElement(tag);
    if (className) { node.className = className; }
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    return node;
  }

  function reducedMotion() {
    return window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  }

  function parentWindow() {
    try {
      if (window.parent && window.parent !== window && window.parent.document) { return window.parent; }
    } catch (e) { /* another origin: keys in the frame only */ }
    return null;
  }

  function rectsOverlap(a, b) {
    return a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
  }

  // --- building the frame's layout, once -------------------------------------------------------

  function setUp(map) {
    var mapDiv = map.getContainer();
    var holder = mapDiv.parentNode;
    doc.documentElement.classList.add("tour-mode");
    holder.classList.add("tour-layout");
    mapDiv.setAttribute("dir", "ltr");

    var panel = el("section", "tour-panel");
    var head = el("div", "tour-head");
    var stepLabel = el("p", "tour-step", {"aria-live": "polite", "aria-atomic": "true"});
    var full = el("button", "tour-full", {type: "button", "aria-pressed": "false"});
    head.appendChild(stepLabel);
    head.appendChild(full);
    var nav = el("div", "tour-nav");
    var prev = el("button", "tour-prev", {type: "button"});
    var next = el("button", "tour-next", {type: "button"});
    nav.appendChild(prev);
    nav.appendChild(next);
    var card = el("article", "tour-card");
    var legend = el("div", "tour-legend");
    var lines = el("label", "tour-lines");
    var linesBox = el("input", "", {type: "checkbox"});
    var linesText = el("span");
    lines.appendChild(linesBox);
    lines.appendChild(linesText);
    var help = el("p", "tour-help");
    panel.appendChild(head);
    panel.appendChild(card);
    panel.appendChild(legend);
    panel.appendChild(lines);
    panel.appendChild(nav);
    panel.appendChild(help);
    holder.appendChild(panel);

    // Labels live in a pane of their own, so they move with the map like the markers do.
    var labels = map.createPane("tourLabels");
    labels.classList.add("tour-labels");
    labels.setAttribute("aria-hidden", "true");
    var notice = el("div", "tour-notice", {role: "status"});
    mapDiv.appendChild(notice);
    var blank = el("div", "tour-blank", {"aria-hidden": "true"});
    doc.body.appendChild(blank);

    T = {
      map: map, panel: panel, card: card, stepLabel: stepLabel, prev: prev, next: next, full: full,
      legend: legend, linesBox: linesBox, linesText: linesText, help: help, labels: labels,
      notice: notice, blank: blank, parentBlank: null,
      data: null, step: 0, markers: {}, offices: [], group: null, hubLayer: null,
      digits: "", digitsTimer: null, urlTimer: null, flying: false, noticeShown: false
    };
    window.__tour = T;
    T.go = go;
    T.settled = function () {  // for tests and benchmarks: still, and the labels fit the view
      return !T.flying && !T.map._animatingZoom && T.placedFor === viewKey();
    };

    prev.addEventListener("click", function () { go(T.step - 1); });
    next.addEventListener("click", function () { go(T.step + 1); });
    full.addEventListener("click", toggleFullScreen);
    linesBox.addEventListener("change", drawHubLines);
    doc.addEventListener("fullscreenchange", onFullScreenChange);
    doc.addEventListener("keydown", function (e) { onKey(e, true); }, true);
    blank.addEventListener("click", unblank);
    var top = parentWindow();
    if (top) {
      var old = top.__gsTourKeys;
      if (old) { top.document.removeEventListener("keydown", old, true); }
      var onTopKey = function (e) {
        if (!window.frameElement || !window.frameElement.isConnected) {
          top.document.removeEventListener("keydown", onTopKey, true);  // the page moved on
          return;
        }
        onKey(e, false);
      };
      top.__gsTourKeys = onTopKey;
      top.document.addEventListener("keydown", onTopKey, true);
    }

    map.keyboard.disable();  // the arrow keys step the tour; they do not pan
    map.options.zoomSnap = 0.25;
    map.on("zoomend", function () { declutter(); });
    map.on("movestart", function () { note("movestart"); T.flying = true; T.labels.style.visibility = "hidden"; });
    map.on("viewreset", function () { note("viewreset"); });
    map.on("moveend", function () { T.flying = false; placeLabels(); });
    // The frame and the map's box change size without the window doing so (the page's CSS, full
    // screen, a phone turned): Leaflet only watches the window, so watch the box itself.
    if (window.ResizeObserver) {
      new ResizeObserver(function () { refit(); }).observe(mapDiv);
    }
    watchBasemaps(map);
    watchLabels();
  }

  // --- rendering the data the server sent --------------------------------------------------------

  function render(map, group, data) {
    note("render");
    if (!T) { setUp(map); }
    if (!map.hasLayer(group)) { group.addTo(map); }  // so the markers have elements to style now
    var keepId = T.data && T.data.steps[T.step] ? T.data.steps[T.step].id : undefined;
    T.data = data;
    T.group = group;
    T.markers = {};
    T.offices = [];
    T.hubLayer = null;
    doc.documentElement.setAttribute("lang", data.lang);
    T.panel.setAttribute("dir", data.rtl ? "rtl" : "ltr");
    T.panel.setAttribute("lang", data.lang);
    T.panel.setAttribute("aria-label", data.text.panel);
    T.panel.parentNode.setAttribute("dir", data.rtl ? "rtl" : "ltr");
    T.prev.innerHTML = data.text.previous;
    T.next.innerHTML = data.text.next;
    T.linesText.innerHTML = data.text.lines;
    T.help.innerHTML = data.text.keys;
    T.legend.innerHTML = data.legend;
    T.labels.setAttribute("dir", data.rtl ? "rtl" : "ltr");
    updateFullLabel();

    data.steps.forEach(function (s, index) {
      if (!s.id) { return; }
      var t = data.types[s.type];
      var marker = L.marker([s.lat, s.lon], {
        icon: L.divIcon({html: t.svg, iconSize: [t.size, t.size], iconAnchor: [t.size / 2, t.size / 2],
          className: "office-marker office-" + s.id + " type-" + t.key}),
        keyboard: true, riseOnHover: true, zIndexOffset: t.z, title: "",
        officeId: s.id, step: index
      });
      marker.on("add", function () {
        var node = this.getElement();
        node.setAttribute("data-office-id", s.id);
        node.setAttribute("role", "button");
        node.setAttribute("aria-label", textOf(s.name));
        node.classList.toggle("is-selected", T.step === index);
      });
      marker.on("click", function () { go(index); });
      marker.addTo(group);
      T.markers[s.id] = marker;
      T.offices.push({id: s.id, step: index, lat: s.lat, lon: s.lon, size: t.size, hq: t.key === "headquarters"});
    });
    drawHubLines();

    var start = data.start;
    if (keepId !== undefined) {  // a rerun while presenting (filters, language): stay on the office
      var found = data.steps.findIndex(function (s) { return s.id === keepId; });
      start = found >= 0 ? found : Math.min(T.step, data.steps.length - 1);
    }
    show(start, false);
  }

  // --- moving between steps ----------------------------------------------------------------------

  function go(step) {
    if (!T.data) { return; }
    var last = T.data.steps.length - 1;
    step = Math.max(0, Math.min(step, last));
    if (step === T.step) { return; }
    show(step, !reducedMotion());
  }

  function show(step, animate) {
    var data = T.data;
    var s = data.steps[step];
    T.step = step;
    T.card.setAttribute("data-step", String(step));
    if (s.id) { T.card.setAttribute("data-office-id", s.id); } else { T.card.removeAttribute("data-office-id"); }
    T.card.innerHTML = s.card;
    T.panel.classList.toggle("is-overview", !s.id);  // the legend counts offices at the overview only
    T.card.scrollTop = 0;
    fillLocalTime(s);
    T.stepLabel.innerHTML = s.label;
    T.prev.disabled = step === 0;
    T.next.disabled = step === data.steps.length - 1;
    Object.keys(T.markers).forEach(function (id) {
      var m = T.markers[id], node = m.getElement();
      var on = id === s.id;
      if (node) { node.classList.toggle("is-selected", on); }
      m.setZIndexOffset(on ? 5000 : data.types[data.steps[m.options.step].type].z);
    });
    T.labels.style.visibility = "hidden";
    if (s.id) {
      var target = L.latLng(s.lat, s.lon);
      if (animate) { T.map.flyTo(target, s.zoom, {duration: FLY_SECONDS}); }
      else { T.map.setView(target, s.zoom, {animate: false}); }
    } else if (data.bounds) {
      var options = {padding: OVERVIEW_PADDING, maxZoom: 4};
      if (animate) { T.map.flyToBounds(data.bounds, L.extend({duration: FLY_SECONDS}, options)); }
      else { T.map.fitBounds(data.bounds, L.extend({animate: false}, options)); }
    }
    if (!animate) { declutter(); placeLabels(); }
    syncUrl(step);
  }

  function refit() {
    if (!T || !T.data) { return; }
    note("refit");
    T.map.invalidateSize({animate: false, pan: false});
    T.map.stop();
    T.flying = false;
    var s = T.data.steps[T.step];
    if (s.id) { T.map.setView([s.lat, s.lon], s.zoom, {animate: false}); }
    else if (T.data.bounds) { T.map.fitBounds(T.data.bounds, {padding: OVERVIEW_PADDING, maxZoom: 4, animate: false}); }
    declutter();
    placeLabels();
  }

  function fillLocalTime(s) {
    var slot = T.card.querySelector(".local-time");
    if (!slot) { return; }
    try {
      var text = new Intl.DateTimeFormat(T.data.locale, {
        timeZone: s.tz, weekday: "long", hour: "2-digit", minute: "2-digit"
      }).format(new Date());
      slot.textContent = text;
    } catch (e) {
      slot.parentNode.remove();  // an unknown time zone: say nothing rather than something wrong
    }
  }

  function syncUrl(step) {
    var top = parentWindow();
    if (!top) { return; }
    clearTimeout(T.urlTimer);
    T.urlTimer = setTimeout(function () {
      var loc = top.location;
      var params = new URLSearchParams(loc.search);
      if (step) { params.set("step", String(step)); } else { params.delete("step"); }
      var query = params.toString();
      var url = loc.pathname + (query ? "?" + query : "") + loc.hash;
      if (url !== loc.pathname + loc.search + loc.hash) {
        top.history.replaceState(top.history.state, "", url);
      }
    }, 100);
  }

  // --- keys ---------------------------------------------------------------------------------------

  function onKey(e, inFrame) {
    if (!T || !T.data || e.defaultPrevented) { return; }
    if (e.ctrlKey || e.altKey || e.metaKey) { return; }
    var target = e.target;
    if (isBlank()) {  // any key brings the screen back, and does nothing else
      e.preventDefault();
      e.stopPropagation();
      unblank();
      return;
    }
    if (target && target.closest) {
      if (!inFrame && target.closest(INTERACTIVE)) { return; }  // the page's own widgets keep their keys
      if (inFrame && target.closest("input, textarea, select")) { return; }
      if (inFrame && (e.key === "Enter" || e.key === " ") &&
          target.closest("button, .office-marker, label")) { return; }  // activates what has the focus
    }
    var key = e.key;
    var handled = true;
    if (/^[0-9]$/.test(key)) {
      T.digits = (T.digits + key).slice(-4);
      clearTimeout(T.digitsTimer);
      T.digitsTimer = setTimeout(function () { T.digits = ""; }, 4000);
    } else if (key === "Enter" && T.digits) {
      var wanted = parseInt(T.digits, 10);
      T.digits = "";
      go(wanted);
    } else if (FORWARD[key]) {
      go(T.step + 1);
    } else if (BACK[key]) {
      go(T.step - 1);
    } else if (key === "Home") {
      go(0);
    } else if (key === "End") {
      go(T.data.steps.length - 1);
    } else if (key === "b" || key === "B" || key === ".") {
      blankScreen();
    } else if (key === "f" || key === "F") {
      toggleFullScreen();
    } else {
      handled = false;
    }
    if (handled) {
      e.preventDefault();
      e.stopPropagation();
    }
  }

  // --- blank screen and full screen ---------------------------------------------------------------

  function isBlank() { return T.blank.classList.contains("is-on"); }

  function blankScreen() {
    T.blank.classList.add("is-on");
    var top = parentWindow();
    if (top && !doc.fullscreenElement) {
      var cover = top.document.createElement("div");
      cover.setAttribute("aria-hidden", "true");
      cover.className = "gs-tour-blank";
      cover.style.cssText = "position:fixed;inset:0;background:#000;z-index:2147483647;cursor:none";
      cover.addEventListener("click", unblank);
      top.document.body.appendChild(cover);
      T.parentBlank = cover;
    }
  }

  function unblank() {
    T.blank.classList.remove("is-on");
    if (T.parentBlank) { T.parentBlank.remove(); T.parentBlank = null; }
  }

  function toggleFullScreen() {
    if (doc.fullscreenElement) {
      doc.exitFullscreen();
    } else if (doc.documentElement.requestFullscreen) {
      doc.documentElement.requestFullscreen().catch(function () { /* refused: stay as we are */ });
    }
  }

  function updateFullLabel() {
    var on = !!doc.fullscreenElement;
    T.full.innerHTML = on ? T.data.text.leave_full_screen : T.data.text.full_screen;
    T.full.setAttribute("aria-pressed", on ? "true" : "false");
  }

  function onFullScreenChange() {
    doc.documentElement.classList.toggle("is-full-screen", !!doc.fullscreenElement);
    if (T.data) { updateFullLabel(); }
    refit();
  }

  // --- lines from the headquarters ------------------------------------------------------------------

  function drawHubLines() {
    if (T.hubLayer) { T.group.removeLayer(T.hubLayer); T.hubLayer = null; }
    var hub = T.data && T.data.hub;
    if (!hub || !T.linesBox.checked) { return; }
    T.hubLayer = L.layerGroup();
    T.offices.forEach(function (o) {
      if (o.lat === hub[0] && o.lon === hub[1]) { return; }
      L.polyline([hub, [o.lat, o.lon]], {color: "#1f2937", weight: 2, opacity: 0.75, dashArray: "5 7",
        interactive: false, className: "hub-line"}).addTo(T.hubLayer);
    });
    T.hubLayer.addTo(T.group);
  }

  // --- markers that would sit on each other: moved apart, with a leader line ------------------------

  function declutter() {
    note("declutter");
    if (!T || !T.offices.length || !T.map._loaded) { return; }
    var map = T.map;
    var current = T.data.steps[T.step];
    var origin = T.offices.map(function (o) { return map.latLngToLayerPoint([o.lat, o.lon]); });
    var pos = origin.map(function (p) { return {x: p.x, y: p.y}; });
    var fixed = T.offices.map(function (o) { return o.hq || o.id === current.id; });
    for (var round = 0; round < 120; round++) {
      var moved = false;
      for (var i = 0; i < pos.length; i++) {
        for (var j = i + 1; j < pos.length; j++) {
          var dx = pos[j].x - pos[i].x, dy = pos[j].y - pos[i].y;
          var d = Math.sqrt(dx * dx + dy * dy);
          var need = (T.offices[i].size + T.offices[j].size) / 2 + 6;
          if (d >= need) { continue; }
          if (d < 0.01) { dx = Math.cos(j * 2.39996); dy = Math.sin(j * 2.39996); d = 1; }
          var push = need - d, ux = dx / d, uy = dy / d;
          var wi = fixed[i] ? 0 : (fixed[j] ? 1 : 0.5), wj = fixed[j] ? 0 : (fixed[i] ? 1 : 0.5);
          pos[i].x -= ux * push * wi; pos[i].y -= uy * push * wi;
          pos[j].x += ux * push * wj; pos[j].y += uy * push * wj;
          moved = true;
        }
      }
      if (!moved) { break; }
    }
    T.offices.forEach(function (o, k) {
      o.dx = 0; o.dy = 0;
      var node = T.markers[o.id].getElement();
      if (!node) { return; }
      var dx = Math.round(pos[k].x - origin[k].x), dy = Math.round(pos[k].y - origin[k].y);
      o.dx = dx; o.dy = dy;
      node.style.marginLeft = (dx - o.size / 2) + "px";
      node.style.marginTop = (dy - o.size / 2) + "px";
      var leader = node.querySelector(".leader");
      if (Math.abs(dx) + Math.abs(dy) < 3) {
        if (leader) { leader.remove(); }
        node.classList.remove("is-moved");
        return;
      }
      node.classList.add("is-moved");
      if (!leader) {
        leader = doc.createElementNS("http://www.w3.org/2000/svg", "svg");
        leader.setAttribute("class", "leader");
        leader.setAttribute("aria-hidden", "true");
        leader.innerHTML = "<line/><circle r='4'/>";
        node.insertBefore(leader, node.firstChild);
      }
      var c = o.size / 2;
      leader.setAttribute("width", o.size);
      leader.setAttribute("height", o.size);
      var line = leader.querySelector("line"), dot = leader.querySelector("circle");
      line.setAttribute("x1", c); line.setAttribute("y1", c);
      line.setAttribute("x2", c - dx); line.setAttribute("y2", c - dy);
      dot.setAttribute("cx", c - dx); dot.setAttribute("cy", c - dy);
    });
  }

  // --- labels: the current office's name, or every city at the overview; never on a marker -----------

  function markerBox(o) {
    // Where a marker is drawn, in container pixels, from the map's own model (not from the DOM,
    // which may lag a frame behind): its point, the declutter offset, its size (grown when chosen).
    var p = T.map.latLngToContainerPoint([o.lat, o.lon]);
    var current = T.data.steps[T.step];
    var half = (o.id === current.id ? o.size * 1.3 : o.size) / 2 + 2;
    var x = p.x + (o.dx || 0), y = p.y + (o.dy || 0);
    return {left: x - half, top: y - half, right: x + half, bottom: y + half};
  }

  function placeLabels() {
    note(T && T.flying ? "place-skipped" : "place");
    if (!T || !T.data || T.flying) { return; }
    var map = T.map;
    var size = map.getSize();
    var bounds = {left: 0, top: 0, right: size.x, bottom: size.y};
    var box = map.getContainer().getBoundingClientRect();
    var avoid = T.offices.map(markerBox);
    map.getContainer().querySelectorAll(".leaflet-control, .tour-notice.is-on").forEach(function (node) {
      var r = node.getBoundingClientRect();
      if (r.width && r.height) {
        avoid.push({left: r.left - box.left, top: r.top - box.top, right: r.right - box.left, bottom: r.bottom - box.top});
      }
    });
    T.labels.innerHTML = "";
    var current = T.data.steps[T.step];
    var wanted = current.id ? [current] : T.data.steps.filter(function (s) { return s.id; });
    var byId = {};
    T.offices.forEach(function (o) { byId[o.id] = o; });
    wanted.forEach(function (s) {
      var o = byId[s.id];
      if (!o) { return; }
      var m = markerBox(o);
      if (m.right < 0 || m.left > bounds.right || m.bottom < 0 || m.top > bounds.bottom) { return; }
      var label = el("div", "tour-label" + (current.id ? " is-current" : ""));
      label.setAttribute("data-office-id", s.id);
      label.innerHTML = current.id ? s.name : s.city;
      label.style.maxWidth = Math.max(160, Math.min(380, bounds.right * 0.45)) + "px";
      T.labels.appendChild(label);
      var w = label.offsetWidth, h = label.offsetHeight;
      var cx = (m.left + m.right) / 2, cy = (m.top + m.bottom) / 2, g = LABEL_GAP;
      var candidates = [];
      [1, 2.5, 5].forEach(function (f) {
        var gap = g * f;
        candidates.push(
          {x: m.right + gap, y: cy - h / 2}, {x: m.left - gap - w, y: cy - h / 2},
          {x: cx - w / 2, y: m.top - gap - h}, {x: cx - w / 2, y: m.bottom + gap},
          {x: m.right + gap, y: m.top - gap - h}, {x: m.right + gap, y: m.bottom + gap},
          {x: m.left - gap - w, y: m.top - gap - h}, {x: m.left - gap - w, y: m.bottom + gap});
      });
      var spot = null;
      for (var k = 0; k < candidates.length && !spot; k++) {
        var c = candidates[k];
        var rect = {left: c.x, top: c.y, right: c.x + w, bottom: c.y + h};
        if (rect.left < 4 || rect.top < 4 || rect.right > bounds.right - 4 || rect.bottom > bounds.bottom - 4) { continue; }
        if (avoid.some(function (a) { return rectsOverlap(a, rect); })) { continue; }
        spot = rect;
      }
      if (!spot) { label.remove(); return; }  // nowhere free: better no label than a hidden office
      var at = map.containerPointToLayerPoint([spot.left, spot.top]);
      label.style.left = at.x + "px";
      label.style.top = at.y + "px";
      avoid.push(spot);
    });
    T.placedFor = viewKey();
    T.labels.style.visibility = "visible";
  }

  // What the labels were placed for: zoom, pixel origin, pane offset, size and marker offsets.
  // Leaflet can move the view without the events placeLabels listens to (a window resize it
  // debounces, a zoom transition ending late); a light watch re-places the labels then.
  function viewKey() {
    var map = T.map, origin = map.getPixelOrigin(), pane = map.containerPointToLayerPoint([0, 0]), size = map.getSize();
    var offsets = T.offices.map(function (o) { return (o.dx || 0) + "," + (o.dy || 0); }).join(";");
    return [map.getZoom(), origin.x, origin.y, pane.x, pane.y, size.x, size.y, T.step, offsets].join("|");
  }

  function watchLabels() {
    setInterval(function () {
      if (T && T.data && !T.flying && !T.map._animatingZoom && T.placedFor !== viewKey()) { placeLabels(); }
    }, 200);
  }

  // --- online basemaps in a room with no network: back to the offline outlines, said once ------------

  function watchBasemaps(map) {
    var offline = null;
    map.eachLayer(function (layer) {
      if (!offline && layer instanceof L.GeoJSON && !(T.group && T.group.hasLayer(layer))) { offline = layer; }
    });
    map.on("baselayerchange", function (e) {
      if (e.layer instanceof L.GeoJSON) { offline = e.layer; return; }
      if (!(e.layer instanceof L.TileLayer) || e.layer.__gsWatched) { return; }
      e.layer.__gsWatched = true;
      e.layer.on("tileerror", function () {
        if (!map.hasLayer(e.layer)) { return; }
        map.removeLayer(e.layer);
        if (offline) { map.addLayer(offline); offline.bringToBack(); }
        if (!T.noticeShown && T.data) {
          T.noticeShown = true;
          T.notice.innerHTML = T.data.text.offline;
          T.notice.classList.add("is-on");
          setTimeout(function () { T.notice.classList.remove("is-on"); }, 8000);
        }
      });
    });
  }

  window.GsTour = {render: render};
})();
