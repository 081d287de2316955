#!/usr/bin/env bash
# Benchmark: `rdp-doctor check` against a loopback xrdp, side by side with xfreerdp +auth-only and nmap's
# rdp-enum-encryption, N runs each (default 20). Prints min/median/p90 and ratios. Needs root and the
# packages scripts/test.sh installs (run that once first). Traffic stays on 127.0.0.1.
#
#     bench/run.sh [N]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
exec cargo bench --locked -p rdp-doctor --bench anchors -- "${1:-20}"
