/* The cluster index of a large office table, off the page's main thread (web/large.js starts it).
 *
 * Messages in (each carries `gen`, the render it belongs to; answers carry it back):
 *   {type: "load", lib, rows}   rows: the JSON text of [lat, lon, type index, escaped id, escaped name]
 *   {type: "filter", keep}      keep: one boolean per row; only the kept rows are indexed
 *   {type: "clusters", bbox: [west, south, east, north], zoom, req}
 *   {type: "expand", id, req}   the zoom at which a cluster splits
 * Messages out: {type: "ready", n}, {type: "clusters", items, req}, {type: "expand", zoom, req},
 * {type: "error", message}. An item is [lat, lng, count, cluster id, types bit mask, names] for a
 * cluster (names: up to 8 of its offices) and [lat, lng, 0, row index, type, id, name] for an office.
 *
 * A page that cannot start a worker (an export opened from a file) loads this file too and runs the
 * same index on its own thread: `window.GsLargeIndex(post)` returns the message handler.
 */
(function () {
  "use strict";
  var RADIUS = 80;  // Supercluster's pixels of a 512-pixel tile: 40 screen pixels, as markercluster

  function makeIndex(post) {
    var rows = [], index = null, gen = 0;

    function build(keep) {
      var points = [];
      for (var i = 0; i < rows.length; i++) {
        if (keep && !keep[i]) { continue; }
        var r = rows[i];
        var lng = ((r[1] + 180) % 360 + 360) % 360 - 180;  // Supercluster's frame; the page shifts it back
        points.push({type: "Feature", properties: {i: i, m: 1 << r[2]},
                     geometry: {type: "Point", coordinates: [lng, r[0]]}});
      }
      index = new self.Supercluster({
        radius: RADIUS, maxZoom: 17,
        map: function (p) { return {m: p.m}; },
        reduce: function (acc, p) { acc.m |= p.m; }
      });
      index.load(points);
      return points.length;
    }

    function clusters(bbox, zoom) {
      var found = index.getClusters(bbox, zoom), items = [];
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

    return function (m) {
      try {
        if (m.type === "load") {
          if (!self.Supercluster) { self.importScripts(m.lib); }
          gen = m.gen;
          rows = JSON.parse(m.rows);
          post({type: "ready", gen: gen, n: build(null)});
        } else if (m.gen !== gen || !index) {
          return;  // a message for an older render: its rows are gone
        } else if (m.type === "filter") {
          post({type: "ready", gen: gen, n: build(m.keep)});
        } else if (m.type === "clusters") {
          post({type: "clusters", gen: gen, req: m.req, items: clusters(m.bbox, m.zoom)});
        } else if (m.type === "expand") {
          post({type: "expand", gen: gen, req: m.req, zoom: index.getClusterExpansionZoom(m.id)});
        }
      } catch (err) {
        post({type: "error", gen: m.gen, message: String((err && err.message) || err)});
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
