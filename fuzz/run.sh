#!/usr/bin/env bash
# Runs every fuzz target in turn (or those named) for SECONDS_PER_TARGET each, with libFuzzer's memory and
# time limits set, and prints per target: executions, coverage (edges) and features, and crashes found.
#
#   fuzz/run.sh [SECONDS_PER_TARGET] [TARGET...]      (default 60 s, every target of `cargo fuzz list`)
#
# Needs a nightly toolchain and cargo-fuzz (see README.md, "Fuzzing"). Environment:
#   FUZZ_TOOLCHAIN  toolchain for cargo (default: nightly)
#   FUZZ_RSS_MB     -rss_limit_mb (default 2048): more is an out-of-memory crash
#   FUZZ_TIMEOUT    -timeout in seconds for one input (default 10): longer is a hang
#   FUZZ_NO_BUILD=1 skip the build (binaries already built by this script)
#   CARGO_TARGET_DIR  where cargo puts the build (default fuzz/target)
#
# New inputs go to fuzz/runs/corpus/TARGET (not committed; the committed seeds in fuzz/corpus/TARGET are
# read only), crashes to fuzz/artifacts/TARGET/, and one line per target and run is appended to
# fuzz/runs/totals.tsv, so campaigns over several runs can be added up. Run long campaigns under
# `nice -n 19` on a shared machine.
set -euo pipefail

secs="${1:-60}"
[ $# -gt 0 ] && shift
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"
toolchain="${FUZZ_TOOLCHAIN:-nightly}"
rss="${FUZZ_RSS_MB:-2048}"
per_input="${FUZZ_TIMEOUT:-10}"

if ! cargo "+$toolchain" fuzz --version >/dev/null 2>&1; then
    echo "cargo-fuzz with a nightly toolchain is needed: rustup toolchain install nightly; cargo install cargo-fuzz --locked" >&2
    exit 2
fi
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    mapfile -t targets < <(cargo "+$toolchain" fuzz list)
fi
# Release with debug assertions (integer overflow is a crash, as in `cargo test`); no sanitizer: the code
# under test is safe Rust (unsafe_code is forbidden), and the speed goes to executions instead.
if [ "${FUZZ_NO_BUILD:-}" != 1 ]; then
    cargo "+$toolchain" fuzz build -O -a -s none >&2
fi
triple="$(rustc "+$toolchain" -vV | sed -n 's/^host: //p')"
bin_dir="${CARGO_TARGET_DIR:-$here/target}/$triple/release"

# The dictionary of each target: protocol constants (fuzz/dict/*.dict), several joined where a target
# reads several layers.
dict_for() {
    case "$1" in
        x224_*|mcs|server_pdu) echo "rdp" ;;
        tls_*|der_x509) echo "tls" ;;
        credssp|ntlm|spnego|kerberos) echo "auth" ;;
        tsgu|gateway_http|http_chunked|websocket) echo "gateway" ;;
        rdpeudp|dtls) echo "udp" ;;
        capture_*) echo "capture rdp tls auth gateway udp" ;;
        keylog) echo "capture" ;;
        rdpfile) echo "rdpfile" ;;
        hive*|evtx|host_*) echo "host" ;;
        client_events) echo "host events" ;;
        scan_*|monitor_config) echo "config" ;;
        *) echo "" ;;
    esac
}
# Input size bound: whole files need room (an evtx chunk is 64 KiB), single PDUs do not.
max_len_for() {
    case "$1" in
        evtx) echo 200000 ;;
        capture_raw|hive) echo 65536 ;;
        capture_*|hive_values|client_events) echo 16384 ;;
        *) echo 4096 ;;
    esac
}

mkdir -p runs
# Targets that take a path (hives, event logs) write their input here (in memory when /dev/shm exists).
scratch="$(mktemp -d "$( [ -d /dev/shm ] && echo /dev/shm || echo "${TMPDIR:-/tmp}")/rdp-doctor-fuzz.XXXXXX")"
trap 'rm -rf "$scratch"' EXIT
export RDP_DOCTOR_FUZZ_SCRATCH="$scratch"
printf '%-16s %12s %8s %8s %8s %s\n' target executions cov ft crashes notes
total_crashes=0
for t in "${targets[@]}"; do
    dict="runs/$t.dict"
    : >"$dict"
    for d in $(dict_for "$t"); do cat "dict/$d.dict" >>"$dict"; done
    dict_arg=()
    [ -s "$dict" ] && dict_arg=("-dict=$dict")
    mkdir -p "runs/corpus/$t" "corpus/$t" "artifacts/$t"
    # Crashes, timeouts, out-of-memory and leaks count; slow units (-report_slow_units, wall time on a
    # loaded machine) are listed in the notes only.
    before=$(find "artifacts/$t" -type f ! -name 'slow-unit-*' | wc -l)
    slow_before=$(find "artifacts/$t" -type f -name 'slow-unit-*' | wc -l)
    log="runs/$t.log"
    set +e
    "$bin_dir/$t" -max_total_time="$secs" -rss_limit_mb="$rss" -malloc_limit_mb="$rss" -timeout="$per_input" \
        -max_len="$(max_len_for "$t")" -print_final_stats=1 -artifact_prefix="artifacts/$t/" "${dict_arg[@]}" \
        "runs/corpus/$t" "corpus/$t" >"$log" 2>&1
    rc=$?
    set -e
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    last=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
    cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
    ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
    after=$(find "artifacts/$t" -type f ! -name 'slow-unit-*' | wc -l)
    crashes=$((after - before))
    slow=$(($(find "artifacts/$t" -type f -name 'slow-unit-*' | wc -l) - slow_before))
    total_crashes=$((total_crashes + crashes))
    notes=""
    [ "$rc" -ne 0 ] && notes="exit $rc: $(grep -m1 -E 'ERROR: libFuzzer|panicked at|SUMMARY' "$log" || true)"
    [ "$slow" -gt 0 ] && notes="$notes $slow slow unit(s), see artifacts/$t/"
    printf '%-16s %12s %8s %8s %8s %s\n' "$t" "${execs:-0}" "${cov:-?}" "${ft:-?}" "$crashes" "$notes"
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$(date -u +%FT%TZ)" "$t" "$secs" "${execs:-0}" "${cov:-}" "${ft:-}" \
        "$crashes" >>runs/totals.tsv
done
[ "$total_crashes" -eq 0 ] || { echo "$total_crashes crash(es): see fuzz/artifacts/" >&2; exit 1; }
