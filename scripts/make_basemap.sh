#!/usr/bin/env bash
# Rebuild the offline basemap in data/basemap/ from the npm registry (Natural
# Earth via world-atlas):
#   countries-110m.geojson  1:110m countries (the world view; exports, pictures)
#   world-50m.geojson       1:50m land and country borders (zoom 3 to 5)
#   10m/<cell>.geojson      1:10m land and borders in 10-degree cells around the
#                           offices of data/offices.csv (zoom 6 and closer)
#   places.geojson          the offices' cities (GeoNames), written at close zoom
#
# Usage: scripts/make_basemap.sh [output.geojson]
#   with an argument: only the 1:110m file, written there.
#
# Needs node and npm, and python3 with the project's packages for places.geojson
# (PYTHON=..., default .venv/bin/python). Installs the pinned packages in a temp
# dir (nothing is added to the repo), checks the input files' sha256, runs
# scripts/make_basemap.mjs and scripts/make_basemap.py. The output is
# byte-identical between runs (for the same office table).
set -euo pipefail

WORLD_ATLAS_VERSION=2.0.2
TOPOJSON_CLIENT_VERSION=3.1.0
LINECLIP_VERSION=2.0.0
# sha256 of world-atlas@2.0.2/countries-110m.json, -50m.json, -10m.json
INPUT_SHA256=2516c915867c7baf18ddec727aec46c315541a07cfb3d79a6559b05d5e94eee8
SHA256_50M=04342cdc1e3016bcd7db1630de95684d67b79fe3c8c460321e87aef469502394
SHA256_10M=3bc6f1d367a9bcec479841bae0e76092f512838411d0cef124e92eec4db45f79

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
out="${1:-$repo/data/basemap/countries-110m.geojson}"
python="${PYTHON:-$repo/.venv/bin/python}"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

cd "$tmp"
printf '{"name":"make-basemap","private":true}\n' > package.json
npm install --no-audit --no-fund --ignore-scripts --loglevel=error \
  "world-atlas@$WORLD_ATLAS_VERSION" "topojson-client@$TOPOJSON_CLIENT_VERSION" \
  "lineclip@$LINECLIP_VERSION" >&2

check() {  # file, expected sha256
  local actual
  actual="$(sha256sum "$1" | cut -d' ' -f1)"
  if [ "$actual" != "$2" ]; then
    echo "sha256 mismatch for $1: $actual (expected $2)" >&2
    exit 1
  fi
}
atlas="$tmp/node_modules/world-atlas"
input="$atlas/countries-110m.json"
check "$input" "$INPUT_SHA256"
check "$atlas/countries-50m.json" "$SHA256_50M"
check "$atlas/countries-10m.json" "$SHA256_10M"

# ESM imports resolve from the script's directory: run a copy next to node_modules.
cp "$here/make_basemap.mjs" "$tmp/make_basemap.mjs"
mkdir -p "$(dirname "$out")"
node "$tmp/make_basemap.mjs" "$input" "$tmp/out.geojson"
mv "$tmp/out.geojson" "$out"
echo "$out: $(wc -c < "$out") bytes, gzip -9 $(gzip -9nc < "$out" | wc -c) bytes" >&2
[ $# -ge 1 ] && exit 0

dir="$repo/data/basemap"
"$python" "$here/make_basemap.py" --offices-json "$tmp/offices.json"
mkdir -p "$tmp/levels"
node "$tmp/make_basemap.mjs" levels "$atlas/countries-50m.json" "$atlas/countries-10m.json" \
  "$tmp/offices.json" "$tmp/levels"
rm -rf "$dir/10m"
mv "$tmp/levels/10m" "$dir/10m"
mv "$tmp/levels/world-50m.geojson" "$dir/world-50m.geojson"
"$python" "$here/make_basemap.py" "$dir/places.geojson"
for f in "$dir/world-50m.geojson" "$dir/places.geojson"; do
  echo "$f: $(wc -c < "$f") bytes, gzip -9 $(gzip -9nc < "$f" | wc -c) bytes" >&2
done
echo "$dir/10m: $(ls "$dir/10m" | wc -l) cells, $(cat "$dir"/10m/*.geojson | wc -c) bytes" >&2
