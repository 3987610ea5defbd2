#!/bin/bash
# `mailtrail queue show|scan` on the real queue files of tests/data/queue: a
# file found by its (hashed, long) queue id in any queue, its envelope and
# headers as postcat saw them, the NDRs waiting in deferred counted as outgoing
# backscatter; a corrupt file named and the rest still scanned; a queue the
# user may not read refused with the reason.
# usage: queue_cli.sh MAILTRAIL DATA_DIR
set -euo pipefail
bin=$1 data=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
q08=$data/08-long-queue-ids

# show: by queue id (deferred/A/ holds a long id not hashed by its first letter)
out=$("$bin" queue show --queue-dir "$q08" 4jbXWM4s33z8CD0)
grep -q '^sender:    <>   (a bounce)$' <<< "$out" || fail "show: $out"
grep -q '^recipient: sender2@dead.test$' <<< "$out" || fail "show recipient: $out"
grep -q '^  Content-Type: multipart/report; report-type=delivery-status; boundary=' <<< "$out" ||
  fail "folded header not joined: $out"
json=$("$bin" queue show --format json "$q08/hold/4jbXWW0SRjz8CBC")
python3 - "$json" "$q08/hold/4jbXWW0SRjz8CBC.postcat.txt" <<'PY'
import json, sys
q = json.loads(sys.argv[1])
postcat = open(sys.argv[2]).read()
for field, prefix in (("sender", "sender: "),):
    want = next(l[len(prefix):] for l in postcat.splitlines() if l.startswith(prefix))
    assert q[field] == want, (field, q[field], want)
assert "Subject: " + q["subject"] in postcat and q["subject"] == "Case 79698: status changed", q
assert q["client_address"] == "127.0.5.142" and q["recipients"][0]["address"] == "nadia@example.test", q
assert q["complete"] and not q["bounce"], q
PY
"$bin" queue show --queue-dir "$q08" 4jbXWd1ZVZz8CDd 2> "$tmp/err" && fail "an empty incoming file shown"
grep -q "empty (still being written" "$tmp/err" || fail "no reason: $(cat "$tmp/err")"
"$bin" queue show --queue-dir "$q08" ABCDEF12345 2> "$tmp/err" && fail "a missing id found"
grep -q "is in no queue" "$tmp/err" || fail "no reason: $(cat "$tmp/err")"

# scan: counts per queue and the deferred NDRs to forged senders
s=$("$bin" queue scan --format json --queue-dir "$q08" --bounce-alert 3)
python3 - "$s" <<'PY'
import json, sys
s = json.loads(sys.argv[1])
assert s["queues"] == {"incoming": 1, "active": 2, "deferred": 12, "hold": 2, "corrupt": 0}, s
assert s["deferred_bounces"] == 3 and s["bounce_domains"] == {"dead.test": 3}, s
assert s["outgoing_backscatter"] and s["corrupt"] == 0 and s["incomplete"] == 1, s
PY
"$bin" queue scan --queue-dir "$q08" | grep -q "OUTGOING BACKSCATTER" && fail "alert below the default threshold"
s=$("$bin" queue scan --format json --queue-dir "$data/03-outbound-relay-bounce")
grep -q '"deferred":8.*"deferred_bounces":0' <<< "$s" || fail "03: $s"

# the unprivileged view: saved `postqueue -j` output, counted independently here
for d in 03-outbound-relay-bounce 06-volume 08-long-queue-ids; do
  s=$("$bin" queue scan --format json --postqueue-output "$data/$d/postqueue-j.jsonl")
  python3 - "$s" "$data/$d/postqueue-j.jsonl" <<'PY'
import collections, json, sys
s = json.loads(sys.argv[1])
rows = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
queues = collections.Counter(r["queue_name"] for r in rows)
ndrs = [r for r in rows if r["queue_name"] == "deferred" and r["sender"] == "MAILER-DAEMON"]
assert s["files"] == len(rows), (s, len(rows))
assert all(s["queues"][q] == n for q, n in queues.items()), (s, queues)
assert s["deferred_bounces"] == len(ndrs), s
PY
done

