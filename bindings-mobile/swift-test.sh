#!/usr/bin/env bash
# Swift tests of the carebase mobile binding, on Linux.
# Bookworm has no Swift toolchain, so this builds (once, cached) a Debian
# trixie chroot with `swiftlang` 6.0.3 under $CAREBASE_CACHE/trixie, builds
# the cdylib + uniffi-bindgen (debug, shared target dir), generates the Swift
# package sources into swift/Sources, and builds the SwiftPM package
# (swift/Package.swift) + runs its smoke test inside the chroot. Needs root (chroot).
# Then builds and runs the README's Swift blocks (scripts/test-docs
# --swift-out). Prints `N passed, M failed` and one line per block; exits
# non-zero on any failure. Not wired into CI.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/cache/carebase/target}"
export CARGO_BUILD_TARGET="${CARGO_BUILD_TARGET:-x86_64-unknown-linux-gnu}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
cache="${CAREBASE_CACHE:-$(dirname "$CARGO_TARGET_DIR")}"
root="$cache/trixie"
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"

mkdir -p "$CARGO_TARGET_DIR" "$cache"

step() { printf '\n== %s ==\n' "$*"; }
[ "$(id -u)" = 0 ] || { echo "swift-test.sh needs root (debootstrap/chroot)"; exit 1; }

step "trixie chroot with swiftlang (cached at $root)"
if [ ! -f "$root/.carebase-swift-ready" ]; then
    command -v debootstrap >/dev/null || {
        apt-get install -y -q debootstrap >/dev/null 2>&1 ||
            { apt-get update -q >/dev/null && apt-get install -y -q debootstrap >/dev/null; }
    }
    mountpoint -q "$root/proc" 2>/dev/null && umount "$root/proc"
    rm -rf "$root"
    mkdir -p "$root"
    debootstrap --variant=minbase trixie "$root" "$mirror" >"$cache/trixie-debootstrap.log" 2>&1 ||
        { tail -20 "$cache/trixie-debootstrap.log"; exit 1; }
    cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
    chroot "$root" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        swiftlang libc6-dev >"$cache/trixie-swift.log" 2>&1 ||
        { tail -20 "$cache/trixie-swift.log"; exit 1; }
    touch "$root/.carebase-swift-ready"
fi

# swiftc finds its runtime through /proc; unmount what we mounted on exit.
if ! mountpoint -q "$root/proc"; then
    mount -t proc proc "$root/proc"
    trap 'umount "$root/proc" 2>/dev/null || true' EXIT
fi
chroot "$root" swiftc --version 2>&1 | head -1

step "build cdylib + uniffi-bindgen (debug)"
cargo build -p carebase-mobile --lib --bin uniffi-bindgen
out="$CARGO_TARGET_DIR/$CARGO_BUILD_TARGET/debug"
lib="$out/libcarebase_mobile.so"

step "generate Swift into swift/Sources"
gen="$(mktemp -d)"
"$out/uniffi-bindgen" generate --no-format --library "$lib" --language swift --out-dir "$gen"
# Two files per language, one per crate (core's types `carebase`, the
# `Clinic` `carebase_mobile`), compiled into the one module `Carebase`; their
# headers form the one clang module `CarebaseFFI`.
rm -rf swift/Sources
mkdir -p swift/Sources/Carebase swift/Sources/CarebaseFFI
cp "$gen"/*.swift swift/Sources/Carebase/
cp "$gen"/*.h swift/Sources/CarebaseFFI/
# SwiftPM system-library module: the generated headers, linked to the cdylib.
cat >swift/Sources/CarebaseFFI/module.modulemap <<'EOF'
module CarebaseFFI {
    header "carebaseFFI.h"
    header "carebase_mobileFFI.h"
    link "carebase_mobile"
    export *
}
EOF
rm -rf "$gen"
ls swift/Sources/*

step "swift build (SwiftPM, swift/Package.swift) + run in the chroot"
w=/work/carebase-swift
mkdir -p "$root$w/lib"
rm -rf "$root$w/Sources" "$root$w/Tests" "$root$w/Docs"
cp -r swift/Package.swift swift/Sources swift/Tests "$root$w/"
cp "$lib" "$root$w/lib/"
# The README's Swift blocks, extracted (never copied by hand): one
# executable each, which Package.swift picks up from Docs/.
python3 ../scripts/test-docs --swift-out "$root$w/Docs"
chroot "$root" env HOME=/root bash -c "set -o pipefail; cd $w && swift build --manifest-cache none -Xlinker -L$w/lib 2>&1 | tail -5"
status=0
chroot "$root" env LD_LIBRARY_PATH="$w/lib" "$w/.build/debug/CarebaseSmoke" "$@" || status=$?

step "README Swift blocks, each run in a fresh empty directory"
for block in "$root$w"/Docs/*/; do
    name=$(basename "$block")
    log=$(mktemp)
    if chroot "$root" env LD_LIBRARY_PATH="$w/lib" bash -c \
        "set -e; d=\$(mktemp -d); cd \$d; $w/.build/debug/$name; rm -rf \$d" >"$log" 2>&1; then
        echo "  ok   $name"
    else
        echo "  FAIL $name:"
        sed 's/^/       /' "$log"
        status=1
    fi
    rm -f "$log"
done
exit "$status"
