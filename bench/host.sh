#!/usr/bin/env bash
# Benchmark: `host --offline` on a volume with the real 12 MB SYSTEM hive, an 80 MB SOFTWARE hive and 200 MB
# of event logs (built in a temporary directory). Prints wall time and peak memory; target < 2 s, < 200 MB.
#
#     bench/host.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
exec cargo bench --locked -p rdp-doctor-host --bench offline
