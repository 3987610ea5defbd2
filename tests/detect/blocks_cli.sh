#!/bin/bash
# The `blocks` and `detect --save` verbs on a real SQLite store: decisions from
# replayed lines are kept but not live; blocks by hand are live, validated, and
# refused on loopback; extend moves an active block's end; remove ends a block; explain shows the rule, the subjects
# seen and the evidence messages.
# usage: blocks_cli.sh MAILTRAIL CORPUS_DIR
set -euo pipefail
# A command that fails outside `fail` (set -e) says which, not just the exit.
trap 'echo "FAIL: line $LINENO: $BASH_COMMAND (exit $?)"' ERR
bin=$1 data=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
st="sqlite:$tmp/b.db"
log=$data/05-backscatter-flood.log.gz
fail() { echo "FAIL: $*"; exit 1; }
# Corpus 05 has no subject that two flooding sources sent 50 times (what the
# subject rule needs by default): --subject-ips 1 lets one source suffice, so that
# subject blocks ('failure notice', 160 times from 127.0.9.11) are exercised too.
one="--subject-ips 1"

"$bin" replay --quiet --store "$st" --year 2026 "$log"
"$bin" detect --store "$st" --save --year 2026 --allow 127.0.0.1/32 $one "$log" > /dev/null 2> "$tmp/detect.err" ||
  fail "detect --save: $(cat "$tmp/detect.err")"
[ -z "$("$bin" blocks list --store "$st")" ] || fail "replayed decisions listed as live"
n=$("$bin" blocks list --all --format jsonl --store "$st" | grep -c '"live":false')
[ "$n" -ge 7 ] || fail "expected the corpus's blocks kept (not live), got $n"

# The dry run of enforcement: each backend's text for the blocks active at the end.
show=$("$bin" detect --show-enforcement --year 2026 --allow 127.0.0.1/32 $one "$log" 2>/dev/null)
grep -q '^-- policy service.*action=450 4.7.1 .* for 127.0.9.11 .*127.0.9.16; action=DUNNO' \
  <<< "$show" || fail "policy preview: $show"
grep -q '^   (their bounces, MAIL FROM:<>: action=450 4.7.1 .*; to postmaster@ and abuse@: action=DUNNO)' \
  <<< "$show" || fail "policy preview of bounces: $show"
[ "$(grep -c '^127.0.9.1[1-6] 450 4.7.1' <<< "$show")" = 6 ] || fail "access map preview: $show"
grep -qF '/^(?i:subject):[[:space:]]*failure[[:space:]]+notice[[:space:]]*$/i REJECT 5.7.1' <<< "$show" ||
  fail "header_checks preview: $show"
grep -q 'elements = { 127.0.9.11 timeout [0-9]*s, 127.0.9.12 timeout' <<< "$show" ||
  fail "nftables preview: $show"
grep -q 'dport { 25, 465, 587 } ip saddr @blocked4 drop' <<< "$show" || fail "nftables rule: $show"

"$bin" blocks add ip 198.51.100.9 --for 1h --reason "by hand" --store "$st" > /dev/null
"$bin" blocks add subject "Re: Undeliverable Mail 4711" --for 2h --store "$st" > /dev/null
out=$("$bin" blocks list --format jsonl --store "$st")
grep -q '"key":"198.51.100.9".*"live":true' <<< "$out" || fail "by-hand IP block missing: $out"
grep -q '"key":"undeliverable mail #".*"raw_subjects":\["Re: Undeliverable Mail 4711"\]' <<< "$out" ||
  fail "subject block not normalized: $out"
if "$bin" blocks add cidr 127.0.0.0/8 --for 1h --store "$st" 2> "$tmp/err"; then fail "loopback blocked"; fi
grep -q "loopback" "$tmp/err" || fail "no reason given: $(cat "$tmp/err")"
# Protected addresses are refused (exit 2, with the reason): loopback in every
# spelling, the unspecified and broadcast addresses, multicast, this machine's
# own addresses, Postfix's mynetworks and [blocks] allow; CIDRs covering any.
mkdir "$tmp/postfix"
printf 'compatibility_level = 3.7\nmynetworks = 203.0.113.0/24\n' > "$tmp/postfix/main.cf"
printf '[blocks]\nallow = ["198.51.100.128/25"]\npostfix_config_dir = "%s"\n' "$tmp/postfix" \
  > "$tmp/mt.toml"
