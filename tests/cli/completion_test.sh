#!/bin/bash
# The bash completion (contrib/bash-completion/mailtrail) against the real
# binary: verbs, sub-verbs, options and option values come out of its help
# texts. usage: completion_test.sh MAILTRAIL SOURCE_DIR
set -uo pipefail
bin=$1
source "$2/contrib/bash-completion/mailtrail"
fail=0
expect() {  # expect "WANT" WORD... : the completions of the last word
  local want=$1; shift
  COMP_WORDS=("$bin" "$@"); COMP_CWORD=${#COMP_WORDS[@]}; COMP_CWORD=$((COMP_CWORD - 1))
  _mailtrail
  local got="${COMPREPLY[*]}"
  if [[ $got != "$want" ]]; then
    echo "FAIL: mailtrail $* <TAB> -> '$got' (want '$want')"; fail=1
  else
    echo "ok: mailtrail $* <TAB> -> $got"
  fi
}
expect "search show stats" s
expect "--outcome" search --out
expect "bounced" search --outcome b
expect "delivered bounced deferred expired rejected discarded held mixed deliverable undeliverable in_flight" search --outcome ""
expect "minimal standard full" replay --detail ""
expect "table jsonl" search --format ""
expect "text json" queue show x --format ""
expect "list add extend remove explain" blocks ""
expect "migrate purge forget-checkpoint" db ""
expect "show scan" queue ""
expect "--from-start" run --from
expect "sqlite: mysql://" search --store ""
expect "on off" detect --answers ""
expect "" search --limit ""             # a number: nothing to offer
# Every option with allowed values offers exactly them: the values come from
# the verb specs through --help, for every verb.
for verb in $("$bin" --help | sed -nE 's/^  ([a-z][a-z-]+) .*/\1/p'); do
  while read -r flag values; do
    COMP_WORDS=("$bin" "$verb" "$flag" ""); COMP_CWORD=3; _mailtrail
    [[ "${COMPREPLY[*]}" == "${values//|/ }" ]] ||
      { echo "FAIL: $verb $flag offers '${COMPREPLY[*]}', not '$values'"; fail=1; }
  done < <("$bin" "$verb" --help | sed -nE 's/^  (--[a-z-]+) ([a-z_0-9-]+(\|[a-z_0-9-]+)+) .*/\1 \2/p')
done
# Every verb of `mailtrail --help` is offered.
COMP_WORDS=("$bin" ""); COMP_CWORD=1; _mailtrail
for verb in $("$bin" --help | sed -nE 's/^  ([a-z][a-z-]+) .*/\1/p'); do
  [[ " ${COMPREPLY[*]} " == *" $verb "* ]] || { echo "FAIL: verb $verb not offered"; fail=1; }
done
exit $fail
