#!/usr/bin/env bash
# Benchmark: `rdp-doctor capture` against `tshark -r FILE -Y rdp -q` on a generated capture of SIZE_MB
# (default 1100; many interleaved RDP connections rewritten from the real test captures). Prints wall time,
# MB/s, peak memory and the ratio; a file four times smaller is run too, to show memory does not grow with
# the file. Needs tshark and GNU time (/usr/bin/time); the capture is built in a temporary directory.
#
#     bench/capture.sh [SIZE_MB]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
exec cargo bench --locked -p rdp-doctor --bench capture -- "${1:-1100}"
