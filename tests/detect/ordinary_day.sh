#!/bin/bash
# The other side of detection: an ordinary busy day's bounces block nobody.
# tests/tools/gen_postfix_log.py writes 30,000 accepted messages at 50 per second
# (about 270,000 lines: rejects, deferrals, bounces, our own notices, 1/15 of the
# inbound mail titled "Delivery Status Notification" by people) and
# `mailtrail detect` with the default rules must decide no block while it still
# counts the real bounces.
# usage: ordinary_day.sh MAILTRAIL
set -euo pipefail
bin=$1
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 "$here/../tools/gen_postfix_log.py" --messages 30000 --seed 7 > "$tmp/day.log"
"$bin" detect --year 2026 --allow 127.0.0.1/32 --all "$tmp/day.log" > "$tmp/blocks" 2> "$tmp/summary"
cat "$tmp/summary"
[ ! -s "$tmp/blocks" ] || { echo "FAIL: blocks on an ordinary day:"; head "$tmp/blocks"; exit 1; }
bounces=$(sed -n 's/^mailtrail detect: \([0-9]*\) bounces.*/\1/p' "$tmp/summary")
(( bounces > 0 )) || { echo "FAIL: no bounce counted at all"; exit 1; }
echo "ok: $bounces bounces, no block"
