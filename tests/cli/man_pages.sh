#!/bin/bash
# The man pages the build made (build/man, from the verb specs and the key
# table): they render without a warning, every option of every --help and
# every configuration key (with its default) is in them, every key of the
# example configuration is documented, and `cmake --install` puts them in
# man8 and man5. usage: man_pages.sh MAILTRAIL BUILD_DIR SOURCE_DIR
set -uo pipefail
bin=$1 build=$2 src=$3
man8=$build/man/mailtrail.8 man5=$build/man/mailtrail.toml.5
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }

for page in "$man8" "$man5"; do
  [[ -s $page ]] || { bad "$page was not made"; continue; }
  # The pages are what the binary prints now (not stale).
  section=${page##*.}
  cmp -s "$page" <("$bin" help --man "$section") || bad "$page differs from help --man $section"
  warnings=$(groff -man -ww -z "$page" 2>&1)
  [[ -z $warnings ]] || bad "groff warns on $page: $warnings"
  warnings=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$page" 2>&1 > /dev/null)
  [[ -z $warnings ]] || bad "man --warnings on $page: $warnings"
  # Plain ASCII text, hyphens as typed, lines not broken inside words.
  groff -man -Tascii -P-cbou -rLL=300n "$page" 2> /dev/null > "$tmp/$section.txt"
done

# Every option of every verb's and sub-verb's --help is in mailtrail(8).
options=0
for verb in $("$bin" --help | sed -nE 's/^  (--version|[a-z][a-z-]+) .*/\1/p'); do
  helps=$("$bin" "$verb" --help)
  for sub in $(sed -nE "s/^(usage:)? *mailtrail $verb ([a-z][a-z-]*) .*/\2/p" <<< "$helps"); do
    helps+=$'\n'$("$bin" "$verb" "$sub" --help)
  done
  grep -qF -- "mailtrail $verb" "$tmp/8.txt" || bad "verb $verb is not in mailtrail(8)"
  while read -r flag; do
    options=$((options + 1))
    grep -qE -- "(^|[^a-z-])$flag([^a-z-]|$)" "$tmp/8.txt" || bad "$verb $flag is not in mailtrail(8)"
  done < <(sed -nE 's/^  (--[a-z][a-z-]*).*/\1/p' <<< "$helps" | sort -u)
done
echo "checked $options options of --help against mailtrail(8)"

# Every key the parser knows, with the default it has, is in mailtrail.toml(5).
: > "$tmp/empty.toml"
"$bin" check-config --print "$tmp/empty.toml" > "$tmp/defaults.toml" || bad "check-config --print"
keys=0
section=
while IFS= read -r line; do
  if [[ $line =~ ^\[(.*)\]$ ]]; then section=${BASH_REMATCH[1]}; continue; fi
  [[ $line =~ ^([a-z_]+)\ =\ (.*)$ ]] || continue
  key=${BASH_REMATCH[1]} value=${BASH_REMATCH[2]}
  keys=$((keys + 1))
  # The key's paragraph: its name first on a line, then its text up to "default: VALUE".
  awk -v s="[$section]" -v k="$key" -v v="default: $value" '
    $0 ~ /^   \[/ || $0 ~ /^\[/ { insec = (index($0, s) > 0) }
    insec && !inkey && $1 == k { inkey = 1 }
    inkey && index($0, v) { found = 1 }
    inkey && $0 ~ /default: / { inkey = 0 }
    END { exit !found }' "$tmp/5.txt" || bad "[$section] $key (default $value) is not in mailtrail.toml(5)"
done < "$tmp/defaults.toml"
echo "checked $keys keys and their defaults against mailtrail.toml(5)"
(( keys >= 60 )) || bad "only $keys keys printed by check-config --print"

# Every key of the example configuration is documented.
while read -r key; do
  grep -qE "^ +$key( |$)" "$tmp/5.txt" || bad "examples/mailtrail.toml's $key is not in mailtrail.toml(5)"
done < <(sed -nE 's/^([a-z_]+) = .*/\1/p' "$src/examples/mailtrail.toml" | sort -u)

# `cmake --install` puts them where man looks.
if cmake --install "$build" --prefix "$tmp/root" > /dev/null; then
  for p in share/man/man8/mailtrail.8 share/man/man5/mailtrail.toml.5; do
    [[ -s $tmp/root/$p ]] || bad "cmake --install made no $p"
  done
  MANPATH=$tmp/root/share/man man -w mailtrail > /dev/null 2>&1 || bad "man -w mailtrail"
  MANPATH=$tmp/root/share/man man -w 5 mailtrail.toml > /dev/null 2>&1 || bad "man -w 5 mailtrail.toml"
else
  bad "cmake --install failed"
fi
exit $fail
