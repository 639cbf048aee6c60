/* The cluster index of a large office table, off the page's main thread (web/large.js starts it).
 *
 * Messages in (each carries `gen`, the render it belongs to; answers carry it back):
 *   {type: "load", data, rows, filter}
 *       data: the URL of the table's static file (geo/maps/tablefile.py: {rows, region, text}),
 *       fetched once and kept while later renders name the same URL; or rows: the JSON text of the
 *       rows (an export, where the rows are in the page). A row is [lat, lon, type index, escaped
 *       id, escaped name]. filter: see below, or null for every row.
 *   {type: "filter", filter}    filter: {types: [type index], regions: [code], words: [folded word]}
 *       keeps the rows of a listed type, of a listed region (none listed: any) whose search text
 *       holds every word: geo.offices.filtering.filter_offices' rule (web/filters.js folds the words).
 *   {type: "clusters", bbox: [west, south, east, north], zoom, req}
 *   {type: "expand", id, req}   the zoom at which a cluster splits
 * Messages out: {type: "ready", n, counts, bounds}, {type: "clusters", items, req},
 * {type: "expand", zoom, req}, {type: "error", message}. counts: offices kept per type index;
 * bounds: [south, west, north, east] of the kept offices (null for none). An item is
 * [lat, lng, count, cluster id, types bit mask, names] for a cluster (names: up to 8 of its offices)
 * and [lat, lng, 0, row index, type, id, name] for an office.
 *
 * The worker is served with Supercluster before it in one file (geo/maps/assets.py WORKER_BUNDLE).
 * A page that cannot start a worker (an export opened from a file) loads this file too and runs the
 * same index on its own thread: `window.GsLargeIndex(post)` returns the message handler.
 */
(function () {
  "use strict";
  var RADIUS = 80;  // Supercluster's pixels of a 512-pixel tile: 40 screen pixels, as markercluster

  function makeIndex(post) {
    var table = {rows: [], region: [], text: []}, source = null, index = null, gen = 0;
    var loading = null, filter = null;  // the load under way; the filter to apply once it is done
    var built = null;  // what the index holds: {key, answer}, kept while the table and filter stay

    function keeper(f) {  // row index -> kept, or null for every row
      if (!f) { return null; }
      var types = {}, regions = {}, anyRegion = !f.regions.length || !table.region.length;
      var words = table.text.length ? f.words : [];
      f.types.forEach(function (t) { types[t] = true; });
      f.regions.forEach(function (r) { regions[r] = true; });
      return function (i) {
        if (!types[table.rows[i][2]]) { return false; }
        if (!anyRegion && !regions[table.region[i]]) { return false; }
        var text = table.text[i];
        for (var w = 0; w < words.length; w++) { if (text.indexOf(words[w]) < 0) { return false; } }
        return true;
      };
    }

    function build(f) {
      var key = JSON.stringify(f);
      if (built && built.key === key && built.table === table) {  // the server confirming the user's change
        index = built.index;
        post({type: "ready", gen: gen, n: built.n, counts: built.counts, bounds: built.bounds});
        return;
      }
      var keep = keeper(f), rows = table.rows, points = [], counts = [], box = null;
      for (var i = 0; i < rows.length; i++) {
        if (keep && !keep(i)) { continue; }
        var r = rows[i];
        var lng = ((r[1] + 180) % 360 + 360) % 360 - 180;  // Supercluster's frame; the page shifts it back
        counts[r[2]] = (counts[r[2]] || 0) + 1;
        if (!box) { box = [r[0], lng, r[0], lng]; }
        else {
          box[0] = Math.min(box[0], r[0]); box[1] = Math.min(box[1], lng);
          box[2] = Math.max(box[2], r[0]); box[3] = Math.max(box[3], lng);
        }
        points.push({type: "Feature", properties: {i: i, m: 1 << r[2]},
                     geometry: {type: "Point", coordinates: [lng, r[0]]}});
      }
      index = new self.Supercluster({
        radius: RADIUS, maxZoom: 17,
        map: function (p) { return {m: p.m}; },
        reduce: function (acc, p) { acc.m |= p.m; }
      });
      index.load(points);
      for (var t = 0; t < counts.length; t++) { counts[t] = counts[t] || 0; }
      built = {key: key, table: table, index: index, n: points.length, counts: counts, bounds: box};
      post({type: "ready", gen: gen, n: points.length, counts: counts, bounds: box});
    }

    function clusters(bbox, zoom) {
      var found = index.getClusters(bbox, zoom), items = [], rows = table.rows;
      var named = found.length <= 600;  // names for the accessible label, while that stays cheap
      for (var k = 0; k < found.length; k++) {
        var f = found[k], p = f.properties, c = f.geometry.coordinates;
        if (p.cluster) {
          var names = named ? index.getLeaves(p.cluster_id, 8).map(function (leaf) {
            return rows[leaf.properties.i][4];
          }) : [];
          items.push([c[1], c[0], p.point_count, p.cluster_id, p.m, names]);
        } else {
          var r = rows[p.i];
          items.push([c[1], c[0], 0, p.i, r[2], r[3], r[4]]);
        }
      }
      return items;
    }

    function fail(g, err) {
      post({type: "error", gen: g, message: String((err && err.message) || err)});
    }

    function load(m) {
      gen = m.gen;
      filter = m.filter;
      index = null;
      if (m.data && m.data === source) {  // the same table file as the last render: kept
        if (!loading) { build(filter); }
        return;
      }
      if (!m.data) {
        source = null;
        table = {rows: JSON.parse(m.rows), region: [], text: []};
        build(filter);
        return;
      }
      source = m.data;
      var url = m.data;
      loading = fetch(url, {credentials: "same-origin"}).then(function (response) {
        if (!response.ok) { throw new Error("the office table " + url + " answered " + response.status); }
        return response.json();
      }).then(function (data) {
        if (source !== url) { return; }  // a newer table was asked for meanwhile
        loading = null;
        table = data;
        build(filter);
      }).catch(function (err) {
        if (source === url) { loading = null; source = null; }
        fail(gen, err);
      });
    }

    return function (m) {
      try {
        if (m.type === "load") {
          load(m);
        } else if (m.gen !== gen) {
          return;  // a message for an older render
        } else if (m.type === "filter") {
          filter = m.filter;
          index = null;
          if (!loading) { build(filter); }
        } else if (!index) {
          return;  // not built yet: the page asks again once "ready" arrives
        } else if (m.type === "clusters") {
          post({type: "clusters", gen: gen, req: m.req, items: clusters(m.bbox, m.zoom)});
        } else if (m.type === "expand") {
          post({type: "expand", gen: gen, req: m.req, zoom: index.getClusterExpansionZoom(m.id)});
        }
      } catch (err) {
        fail(m.gen, err);
      }
    };
  }

  if (typeof window === "undefined") {  // the worker
    var handle = makeIndex(function (m) { self.postMessage(m); });
    self.onmessage = function (e) { handle(e.data); };
  } else {
    window.GsLargeIndex = makeIndex;
  }
})();
