#!/usr/bin/env bash
# Benchmark: where parallel connections turn into fake packet loss. Opens N = 1..8 connections at the same
# instant to the lab's xrdp and FreeRDP shadow server (ROUNDS bursts each, default 10), each sending an X.224
# request, and counts those slower than 700 ms (a retransmitted SYN or handshake ACK: the server's accept
# queue overflowed). The probe's per-host bound (rdp_doctor_probe::gate::PER_HOST) stays below the first N
# that shows it. Needs root and the packages scripts/test.sh installs. Traffic stays on 127.0.0.1.
#
#     bench/burst.sh [ROUNDS]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
exec cargo bench --locked -p rdp-doctor --bench burst -- "${1:-10}"
