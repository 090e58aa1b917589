#!/usr/bin/env bash
# Builds the Node binding (debug) and runs its node:test suite.
# Self-contained and idempotent: on a fresh machine it installs the npm tools
# (into ./node_modules), builds into the shared cargo target dir, and fails when
# the committed generated files (index.d.ts, native.js) were out of date —
# they are regenerated in place, so committing them fixes the next run.
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

echo "--- napi build (debug)"
generated=(index.d.ts)
snapshot=$(mktemp -d)
trap 'rm -rf "$snapshot"' EXIT
for f in "${generated[@]}"; do
  if [[ -f $f ]]; then cp "$f" "$snapshot/"; fi
done
npm run --silent build
stale=()
for f in "${generated[@]}"; do
  if [[ -f $snapshot/$f ]] && ! cmp -s "$f" "$snapshot/$f"; then stale+=("$f"); fi
done

echo "--- node --test"
status=0
node --test --test-reporter=spec || status=$?

if ((${#stale[@]})); then
  echo "test.sh: generated ${stale[*]} did not match the Rust sources; regenerated now, commit them" >&2
  status=1
fi
echo "--- bindings-node: $([[ $status == 0 ]] && echo ok || echo FAILED) in $(($(date +%s) - start))s"
exit "$status"
