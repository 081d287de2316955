#!/usr/bin/env bash
# Every figure of issue 22's speed table in one run, each beside its anchor, as ratios:
#   1. rtt     the demo's check (IronRDP in-process, goal <= 50 ms); `check` and `check --deep` through the lab's delay proxy at 0/25/50/100 ms round trip against
#              IronRDP's acceptor, FreeRDP's shadow server and xrdp: the probe's time beside the protocol's
#              minimum (goal <= 1.2x), --deep / check (goal <= 2x; also with --parallel 8, to show what the
#              per-host bound of 3 costs --deep), xfreerdp +auth-only as the anchor; ends
#              with the issue's table (each figure against its goal);
#   2. anchors `check` against xrdp beside xfreerdp +auth-only and nmap rdp-enum-encryption (wall times);
#   3. burst   where parallel connections turn into fake loss on xrdp and the shadow server (the bound);
#   4. capture `capture` on a generated SIZE_MB capture beside tshark -Y rdp (goal >= 50x), peak memory.
# The machine's load average is printed first: wall times on a loaded machine are inflated (the round-trip
# ratios and tshark ratios much less so). Needs root and the packages scripts/test.sh installs.
#
#     bench/all.sh [RUNS] [SIZE_MB]      (defaults 5 and 1100)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
runs="${1:-5}"
size="${2:-1100}"
echo "== load: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
echo "== 1. round trips, --deep, xfreerdp anchor"
cargo bench --locked -p rdp-doctor --bench rtt -- "$runs"
echo "== 2. check beside xfreerdp and nmap (xrdp)"
cargo bench --locked -p rdp-doctor --bench anchors -- "$runs"
echo "== 3. the per-host bound"
cargo bench --locked -p rdp-doctor --bench burst -- "$runs"
echo "== 4. capture beside tshark"
cargo bench --locked -p rdp-doctor --bench capture -- "$size"
# impacket (rdp_check.py) is not among the lab's packages (scripts/test.sh): say so rather than skip silently.
if command -v impacket-rdp_check >/dev/null || command -v rdp_check.py >/dev/null; then
    echo "== impacket is installed but not an anchor here: its rdp_check needs credentials and is not in the lab's TOOLS"
else
    echo "== impacket: not installed (not in scripts/test.sh's packages), so no impacket anchor"
fi
echo "== load at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
