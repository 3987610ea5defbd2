#!/bin/bash
# Times requests to a running `mailtrail web`: for each PATH, one request to
# warm, then RUNS timed ones (curl's time_total, sorted: min ... max), and the
# answer's gist (records, totals, whether the page or report stopped).
#
#   bench/api_times.sh BASE_URL PATH...     e.g. http://127.0.0.1:8025 '/api/v1/messages?relay=mx'
#
# RUNS (default 5) may be set in the environment. Used for docs/benchmarks.md,
# "MariaDB: searches read in time order".
set -eu
base=${1:?usage: api_times.sh BASE_URL PATH...}
shift
runs=${RUNS:-5}
answer=$(mktemp)
trap 'rm -f "$answer"' EXIT
for path in "$@"; do
  curl -sf -o "$answer" "$base$path"
  times=()
  for _ in $(seq "$runs"); do
    times+=("$(curl -sf -o "$answer" -w '%{time_total}' "$base$path")")
  done
  gist=$(/usr/bin/python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
keys = ("records", "page_stopped", "total", "total_capped", "partial")
print(" ".join("%s=%s" % (k, len(j[k]) if isinstance(j[k], list) else j[k]) for k in keys if k in j))
' "$answer")
  echo "$path  $(printf '%s\n' "${times[@]}" | sort -n | tr '\n' ' ') $gist"
done
