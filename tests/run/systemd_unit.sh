#!/bin/bash
# The unit, sysusers and tmpfiles files are valid for systemd (checked offline
# with systemd-analyze verify against the built binary).
# usage: systemd_unit.sh MAILTRAIL SOURCE_DIR
set -euo pipefail
bin=$1 src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sed "s|/usr/local/bin/mailtrail|$bin|g" "$src/systemd/mailtrail.service" > "$tmp/mailtrail.service"
out=$(systemd-analyze verify --man=no "$tmp/mailtrail.service" 2>&1 || true)
# Only complaints about the machine (no user mailtrail, no running systemd) are allowed.
bad=$(grep -v -e "mailtrail.*user" -e "Failed to connect" -e "^$" <<< "$out" || true)
if [ -n "$bad" ]; then echo "systemd-analyze: $bad"; exit 1; fi
grep -q '^Type=notify' "$tmp/mailtrail.service"
grep -q '^NoNewPrivileges=yes' "$tmp/mailtrail.service"
grep -q '^RestartPreventExitStatus=65 78$' "$tmp/mailtrail.service"
grep -q '^CapabilityBoundingSet=$' "$tmp/mailtrail.service"
# The reconcile timer and its one-shot service (issue 19 item 4).
for u in mailtrail-reconcile.service mailtrail-reconcile.timer; do
  sed "s|/usr/local/bin/mailtrail|$bin|g" "$src/systemd/$u" > "$tmp/$u"
done
out=$(systemd-analyze verify --man=no "$tmp/mailtrail-reconcile.timer" "$tmp/mailtrail-reconcile.service" 2>&1 || true)
bad=$(grep -v -e "Failed to connect" -e "^$" <<< "$out" || true)
if [ -n "$bad" ]; then echo "systemd-analyze (reconcile): $bad"; exit 1; fi
grep -q '^OnUnitActiveSec=30s$' "$tmp/mailtrail-reconcile.timer"
grep -q 'enforce --reconcile --config' "$tmp/mailtrail-reconcile.service"
grep -q '^u mailtrail ' "$src/systemd/mailtrail.sysusers"
grep -q '^m mailtrail adm' "$src/systemd/mailtrail.sysusers"
echo "unit ok"
