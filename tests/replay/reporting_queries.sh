#!/bin/bash
# Keeps docs/reporting.md true: replays three corpora into SQLite and into MariaDB
# (the ctest fixture's server) and runs every query of the document's first part
# (the report views, "run as shown on both stores") on both. Each query must run
# and return as many rows on both; every view must exist on both, with the same
# columns. `show` and `stats` must print the same from both stores.
# usage: reporting_queries.sh MAILTRAIL DOC
set -euo pipefail
bin=$1 doc=$2
here=$(cd "$(dirname "$0")" && pwd)
data=$here/../data/corpus
sock=${MAILTRAIL_TEST_MYSQL_SOCKET:?the mariadb fixture names its socket here}
tmp=$(mktemp -d)
db=reports_$$
my() { mariadb --no-defaults -uroot -S "$sock" -N -B "$@"; }
trap 'my -e "DROP DATABASE IF EXISTS $db"; rm -rf "$tmp"' EXIT
my -e "CREATE DATABASE $db"
mysql_url="mysql://root@localhost/$db?socket=$sock"
"$bin" db migrate --store "$mysql_url" > /dev/null
logs=("$data/02-smtp-rejects.log.gz" "$data/03-outbound-relay-bounce.log.gz" "$data/05-backscatter-flood.log.gz")
"$bin" replay --quiet --store "sqlite:$tmp/r.db" --year 2026 "${logs[@]}"
"$bin" replay --quiet --store "$mysql_url" --year 2026 "${logs[@]}"

# The queries: ```sql blocks before the schema sections, one statement per ";".
python3 - "$doc" > "$tmp/queries.sql" <<'PY'
import re, sys
text = open(sys.argv[1]).read().split("## MySQL/MariaDB schema")[0]
for block in re.findall(r"```sql\n(.*?)```", text, re.S):
    for stmt in block.split(";"):
        if stmt.strip():
            print(" ".join(stmt.split()) + ";")
PY
n=0
while IFS= read -r q; do
  n=$((n + 1))
  a=$(sqlite3 "$tmp/r.db" "$q" | wc -l)
  b=$(my "$db" -e "$q" | wc -l)
  echo "query $n: $a rows (SQLite), $b rows (MariaDB): ${q:0:70}"
  if (( a == 0 || b == 0 )); then echo "FAIL: a documented query returned nothing"; exit 1; fi
  if (( a != b )); then echo "FAIL: the two stores disagree on the same logs"; exit 1; fi
done < "$tmp/queries.sql"
(( n >= 7 )) || { echo "FAIL: only $n queries found in $doc"; exit 1; }
for v in $(grep -o '^| `[a-z_]*`' "$doc" | tr -d '|` '); do
  sc=$(sqlite3 "$tmp/r.db" "SELECT group_concat(name, ',') FROM pragma_table_info('$v')")
  mc=$(my "$db" -e "SELECT GROUP_CONCAT(COLUMN_NAME ORDER BY ORDINAL_POSITION) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = '$v'")
  [ -n "$sc" ] && [ -n "$mc" ] || { echo "FAIL: view $v missing (SQLite: '$sc', MariaDB: '$mc')"; exit 1; }
  case $v in messages | recipients) continue ;; esac  # shapes differ a little (ids, epochs)
  [ "$sc" = "$mc" ] || { echo "FAIL: $v columns differ: SQLite $sc / MariaDB $mc"; exit 1; }
done
# show and stats say the same on both stores.
for qid in $("$bin" search --store "sqlite:$tmp/r.db" --outcome bounced --limit 3 --format jsonl |
             python3 -c 'import json,sys; [print(json.loads(l)["qid"]) for l in sys.stdin]'); do
  diff <("$bin" show --store "sqlite:$tmp/r.db" "$qid") <("$bin" show --store "$mysql_url" "$qid") ||
    { echo "FAIL: show $qid differs between the stores"; exit 1; }
done
diff <("$bin" stats --store "sqlite:$tmp/r.db") <("$bin" stats --store "$mysql_url") ||
  { echo "FAIL: stats differ between the stores"; exit 1; }
echo "ok: $n queries, views alike, show and stats alike"
