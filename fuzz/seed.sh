#!/usr/bin/env bash
# Rebuilds the seed corpora in fuzz/corpus/TARGET from the repository's test data (captures, .rdp files,
# event logs, key logs, configurations) and the generated hives, then minimises each with `cargo fuzz cmin`.
# The committed corpora are the result; run this again after adding test data. Needs tshark (the lab's
# scripts/test.sh installs it), a nightly toolchain and cargo-fuzz.
#
#   fuzz/seed.sh [TARGET...]     (default: every target)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
cd "$here"
toolchain="${FUZZ_TOOLCHAIN:-nightly}"
raw="$(mktemp -d)"
trap 'rm -rf "$raw"' EXIT

put() { # put TARGET FILE...: copies files in, named by content hash
    local t="$1"; shift
    mkdir -p "$raw/$t"
    for f in "$@"; do
        [ -s "$f" ] || continue
        cp "$f" "$raw/$t/$(sha1sum "$f" | cut -c1-16)"
    done
}
put_hex() { # put_hex TARGET: hex payloads on stdin, one per line
    local t="$1" line
    mkdir -p "$raw/$t"
    while read -r line; do
        [ -n "$line" ] || continue
        printf '%s' "$line" | xxd -r -p >"$raw/tmp"
        [ -s "$raw/tmp" ] && mv "$raw/tmp" "$raw/$t/$(sha1sum "$raw/tmp" 2>/dev/null | cut -c1-16 || printf '%s' "$line" | sha1sum | cut -c1-16)"
    done
}

caps=$(find "$root/crates" -path '*/tests/data/*' \( -name '*.pcap' -o -name '*.pcapng' \) | sort)
small_caps=$(for c in $caps; do [ "$(stat -c %s "$c")" -le 65536 ] && echo "$c"; done)
# Whole captures (the small ones; the reader's paths do not need megabytes).
put capture_raw $small_caps
# Every TCP and UDP payload of every capture (`head` closes the pipe early: no pipefail here), for the single-PDU decoders (cmin keeps what adds coverage).
set +o pipefail
for c in $caps; do
    tshark -r "$c" -T fields -e tcp.payload -Y 'tcp.len > 0' 2>/dev/null | tr -d ':' | head -400
done | sort -u >"$raw/tcp.hex"
for c in $caps; do
    tshark -r "$c" -T fields -e udp.payload -Y 'udp.length > 8' 2>/dev/null | tr -d ':' | head -200
done | sort -u >"$raw/udp.hex"
set -o pipefail
put_hex tcp <"$raw/tcp.hex"
put_hex udp <"$raw/udp.hex"
for t in x224_request x224_confirm mcs server_pdu tls_handshake credssp ntlm spnego kerberos tsgu gateway_http \
    http_chunked websocket der_x509; do
    mkdir -p "$raw/$t"
    cp "$raw/tcp/"* "$raw/$t/"
done
for t in rdpeudp dtls kerberos; do
    mkdir -p "$raw/$t"
    cp "$raw/udp/"* "$raw/$t/"
done
# TLS streams (the walker target takes a cut size byte first).
mkdir -p "$raw/tls_stream"
i=0
while read -r line; do
    i=$((i + 1))
    { printf '\x40'; printf '%s' "$line" | xxd -r -p; } >"$raw/tls_stream/$i"
done < <(grep -E '^1[4-7]03' "$raw/tcp.hex" | head -200)
# Key logs, .rdp files (mode byte 0: the bytes as they are), event logs, configurations.
put keylog $(find "$root/crates" -path '*/tests/data/*' -name '*.keys')
mkdir -p "$raw/rdpfile"
for f in $(find "$root/crates" -path '*/tests/data/*' -name '*.rdp'); do
    { printf '\x00'; cat "$f"; } >"$raw/rdpfile/$(basename "$f")"
done
# The inputs that found defects (regression tests of rdp-doctor-rdpfile), already with their mode byte.
cp "$root"/crates/rdp-doctor-rdpfile/tests/data/fuzz/*.bin "$raw/rdpfile/"
put evtx $(find "$root/crates" -path '*/tests/data/*' -name '*.evtx' -size -100k)
# The client's log as wevtutil prints it, each twice: the first byte 0 (the newest failed attempt) and 0x11
# (--attempt 1 with --extended 7).
mkdir -p "$raw/client_events"
for f in "$root"/crates/rdp-doctor-client/tests/data/*.xml; do
    { printf '\x00'; cat "$f"; } >"$raw/client_events/$(basename "$f" .xml)"
    { printf '\x11'; cat "$f"; } >"$raw/client_events/$(basename "$f" .xml)-a1"
done
put monitor_config "$root/contrib/rdp-doctor-exporter.yml"
mkdir -p "$raw/scan_targets" "$raw/scan_jsonl" "$raw/host_values"
printf '10.0.0.5\n# comment\nrds1.example.test:3390,rds1.example.test,web\n[::1]:3389\n10.1.0.0/30,,lab\nh,gateway=gw.example.test:443\n' \
    >"$raw/scan_targets/list"
printf '10.0.0.0/24\n192.0.2.7:3389\n' >"$raw/scan_targets/cidr"
printf '{"scan":{"key":"10.0.0.5:3389"},"verdict":"ok","max_severity":null,"findings":[]}\n{"target":{"input":"H"},"verdict":"cert.expired","max_severity":"fail","findings":[{"id":"cert.expired","severity":"fail","title":"t"}]}\n{"scan":{"key":"x"' \
    >"$raw/scan_jsonl/run"
printf 'v2.30|Action=Allow|Active=TRUE|Dir=In|Protocol=6|LPort=3389|Profile=Domain|Profile=Private|RA4=LocalSubnet|App=%%SystemRoot%%\\system32\\svchost.exe|Svc=termservice|Name=@FirewallAPI.dll,-28775|EmbedCtxt=@FirewallAPI.dll,-28752|' \
    >"$raw/host_values/rule"
cargo "+$toolchain" run --quiet --release --example seeds -- "$raw" >&2

targets=("$@")
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(cargo "+$toolchain" fuzz list)
for t in "${targets[@]}"; do
    mkdir -p "corpus/$t"
    [ -d "$raw/$t" ] && cp -n "$raw/$t"/* "corpus/$t/" 2>/dev/null || true
    [ -d "runs/corpus/$t" ] && cp -n "runs/corpus/$t"/* "corpus/$t/" 2>/dev/null || true
    if [ -n "$(ls -A "corpus/$t")" ]; then
        cargo "+$toolchain" fuzz cmin -O -a -s none "$t" "corpus/$t" -- -rss_limit_mb=2048 -timeout=10 >"$raw/cmin.log" 2>&1 ||
            { echo "cmin $t failed:" >&2; tail -5 "$raw/cmin.log" >&2; }
    fi
    echo "$t: $(ls "corpus/$t" | wc -l) inputs, $(du -sk "corpus/$t" | cut -f1) KiB"
done
