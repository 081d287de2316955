#!/usr/bin/env bash
# Benchmark: the HTML page of a 1,000-host `rdp-doctor scan` (IronRDP's acceptor on loopback addresses and
# refused ports): its size, and how fast headless Chromium opens it and sorts its table. Fails when the page
# reaches 5 MB or the median load 2 s. Needs the packages scripts/test.sh installs (chromium).
#
#     bench/report.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
exec cargo bench --locked -p rdp-doctor --bench report
