#!/usr/bin/env bash
# Runs the whole rdp-doctor test suite on a Debian 12 machine:
#
#     scripts/test.sh [extra cargo test args...]
#
# 1. Installs the Debian packages the suite needs, but only if one of them is
#    missing (so a second run goes straight to cargo). Needs root or sudo for
#    that step only.
# 2. Runs `cargo test --workspace --locked --no-fail-fast "$@"`: every test
#    binary runs even when an earlier one fails, so one failure cannot hide
#    the others.
#
# The integration tests start real xrdp and FreeRDP shadow servers on
# 127.0.0.1 and create network namespaces (crate rdp-doctor-lab); those need
# root. They use their own ports and never touch a system xrdp service.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

# Packages the suite needs. xrdp, freerdp2-shadow-x11 (freerdp-shadow-cli),
# freerdp2-x11 (xfreerdp) and xvfb are the lab's real servers and client;
# iproute2 + iptables build the firewalled network namespaces; nmap and tshark
# are used for cross-checks (wireshark-common ships dumpcap and editcap);
# libssl-dev + pkg-config for crates that link OpenSSL; ca-certificates for
# TLS verification against the system store; krb5-kdc, krb5-admin-server
# (kadmin.local) and krb5-user (kinit, kvno) are the Kerberos lab (a real MIT
# KDC on 127.0.0.88, started and stopped by the test); time is GNU time for
# the capture bench; chromium opens the HTML reports headless (tests and the
# report bench) and cmark-gfm renders the Markdown reports as GitHub does.
# python3-evtx (evtx_dump.py) is a second reader of the evtx fixtures of
# rdp-doctor-client, written by rdp_doctor_lab::evtx.
# wine64 runs the Windows build (rdp-doctor.exe) in the
# Wine tests; gcc-mingw-w64-x86-64 is its linker (.cargo/config.toml) and the
# C compiler of its vendored OpenSSL (with perl and make) and of the Wine
# harness's shim DLL (its -win32 flavour provides x86_64-w64-mingw32-gcc).
#
# Every program the suite runs is listed, with its package, in
# crates/rdp-doctor-lab/src/tools.rs (TOOLS); crates/rdp-doctor-lab/tests/tools.rs
# checks with dpkg -S that each belongs to a package of this list.
PACKAGES=(
    xrdp freerdp2-shadow-x11 freerdp2-x11 xvfb
    krb5-kdc krb5-admin-server krb5-user
    libssl-dev pkg-config
    iproute2 iptables util-linux mount coreutils dash dpkg
    nmap tshark wireshark-common openssl time
    prometheus icinga2-bin
    chromium cmark-gfm
    libwin-hivex-perl xz-utils python3-evtx
    python3-minimal python3-jsonschema
    ca-certificates
    wine64 gcc-mingw-w64-x86-64 gcc-mingw-w64-x86-64-win32 perl make
)

log() { printf '[test.sh] %s\n' "$*" >&2; }

missing_packages() {
    local pkg status
    for pkg in "${PACKAGES[@]}"; do
        status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
        if [[ "$status" != "installed" ]]; then
            printf '%s\n' "$pkg"
        fi
    done
}

as_root() {
    if [[ $EUID -eq 0 ]]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo -n "$@" || sudo "$@"
    else
        log "need root to run: $*  (run as root, or install sudo)"
        exit 1
    fi
}

install_missing() {
    local missing
    mapfile -t missing < <(missing_packages)
    if [[ ${#missing[@]} -eq 0 ]]; then
        log "all required Debian packages are installed"
        return
    fi
    log "installing missing packages: ${missing[*]}"
    # tshark asks whether non-root users may capture; answer "no" up front so
    # the install never prompts.
    echo 'wireshark-common wireshark-common/install-setuid boolean false' \
        | as_root debconf-set-selections
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
    # Installing xrdp may try to start the system xrdp service (invoke-rc.d);
    # harmless: the lab runs its own instances on other ports and copes with
    # a system xrdp's pid file.
    # With recommends, as on the machines the suite was verified on (xvfb's
    # fonts and xkb data, xrdp's ssl-cert snakeoil certificate).
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
        "${missing[@]}"
}

install_missing

if ! command -v cargo >/dev/null 2>&1 && [[ -f "$HOME/.cargo/env" ]]; then
    # shellcheck source=/dev/null
    . "$HOME/.cargo/env"
fi
if ! command -v cargo >/dev/null 2>&1; then
    log "cargo not found: install the Rust toolchain (rustup, Rust >= 1.95)"
    exit 1
fi

if [[ $EUID -ne 0 ]]; then
    log "WARNING: not root: the lab's network-namespace and xrdp tests will fail"
    log "         (they need CAP_NET_ADMIN and xrdp's root-only keys); run as root"
fi

# The Windows build (issue 16): the Wine tests cross-compile rdp-doctor.exe.
if command -v rustup >/dev/null 2>&1 && ! rustup target list --installed | grep -qx x86_64-pc-windows-gnu; then
    log "adding the Rust target x86_64-pc-windows-gnu (for rdp-doctor.exe)"
    rustup target add x86_64-pc-windows-gnu
fi

log "cargo test --workspace --locked --no-fail-fast $*"
exec cargo test --workspace --locked --no-fail-fast "$@"