# a corrupt file is named, the others still counted
cp -r "$q08" "$tmp/q"
head -c 700 "$q08/deferred/5/4jbXWN2j9dz8CCq" > "$tmp/q/deferred/5/4jbXWN2j9dz8CCq"
printf '{"queue_name": "deferred", "sender": "MAILER-DAEMON"}\nnot json\n' > "$tmp/pq.jsonl"
s=$("$bin" queue scan --postqueue-output "$tmp/pq.jsonl")
grep -q "corrupt 1," <<< "$s" && grep -q "^error: postqueue line 2: not json" <<< "$s" ||
  fail "bad postqueue line: $s"
printf 'Z' | dd of="$tmp/q/hold/4jbXWW0SRjz8CBC" bs=1 conv=notrunc status=none
s=$("$bin" queue scan --queue-dir "$tmp/q")
grep -q "corrupt 2, incomplete 1" <<< "$s" || fail "corrupt scan: $s"
grep -q "^error: hold/4jbXWW0SRjz8CBC: queue file: unknown record type 0x5a at offset 0" \
  <<< "$s" || fail "corrupt file not named: $s"
grep -q "^error: deferred/4jbXWN2j9dz8CCq: queue file: record length 56 past the end of the file" \
  <<< "$s" || fail "truncated file not named: $s"
grep -q "bounces waiting in deferred: 3" <<< "$s" || fail "the rest not scanned: $s"

# a queue this user may not read: refused, with the reason
chmod 700 "$tmp/q/deferred"
if setpriv --reuid=65534 --regid=65534 --clear-groups "$bin" queue scan --queue-dir "$tmp/q" \
    > /dev/null 2> "$tmp/err"; then fail "unreadable queue scanned"; fi
grep -q "CAP_DAC_READ_SEARCH" "$tmp/err" || fail "no reason: $(cat "$tmp/err")"
# stats: the notifications this server made (from the log of the same Postfix), and the queue
"$bin" replay --quiet --store "sqlite:$tmp/s.db" --year 2026 "$data/../corpus/08-long-queue-ids.log.gz"
st=$("$bin" stats --store "sqlite:$tmp/s.db" --queue-dir "$q08")
python3 - "$st" "$data/../corpus/08-long-queue-ids.log.gz" <<'PY'
import gzip, re, sys
st = sys.argv[1]
log = gzip.open(sys.argv[2], "rt").read()
# independently: the ids of "sender non-delivery|delay notification: ID"
ndrs = set(re.findall(r"sender (?:non-delivery|delay) notification: (\w+)", log))
expired = {q for q in ndrs if re.search(q + r": from=<>, status=expired", log)}
section = st.split("Notifications this server made (NDRs, delay notices):")[1]
assert re.search(r"expired\s+%d\n" % len(expired), section), (section, len(expired))
assert re.search(r"total\s+%d" % len(ndrs), section), (section, len(ndrs))
assert "3 bounces waiting in deferred" in st, st
PY
# Not a regular file, or far too large: refused at once. A FIFO named like a
# queue file (or a configuration) is never opened for reading (that blocks
# until a writer comes); a 2 GB file is refused by its size before a byte is
# read (the peak memory of the run says so; a sparse file costs no disk).
mkfifo "$tmp/ABCDEF654321"
if timeout 10 "$bin" queue show "$tmp/ABCDEF654321" 2> "$tmp/err"; then fail "a FIFO shown"; fi
grep -q "not a regular file" "$tmp/err" || fail "queue show FIFO: $(cat "$tmp/err")"
rc=0; timeout 10 "$bin" check-config "$tmp/ABCDEF654321" 2> "$tmp/err" || rc=$?
[[ $rc -eq 78 ]] && grep -q "not a regular file" "$tmp/err" ||
  fail "check-config FIFO: exit $rc, $(cat "$tmp/err")"
truncate -s 2G "$tmp/ABCDEF777777"
python3 - "$bin" "$tmp/ABCDEF777777" <<'PY'
import resource, subprocess, sys
r = subprocess.run([sys.argv[1], "queue", "show", sys.argv[2]], capture_output=True, text=True,
                   timeout=60)
peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024
assert r.returncode == 1 and "is larger than" in r.stderr, (r.returncode, r.stderr)
assert peak_mib < 64, "read %d MiB of the file before refusing it" % peak_mib
PY
echo "queue_cli: ok"
