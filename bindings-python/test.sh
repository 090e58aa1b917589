#!/usr/bin/env bash
# Builds the carebase Python binding and runs its pytest suite.
# Self-contained and idempotent (CI on a fresh machine, or a rerun):
#   - creates or reuses a venv beside the shared cargo target dir,
#   - installs pinned tools (maturin, pytest, mypy, pandas),
#   - builds carebase._native into that venv with `maturin develop` (debug),
#     using the shared CARGO_TARGET_DIR,
#   - runs pytest (which also runs mypy --strict and stubtest).
# Exits non-zero when anything fails.
set -euo pipefail
cd "$(dirname "$0")"

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/cache/carebase/target}"
export CARGO_BUILD_TARGET="${CARGO_BUILD_TARGET:-x86_64-unknown-linux-gnu}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
mkdir -p "$CARGO_TARGET_DIR"
VENV="${CAREBASE_CACHE:-${CARGO_TARGET_DIR%/*}}/venv"
PYTHON="${PYTHON:-python3}"

PINS=(
    "maturin==1.16.0"
    "pytest==9.2.0"
    "mypy==2.4.1"
    "pandas==3.1.1"
    "pandas-stubs==3.1.0.261029"
)

step() { printf '\n== %s ==\n' "$*"; }
start=$(date +%s)

step "python venv ($VENV)"
if [ ! -x "$VENV/bin/python" ]; then
    "$PYTHON" -m venv "$VENV"
fi
# shellcheck disable=SC1091
source "$VENV/bin/activate"
stamp="$VENV/.carebase-pins"
if [ "$(cat "$stamp" 2>/dev/null || true)" != "${PINS[*]}" ]; then
    python -m pip install --quiet --disable-pip-version-check "${PINS[@]}"
    echo "${PINS[*]}" > "$stamp"
fi
python --version

step "generated files up to date (tools/codegen/check.sh)"
bash ../tools/codegen/check.sh

step "build carebase._native (maturin develop, debug)"
maturin develop
python -c "import carebase, carebase._native; print('carebase imported from', carebase.__file__)"

step "pytest"
set +e
python -m pytest -q -p no:cacheprovider tests
status=$?
set -e
echo "bindings-python: pytest exit $status in $(( $(date +%s) - start ))s"
exit $status
