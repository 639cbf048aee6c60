// Convert world-atlas countries-110m.json (TopoJSON, Natural Earth 1:110m
// admin 0 countries) to the compact GeoJSON basemap committed at
// data/basemap/countries-110m.geojson.
//
// Usage: node make_basemap.mjs <countries-110m.json> <output.geojson>
// Run through scripts/make_basemap.sh, which installs the pinned npm packages
// in a temp dir and copies this file next to them (ESM imports resolve from
// the script's own directory).
//
// Steps:
//   1. topojson-client feature() on objects.countries.
//   2. Split rings that cross the antimeridian. world-atlas geometry is
//      spherical (made for d3-geo): a ring may jump from lon -180 to +180
//      (Fiji, Russia's Chukotka and Wrangel Island), and Antarctica's ring
//      goes once around the South Pole. Drawn on a flat map (Leaflet) those
//      jumps become streaks across the whole map. Rings that cross twice are
//      cut into one ring per side of the antimeridian, closed along it; a
//      ring around a pole is closed along lon +-180 and lat +-90.
//   3. Round coordinates to 2 decimals, drop consecutive duplicate points and
//      rings left with fewer than 4 positions.
//   4. Wind rings per RFC 7946 (exterior counterclockwise, holes clockwise).
//   5. Properties reduced to {name, iso_n3 (ISO 3166-1 numeric, if any)}.
//   6. Compact JSON, one trailing newline.

import fs from 'node:fs';
import path from 'node:path';
import {feature, mesh} from 'topojson-client';
import {clipPolygon, clipPolyline} from 'lineclip';

const USAGE = `usage: node make_basemap.mjs <countries-110m.json> <output.geojson>
       node make_basemap.mjs levels <countries-50m.json> <countries-10m.json> <offices.json> <outdir>`;
const args = process.argv.slice(2);
if (!(args.length === 2 || (args[0] === 'levels' && args.length === 5))) {
  console.error(USAGE);
  process.exit(2);
}

const EPS = 1e-9;

// --- antimeridian ----------------------------------------------------------

const isJump = (p, q) => Math.abs(q[0] - p[0]) > 180;

// Latitude where segment p -> q (a jump, |dlon| > 180) meets the antimeridian.
function crossingLat(p, q) {
  const L = p[0] > 0 ? 180 : -180;          // side of p
  const qx = q[0] + (p[0] > 0 ? 360 : -360); // q unwrapped next to p
  const dx = qx - p[0];
  if (Math.abs(dx) < EPS) return p[1];
  const t = (L - p[0]) / dx;
  return p[1] + t * (q[1] - p[1]);
}

// Signed area with longitudes unwrapped to be continuous (positive = CCW).
function unwrappedArea(ring) {
  let off = 0;
  let prev = ring[0];
  const pts = [[prev[0], prev[1]]];
  for (let i = 1; i < ring.length; i++) {
    const c = ring[i];
    const d = c[0] - prev[0];
    if (d > 180) off -= 360;
    else if (d < -180) off += 360;
    pts.push([c[0] + off, c[1]]);
    prev = c;
  }
  return signedArea(pts);
}

function netLonChange(ring) {
  let net = 0;
  for (let i = 1; i < ring.length; i++) {
    let d = ring[i][0] - ring[i - 1][0];
    if (d > 180) d -= 360;
    else if (d < -180) d += 360;
    net += d;
  }
  return net;
}

