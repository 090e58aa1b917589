#!/usr/bin/env bash
# Builds the Node binding (debug) and runs its node:test suite.
# Self-contained and idempotent: on a fresh machine it installs the npm tools
# (into ./node_modules), builds into the shared cargo target dir, and fails when
# the committed generated files (generated.js, index.mjs, index.d.ts: written
# by tools/codegen from core) were out of date — they are regenerated in
# place, so committing them fixes the next run.
set -euo pipefail
cd "$(dirname "$0")"
start=$(date +%s)

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/cache/carebase/target}"
export CARGO_BUILD_TARGET="${CARGO_BUILD_TARGET:-x86_64-unknown-linux-gnu}"

for tool in node npm cargo; do
  command -v "$tool" >/dev/null || { echo "test.sh: $tool is required" >&2; exit 2; }
done

echo "--- npm install"
if ! [[ node_modules/.package-lock.json -nt package-lock.json ]]; then
  npm ci --no-audit --no-fund --loglevel=error
fi

echo "--- generated files (tools/codegen)"
stale=0
bash ../tools/codegen/check.sh || stale=1

echo "--- napi build (debug)"
npm run --silent build

echo "--- node --test"
status=0
node --test --test-reporter=spec || status=$?

if ((stale)); then
  echo "test.sh: generated files (generated.js, index.mjs, index.d.ts, api.json) were stale; regenerated now, commit them" >&2
  status=1
fi
echo "--- bindings-node: $([[ $status == 0 ]] && echo ok || echo FAILED) in $(($(date +%s) - start))s"
exit "$status"