own=$(ip -o addr show scope global | awk 'NR == 1 {split($4, a, "/"); print a[1]}')  # reads all: no SIGPIPE for ip
refuse() {  # refuse KIND KEY REASON-PATTERN
  local rc=0
  "$bin" blocks add "$1" "$2" --for 1h --config "$tmp/mt.toml" --store "$st" 2> "$tmp/err" > /dev/null ||
    rc=$?
  [ "$rc" = 2 ] || fail "blocks add $1 $2: exit $rc, want 2 ($(cat "$tmp/err"))"
  grep -q -- "$3" "$tmp/err" || fail "blocks add $1 $2: no reason '$3' in: $(cat "$tmp/err")"
}
refuse ip 127.0.0.99 loopback
refuse ip ::ffff:127.0.0.1 loopback
refuse ip ::1 loopback
refuse ip 0.0.0.0 unspecified
refuse ip :: unspecified
refuse ip 255.255.255.255 broadcast
refuse ip 224.0.0.251 multicast
refuse ip ff02::1 multicast
refuse cidr 0.0.0.0/0 unspecified
refuse ip 203.0.113.77 mynetworks
refuse cidr 203.0.0.0/16 mynetworks
refuse ip 198.51.100.200 "\[blocks\] allow"
refuse cidr 198.51.100.0/24 "\[blocks\] allow"
[ -n "$own" ] && refuse ip "$own" "this machine"
"$bin" blocks add ip 198.51.100.10 --for 1h --config "$tmp/mt.toml" --store "$st" > /dev/null ||
  fail "an address outside every allowlist refused"
"$bin" blocks remove 198.51.100.10 --store "$st" > /dev/null
# An address is one block whatever its spelling: added mapped, removed and
# extended by other spellings.
"$bin" blocks add ip ::ffff:198.51.100.11 --for 1h --config "$tmp/mt.toml" --store "$st" > /dev/null ||
  fail "a mapped address refused"
"$bin" blocks list --store "$st" | grep -q "198.51.100.11" || fail "mapped address not listed"
"$bin" blocks list --store "$st" | grep -q "ffff" && fail "mapped address kept mapped"
"$bin" blocks add ip 2001:DB8:7::5 --for 1h --config "$tmp/mt.toml" --store "$st" > /dev/null
"$bin" blocks extend 2001:db8:7:0:0::5 --for 2h --store "$st" | grep -q "^1 block(s) extended" ||
  fail "extend by another spelling of an IPv6 address"
"$bin" blocks remove 2001:db8:7:0::5 --store "$st" | grep -q "^1 block(s) ended" ||
  fail "remove by another spelling of an IPv6 address"
"$bin" blocks remove ::ffff:198.51.100.11 --store "$st" | grep -q "^1 block(s) ended" ||
  fail "remove by the mapped spelling"
# Short subjects are refused by hand (exit 2); a subject's line break never
# makes two rules; explain shows the header_checks line and what it matches.
rc=0; "$bin" blocks add subject "Re" --for 1h --store "$st" 2> "$tmp/err" > /dev/null || rc=$?
[ "$rc" = 2 ] && grep -q "too short" "$tmp/err" || fail "short subject: exit $rc, $(cat "$tmp/err")"
# A key as `blocks list` prints it matches no subject in header_checks: refused.
rc=0; "$bin" blocks add subject "your invoice # is ready" --for 1h --store "$st" 2> "$tmp/err" > /dev/null || rc=$?
[ "$rc" = 2 ] && grep -q "normalized key" "$tmp/err" || fail "normalized key: exit $rc, $(cat "$tmp/err")"
"$bin" blocks add subject $'Delivery report\nfor xyz' --for 1h --store "$st" > /dev/null
"$bin" blocks list --format jsonl --store "$st" |
  grep -qF '"raw_subjects":["Delivery report for xyz"]' || fail "line break kept in the subject"
