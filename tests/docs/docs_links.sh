#!/bin/bash
# The repository explains itself (issue 20 item 8): fails when a comment, script
# or doc
#  - cites a Markdown file in capitals (a design note such as the SECURITY note)
#    that is not in the repository, or a path under ../shared/design or
#    ../shared/corpus (the notes the project started from, outside it);
#  - names a docs/ path that does not exist;
#  - links (Markdown `](target)`) a relative file that does not exist;
#  - cites "docs/security.md rule N", "docs/style.md rule N" or
#    "docs/postfix-logs.md trap N" where that doc has no rule or trap N.
# usage: docs_links.sh SOURCE_DIR
set -uo pipefail
src=${1:?usage: docs_links.sh SOURCE_DIR}
cd "$src" || exit 2
self=tests/docs/docs_links.sh

# The text files to check: git's list when this is a checkout (fast, and no
# build output or generated logs), else every file outside build directories.
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  mapfile -t files < <(git ls-files --cached --others --exclude-standard | grep -vx "$self")
else
  mapfile -t files < <(find . -path ./.git -prune -o -path './build*' -prune -o \
                         -path ./bench/data -prune -o -type f -print | sed 's|^\./||' |
                       grep -vx "$self")
fi
[ ${#files[@]} -gt 0 ] || { echo "docs_links: no files found in $src"; exit 1; }
existing=()
for f in "${files[@]}"; do [ -f "$f" ] && existing+=("$f"); done
files=("${existing[@]}")

failures=0
fail() { echo "docs_links: $*"; failures=$((failures + 1)); }

# grep -I: binary files (compressed logs) are skipped. Output: FILE:LINE:MATCH.
matches() { grep -IHnoE "$1" -- "${files[@]}" 2>/dev/null; }

# 1. Design notes: a Markdown file named in capitals must be in the repository.
while IFS=: read -r file line name; do
  [ -n "$(find . -path ./.git -prune -o -path './build*' -prune -o -name "$name" -print -quit)" ] ||
    fail "$file:$line cites $name, which is not in the repository"
done < <(matches '\b[A-Z][A-Z0-9_-]*\.md\b')
while IFS=: read -r file line what; do
  fail "$file:$line cites $what (outside the repository: point at docs/)"
done < <(matches 'shared/(design|corpus)/[^ )`"]*')

# 2. docs/ paths must exist (trailing punctuation is not part of the path).
while IFS=: read -r file line path; do
  path=${path%%[.,;:)]}
  path=${path%%[.,;:)]}
  [ -e "$path" ] || fail "$file:$line names $path, which does not exist"
done < <(matches '(^|[^A-Za-z0-9_./-])docs/[A-Za-z0-9_./-]*[A-Za-z0-9_/-]' |
         sed -E 's/^([^:]*:[0-9]*:)[^d]*/\1/')

# 3. Relative Markdown links resolve from the linking file's folder.
for md in "${files[@]}"; do
  [[ $md == *.md ]] || continue
  while IFS=: read -r line target; do
    target=${target#](}
    target=${target%)}
    target=${target%%#*}
    case $target in '' | http:* | https:* | mailto:*) continue ;; esac
    [ -e "$(dirname "$md")/$target" ] || fail "$md:$line links $target, which does not exist"
  done < <(grep -noE '\]\([^) ]+\)' "$md")
done

# 4. Numbered citations point at a rule or trap that exists.
has_item() {  # has_item DOC N: DOC has "### Rule N" or a list item "N." in its numbered rules
  grep -qE "^(### Rule $2 |$2\. )" "$1"
}
while IFS=: read -r file line cite; do
  doc=$(grep -oE 'docs/[a-z-]+\.md' <<< "$cite")
  n=$(grep -oE '[0-9]+$' <<< "$cite")
  [ -f "$doc" ] && has_item "$doc" "$n" || fail "$file:$line cites \"$cite\": $doc has no item $n"
done < <(matches 'docs/(security|style)\.md rule [0-9]+|docs/postfix-logs\.md trap [0-9]+')

if [ "$failures" -gt 0 ]; then
  echo "docs_links: $failures problem(s) in ${#files[@]} files"
  exit 1
fi
echo "docs_links: ${#files[@]} files, every citation and docs link resolves"