// Cut a closed ring at its antimeridian jumps. Returns the pieces, each a run
// of points on one side, starting and ending on lon = +-180.
function cutAtJumps(ring) {
  const pts = ring.slice(0, -1); // open ring
  const n = pts.length;
  const jumps = [];
  for (let i = 0; i < n; i++) if (isJump(pts[i], pts[(i + 1) % n])) jumps.push(i);
  const pieces = [];
  for (let k = 0; k < jumps.length; k++) {
    const startJ = jumps[k];
    const endJ = jumps[(k + 1) % jumps.length];
    const p0 = pts[startJ];
    const q0 = pts[(startJ + 1) % n];
    const side = q0[0] > 0 ? 180 : -180;
    const piece = [];
    const latIn = crossingLat(p0, q0);
    if (!(Math.abs(q0[0] - side) < EPS && Math.abs(q0[1] - latIn) < EPS)) piece.push([side, latIn]);
    let i = (startJ + 1) % n;
    for (;;) {
      piece.push(pts[i]);
      if (i === endJ) break;
      i = (i + 1) % n;
    }
    const p1 = pts[endJ];
    const q1 = pts[(endJ + 1) % n];
    const sideOut = p1[0] > 0 ? 180 : -180; // differs from side only around a pole
    const latOut = crossingLat(p1, q1);
    if (!(Math.abs(p1[0] - sideOut) < EPS && Math.abs(p1[1] - latOut) < EPS)) piece.push([sideOut, latOut]);
    pieces.push({side, sideOut, a: piece[0][1], b: piece[piece.length - 1][1], pts: piece});
  }
  return pieces;
}

// Split a ring that crosses the antimeridian an even number of times into
// closed rings, one or more per side. The closing edges run along lon +-180.
function splitRing(ring) {
  const pieces = cutAtJumps(ring);
  if (pieces.some((pc) => pc.side !== pc.sideOut)) throw new Error('piece ends on the other side');
  // A ring wound clockwise (d3/topojson exterior) has its interior on the
  // right: on the +180 side the closing edge runs south, on the -180 side
  // north. Counterclockwise is the reverse.
  const cw = unwrappedArea(ring) < 0;
  const closeDir = (side) => ((side > 0) === cw ? -1 : 1); // +1 = northward
  const used = new Array(pieces.length).fill(false);
  const rings = [];
  for (let s = 0; s < pieces.length; s++) {
    if (used[s]) continue;
    const out = [];
    let cur = s;
    for (;;) {
      used[cur] = true;
      out.push(...pieces[cur].pts);
      const {side, b} = pieces[cur];
      const dir = closeDir(side);
      let best = -1;
      let bestDist = Infinity;
      for (let j = 0; j < pieces.length; j++) {
        if (pieces[j].side !== side) continue;
        const dist = (pieces[j].a - b) * dir;
        if (dist >= -EPS && dist < bestDist && (!used[j] || j === s)) {
          best = j;
          bestDist = dist;
        }
      }
      if (best < 0) throw new Error('cannot close ring along the antimeridian');
      if (best === s) break;
      cur = best;
    }
    out.push(out[0]);
    rings.push(out);
  }
  return rings;
}

// A ring around a pole (net longitude change +-360, one jump): close it along
// the antimeridian and the pole, in 90 degree steps so that no edge spans
// more than 180 degrees of longitude.
function closeAroundPole(ring) {
  const pieces = cutAtJumps(ring);
  if (pieces.length !== 1) throw new Error('polar ring with more than one jump');
  const {pts} = pieces[0];
  const first = pts[0];
  const last = pts[pts.length - 1];
  const pole = (first[1] + last[1]) / 2 < 0 ? -90 : 90;
  const out = pts.slice();
  out.push([last[0], pole]);
  const step = first[0] > last[0] ? 90 : -90;
  for (let x = last[0] + step; Math.abs(x - first[0]) > EPS; x += step) out.push([x, pole]);
  out.push([first[0], pole]);
  out.push(first);
  return out;
}

