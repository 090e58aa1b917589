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
# Staged apart, so the debug module the tests use (beside the sources, same
# name) never enters the package. index.d.ts, generated.js and index.mjs come
# from tools/codegen (committed, checked for staleness by test.sh).
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
npm run --silent build:release -- --output-dir "$stage" >&2
cp package.json README.md ./*.js index.mjs index.d.ts "$stage/"
tarball=$(npm pack --silent --pack-destination "$dist" "$stage" | tail -n 1)
echo "pack.sh: $(du -h "$dist/$tarball" | cut -f1) package, native module $(du -h "$stage"/carebase.*.node | cut -f1)" >&2
echo "$dist/$tarball"
