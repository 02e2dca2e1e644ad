#!/usr/bin/env bash
# Debian's `prometheus` package (prometheus and promtool), unpacked, not installed: no service
# is started, no dependency pulled in (the two are self-contained Go binaries; the web UI's
# JavaScript packages are not needed for the API). Prints the directory holding bin/.
#
#   tests/tools/prometheus.sh      (as root on a Debian host; apt lists must be current)
#
# Used by .ci/run (promtool for tests/export.rs) and tests/vm/run.sh (prometheus in the guest,
# scenario 11). The unpacked package is kept in CGTUI_PROMETHEUS_DIR (default
# /opt/cgtui-ci/prometheus) and reused.
set -euo pipefail
dir=${CGTUI_PROMETHEUS_DIR:-/opt/cgtui-ci/prometheus}
if [ -x "$dir/usr/bin/prometheus" ] && [ -x "$dir/usr/bin/promtool" ]; then
    echo "$dir/usr/bin"
    exit 0
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/cgtui-prometheus.XXXXXX")
trap 'rm -rf "$work"' EXIT
for attempt in 1 2 3; do
    (cd "$work" && apt-get download -qq prometheus >/dev/null 2>&1) && break
    echo "prometheus.sh: apt-get download prometheus failed (attempt $attempt), retrying" >&2
    [ "$attempt" = 2 ] && apt-get update -qq >/dev/null 2>&1 || true
    sleep 5
done
deb=$(ls "$work"/prometheus_*.deb 2>/dev/null | head -1)
[ -n "$deb" ] || { echo "prometheus.sh: cannot download Debian's prometheus package" >&2; exit 1; }
mkdir -p "$dir.part"
dpkg-deb -x "$deb" "$dir.part"
rm -rf "$dir"
mv "$dir.part" "$dir"
"$dir/usr/bin/promtool" --version >/dev/null
echo "$dir/usr/bin"
