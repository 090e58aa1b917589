#!/usr/bin/env bash
# Kotlin (JVM + JNA) tests of the carebase mobile binding.
# Self-contained and idempotent: installs kotlinc (npm, cached) and JNA (apt)
# when missing, builds the cdylib and the matching uniffi-bindgen (debug, the
# shared target dir), generates the Kotlin package, compiles it with the tests
# and runs them. Prints `N passed, M failed`; exits non-zero on any failure.
# Extra arguments select tests by name.
#
#   bash test.sh --jar   # the same tests against the JAR `package.sh --debug`
#                        # builds (its Maven dependencies, no jna.library.path),
#                        # after a hello-world program built on it
#   bash test.sh --no-postgres
#                        # the same tests against the library as a device gets
#                        # it: no PostgreSQL driver and no async runtime (the
#                        # JVM's coroutines poll the futures, as Android's and
#                        # Swift's executors do), without the PostgreSQL tests
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/cache/carebase/target}"
export CARGO_BUILD_TARGET="${CARGO_BUILD_TARGET:-x86_64-unknown-linux-gnu}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
mkdir -p "$CARGO_TARGET_DIR" 2>/dev/null || export CARGO_TARGET_DIR="$HOME/.cache/carebase/target"
cache="${CAREBASE_CACHE:-$(dirname "$CARGO_TARGET_DIR")}"

KOTLIN_VERSION=2.4.20
kotlin_home="$cache/kotlinc/node_modules/kotlin-compiler"
jna_jar=/usr/share/java/jna.jar
work="$cache/mobile-kotlin"

step() { printf '\n== %s ==\n' "$*"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
apt_install() {
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null 2>&1 || {
        as_root apt-get update -q >/dev/null
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null
    }
}

jar_mode=false
features=postgres
if [ "${1:-}" = "--jar" ]; then jar_mode=true; shift; fi
if [ "${1:-}" = "--no-postgres" ]; then
    features=""
    # Without the driver `postgres://` is `UnsupportedStore`: the runner
    # leaves PostgresTest.kt's tests out.
    export CAREBASE_WITHOUT_POSTGRES=1
    shift
fi

step "tools"
command -v cargo >/dev/null || { echo "cargo is required"; exit 1; }
command -v java >/dev/null || apt_install default-jre-headless
[ -f "$jna_jar" ] || apt_install libjna-java
if [ "$(cat "$kotlin_home/package.json" 2>/dev/null | grep -o "\"version\": *\"$KOTLIN_VERSION\"" || true)" = "" ]; then
    command -v npm >/dev/null || apt_install npm
    mkdir -p "$cache/kotlinc"
    npm install --silent --no-audit --no-fund --prefix "$cache/kotlinc" "kotlin-compiler@$KOTLIN_VERSION"
fi
kotlinc="$kotlin_home/bin/kotlinc"
chmod +x "$kotlin_home"/bin/* 2>/dev/null || true
stdlib="$kotlin_home/lib/kotlin-stdlib.jar"
coroutines="$kotlin_home/lib/kotlinx-coroutines-core-jvm.jar"
# The agreement runner (tests/kotlin/AgreementTest.kt) builds records by reflection.
reflect="$kotlin_home/lib/kotlin-reflect.jar"
for f in "$kotlinc" "$stdlib" "$coroutines" "$reflect" "$jna_jar"; do
    [ -e "$f" ] || { echo "missing $f"; exit 1; }
done
echo "kotlinc $KOTLIN_VERSION, $(java -version 2>&1 | head -1), jna $jna_jar"

if $jar_mode; then
    step "the JAR (package.sh --debug) and a hello-world on it"
    jar="$(bash "$here/package.sh" --debug | tail -n 1)"
    deps="$(cat "$(dirname "$jar")/classpath.txt")"
    hello="$work/hello"
    rm -rf "$hello" && mkdir -p "$hello"
    "$kotlinc" -nowarn -jvm-target 17 -cp "$jar:$deps" -d "$hello" "$here/tests/jar/Hello.kt"
    (cd / && java -cp "$jar:$deps:$hello" HelloKt)
    step "compile the tests against the JAR"
    mkdir -p "$work/classes"
    tests_jar="$work/classes/tests-on-jar.jar"
    rm -f "$tests_jar"
    "$kotlinc" -nowarn -jvm-target 17 -cp "$jar:$deps:$reflect" -d "$tests_jar" "$here"/tests/kotlin/*.kt
    step "run (no jna.library.path)"
    exec java -cp "$tests_jar:$jar:$deps:$reflect" CarebaseTestKt "$@"
fi

if [ -n "$features" ]; then
    step "build cdylib (with PostgreSQL, as the JVM JAR) + uniffi-bindgen (debug)"
else
    step "build cdylib (without PostgreSQL, as a device) + uniffi-bindgen (debug)"
fi
cargo build -p carebase-mobile --lib --bin uniffi-bindgen ${features:+--features "$features"}
out="$CARGO_TARGET_DIR/$CARGO_BUILD_TARGET/debug"
lib="$out/libcarebase_mobile.so"

step "generate Kotlin"
rm -rf "$work/gen"
mkdir -p "$work/gen" "$work/classes"
"$out/uniffi-bindgen" generate --no-format --library "$lib" --language kotlin --out-dir "$work/gen"
generated="$(find "$work/gen" -name '*.kt' | sort)"
echo "$generated"

step "compile"
cp_compile="$jna_jar:$coroutines"
# The generated package only changes with the Rust API: compile it once per
# version of its source, then the tests against it.
gen_hash="$(cat $generated | sha256sum | cut -c1-16)"
gen_jar="$work/classes/carebase-$gen_hash.jar"
if [ ! -f "$gen_jar" ]; then
    rm -f "$work"/classes/carebase-*.jar
    "$kotlinc" -nowarn -jvm-target 17 -cp "$cp_compile" -d "$gen_jar.tmp.jar" $generated
    mv "$gen_jar.tmp.jar" "$gen_jar"
fi
tests_jar="$work/classes/tests.jar"
rm -f "$tests_jar"
"$kotlinc" -nowarn -jvm-target 17 -cp "$cp_compile:$reflect:$gen_jar" -d "$tests_jar" "$here"/tests/kotlin/*.kt

step "run"
java -Djna.library.path="$out" \
    -cp "$tests_jar:$gen_jar:$stdlib:$coroutines:$reflect:$jna_jar" \
    CarebaseTestKt "$@"
