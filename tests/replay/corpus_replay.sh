#!/bin/bash
# Replays one corpus with the real mailtrail binary into a fresh SQLite store and
# checks every record against the ground truth with compare_records.py. Passes only
# when every check passes except the ones inherent_gaps.py proves unanswerable
# from a log (and those must fail exactly as counted, or the gap logic is wrong).
# usage: corpus_replay.sh MAILTRAIL CORPUS [mysql]   (e.g. 05-backscatter-flood.rfc3339)
# With "mysql" the store is a fresh database of the MariaDB whose socket is in
# MAILTRAIL_TEST_MYSQL_SOCKET (the ctest fixture `mariadb`).
set -euo pipefail
bin=$1 name=$2 backend=${3:-sqlite}
here=$(cd "$(dirname "$0")" && pwd)
data=$here/../data/corpus
base=${name%.rfc3339}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
store=sqlite:$tmp/t.db
store2=sqlite:$tmp/t2.db  # for the replay of an overlapping rotated set, below
store3=sqlite:$tmp/t3.db  # for two replays of a log cut inside messages, below
if [ "$backend" = mysql ]; then
  sock=${MAILTRAIL_TEST_MYSQL_SOCKET:?the mariadb fixture names its socket here}
  db=corpus_$(echo "$name" | tr -c 'a-zA-Z0-9\n' _)_$$
  mariadb --no-defaults -uroot -S "$sock" -e "DROP DATABASE IF EXISTS $db; CREATE DATABASE $db;
    DROP DATABASE IF EXISTS ${db}_2; CREATE DATABASE ${db}_2;
    DROP DATABASE IF EXISTS ${db}_3; CREATE DATABASE ${db}_3"
  trap 'mariadb --no-defaults -uroot -S "$sock" -e "DROP DATABASE IF EXISTS $db; DROP DATABASE IF EXISTS ${db}_2; DROP DATABASE IF EXISTS ${db}_3"; rm -rf "$tmp"' EXIT
  store="mysql://root@localhost/$db?socket=$sock"
  store2="mysql://root@localhost/${db}_2?socket=$sock"
  store3="mysql://root@localhost/${db}_3?socket=$sock"
  "$bin" db migrate --store "$store" > /dev/null
  "$bin" db migrate --store "$store2" > /dev/null
  "$bin" db migrate --store "$store3" > /dev/null
fi
"$bin" replay --quiet --store "$store" --detail full --year 2026 "$data/$name.log.gz"
if [ "$backend" = mysql ]; then
  # A replay of a larger log left the indexes out while it wrote (mysql_bulk.cc):
  # they are all back, as a freshly migrated database has them.
  indexes() {
    mariadb --no-defaults -N -B -uroot -S "$sock" -e "SELECT TABLE_NAME, INDEX_NAME, NON_UNIQUE,
      SEQ_IN_INDEX, COLUMN_NAME, SUB_PART FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = '$1'
      ORDER BY 1, 2, 4; SELECT k FROM $1.mailtrail_meta WHERE k LIKE 'deferred%'"
  }
  if [ "$(indexes "$db")" != "$(indexes "${db}_2")" ]; then
    echo "FAIL: the replay's indexes differ from a fresh database's"
    diff <(indexes "$db") <(indexes "${db}_2") || true
    exit 1
  fi
fi
"$bin" search --store "$store" --format jsonl --limit 100000000 > "$tmp/records.jsonl"
summary=$(python3 "$here/../tools/compare_records.py" "$data/$base.groundtruth.jsonl.gz" \
          "$tmp/records.jsonl" 2> "$tmp/misses")
read -r gap_r gap_f < <(python3 "$here/inherent_gaps.py" "$data/$base.groundtruth.jsonl.gz")
echo "$name ($backend): $summary (unanswerable from the log: $gap_r recipients, $gap_f fields)"
if [[ ! $summary =~ ^([0-9]+)/([0-9]+)\ recipients,\ ([0-9]+)/([0-9]+)\ fields$ ]]; then
  echo "unexpected checker output"; exit 1
