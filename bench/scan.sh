#!/usr/bin/env bash
# Benchmark: `rdp-doctor scan` over a fleet of TARGETS (default 10000) on this machine: IronRDP's acceptor
# on 127.50.x.y, the lab's xrdp and FreeRDP shadow servers, refused ports, hosts in network namespaces
# behind iptables DROP. Prints targets/s per kind, how the time splits, peak RSS for a quarter and the
# whole fleet, and nmap's rdp-enum-encryption,ssl-cert over 500 of the same targets with the ratio.
# Needs root and the packages scripts/test.sh installs. Traffic stays on loopback and our namespaces.
#
#     bench/scan.sh [TARGETS]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
exec cargo bench --locked -p rdp-doctor --bench scan -- "${1:-10000}"
