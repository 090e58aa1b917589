#!/usr/bin/env bash
# Cross-language proof: Python writes a SQLite clinic; Rust, Node and Kotlin
# read the same file and must give the same answers (patients, searches, outbox
# event count, keyed audit verification against the checkpoint Python exported)
# as recorded in expected.json.
#
# Prerequisite: the three bindings are built by their own test scripts, which
# scripts/test runs before this:
#   bash bindings-python/test.sh   (venv $cache/venv with carebase, maturin develop)
#   bash bindings-node/test.sh     (bindings-node/*.node via napi build)
#   bash bindings-mobile/test.sh   (libcarebase_mobile.so + $cache/mobile-kotlin/classes/carebase-*.jar)
# This script fails clearly when one of those artefacts is missing. It builds
# only the Rust reader (examples bin `cross-language-read`) and compiles
# Read.kt (cached by content under $cache/cross-language).
#
# Usage: bash tests/cross-language/run.sh   (KEEP=1 keeps the work dir)
# Prints `N passed, M failed` (one per language: the Python writer and each
# reader) and exits non-zero on any failure.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/cache/carebase/target}"
export CARGO_BUILD_TARGET="${CARGO_BUILD_TARGET:-x86_64-unknown-linux-gnu}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
cache="${CAREBASE_CACHE:-$(dirname "$CARGO_TARGET_DIR")}"
debug="$CARGO_TARGET_DIR/$CARGO_BUILD_TARGET/debug"

python="$cache/venv/bin/python"
kotlin_home="$cache/kotlinc/node_modules/kotlin-compiler"
kotlinc="$kotlin_home/bin/kotlinc"
stdlib="$kotlin_home/lib/kotlin-stdlib.jar"
coroutines="$kotlin_home/lib/kotlinx-coroutines-core-jvm.jar"
jna_jar=/usr/share/java/jna.jar
mobile_lib="$debug/libcarebase_mobile.so"

start=$(date +%s)
missing=()
need() { [ -e "$1" ] || missing+=("$1 ($2)"); }
need "$python" "run bindings-python/test.sh"
need "$root/bindings-node/index.mjs" "bindings-node checkout"
compgen -G "$root/bindings-node/carebase.*.node" >/dev/null ||
    missing+=("$root/bindings-node/carebase.*.node (run bindings-node/test.sh)")
need "$mobile_lib" "run bindings-mobile/test.sh"
need "$kotlinc" "run bindings-mobile/test.sh"
need "$stdlib" "run bindings-mobile/test.sh"
need "$coroutines" "run bindings-mobile/test.sh"
need "$jna_jar" "apt libjna-java; run bindings-mobile/test.sh"
gen_jars=("$cache"/mobile-kotlin/classes/carebase-*.jar)
if [ ! -e "${gen_jars[0]}" ]; then
    missing+=("$cache/mobile-kotlin/classes/carebase-*.jar (run bindings-mobile/test.sh)")
elif [ "${#gen_jars[@]}" -ne 1 ]; then
    missing+=("exactly one $cache/mobile-kotlin/classes/carebase-*.jar, found ${#gen_jars[@]} (rerun bindings-mobile/test.sh)")
fi
for tool in node java cargo; do
    command -v "$tool" >/dev/null || missing+=("$tool on PATH")
done
if [ -e "$python" ] && ! "$python" -c 'import carebase._native' 2>/dev/null; then
    missing+=("carebase importable from $python (run bindings-python/test.sh)")
fi
if ((${#missing[@]})); then
    echo "cross-language: missing artefacts — build the bindings first:" >&2
    printf '  - %s\n' "${missing[@]}" >&2
    echo "0 passed, 4 failed"
    exit 2
fi
gen_jar="${gen_jars[0]}"

work="$(mktemp -d "${TMPDIR:-/tmp}/carebase-cross-language.XXXXXX")"
if [ -z "${KEEP:-}" ]; then trap 'rm -rf "$work"' EXIT; else echo "work dir: $work"; fi
db="$work/clinic.db"
expected="$work/expected.json"
# The audit key every language opens the file with: kept outside the database,
# as a host keeps it (a fresh random one each run).
CAREBASE_AUDIT_KEY="$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')"
export CAREBASE_AUDIT_KEY

# Build the readers first (so the timed part below is only the proof).
echo "== build Rust reader"
cargo build -q -p carebase-examples --bin cross-language-read --manifest-path "$root/Cargo.toml" || {
    echo "cross-language: cargo build of cross-language-read failed" >&2
    echo "0 passed, 4 failed"
    exit 1
}
echo "== compile Read.kt"
kt_cache="$cache/cross-language"
kt_key="$( (cat "$here/Read.kt"; basename "$gen_jar") | sha256sum | cut -c1-16)"
kt_jar="$kt_cache/read-$kt_key.jar"
if [ ! -f "$kt_jar" ]; then
    mkdir -p "$kt_cache"
    rm -f "$kt_cache"/read-*.jar
    if "$kotlinc" -nowarn -jvm-target 17 -cp "$jna_jar:$coroutines:$gen_jar" -d "$kt_jar.tmp.jar" "$here/Read.kt"; then
        mv "$kt_jar.tmp.jar" "$kt_jar"
    else
        rm -f "$kt_jar.tmp.jar"
        echo "cross-language: kotlinc Read.kt failed" >&2
    fi
fi

passed=0
failed=0
step() {
    local name="$1"
    shift
    echo "== $name"
    if "$@"; then
        passed=$((passed + 1))
        echo "-- $name: ok"
    else
        failed=$((failed + 1))
        echo "-- $name: FAILED"
        return 1
    fi
}

if step python "$python" "$here/write.py" "$db" "$expected"; then
    step rust "$debug/cross-language-read" "$db" "$expected"
    step node node "$here/read.mjs" "$db" "$expected"
    if [ -f "$kt_jar" ]; then
        step kotlin java -Djna.library.path="$debug" \
            -cp "$kt_jar:$gen_jar:$stdlib:$coroutines:$jna_jar" ReadKt "$db" "$expected"
    else
        step kotlin false
    fi
else
    echo "cross-language: the Python writer failed; the readers have nothing to read" >&2
    failed=$((failed + 3))
fi

echo "-- cross-language: $(($(date +%s) - start))s"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
