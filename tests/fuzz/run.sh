#!/bin/bash
# Builds the fuzz targets with clang, libFuzzer, ASan and UBSan, and runs each
# for a bounded number of inputs, starting from the real lines of the parser
# corpus. Fails on any crash, leak or undefined behaviour.
# usage: tests/fuzz/run.sh [RUNS]   (default 300000)
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-300000}
dir=build-fuzz
flags="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined -g -O1"
cmake -S . -B "$dir" -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=None \
      -DCMAKE_CXX_FLAGS="$flags" -DMAILTRAIL_FUZZ=ON -DMAILTRAIL_TESTS=OFF \
      -DMAILTRAIL_BENCH=OFF > /dev/null
ninja -C "$dir" -j2 line_parser_fuzz policy_fuzz queue_file_fuzz org_domain_fuzz checkpoint_fuzz \
      checkpoint_seeds > /dev/null
# Seeds for each target, then the targets two at a time (each is one
# thread; CI has two cores). Each target's output goes to its own file, its
# last lines are printed, and any finding fails the run.
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
mkdir "$work/line" "$work/policy" "$work/queue" "$work/state" "$work/logs" "$work/org"
i=0
for f in tests/parsers/corpus/*.txt; do
  grep '^LINE ' "$f" | cut -c6- | while IFS= read -r line; do
    i=$((i + 1)); printf '%s\n' "$line" > "$work/line/$(basename "$f").$i"
  done
done
# The policy protocol, from a real request.
printf 'request=smtpd_access_policy\nprotocol_state=RCPT\nclient_address=198.51.100.7\nclient_name=x\n\n' \
  > "$work/policy/request"
# Host names and mail domains, ASCII and internationalized.
for n in mail-sor-f69.google.com mx.example.co.uk mout.bmw.de partner.com.de \
    mail.city.kawasaki.jp 'm\xc3\xbcller.de' 'x.\xe2\x98\x83.m\xc3\xbcller.de' 'caf\xe9.example'; do
  printf "$n" > "$work/org/$(printf '%s' "$n" | md5sum | cut -c1-8)"
done
# The queue file reader, from the real queue files of tests/data/queue.
find tests/data/queue -type f ! -name '*.*' -size +0 -exec cp {} "$work/queue/" \;
# What the agent reads back from its own database and spool, from the
# checkpoints and record batches it makes of real logs.
for c in 03-outbound-relay-bounce 04-content-filter-amavis; do
  zcat "tests/data/corpus/$c.log.gz" > "$work/logs/$c.log"
done
"$dir/tests/fuzz/checkpoint_seeds" "$work/state" "$work/logs"/*.log

fuzz() {  # fuzz TARGET MAX_LEN SEEDS: runs in the background, output to $work/TARGET.out
  "$dir/tests/fuzz/$1" -runs="$runs" -max_len="$2" -timeout=10 "$3" > "$work/$1.out" 2>&1 &
}
finish() {  # finish TARGET PID: waits, prints how it ended, fails on a finding
  if wait "$2"; then
    tail -1 "$work/$1.out"
    echo "fuzz: $1 ran $runs inputs without a finding"
  else
    tail -60 "$work/$1.out"
    echo "fuzz: $1 found a crash, a leak or undefined behaviour (above)"
    exit 1
  fi
}
fuzz line_parser_fuzz 4096 "$work/line"; line=$!
fuzz checkpoint_fuzz 16384 "$work/state"; state=$!
finish line_parser_fuzz $line
fuzz policy_fuzz 8192 "$work/policy"; policy=$!
finish policy_fuzz $policy
fuzz queue_file_fuzz 16384 "$work/queue"; queue=$!
finish queue_file_fuzz $queue
fuzz org_domain_fuzz 512 "$work/org"; org=$!
finish org_domain_fuzz $org
finish checkpoint_fuzz $state