"$bin" blocks explain "Delivery report for xyz" --store "$st" > "$tmp/explain"
[ "$(grep -c 'header_checks: /' "$tmp/explain")" = 1 ] || fail "explain: $(cat "$tmp/explain")"
grep -qF 'header_checks: /^(?i:subject):[[:space:]]*Delivery[[:space:]]+report[[:space:]]+for[[:space:]]+xyz[[:space:]]*$/i REJECT' \
  "$tmp/explain" || fail "explain: the line: $(cat "$tmp/explain")"
grep -q 'matches: .*exactly' "$tmp/explain" || fail "explain: what it matches: $(cat "$tmp/explain")"
"$bin" blocks remove "Delivery report for xyz" --store "$st" > /dev/null
if "$bin" blocks add ip not-an-ip --for 1h --store "$st" 2> /dev/null; then fail "bad key taken"; fi
if "$bin" blocks add ip 198.51.100.10 --for 1y --store "$st" 2> /dev/null; then fail "bad duration taken"; fi

# extend moves the end of an active block to --for from now, by a subject
# variant too; an ended block is not revived.
"$bin" blocks extend 198.51.100.9 --for 3d --store "$st" | grep -q "^1 block(s) extended to" ||
  fail "extend of an active block"
"$bin" blocks list --format jsonl --store "$st" | python3 -c '
import datetime, json, sys, time
b = [json.loads(l) for l in sys.stdin if "198.51.100.9\"" in l]
end = datetime.datetime.fromisoformat(b[0]["expires"].replace("Z", "+00:00")).timestamp()
assert len(b) == 1 and abs(end - (time.time() + 3 * 86400)) < 600, b' ||
  fail "extended block's end"
"$bin" blocks extend "RE: undeliverable MAIL 99" --for 90m --store "$st" > /dev/null ||
  fail "extend by a subject variant"
"$bin" blocks remove 198.51.100.9 --store "$st" > /dev/null
"$bin" blocks list --store "$st" | grep -q 198.51.100.9 && fail "removed block still listed"
# A clock set back before the removal (here: the removed row's times moved an
# hour ahead): still removed, not listed as in force (helper-117 F4).
python3 - "${st#sqlite:}" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
n = db.execute("UPDATE block SET created = created + 3600000000, expires = expires + 3600000000"
               " WHERE key = '198.51.100.9' AND removed = 1").rowcount
db.commit()
assert n == 1, n
PY
"$bin" blocks list --store "$st" | grep -q 198.51.100.9 && fail "removed block listed after a step back"
rc=0; "$bin" blocks extend 198.51.100.9 --for 1h --store "$st" > /dev/null || rc=$?
[ "$rc" = 1 ] || fail "extend of an ended block: exit $rc, want 1"
"$bin" blocks list --store "$st" | grep -q 198.51.100.9 && fail "extend revived an ended block"
rc=0; "$bin" blocks extend 198.51.100.9 --store "$st" 2> /dev/null || rc=$?
[ "$rc" = 2 ] || fail "extend without --for: exit $rc, want 2"
"$bin" blocks remove "re: UNDELIVERABLE mail 1" --store "$st" > /dev/null || fail "remove by a subject variant"
[ -z "$("$bin" blocks list --store "$st")" ] || fail "blocks left after removing both"

"$bin" blocks explain "failure notice" --store "$st" > "$tmp/explain"
grep -q "rule backscatter-subject" "$tmp/explain" || fail "explain: no rule"
grep -q "subject seen: failure notice" "$tmp/explain" || fail "explain: no subject"
[ "$(grep -c '^  message ' "$tmp/explain")" -ge 3 ] || fail "explain: no evidence messages"
if "$bin" blocks explain 203.0.113.99 --store "$st" 2> /dev/null; then fail "explain of nothing"; fi
echo "ok"
