#!/usr/bin/env bash
# Rebuild data/basemap/countries-110m.geojson (the offline basemap) from the
# npm registry: Natural Earth 1:110m admin 0 countries via world-atlas.
#
# Usage: scripts/make_basemap.sh [output.geojson]
#   default output: data/basemap/countries-110m.geojson (repo-relative)
#
# Needs node and npm. Installs the pinned packages in a temp dir (nothing is
# added to the repo), checks the input file's sha256, runs
# scripts/make_basemap.mjs. The output is byte-identical between runs.
set -euo pipefail

WORLD_ATLAS_VERSION=2.0.2
TOPOJSON_CLIENT_VERSION=3.1.0
# sha256 of world-atlas@2.0.2/countries-110m.json
INPUT_SHA256=2516c915867c7baf18ddec727aec46c315541a07cfb3d79a6559b05d5e94eee8

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
out="${1:-$repo/data/basemap/countries-110m.geojson}"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

cd "$tmp"
printf '{"name":"make-basemap","private":true}\n' > package.json
npm install --no-audit --no-fund --ignore-scripts --loglevel=error \
  "world-atlas@$WORLD_ATLAS_VERSION" "topojson-client@$TOPOJSON_CLIENT_VERSION" >&2

input="$tmp/node_modules/world-atlas/countries-110m.json"
actual="$(sha256sum "$input" | cut -d' ' -f1)"
if [ "$actual" != "$INPUT_SHA256" ]; then
  echo "sha256 mismatch for countries-110m.json: $actual (expected $INPUT_SHA256)" >&2
  exit 1
fi

# ESM imports resolve from the script's directory: run a copy next to node_modules.
cp "$here/make_basemap.mjs" "$tmp/make_basemap.mjs"
mkdir -p "$(dirname "$out")"
node "$tmp/make_basemap.mjs" "$input" "$tmp/out.geojson"
mv "$tmp/out.geojson" "$out"
echo "$out: $(wc -c < "$out") bytes, gzip -9 $(gzip -9nc < "$out" | wc -c) bytes" >&2
