#!/usr/bin/env bash
# Fails when a committed generated file (api.json and the host code written
# from it, and core's phone table written from libphonenumber's metadata) is
# stale: runs carebase-codegen and carebase-phone-metadata, then asks git
# whether anything they write changed or is new. Run by scripts/test and
# the binding test scripts.
set -euo pipefail
cd "$(dirname "$0")/../.."

PY=bindings-python/python/carebase
GENERATED=(api.json $PY/_enums.py $PY/_operations.py $PY/_types.py $PY/_errors.py $PY/_functions.py $PY/__init__.py
    bindings-node/generated.js bindings-node/index.mjs bindings-node/index.d.ts
    core/src/patient/phone/metadata.rs)

cargo run --quiet --locked -p carebase-codegen -- --root "$PWD"
cargo run --quiet --locked -p carebase-phone-metadata -- --root "$PWD"
if ! git diff --exit-code --stat -- "${GENERATED[@]}" \
    || [ -n "$(git ls-files --others --exclude-standard -- "${GENERATED[@]}")" ]; then
    echo "generated files are stale or uncommitted: run 'cargo run -p carebase-codegen' and 'cargo run -p carebase-phone-metadata' and commit them" >&2
    exit 1
fi
echo "generated files up to date"
