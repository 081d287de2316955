#!/usr/bin/env bash
# Regenerates the example reports shown in README.md: the demo's HTML report and that of a real capture
# from the test data (a connection setup with silences and retransmitted SYNs, zeek's rdp-x509.pcap), each
# with a screenshot taken by Debian's headless Chromium (scripts/test.sh installs it).
#
#     scripts/example-reports.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

cargo build -q -p rdp-doctor
bin=${CARGO_TARGET_DIR:-$PWD/target}/debug/rdp-doctor

"$bin" demo --format html -o docs/example-demo.html
(cd crates/rdp-doctor-pcap/tests/data && "$bin" capture zeek/rdp-x509.pcap --format html \
    -o "$OLDPWD/docs/example-capture.html" --fail-on never)

profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
shot() {
    timeout 60 chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
        --disable-component-update --disable-sync --no-first-run --user-data-dir="$profile/$1" \
        --hide-scrollbars --window-size=1000,"$2" --screenshot="$PWD/docs/$1.png" "file://$PWD/docs/$1.html" \
        2>/dev/null
}
shot example-demo 1450
shot example-capture 1500
ls -l docs/example-*
