#!/usr/bin/env bash
# Builds the release binaries of rdp-doctor for Linux and Windows, with SHA-256 checksums:
#
#     scripts/release.sh [OUT_DIR]        # default: dist/
#
# OUT_DIR then holds
#     rdp-doctor-VERSION-x86_64-linux       the Linux binary (x86_64-unknown-linux-gnu; links the system's
#                                           libssl 3 and glibc, as Debian 12 has them)
#     rdp-doctor-VERSION-x86_64-windows.exe the Windows binary (x86_64-pc-windows-gnu; one file: OpenSSL and
#                                           the mingw runtime are linked in statically)
#     SHA256SUMS                            `sha256sum -c SHA256SUMS` checks both
# Both are stripped of their symbol tables.
#
# Needs (Debian 12): the Rust toolchain, `rustup target add x86_64-pc-windows-gnu` (done here when missing),
# and gcc-mingw-w64-x86-64, perl and make for the Windows build (scripts/test.sh installs them).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

out=${1:-dist}
log() { printf '[release.sh] %s\n' "$*" >&2; }

command -v x86_64-w64-mingw32-gcc >/dev/null \
    || { log "x86_64-w64-mingw32-gcc not found: apt-get install gcc-mingw-w64-x86-64"; exit 1; }
if ! rustup target list --installed | grep -qx x86_64-pc-windows-gnu; then
    log "adding the Rust target x86_64-pc-windows-gnu"
    rustup target add x86_64-pc-windows-gnu
fi

version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
target_dir=${CARGO_TARGET_DIR:-target}

log "building rdp-doctor $version for Linux"
cargo build --release --locked -p rdp-doctor
log "building rdp-doctor $version for Windows"
cargo build --release --locked --target x86_64-pc-windows-gnu -p rdp-doctor

mkdir -p "$out"
linux="rdp-doctor-$version-x86_64-linux"
windows="rdp-doctor-$version-x86_64-windows.exe"
# The shipped copies lose their symbol tables (a third of the size: 31 -> 25 MB on Linux, 56 -> 40 MB for the
# .exe, measured 2026-12-07); the binaries in the target dir keep them for perf and backtraces.
strip -o "$out/$linux" "$target_dir/release/rdp-doctor"
x86_64-w64-mingw32-strip -o "$out/$windows" "$target_dir/x86_64-pc-windows-gnu/release/rdp-doctor.exe"
(cd "$out" && sha256sum "$linux" "$windows" >SHA256SUMS && sha256sum -c --quiet SHA256SUMS)
log "done:"
(cd "$out" && ls -l "$linux" "$windows" && cat SHA256SUMS) >&2
