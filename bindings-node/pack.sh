#!/usr/bin/env bash
# Builds the npm package users install: the native module for this platform
# (cargo profile `artifact`, shared by every binding's artifact), then
# `npm pack` into ../dist/. Prints the tarball's path on its last line.
#   bash bindings-node/pack.sh
#   npm install ./dist/carebase-0.1.0.tgz      # in any project
set -euo pipefail
cd "$(dirname "$0")"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/cache/carebase/target}"
export CARGO_BUILD_TARGET="${CARGO_BUILD_TARGET:-x86_64-unknown-linux-gnu}"
dist="$(cd .. && pwd)/dist"
mkdir -p "$dist"

if ! [[ node_modules/.package-lock.json -nt package-lock.json ]]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
# The debug module the tests use lives beside the sources under the same
# name; set it aside so the package carries the release build only.
work=$(mktemp -d)
for f in carebase.*.node; do
  if [[ -f $f ]]; then cp -p "$f" "$work/"; fi
done
restore() {
  for f in "$work"/*; do
    if [[ -f $f ]]; then cp -p "$f" .; fi
  done
  rm -rf "$work"
}
trap restore EXIT
rm -f carebase.*.node
npm run --silent build:release >&2
# index.d.ts, generated.js and index.mjs come from tools/codegen (committed,
# checked for staleness by test.sh); the build does not write them.
tarball=$(npm pack --silent --pack-destination "$dist" | tail -n 1)
echo "pack.sh: $(du -h "$dist/$tarball" | cut -f1) package, native module $(du -h carebase.*.node | cut -f1 | head -n 1)" >&2
echo "$dist/$tarball"
