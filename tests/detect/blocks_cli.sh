#!/bin/bash
# The `blocks` and `detect --save` verbs on a real SQLite store: decisions from
# replayed lines are kept but not live; blocks by hand are live, validated, and
# refused on loopback; remove ends a block; explain shows the rule, the subjects
# seen and the evidence messages.
# usage: blocks_cli.sh MAILTRAIL CORPUS_DIR
set -euo pipefail
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
"$bin" detect --store "$st" --save --year 2026 --allow 127.0.0.1/32 $one "$log" > /dev/null 2>&1
[ -z "$("$bin" blocks list --store "$st")" ] || fail "replayed decisions listed as live"
n=$("$bin" blocks list --all --format jsonl --store "$st" | grep -c '"live":false')
[ "$n" -ge 7 ] || fail "expected the corpus's blocks kept (not live), got $n"

# The dry run of enforcement: each backend's text for the blocks active at the end.
show=$("$bin" detect --show-enforcement --year 2026 --allow 127.0.0.1/32 $one "$log" 2>/dev/null)
grep -q '^-- policy service.*action=450 4.7.1 .* for 127.0.9.11 .*127.0.9.16; action=DUNNO' \
  <<< "$show" || fail "policy preview: $show"
[ "$(grep -c '^127.0.9.1[1-6] 450 4.7.1' <<< "$show")" = 6 ] || fail "access map preview: $show"
grep -qF '/^Subject:[[:space:]]*failure notice/ REJECT 5.7.1' <<< "$show" || fail "header_checks preview"
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
if "$bin" blocks add ip not-an-ip --for 1h --store "$st" 2> /dev/null; then fail "bad key taken"; fi
if "$bin" blocks add ip 198.51.100.10 --for 1y --store "$st" 2> /dev/null; then fail "bad duration taken"; fi

"$bin" blocks remove 198.51.100.9 --store "$st" > /dev/null
"$bin" blocks list --store "$st" | grep -q 198.51.100.9 && fail "removed block still listed"
"$bin" blocks remove "re: UNDELIVERABLE mail 1" --store "$st" > /dev/null || fail "remove by a subject variant"
[ -z "$("$bin" blocks list --store "$st")" ] || fail "blocks left after removing both"

"$bin" blocks explain "failure notice" --store "$st" > "$tmp/explain"
grep -q "rule backscatter-subject" "$tmp/explain" || fail "explain: no rule"
grep -q "subject seen: failure notice" "$tmp/explain" || fail "explain: no subject"
[ "$(grep -c '^  message ' "$tmp/explain")" -ge 3 ] || fail "explain: no evidence messages"
if "$bin" blocks explain 203.0.113.99 --store "$st" 2> /dev/null; then fail "explain of nothing"; fi
echo "ok"
