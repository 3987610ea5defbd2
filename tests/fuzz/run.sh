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
ninja -C "$dir" -j2 line_parser_fuzz policy_fuzz queue_file_fuzz checkpoint_fuzz checkpoint_seeds > /dev/null
seeds=$(mktemp -d)
trap 'rm -rf "$seeds"' EXIT
i=0
for f in tests/parsers/corpus/*.txt; do
  grep '^LINE ' "$f" | cut -c6- | while IFS= read -r line; do
    i=$((i + 1)); printf '%s\n' "$line" > "$seeds/$(basename "$f").$i"
  done
done
"$dir/tests/fuzz/line_parser_fuzz" -runs="$runs" -max_len=4096 -timeout=10 "$seeds" 2>&1 | tail -3
echo "fuzz: line_parser_fuzz ran $runs inputs without a finding"
# The policy protocol, from a real request.
policy_seeds=$(mktemp -d)
printf 'request=smtpd_access_policy\nprotocol_state=RCPT\nclient_address=198.51.100.7\nclient_name=x\n\n' \
  > "$policy_seeds/request"
"$dir/tests/fuzz/policy_fuzz" -runs="$runs" -max_len=8192 -timeout=10 "$policy_seeds" 2>&1 | tail -3
rm -rf "$policy_seeds"
echo "fuzz: policy_fuzz ran $runs inputs without a finding"
# The queue file reader, from the real queue files of tests/data/queue.
queue_seeds=$(mktemp -d)
find tests/data/queue -type f ! -name '*.*' -size +0 -exec cp {} "$queue_seeds/" \;
"$dir/tests/fuzz/queue_file_fuzz" -runs="$runs" -max_len=16384 -timeout=10 "$queue_seeds" 2>&1 | tail -3
rm -rf "$queue_seeds"
echo "fuzz: queue_file_fuzz ran $runs inputs without a finding"
# What the agent reads back from its own database and spool, from the
# checkpoints and record batches it makes of real logs.
state_seeds=$(mktemp -d)
logs=$(mktemp -d)
for c in 03-outbound-relay-bounce 04-content-filter-amavis; do
  zcat "tests/data/corpus/$c.log.gz" > "$logs/$c.log"
done
"$dir/tests/fuzz/checkpoint_seeds" "$state_seeds" "$logs"/*.log
rm -rf "$logs"
"$dir/tests/fuzz/checkpoint_fuzz" -runs="$runs" -max_len=16384 -timeout=10 "$state_seeds" 2>&1 | tail -3
rm -rf "$state_seeds"
echo "fuzz: checkpoint_fuzz ran $runs inputs without a finding"