fi
ok_r=${BASH_REMATCH[1]} n_r=${BASH_REMATCH[2]} ok_f=${BASH_REMATCH[3]} n_f=${BASH_REMATCH[4]}
if (( n_r == 0 )); then echo "nothing was checked"; exit 1; fi
if (( ok_r != n_r - gap_r || ok_f != n_f - gap_f )); then
  echo "FAIL: want $((n_r - gap_r))/$n_r recipients and $((n_f - gap_f))/$n_f fields"
  cat "$tmp/misses"
  exit 1
fi
# Every record is valid JSON with the docs/record.md keys.
python3 - "$tmp/records.jsonl" <<'PY'
import json, sys
keys = {"host", "qid", "message_id", "first_seen", "last_seen", "client", "sasl_username",
        "sender", "subject", "size", "outcome", "recipients", "reject", "scans", "parent_qid",
        "child_qids", "ndr_qid", "ndr_of"}
n = 0
for line in open(sys.argv[1]):
    r = json.loads(line)
    missing = keys - r.keys()
    assert not missing, f"record lacks {missing}: {line[:200]}"
    n += 1
assert n > 0
PY
# `mailtrail report` reads the same records through the same store: its counts
# by outcome must be those of the records searched above, a recipient handed
# on to a next leg (a filter's reply names the leg, or a requeue) counted on
# that leg. A .forward's hop ("forwarded as") counts, as pflogsumm's does.
"$bin" report --store "$store" --format json --top 3 > "$tmp/report.json"
python3 - "$tmp/records.jsonl" "$tmp/report.json" <<'PY'
import collections, json, sys
messages, recipients = collections.Counter(), collections.Counter()
for line in open(sys.argv[1]):
    r = json.loads(line)
    messages[r["outcome"]] += 1
    for rc in r["recipients"]:
        text = rc.get("status_text") or ""
        handed_on = rc["outcome"] == "delivered" and (
            rc.get("relay") == "requeue" or (not text.startswith("forwarded as ") and
                                             any(c in text for c in r["child_qids"])))
        if not handed_on:
            recipients[rc["outcome"]] += 1