function insideRing([x, y], ring) {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i];
    const [xj, yj] = ring[j];
    if ((yi > y) !== (yj > y) && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

// Polygon (array of rings) -> array of polygons without antimeridian jumps.
function fixPolygon(poly) {
  const [outer, ...holes] = poly;
  for (const h of holes) {
    for (let i = 1; i < h.length; i++) {
      if (isJump(h[i - 1], h[i])) throw new Error('hole crossing the antimeridian: not handled');
    }
  }
  let jumps = 0;
  for (let i = 1; i < outer.length; i++) if (isJump(outer[i - 1], outer[i])) jumps++;
  if (jumps === 0) return [poly];
  const net = netLonChange(outer);
  if (Math.abs(Math.abs(net) - 360) < 1e-6) return [[closeAroundPole(outer), ...holes]];
  if (Math.abs(net) > 1e-6) throw new Error(`unexpected net longitude change ${net}`);
  if (jumps % 2) throw new Error('odd number of antimeridian jumps in a non-polar ring');
  const parts = splitRing(outer).map((r) => [r]);
  // Each hole (a lake; none crosses the antimeridian) goes to the part that holds it.
  for (const h of holes) {
    const part = parts.find((p) => insideRing(h[0], p[0]));
    if (!part) throw new Error('hole outside every part of a split polygon');
    part.push(h);
  }
  return parts;
}

// --- rounding, cleaning, winding --------------------------------------------

const rounder = (decimals) => {
  const f = 10 ** decimals;
  return (v) => {
    const r = Math.round(v * f) / f;
    return r === 0 ? 0 : r; // no -0
  };
};
const round2 = rounder(2);

function cleanRing(ring, round = round2) {
  const out = [];
  for (const c of ring) {
    const p = [round(c[0]), round(c[1])];
    const prev = out[out.length - 1];
    if (prev && prev[0] === p[0] && prev[1] === p[1]) continue;
    out.push(p);
  }
  // closed ring: first == last
  const a = out[0];
  const z = out[out.length - 1];
  if (out.length && (a[0] !== z[0] || a[1] !== z[1])) out.push([a[0], a[1]]);
  // drop spikes A,B,A left by rounding (a point whose neighbours coincide)
  let changed = true;
  while (changed && out.length >= 4) {
    changed = false;
    const open = out.slice(0, -1);
    const m = open.length;
    for (let i = 0; i < m; i++) {
      const p = open[(i + m - 1) % m];
      const q = open[(i + 1) % m];
      if (p[0] === q[0] && p[1] === q[1]) {
        // remove point i and one of the duplicate neighbours
        const keep = open.filter((_, j) => j !== i && j !== (i + 1) % m);
        out.length = 0;
        out.push(...keep, keep[0]);
        changed = true;
        break;
      }
    }
  }
  return out.length >= 4 ? out : null;
}

function signedArea(ring) {
  let s = 0;
  for (let i = 0, n = ring.length; i < n; i++) {
    const [x1, y1] = ring[i];
    const [x2, y2] = ring[(i + 1) % n];
    s += x1 * y2 - x2 * y1;
  }
  return s / 2;
}

function wind(ring, ccw) {
  const a = signedArea(ring);
  return (a > 0) === ccw ? ring : ring.slice().reverse();
}

function cleanPolygon(poly, round = round2) {
  const outer = cleanRing(poly[0], round);
  if (!outer || signedArea(outer) === 0) return null;
  const rings = [wind(outer, true)];
  for (const h of poly.slice(1)) {
    const c = cleanRing(h, round);
    if (c && signedArea(c) !== 0) rings.push(wind(c, false));
  }
  return rings;
}

// --- 1:110m countries (data/basemap/countries-110m.geojson) ------------------------------------------------------------------

function countries110(input, output) {
  const topo = JSON.parse(fs.readFileSync(input, 'utf8'));
  const fc = feature(topo, topo.objects.countries);

  const features = [];
  for (const f of fc.features) {
    const g = f.geometry;
    if (!g) throw new Error(`feature without geometry: ${f.properties.name}`);
    const polys = g.type === 'Polygon' ? [g.coordinates] : g.type === 'MultiPolygon' ? g.coordinates : null;
    if (!polys) throw new Error(`unexpected geometry type ${g.type}`);
    const out = [];
    for (const p of polys) {
      for (const q of fixPolygon(p)) {
        const c = cleanPolygon(q);
        if (c) out.push(c);
      }
    }
    if (!out.length) throw new Error(`feature lost all polygons: ${f.properties.name}`);
    const properties = {name: f.properties.name};
    if (f.id !== undefined && f.id !== null && f.id !== '') properties.iso_n3 = String(f.id);
    const geometry = out.length === 1
      ? {type: 'Polygon', coordinates: out[0]}
      : {type: 'MultiPolygon', coordinates: out};
    features.push({type: 'Feature', properties, geometry});
  }

  // Final check: nothing out of range, no edge spanning > 180 deg of longitude.
  for (const f of features) {
    const g = f.geometry;
    const polys = g.type === 'Polygon' ? [g.coordinates] : g.coordinates;
    for (const p of polys) {
      for (const r of p) {
        for (let i = 0; i < r.length; i++) {
          const [x, y] = r[i];
          if (!(x >= -180 && x <= 180 && y >= -90 && y <= 90)) {
            throw new Error(`${f.properties.name}: coordinate out of range ${x},${y}`);
          }
          if (i && Math.abs(x - r[i - 1][0]) > 180) {
            throw new Error(`${f.properties.name}: edge spans > 180 deg of longitude`);
          }
        }
      }
    }
  }

  fs.writeFileSync(output, JSON.stringify({type: 'FeatureCollection', features}) + '\n');
  console.error(`wrote ${output}: ${features.length} features`);
}

// --- 1:50m world and 1:10m cells (the finer levels the browser loads by zoom) ---------
//
// Each level is a FeatureCollection with a bbox and two features: {k: "land"} (a
// MultiPolygon, drawn filled without a stroke) and {k: "border"} (a MultiLineString:
// the land borders between countries, topojson mesh a !== b). The browser draws the
// coastline from the land rings, leaving out the edges that lie on the bbox (cuts
// made by the clipping or along the antimeridian), so a cell's edge never looks
// like a coast.

const CELL = 10; // degrees: 1:10m cells are CELL x CELL, named by their south-west corner
const MARGIN = 0.01; // land and lines are clipped to the cell widened by this (no seams)
const NEAR_LON = 15; // cells within this many degrees of an office (a zoom-6 view is ~28 x 14)
const NEAR_LAT = 8;

export const cellName = (w, s) =>
  `${w < 0 ? 'w' : 'e'}${String(Math.abs(w)).padStart(3, '0')}${s < 0 ? 's' : 'n'}${String(Math.abs(s)).padStart(2, '0')}`;

function geometries(fc) {
  const list = fc.type === 'FeatureCollection' ? fc.features.map((f) => f.geometry) : [fc.geometry || fc];
  return list.filter(Boolean);
}

function landPolygons(topo, round) {
  const out = [];
  for (const g of geometries(feature(topo, topo.objects.land))) {
    const polys = g.type === 'Polygon' ? [g.coordinates] : g.type === 'MultiPolygon' ? g.coordinates : [];
    for (const p of polys) {
      // 1:50m Antarctica has a second ring all around the pole at lat -89.999 (spherical
      // geometry's way to close it): off any Web Mercator map, and not a hole. Drop it.
      const rings = p.filter((r, i) => i === 0 || !r.every(([, y]) => Math.abs(y) > 89.9));
      for (const q of fixPolygon(rings)) out.push(q);
    }
  }
  return out.map((p) => cleanPolygon(p, round)).filter(Boolean);
}

// Country borders, cut where they jump across the antimeridian.
function borderLines(topo, round) {
  const m = mesh(topo, topo.objects.countries, (a, b) => a !== b);
  const out = [];
  for (const line of m.coordinates) {
    let part = [];
    for (let i = 0; i < line.length; i++) {
      const q = line[i];
      const p = line[i - 1];
      if (p && isJump(p, q)) {
        const lat = crossingLat(p, q);
        part.push([p[0] > 0 ? 180 : -180, lat]);
        out.push(part);
        part = [[q[0] > 0 ? 180 : -180, lat]];
      }
      part.push(q);
    }
    out.push(part);
  }
  return out.map((l) => cleanLine(l, round)).filter(Boolean);
}

function cleanLine(line, round) {
  const out = [];
  for (const c of line) {
    const p = [round(c[0]), round(c[1])];
    const prev = out[out.length - 1];
    if (!prev || prev[0] !== p[0] || prev[1] !== p[1]) out.push(p);
  }
  return out.length >= 2 ? out : null;
}

function ringBox(ring) {
  let w = Infinity, s = Infinity, e = -Infinity, n = -Infinity;
  for (const [x, y] of ring) {
    if (x < w) w = x;
    if (x > e) e = x;
    if (y < s) s = y;
    if (y > n) n = y;
  }
  return [w, s, e, n];
}

const overlaps = (a, b) => a[0] <= b[2] && a[2] >= b[0] && a[1] <= b[3] && a[3] >= b[1];

function clipLand(polys, boxes, box, round) {
  const out = [];
  polys.forEach((poly, i) => {
    if (!overlaps(boxes[i], box)) return;
    const rings = [];
    for (const ring of poly) {
      const c = clipPolygon(ring.slice(0, -1), box);
      if (c.length < 3) {
        if (!rings.length) return; // the outer ring is outside: the holes are too
        continue;
      }
      rings.push([...c, c[0]]);
    }
    const cleaned = rings.length ? cleanPolygon(rings, round) : null;
    if (cleaned) out.push(cleaned);
  });
  return out;
}

function clipLines(lines, boxes, box, round) {
  const out = [];
  lines.forEach((line, i) => {
    if (!overlaps(boxes[i], box)) return;
    for (const part of clipPolyline(line, box)) {
      const c = cleanLine(part, round);
      if (c) out.push(c);
    }
  });
  return out;
}

function level(bbox, land, borders) {
  return JSON.stringify({
    type: 'FeatureCollection',
    bbox,
    features: [
      {type: 'Feature', properties: {k: 'land'}, geometry: {type: 'MultiPolygon', coordinates: land}},
      {type: 'Feature', properties: {k: 'border'}, geometry: {type: 'MultiLineString', coordinates: borders}},
    ],
  }) + '\n';
}

function levels(input50, input10, officesJson, outdir) {
  const offices = JSON.parse(fs.readFileSync(officesJson, 'utf8')); // [[lon, lat], ...]
  const r2 = rounder(2);
  const r3 = rounder(3);

  const topo50 = JSON.parse(fs.readFileSync(input50, 'utf8'));
  const file50 = path.join(outdir, 'world-50m.geojson');
  fs.writeFileSync(file50, level([-180, -90, 180, 90], landPolygons(topo50, r2), borderLines(topo50, r2)));
  console.error(`wrote ${file50}`);

  const topo10 = JSON.parse(fs.readFileSync(input10, 'utf8'));
  const land = landPolygons(topo10, r3);
  const landBoxes = land.map((p) => ringBox(p[0]));
  const borders = borderLines(topo10, r3);
  const borderBoxes = borders.map(ringBox);

  const wanted = new Map();
  for (const [lon, lat] of offices) {
    for (let w = Math.floor((lon - NEAR_LON) / CELL) * CELL; w < lon + NEAR_LON; w += CELL) {
      for (let s = Math.floor((lat - NEAR_LAT) / CELL) * CELL; s < lat + NEAR_LAT; s += CELL) {
        const ww = ((w + 540) % 360) - 180; // wrap across the antimeridian
        if (s < -90 || s >= 90) continue;
        wanted.set(cellName(ww, s), [ww, s]);
      }
    }
  }
  const dir = path.join(outdir, '10m');
  fs.rmSync(dir, {recursive: true, force: true});
  fs.mkdirSync(dir, {recursive: true});
  let written = 0;
  for (const [name, [w, s]] of [...wanted].sort()) {
    const box = [w - MARGIN, s - MARGIN, w + CELL + MARGIN, s + CELL + MARGIN].map(r3);
    const cellLand = clipLand(land, landBoxes, box, r3);
    const cellBorders = clipLines(borders, borderBoxes, box, r3);
    if (!cellLand.length && !cellBorders.length) continue; // open sea: the 1:50m level has it
    fs.writeFileSync(path.join(dir, `${name}.geojson`), level(box, cellLand, cellBorders));
    written++;
  }
  console.error(`wrote ${written} cells of ${CELL} degrees in ${dir} (${wanted.size - written} open sea)`);
}

if (args[0] === 'levels') levels(...args.slice(1));
else countries110(...args);
