#!/bin/bash
# Address verification probes (tests/data/probes/README.md, a real Postfix 3.7's
# log) through the real binary into a fresh store: every record's outcome, the
# report's counts and the `recipients` view. Postfix's probes and `sendmail -bv`
# deliver nothing: their recipients are "deliverable" or "undeliverable", never
# counted as delivered or bounced mail.
# usage: verify_probes.sh MAILTRAIL [mysql]   (mysql: the ctest fixture's MariaDB,
# its socket in MAILTRAIL_TEST_MYSQL_SOCKET)
set -euo pipefail
bin=$1 backend=${2:-sqlite}
here=$(cd "$(dirname "$0")" && pwd)
log=$here/../data/probes/verify-probes.log
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
store=sqlite:$tmp/t.db
view() { python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()[0])' "$tmp/t.db" "$1"; }
if [ "$backend" = mysql ]; then
  sock=${MAILTRAIL_TEST_MYSQL_SOCKET:?the mariadb fixture names its socket here}
  db=probes_$$
  my() { mariadb --no-defaults -uroot -S "$sock" -N -B "$@"; }
  my -e "DROP DATABASE IF EXISTS $db; CREATE DATABASE $db"
  trap 'my -e "DROP DATABASE IF EXISTS $db"; rm -rf "$tmp"' EXIT
  store="mysql://root@localhost/$db?socket=$sock"
  "$bin" db migrate --store "$store" > /dev/null
  view() { my "$db" -e "$1"; }
fi
"$bin" replay --quiet --store "$store" --year 2026 "$log"
"$bin" search --store "$store" --limit 1000 --format jsonl > "$tmp/records.jsonl"
"$bin" report --store "$store" --since 2026-12-05 --format json > "$tmp/report.json"
python3 - "$tmp/records.jsonl" "$tmp/report.json" <<'PY'
import json, sys
records = {r["qid"]: r for r in map(json.loads, open(sys.argv[1])) if r["qid"]}
want = {  # qid: (outcome, the recipient's dsn)
    "A1768A80491": ("deliverable", "2.0.0"),    # Postfix's probe, a known mailbox
    "A02C3A80102": ("undeliverable", "5.1.1"),  # ... an unknown one
    "A36C1A80112": ("undeliverable", "4.4.1"),  # ... a relay that refused: not deferred
    "ABF6EA80133": ("undeliverable", "5.1.1"),  # sendmail -bv
    "B6E72A8048C": ("deliverable", "2.0.0"),
    "B3E13A80452": ("delivered", "2.0.0"),      # the notifications -bv mails back
    "B9492A80453": ("delivered", "2.0.0"),
}
bad = 0
for qid, (outcome, dsn) in want.items():
    r = records.get(qid)
    got = (r["outcome"], r["recipients"][0]["outcome"], r["recipients"][0]["dsn"]) if r else None
    if got != (outcome, outcome, dsn):
        print("FAIL: %s is %s, want %s" % (qid, got, (outcome, outcome, dsn)))
        bad += 1
report = json.load(open(sys.argv[2]))
for kind in ("messages", "recipients"):
    counts = {k: v for k, v in report[kind].items() if v}
    expected = {"delivered": 2, "deliverable": 2, "undeliverable": 3, "rejected": 4}
    if kind == "messages":
        expected["expired"] = 2  # two sessions that quit after RCPT
    if counts != expected:
        print("FAIL: the report's %s by outcome: %s, want %s" % (kind, counts, expected))
        bad += 1
sys.exit(1 if bad else 0)
PY
for outcome in deliverable:2 undeliverable:3 delivered:2 bounced:0; do
  n=$(view "SELECT COUNT(*) FROM recipients WHERE outcome = '${outcome%:*}'")
  if [ "$n" != "${outcome#*:}" ]; then
    echo "FAIL: the recipients view has $n ${outcome%:*} rows, want ${outcome#*:}"
    exit 1
  fi
done
echo "OK: verification probes are deliverable/undeliverable ($backend)"
