/* The map page's filters, applied in the browser at once (geo/maps/build.py BrowserFilter).
 *
 * The layer holds every office of the table with its region and the folded text a search looks in
 * (`cfg.filter`); `cfg.filter.shown` marks the offices the server's filters let through. When the
 * user changes a filter (a type ticked or "only" in the sidebar or the legend, a region chosen or
 * removed, a letter typed in the search), the map is redrawn here at once with the same rule as
 * the server (geo/offices/filtering.py), without waiting for Streamlit's rerun. The rerun still
 * comes (counts, panel, share link) and brings the server's own result: from then on the map draws
 * exactly `cfg.filter.shown` again. A local state the server has not confirmed is dropped after
 * STALE_MS, so the server always has the last word.
 *
 * The sidebar is read, never written: the checkboxes' states, the search box's text and the region
 * chips, as the user sees them (the page is the frame's parent, same origin).
 *
 * A large table (`cfg.filter.large`, over geo.maps.markers.LARGE_TABLE offices) is in the Web Worker
 * of web/large.js, not in the page: there the state goes to the worker as {types: [type index],
 * regions, words: [folded word]}, which applies the same rule and sends back the counts.
 */
(function () {
  var STALE_MS = 5000;

  var fold = function (s) {  // geo.geocoding.gazetteer.fold: case (Python's casefold) and accents ignored
    return String(s || "").toLowerCase().replace(/ß/g, "ss").replace(/ς/g, "σ")
      .normalize("NFKD").replace(/\p{M}/gu, "")
      .split(/\s+/).filter(Boolean).join(" ");
  };
  var plain = function (s) { return window.GsOfficeMarkers.parts.plain(s); };  // text of an escaped label
  var sameSet = function (a, b) {
    if (a.length !== b.length) { return false; }
    var seen = {};
    a.forEach(function (k) { seen[k] = true; });
    return b.every(function (k) { return seen[k] === true; });
  };
  var sameState = function (a, b) {
    return sameSet(a.types, b.types) && sameSet(a.regions, b.regions) && fold(a.query) === fold(b.query);
  };
  var serverState = function (f) {
    if (f.plainQuery === undefined) { f.plainQuery = plain(f.query); }
    return {types: f.types, regions: f.regions, query: f.plainQuery};
  };
  // The rows' search texts come escaped by geo.markup.esc (Python's html.escape): these five only.
  var ENTITIES = {"&amp;": "&", "&lt;": "<", "&gt;": ">", "&quot;": "\"", "&#x27;": "'"};
  var unescape = function (s) {
    return s.replace(/&(?:amp|lt|gt|quot|#x27);/g, function (e) { return ENTITIES[e]; });
  };
  var searchTexts = function (f) {  // once per render
    if (!f.plainText) { f.plainText = f.text.map(unescape); }
    return f.plainText;
  };

  function keepMask(c, state) {  // geo.offices.filtering.filter_offices, row by row
    var f = c.cfg.filter, types = {}, regions = {};
    var words = fold(state.query).split(" ").filter(Boolean), texts = searchTexts(f);
    state.types.forEach(function (k) { types[k] = true; });
    state.regions.forEach(function (k) { regions[k] = true; });
    var anyRegion = state.regions.length === 0;
    return c.all.map(function (r, i) {
      var type = c.cfg.types[r[2]];
      if (!type || !types[type.key]) { return false; }
      if (!anyRegion && !regions[f.region[i]]) { return false; }
      var text = texts[i];
      return words.every(function (w) { return text.indexOf(w) >= 0; });
    });
  }

  // The user's own change while the server has not answered it (and not for long), else null.
  function pending(c) {
    var ux = c.ux, f = c.cfg.filter, local = ux.filterLocal;
    if (local && (sameState(local, serverState(f)) || Date.now() - local.at > STALE_MS)) { ux.filterLocal = local = null; }
    return local;
  }

  // The rows to draw: the user's own change while the server has not answered it, else the server's.
  function rowsFor(c) {
    var local = pending(c);
    var keep = local ? keepMask(c, local) : c.cfg.filter.shown.map(Boolean);
    return c.all.filter(function (r, i) { return keep[i]; });
  }

  // A state as the worker of a large table applies it (web/large-worker.js).
  function forWorker(c, state) {
    var types = [];
    c.cfg.types.forEach(function (t, i) { if (state.types.indexOf(t.key) >= 0) { types.push(i); } });
    return {types: types, regions: state.regions.slice(), words: fold(state.query).split(" ").filter(Boolean)};
  }

  function shownState(ux) {
    return ux.filterLocal || serverState(ux.current.cfg.filter);
  }

  // Counts (per type index; null: leave them) and pressed entries (state; null: leave them), as the
  // server's legend would show them.
  function updateLegend(c, state, counts) {
    var div = c.legendDiv;
    if (!div) { return; }
    c.cfg.types.forEach(function (t, i) {
      var li = div.querySelector("li.legend-" + t.key);
      if (!li) { return; }
      var actions = li.classList.contains("has-actions");
      if (counts) {
        var n = counts[i] || 0, count = li.querySelector(".count");
        if (count) { count.textContent = window.GsOfficeMarkers.parts.number(n, c.cfg.lang); }
        if (!actions) { li.classList.toggle("is-empty", !n); }
      }
      if (state && actions) {
        var on = state.types.indexOf(t.key) >= 0, entry = li.querySelector(".legend-entry");
        li.classList.toggle("is-off", !on);
        if (entry) { entry.setAttribute("aria-pressed", on ? "true" : "false"); }
      }
    });
  }

  function rowCounts(rows) {
    var counts = [];
    rows.forEach(function (r) { counts[r[2]] = (counts[r[2]] || 0) + 1; });
    return counts;
  }

  // A filter state the user has just chosen: drawn now, unless the map already shows it.
  function apply(ux, state) {
    var c = ux.current;
    if (!c || !c.cfg.filter) { return; }
    var before = shownState(ux);
    state.at = Date.now();
    // The server's own state (e.g. the checkboxes redrawn by its answer) is no local change.
    ux.filterLocal = sameState(state, serverState(c.cfg.filter)) ? null : state;
    if (sameState(before, state)) { return; }
    if (c.cfg.filter.large) {  // the worker has the table: it filters, then sends the counts
      if (window.GsLargeOffices) { window.GsLargeOffices.filter(c, forWorker(c, state)); }
      updateLegend(c, state, null);
      return;
    }
    window.GsOfficeMarkers.redraw(c, rowsFor(c));
    updateLegend(c, state, rowCounts(c.rows));
  }

  function readSidebar(doc, c) {  // null when the page shows no type checkboxes
    var f = c.cfg.filter, types = [], found = 0;
    c.cfg.types.forEach(function (t) {
      var box = doc.querySelector('.st-key-type_' + t.key + ' input[type="checkbox"]');
      if (box) { found++; if (box.checked) { types.push(t.key); } }
    });
    if (!found) { return null; }
    var byLabel = {};
    Object.keys(f.regionLabels).forEach(function (code) { byLabel[plain(f.regionLabels[code])] = code; });
    var regions = [];
    doc.querySelectorAll('.st-key-regions [data-tag], .st-key-regions [data-baseweb="tag"]').forEach(function (tag) {
      var titled = tag.querySelector("[title]");
      var label = (titled ? titled.getAttribute("title") : tag.textContent).trim();
      if (byLabel.hasOwnProperty(label)) { regions.push(byLabel[label]); }
    });
    var search = doc.querySelector(".st-key-q input");
    return {types: types, regions: regions, query: search ? search.value : serverState(f).query};
  }

  function onlyButton(target) {  // the type of a sidebar "only" button, or null
    var box = target && target.closest ? target.closest('[class*="st-key-only_"]') : null;
    if (!box) { return null; }
    var match = /(?:^|\s)st-key-only_(\S+)/.exec(box.className);
    return match ? match[1] : null;
  }

  // Once per frame: the sidebar's events and changes, read after the widget has taken them.
  function watch(ux) {
    var doc;
    try {
      if (window.parent === window) { return; }
      doc = window.parent.document;
    } catch (e) { return; }  // a page of another origin: the server's answers only
    var observer = null, sidebar = null, timers = {};
    var observe = function () {  // the sidebar as it is now (Streamlit may draw it anew)
      var current = doc.querySelector('[data-testid="stSidebar"]');
      if (!observer || !current || current === sidebar) { return; }
      observer.disconnect();
      sidebar = current;
      observer.observe(sidebar, {subtree: true, childList: true, attributes: true, characterData: true});
    };
    var check = function () {
      observe();
      var c = ux.current;
      if (!c || !c.cfg.filter) { return; }
      var state = readSidebar(doc, c);
      if (!state) { return; }
      var before = ux.filterDom;
      ux.filterDom = state;
      if (before && !sameState(before, state)) { apply(ux, state); }
    };
    var later = function (ms) {
      if (timers[ms]) { return; }
      timers[ms] = setTimeout(function () { timers[ms] = 0; check(); }, ms);
    };
    // Some widgets draw a change a little later (a region chosen in its menu): look again shortly after.
    var soon = function () { later(0); later(120); later(400); };
    var onClick = function (e) {
      var key = onlyButton(e.target);
      if (key && ux.current) {  // the checkboxes change only when the server answers: act now
        var state = shownState(ux);
        apply(ux, {types: [key], regions: state.regions.slice(), query: state.query});
      }
      // A checkbox is already toggled when its click is dispatched: redraw in this task, so the map
      // is painted before the page's own work on the change (and the rerun's answer) takes the thread.
      if (e.target && e.target.type === "checkbox") { check(); }
      soon();
    };
    var onInput = function () { check(); soon(); };
    var events = {click: onClick, input: onInput, change: soon, keyup: soon};
    Object.keys(events).forEach(function (name) { doc.addEventListener(name, events[name], true); });
    if (window.MutationObserver) { observer = new MutationObserver(soon); }
    observe();
    window.addEventListener("pagehide", function () {
      Object.keys(events).forEach(function (name) { doc.removeEventListener(name, events[name], true); });
      if (observer) { observer.disconnect(); }
      Object.keys(timers).forEach(function (ms) { clearTimeout(timers[ms]); });
    });
    ux.filterWatch = true;
  }

  function begin(c) {
    var ux = c.ux;
    ux.current = c;
    if (!ux.filterWatch) { watch(ux); }
    var doc = null;
    try { doc = window.parent !== window ? window.parent.document : null; } catch (e) { doc = null; }
    if (doc && !ux.filterDom) { ux.filterDom = readSidebar(doc, c); }
  }

  window.GsOfficeFilters = {
    // A render of the layer: remember it, watch the sidebar (once), and say which rows to draw.
    start: function (c) {
      begin(c);
      return rowsFor(c);
    },
    // The same for a large table: the state its worker is to apply (web/large.js).
    startLarge: function (c) {
      begin(c);
      return forWorker(c, pending(c) || serverState(c.cfg.filter));
    },
    // After the render's legend is drawn: show the user's own state in it while it is not answered.
    settle: function (c) {
      if (c.ux.filterLocal) { updateLegend(c, c.ux.filterLocal, rowCounts(c.rows)); }
    },
    // A large table's worker has applied a state: its counts per type index, and the state's entries.
    counts: function (c, counts) {
      if (c.ux.current === c) { updateLegend(c, pending(c), counts); }
    },
    // For each row of the render, whether a filter state lets it through (the tests compare it
    // with the server's geo.offices.filtering on the same states).
    keep: function (c, state) { return keepMask(c, state); },
    // A legend button in the map: "toggle" or "only" a type.
    legend: function (c, verb, key) {
      var ux = c.ux, state = shownState(ux);
      var types = verb === "only" ? [key] : state.types.indexOf(key) >= 0
        ? state.types.filter(function (k) { return k !== key; }) : state.types.concat([key]);
      apply(ux, {types: types, regions: state.regions.slice(), query: state.query});
    }
  };
})();
