#!/usr/bin/env bash
# Builds the carebase JAR for the JVM: the native library (cargo), the Kotlin
# API generated from it (uniffi-bindgen), compiled by Maven with the Kotlin
# Maven plugin, the library inside on JNA's resource path
# (linux-x86-64/libcarebase_mobile.so). Dependencies (declared in pom.xml):
# kotlin-stdlib, kotlinx-coroutines-core-jvm, jna.
#
#   bash package.sh            # release: profile `artifact` (size), with PostgreSQL
#   bash package.sh --debug    # the debug library (what test.sh runs against)
#
# Prints the JAR's path last, and writes the runtime classpath of its
# dependencies next to it (`classpath.txt`). Self-contained: Maven downloads
# the plugin and dependencies from Maven Central once (cached).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/cache/carebase/target}"
export CARGO_BUILD_TARGET="${CARGO_BUILD_TARGET:-x86_64-unknown-linux-gnu}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
mkdir -p "$CARGO_TARGET_DIR" 2>/dev/null || export CARGO_TARGET_DIR="$HOME/.cache/carebase/target"
cache="${CAREBASE_CACHE:-$(dirname "$CARGO_TARGET_DIR")}"

profile=artifact
features=postgres
while [ $# -gt 0 ]; do
    case "$1" in
        --debug) profile=dev ;;
        --no-postgres) features="" ;;
        *) echo "usage: package.sh [--debug] [--no-postgres]" >&2; exit 2 ;;
    esac
    shift
done
dir=$([ "$profile" = dev ] && echo debug || echo "$profile")
work="$cache/mobile-jar/$dir"
m2="$cache/m2"

step() { printf '\n== %s ==\n' "$*"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
command -v mvn >/dev/null || as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q maven >/dev/null

step "build the library (profile $profile${features:+, $features}) and uniffi-bindgen"
cargo build -p carebase-mobile --lib --profile "$profile" ${features:+--features "$features"}
# The bindgen as test.sh builds it (same features: no rebuild in between).
cargo build -p carebase-mobile --bin uniffi-bindgen --features postgres
lib="$CARGO_TARGET_DIR/$CARGO_BUILD_TARGET/$dir/libcarebase_mobile.so"
bindgen="$CARGO_TARGET_DIR/$CARGO_BUILD_TARGET/debug/uniffi-bindgen"

step "generate the Kotlin API"
rm -rf "$work/generated" "$work/native"
mkdir -p "$work/generated" "$work/native/linux-x86-64"
# uniffi reads the API from symbols that the `artifact` profile strips, so a
# release JAR's Kotlin is generated from the debug build of the same sources
# (the same API and checksums, which the Kotlin side verifies at load time).
described="$lib"
if [ "$profile" != dev ]; then
    cargo build -p carebase-mobile --lib ${features:+--features "$features"}
    described="$CARGO_TARGET_DIR/$CARGO_BUILD_TARGET/debug/libcarebase_mobile.so"
fi
"$bindgen" generate --no-format --library "$described" --language kotlin --out-dir "$work/generated"
find "$work/generated" -name '*.kt' | sort
# The debug library carries 200 MB of debug info the tests never read.
if [ "$profile" = dev ]; then
    objcopy --strip-debug "$lib" "$work/native/linux-x86-64/libcarebase_mobile.so"
else
    cp "$lib" "$work/native/linux-x86-64/libcarebase_mobile.so"
fi

step "maven package"
mvn -q -B -f "$here/pom.xml" -Dmaven.repo.local="$m2" \
    -Dcarebase.build="$work/maven" \
    -Dcarebase.generated="$work/generated" \
    -Dcarebase.native="$work/native" \
    package dependency:build-classpath -Dmdep.outputFile="$work/classpath.txt"
jar="$work/maven/carebase-0.1.0.jar"
[ -f "$jar" ] || { echo "maven built no $jar"; exit 1; }
cp "$jar" "$work/carebase.jar"
echo "native library: $(stat -c %s "$work/native/linux-x86-64/libcarebase_mobile.so") bytes"
echo "$work/carebase.jar"
