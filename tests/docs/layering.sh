#!/bin/bash
# The dependency directions of docs/architecture.md, checked on the #include
# lines (every target's include path is the project root, so an upward include
# would compile): fails naming each include that points the wrong way.
#  - base/ includes only base/;
#  - parsers/ includes only parsers/ and base/;
#  - actions/ includes only actions/ and base/;
#  - agent/track includes only agent/track, parsers/ and base/;
#  - agent/lines (the line splitter and gzip reader) includes only itself and base/;
#  - agent/store includes only agent/store, agent/track, schema/ and base/;
#  - nothing but agent/cli and agent/web (the web console, whose verb is one of
#    the CLI's) includes agent/cli.
# usage: layering.sh SOURCE_DIR
set -uo pipefail
src=${1:?usage: layering.sh SOURCE_DIR}
cd "$src" || exit 2
failures=0
# check FOLDER ALLOWED_REGEX: each quoted include of FOLDER's sources must match.
check() {
  local folder=$1 allowed=$2
  while IFS=: read -r file line inc; do
    [[ $inc =~ $allowed ]] && continue
    echo "layering: $file:$line includes $inc, outside what $folder may use"
    failures=$((failures + 1))
  done < <(grep -rnoE '^#include "[^"]+"' "$folder" --include=*.cc --include=*.h |
           sed -E 's/#include "([^"]+)"/\1/')
}
check base '^base/'
check parsers '^(parsers|base)/'
check actions '^(actions|base)/'
check agent/track '^(agent/track|parsers|base)/'
check agent/lines '^(agent/lines|base)/'
check agent/store '^(agent/store|agent/track|schema|base)/'
while IFS=: read -r file line inc; do
  case $file in agent/cli/* | agent/web/*) continue ;; esac
  echo "layering: $file:$line includes $inc (only agent/web includes agent/cli)"
  failures=$((failures + 1))
done < <(grep -rnoE '^#include "agent/cli/[^"]+"' base parsers actions agent schema \
           --include=*.cc --include=*.h | sed -E 's/#include "([^"]+)"/\1/')
if [ "$failures" -gt 0 ]; then
  echo "layering: $failures include(s) against docs/architecture.md"
  exit 1
fi
echo "layering: every include points the way docs/architecture.md says"