report = json.load(open(sys.argv[2]))
got_m = {k: v for k, v in report["messages"].items() if v}
got_r = {k: v for k, v in report["recipients"].items() if v}
assert got_m == dict(messages), f"report messages {got_m} != records {dict(messages)}"
assert got_r == dict(recipients), f"report recipients {got_r} != records {dict(recipients)}"
assert report["records"] == sum(messages.values())
PY
echo "report agrees with the records"
# search as an admin uses it: the table's header and host column, --limit saying
# how many more match, a Message-ID with its brackets, a subject in another case.
python3 - "$bin" "$store" "$tmp/records.jsonl" <<'PY'
import json, subprocess, sys
bin, store, path = sys.argv[1:]
records = [json.loads(line) for line in open(path)]
def search(*args):
    p = subprocess.run([bin, "search", "--store", store, *args], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    return p.stdout, p.stderr
out, err = search("--limit", "1")
lines = out.splitlines()
assert len(lines) == 2, f"want a header and one row, got {lines}"
assert lines[0].split()[:3] == ["first_seen", "host", "qid"], f"header {lines[0]!r}"
assert lines[1].split()[1] == records[0]["host"], f"host column of {lines[1]!r}"
want = f"{len(records) - 1} more records match"
assert want in err, f"stderr {err!r} lacks {want!r}"
out, err = search("--limit", str(len(records)), "--format", "jsonl")
assert len(out.splitlines()) == len(records) and "more" not in err, err
with_id = next(r for r in records if r["message_id"])
plain, _ = search("--message-id", with_id["message_id"], "--format", "jsonl")
bracketed, _ = search("--message-id", "<" + with_id["message_id"] + ">", "--format", "jsonl")
assert plain and bracketed == plain, f"<{with_id['message_id']}> found {bracketed!r}"
with_subject = next((r for r in records if r["subject"] and r["subject"].isascii()
                     and r["subject"].lower() != r["subject"].upper()), None)
if with_subject:
    word = with_subject["subject"]
    lower, _ = search("--subject", word.lower(), "--format", "jsonl", "--limit", "100000")
    upper, _ = search("--subject", word.upper(), "--format", "jsonl", "--limit", "100000")
    exact, _ = search("--subject", word, "--format", "jsonl", "--limit", "100000")
    assert exact and lower == exact and upper == exact, f"subject {word!r} in other cases"
# --outcome X: the messages whose outcome is X, and the mixed ones with a
# recipient whose outcome is X (as the console's filter); --outcome mixed: those.
def key(r):
    return (r["host"], r["qid"], r["first_seen"])
for name in sorted({r["outcome"] for r in records} | {x["outcome"] for r in records
                                                       for x in r["recipients"]}):
    want = {key(r) for r in records if r["outcome"] == name or (
        r["outcome"] == "mixed" and any(x["outcome"] == name for x in r["recipients"]))}
    out, _ = search("--outcome", name, "--format", "jsonl", "--limit", "100000000")
    got = {key(json.loads(line)) for line in out.splitlines()}
    assert got == want, f"--outcome {name}: {len(got)} records, want {len(want)}"
PY
echo "search: header, host, limit, brackets, case and outcomes as documented"
# Replays are idempotent: the same log again adds nothing and says so; a
# rotated set replayed after its older file was (mail.log.1 yesterday, then
# mail.log.1 mail.log today) gives the store of one replay of the whole.
n=$(wc -l < "$tmp/records.jsonl")
out=$("$bin" replay --store "$store" --detail full --year 2026 "$data/$name.log.gz")
"$bin" search --store "$store" --format jsonl --limit 100000000 > "$tmp/again.jsonl"
cmp -s "$tmp/records.jsonl" "$tmp/again.jsonl" || { echo "FAIL: a second replay changed the store"; diff <(sort "$tmp/records.jsonl") <(sort "$tmp/again.jsonl") | head; exit 1; }
[[ $out == *"0 records written ($n already in the store"* ]] || { echo "FAIL: replay said: $out"; exit 1; }
zcat "$data/$name.log.gz" > "$tmp/all.log"
lines=$(wc -l < "$tmp/all.log")
head -n $((lines * 3 / 5)) "$tmp/all.log" > "$tmp/mail.log.1"
tail -n +$((lines * 3 / 5 + 1)) "$tmp/all.log" > "$tmp/mail.log"
"$bin" replay --quiet --store "$store2" --detail full --year 2026 "$tmp/mail.log.1"
out=$("$bin" replay --store "$store2" --detail full --year 2026 "$tmp/mail.log.1" "$tmp/mail.log")
"$bin" search --store "$store2" --format jsonl --limit 100000000 > "$tmp/rotated.jsonl"
if ! cmp -s <(sort "$tmp/records.jsonl") <(sort "$tmp/rotated.jsonl"); then
  echo "FAIL: mail.log.1, then mail.log.1 mail.log differs from one replay ($out)"
  diff <(sort "$tmp/records.jsonl") <(sort "$tmp/rotated.jsonl") | cut -c1-300 | head
  exit 1
fi
echo "replays are idempotent: $out"
# The same log cut inside messages, read as two replays (mail.log.1
# yesterday, mail.log today): each message the cut split goes on from the
# record the first replay left open, so the store is that of one replay of
# the whole; and reading mail.log again changes nothing.
"$bin" replay --quiet --store "$store3" --detail full --year 2026 "$tmp/mail.log.1"
out=$("$bin" replay --store "$store3" --detail full --year 2026 "$tmp/mail.log")
"$bin" search --store "$store3" --format jsonl --limit 100000000 > "$tmp/parts.jsonl"
if ! cmp -s <(sort "$tmp/records.jsonl") <(sort "$tmp/parts.jsonl"); then
  echo "FAIL: mail.log.1, then mail.log differs from one replay ($out)"
  diff <(sort "$tmp/records.jsonl") <(sort "$tmp/parts.jsonl") | cut -c1-300 | head
  exit 1
fi
"$bin" replay --quiet --store "$store3" --detail full --year 2026 "$tmp/mail.log"
"$bin" search --store "$store3" --format jsonl --limit 100000000 > "$tmp/parts2.jsonl"
cmp -s "$tmp/parts.jsonl" "$tmp/parts2.jsonl" || { echo "FAIL: mail.log again changed the store"; diff <(sort "$tmp/parts.jsonl") <(sort "$tmp/parts2.jsonl") | cut -c1-300 | head; exit 1; }
echo "a log cut inside messages, read as two replays, is one replay: $out"
