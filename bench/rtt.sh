#!/usr/bin/env bash
# Benchmark: round trips. `rdp-doctor check` (and `--deep`) through the lab's delay proxy at 0, 25, 50 and
# 100 ms round trip against IronRDP's acceptor, FreeRDP's shadow server and xrdp, N runs each (default 5);
# prints the probe's time beside the minimum the protocol needs (X.224 1, TLS 1.3 1 / 1.2 2, CredSSP 1) and
# the ratio. Needs root and the packages scripts/test.sh installs. Traffic stays on 127.0.0.1.
#
#     bench/rtt.sh [N]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
exec cargo bench --locked -p rdp-doctor --bench rtt -- "${1:-5}"
