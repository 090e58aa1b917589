#!/usr/bin/env bash
# Where the bytes of the device library go: builds carebase-mobile without
# PostgreSQL (what Android and iOS ship) for this host with a cargo profile
# (default `mobile`), keeps the symbols for the breakdown, and prints the
# stripped size, the largest sections and the bytes per crate (nm).
#
# With the profile `mobile` the relative relocations are packed (ELF
# `DT_RELR`: `-z pack-relative-relocs`, this host's spelling of what the
# Android targets get from .cargo/config.toml), so the figure is the
# shipped configuration; `--unpacked` leaves them as `.rela.dyn` entries.
#   bash bindings-mobile/size.sh [profile] [--unpacked] [-- extra rustc flags for the library]
# e.g. bash bindings-mobile/size.sh            # the device build
#      bash bindings-mobile/size.sh artifact   # the desktop profile, for comparison
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/cache/carebase/target}"
export CARGO_BUILD_TARGET="${CARGO_BUILD_TARGET:-x86_64-unknown-linux-gnu}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
profile=mobile
case "${1:-}" in ""|-*) ;; *) profile=$1; shift ;; esac
packed=$([ "$profile" = mobile ] && echo true || echo false)
[ "${1:-}" = "--unpacked" ] && { packed=false; shift; }
[ "${1:-}" = "--" ] && shift
flags=()
$packed && flags+=(-C link-arg=-Wl,-z,pack-relative-relocs)
# `cargo rustc` passes the flags to the library only: the dependencies are
# the profile's own build, reused.
cargo rustc -p carebase-mobile --lib --profile "$profile" --crate-type cdylib -- -C strip=none "${flags[@]}" "$@"
lib="$CARGO_TARGET_DIR/$CARGO_BUILD_TARGET/$profile/libcarebase_mobile.so"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
strip --strip-all -o "$scratch/stripped.so" "$lib"
echo "profile $profile, no PostgreSQL, relocations $($packed && echo packed || echo unpacked), stripped: $(stat -c %s "$scratch/stripped.so") bytes"
echo "largest sections:"
size -A "$scratch/stripped.so" | awk 'NR > 2 && $2 > 50000 { printf "  %-20s %9d\n", $1, $2 }' | sort -k2 -n -r
echo "relative relocations left unpacked (.rela.dyn): $(readelf -rW "$lib" | grep -c R_X86_64_RELATIVE || true)"
python3 - "$lib" <<'PY'
"""Bytes per crate: each symbol's size (nm -S) under its crate's name."""
import collections, re, subprocess, sys
out = subprocess.run(["nm", "-S", "--size-sort", "-C", sys.argv[1]],
                     capture_output=True, text=True, check=True).stdout
crates, total = collections.Counter(), 0
for line in out.splitlines():
    parts = line.split(" ", 3)
    if len(parts) < 4:
        continue
    size, name = int(parts[1], 16), parts[3]
    total += size
    bare = re.sub(r"^[<&(\[]+|^(dyn |mut )+", "", name)
    while bare != (bare := re.sub(r"^[<&(\[]+|^(dyn |mut )+", "", bare)):
        pass
    m = re.match(r"([A-Za-z_][A-Za-z0-9_]*)::", bare)
    crates[m.group(1) if m else "(C: SQLite, libc glue; unnamed)"] += size
print(f"named symbols: {total} bytes; by crate (top 25):")
for crate, size in crates.most_common(25):
    print(f"  {size / 1000:8.1f} KB {100 * size / total:5.1f}%  {crate}")
PY
