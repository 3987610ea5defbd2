#!/bin/bash
# Errors give one clear line on stderr and a non-zero exit: unreadable file, bad
# option, missing or corrupt database. usage: cli_errors.sh MAILTRAIL
set -uo pipefail
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
corpus=$(cd "$(dirname "$0")/../data/corpus" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
expect() {  # expect CODE PATTERN -- command...
  local want=$1 pattern=$2; shift 3
  "$@" > "$tmp/out" 2> "$tmp/err"; local got=$?
  local lines; lines=$(wc -l < "$tmp/err")
  if [[ $got -ne $want ]] || ! grep -q -- "$pattern" "$tmp/err" || [[ $lines -lt 1 ]]; then
    echo "FAIL: $* -> exit $got (want $want), stderr: $(head -c 300 "$tmp/err")"; fail=1
  else
    echo "ok: $* -> $want: $(head -1 "$tmp/err")"
  fi
}
expect 1 "No such file" -- "$bin" replay --quiet --store "sqlite:$tmp/a.db" "$tmp/missing.log"
mkdir "$tmp/dir"
expect 1 "not a regular file" -- "$bin" replay --quiet --store "sqlite:$tmp/a.db" "$tmp/dir"
expect 2 "unknown option --bogus" -- "$bin" replay --bogus x.log
expect 2 "needs a value" -- "$bin" search --sender
expect 2 "--detail must be" -- "$bin" replay --detail huge x.log
expect 2 "--year must be" -- "$bin" replay --year 20x6 x.log
expect 2 "unknown verb" -- "$bin" frobnicate
# Bad numbers and durations exit 2, with the flag named, for every verb that
# takes them (one integer and one duration parser: base/parse_number.h).
expect 2 "--year must be an integer from 1970" -- "$bin" replay --year 99999 x.log
expect 2 "--year must be an integer" -- "$bin" detect --year 20x6 x.log
expect 2 "--year must be an integer" -- "$bin" detect --year "" x.log
expect 2 "--subject-window must be a duration" -- "$bin" detect --subject-window 2x x.log
expect 2 "--answer-window must be a duration" -- "$bin" detect --answer-window 10s x.log
expect 2 "--period must be a duration" -- "$bin" detect --period 0 x.log
expect 2 "--ip-bounces must be an integer" -- "$bin" detect --ip-bounces -1 x.log
expect 2 "--subject-bounces must be an integer" -- "$bin" detect --subject-bounces 1e3 x.log
expect 2 "--answers must be one of on|off" -- "$bin" detect --answers maybe x.log
expect 2 "--limit must be an integer from 1" -- "$bin" search --limit 0
expect 2 "--limit must be an integer" -- "$bin" search --limit 10x
expect 2 "--outcome must be one of" -- "$bin" search --outcome lost
expect 2 "--format must be one of table|jsonl" -- "$bin" search --format xml
expect 2 "--top must be an integer" -- "$bin" report --top many
expect 2 "--format must be one of text|json" -- "$bin" report --format csv
expect 2 "--older-than must be a duration" -- "$bin" db purge --older-than 3x
expect 2 "must be whole days" -- "$bin" db purge --older-than 12h
expect 2 "a number of whole days" -- "$bin" db purge
expect 2 "--for must be a duration" -- "$bin" blocks add ip 192.0.2.1 --for 1x
expect 2 "--bounce-alert must be an integer" -- "$bin" queue scan --bounce-alert 0
expect 2 "--format must be one of text|json" -- "$bin" queue show --format xml x
expect 2 "--flush-interval must be a duration" -- "$bin" run --flush-interval abc
expect 2 "--poll-interval must be a duration" -- "$bin" run --poll-interval 0
expect 2 "--detail must be one of" -- "$bin" run --detail huge
expect 2 "is not for \`queue show\`" -- "$bin" queue show --bounce-alert 3 x
expect 2 "unknown sub-verb" -- "$bin" db frobnicate
expect 2 "unexpected argument" -- "$bin" check-config a.toml b.toml
# --help: the verb's (or sub-verb's) usage and options on stdout, exit 0, for
# every verb and sub-verb that `mailtrail --help` lists.
for verb in $("$bin" --help | sed -nE 's/^  (--version|[a-z][a-z-]+) .*/\1/p'); do
  subs=$("$bin" "$verb" --help | sed -nE "s/^(usage:)? *mailtrail $verb ([a-z][a-z-]*) .*/\2/p")
  for words in "$verb" $(for s in $subs; do echo "$verb:$s"; done); do
    "$bin" ${words/:/ } --help > "$tmp/out" 2> "$tmp/err"; got=$?
    if [[ $got -ne 0 ]] || ! grep -q "^usage: mailtrail ${words/:/ }" "$tmp/out" ||
        ! grep -q -- "--help" "$tmp/out" || [[ -s $tmp/err ]]; then
      echo "FAIL: mailtrail ${words/:/ } --help -> exit $got: $(head -c 200 "$tmp/out" "$tmp/err")"
      fail=1
    else
      echo "ok: mailtrail ${words/:/ } --help -> 0"
    fi
  done
done
expect 1 "cannot open database" -- "$bin" search --store "sqlite:$tmp/none.db"
# A store that does not exist yet is said so, with what makes one (was:
# SQLite's "unable to open database file"); a verb that only reads or adds
# a block creates none (a mistyped path would hide the block from the agent).
expect 1 "no store there yet" -- "$bin" search --store "sqlite:$tmp/none.db"
expect 1 "no store there yet" -- "$bin" blocks add ip 192.0.2.7 --for 1h --reason t --store "sqlite:$tmp/none.db"
[[ ! -e $tmp/none.db ]] || { echo "FAIL: blocks add created $tmp/none.db"; fail=1; }
head -c 4096 /dev/urandom > "$tmp/corrupt.db"
# A damaged database is data no retry mends: 65 (EX_DATAERR) from every verb.
expect 65 "not a database" -- "$bin" search --store "sqlite:$tmp/corrupt.db"
expect 65 "not a database" -- "$bin" stats --store "sqlite:$tmp/corrupt.db"
expect 65 "not a database" -- "$bin" replay --quiet --store "sqlite:$tmp/corrupt.db" /dev/null
expect 65 "not a database" -- "$bin" blocks list --store "sqlite:$tmp/corrupt.db"
expect 65 "not a database" -- "$bin" report --store "sqlite:$tmp/corrupt.db"
expect 1 "not an IP address" -- "$bin" search --store "sqlite:$tmp/a.db" --client-ip "1.2.3.x"
expect 1 "no message" -- "$bin" show --store "sqlite:$tmp/a.db" 0123456789A
# A database from a newer mailtrail is refused, not silently used.
"$bin" replay --quiet --store "sqlite:$tmp/new.db" /dev/null 2>/dev/null
printf 'x\n' > "$tmp/x.log"
"$bin" replay --quiet --store "sqlite:$tmp/new.db" "$tmp/x.log"
sqlite3 "$tmp/new.db" "PRAGMA user_version = 999" 2>/dev/null || python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute('PRAGMA user_version = 999'); c.commit()" "$tmp/new.db"
expect 1 "newer than this mailtrail" -- "$bin" search --store "sqlite:$tmp/new.db"
# A file that is not a mail log: exit non-zero, naming it (it exited 0).
printf 'shopping list\nmilk\n' > "$tmp/notes.txt"
expect 1 "notes.txt: not a mail log" -- "$bin" replay --quiet --store "sqlite:$tmp/n.db" "$tmp/notes.txt"

# db migrate says what it did: created, or nothing to do.
out=$("$bin" db migrate --store "sqlite:$tmp/m2.db")
[[ $out == "created the schema (version "* ]] || { echo "FAIL: migrate on nothing: $out"; fail=1; }
out=$("$bin" db migrate --store "sqlite:$tmp/m2.db")
[[ $out == "the schema is up to date (version "* ]] || { echo "FAIL: migrate again: $out"; fail=1; }

# db purge gives back the dictionary rows no record uses and the file's space.
"$bin" replay --quiet --store "sqlite:$tmp/p.db" --year 2026 "$corpus/06-volume.log.gz"
dict_before=$(sqlite3 "$tmp/p.db" "SELECT count(*) FROM dict")
size_before=$(stat -c %s "$tmp/p.db")
"$bin" db purge --older-than 0d --store "sqlite:$tmp/p.db" > /dev/null
dict_after=$(sqlite3 "$tmp/p.db" "SELECT count(*) FROM dict")
size_after=$(stat -c %s "$tmp/p.db")
if (( dict_after != 0 || size_after * 4 > size_before )); then
  echo "FAIL: purge of everything: dict $dict_before -> $dict_after rows," \
    "file $size_before -> $size_after bytes"; fail=1
else
  echo "ok: purge: dict $dict_before -> $dict_after rows, file $size_before -> $size_after bytes"
fi
# ... while what is still used stays: the records read back whole.
"$bin" replay --quiet --store "sqlite:$tmp/p2.db" --year 2026 "$corpus/01-inbound-local.log.gz"
want=$("$bin" search --store "sqlite:$tmp/p2.db" --limit 100000 --format jsonl | sort | md5sum)
"$bin" db purge --older-than 30d --store "sqlite:$tmp/p2.db" > /dev/null
got=$("$bin" search --store "sqlite:$tmp/p2.db" --limit 100000 --format jsonl | sort | md5sum)
[[ $want == "$got" ]] || { echo "FAIL: a purge of nothing changed the records"; fail=1; }

# A database this user may only read (nor its directory): searched, nothing
# written ("attempt to write a readonly database" before).
mkdir "$tmp/ro"
"$bin" replay --quiet --store "sqlite:$tmp/ro/r.db" --year 2026 "$corpus/01-inbound-local.log.gz"
chmod 755 "$tmp" "$tmp/ro"
chmod 644 "$tmp/ro/r.db"
for verb in search stats; do
  if setpriv --reuid=65534 --regid=65534 --clear-groups "$bin" $verb --store "sqlite:$tmp/ro/r.db" \
      > "$tmp/out" 2> "$tmp/err" && [[ -s $tmp/out ]]; then
    echo "ok: $verb on a read-only database"
  else
    echo "FAIL: $verb on a read-only database: $(head -c 300 "$tmp/err")"; fail=1
  fi
done
[[ -z $(ls "$tmp/ro" | grep -v '^r.db$') ]] || { echo "FAIL: files made: $(ls "$tmp/ro")"; fail=1; }

# A damaged SQLite database stops `run` with 65 (EX_DATAERR: not restarted by
# systemd), whatever the damage; it exited 1, and was restarted every 2 s.
"$bin" replay --quiet --store "sqlite:$tmp/good.db" --year 2026 "$corpus/01-inbound-local.log.gz"
zcat "$corpus/02-smtp-rejects.log.gz" > "$tmp/live.log"  # lines to write: pages to touch
damage() {  # damage NAME: a copy of good.db, damaged as NAME says
  cp "$tmp/good.db" "$tmp/$1.db"
  local pages; pages=$(( $(stat -c %s "$tmp/good.db") / 16384 ))
  case $1 in
    truncated) truncate -s $(( pages / 2 * 16384 )) "$tmp/$1.db" ;;
    header) head -c 100 /dev/urandom | dd of="$tmp/$1.db" conv=notrunc status=none ;;
    page) for p in $(seq 2 "$pages"); do  # every page but the first: garbage in its middle
            head -c 512 /dev/urandom |
              dd of="$tmp/$1.db" bs=1 seek=$(( (p - 1) * 16384 + 4096 )) conv=notrunc status=none
          done ;;
    notadb) zcat "$corpus/01-inbound-local.log.gz" | head -c 100000 > "$tmp/$1.db" ;;
  esac
}
for kind in truncated header page notadb; do
  damage $kind
  expect 65 "the database is damaged" -- timeout 20 "$bin" run --store "sqlite:$tmp/$kind.db" --log "$tmp/live.log" \
    --from-start
done

# A configuration file that is wrong: exit 78 (EX_CONFIG) with FILE:LINE.
printf '[writer]\nflush_interval = 5\n' > "$tmp/bad.toml"
expect 78 "bad.toml:2: unknown key" -- "$bin" check-config "$tmp/bad.toml"
expect 78 "bad.toml:2: unknown key" -- "$bin" run --config "$tmp/bad.toml"
expect 78 "cannot read the configuration" -- "$bin" check-config "$tmp/missing.toml"
# One file named twice (relative and absolute) would be read twice: refused.
expect 78 "is named twice" -- bash -c "cd '$tmp' && '$bin' run --store sqlite:m.db --log x.log --log '$tmp/./x.log'"
expect 78 "only on loopback" -- "$bin" run --store "sqlite:$tmp/m.db" --log "$tmp/x.log" --metrics 0.0.0.0:9432
printf '[metrics]\nlisten = "0.0.0.0:9432"\n' > "$tmp/metrics.toml"
expect 78 "metrics.toml:2: listen" -- "$bin" check-config "$tmp/metrics.toml"
# In a network namespace of its own (the unit's PrivateNetwork=yes), a
# firewall would block nothing: refused; a policy service is warned that the
# server's own addresses are not seen (helper-149 F1). Outside it, both pass.
printf '[enforce]\nnftables = true\n' > "$tmp/fw.toml"
printf '[policy]\nsocket = "%s/p.sock"\n' "$tmp" > "$tmp/policy.toml"
expect 1 "block nothing; set PrivateNetwork=no" -- unshare -n "$bin" check-config "$tmp/fw.toml"
expect 1 "block nothing; set PrivateNetwork=no" -- unshare -n "$bin" run --config "$tmp/fw.toml" \
    --store "sqlite:$tmp/ns.db" --log "$tmp/x.log"
expect 0 "warning: this process sees no network address but loopback" -- \
    unshare -n "$bin" check-config "$tmp/policy.toml"
if ! "$bin" check-config "$tmp/fw.toml" > /dev/null 2>&1; then
  echo "FAIL: check-config of the firewall refused on the host's network"; fail=1
fi
# --help is an answer, not a mistake, for every verb (check-config exited 2).
for verb in replay search show stats report run check-config db detect blocks queue; do
  if ! "$bin" $verb --help > "$tmp/help" 2>&1 || ! grep -q "usage: mailtrail $verb" "$tmp/help"; then
    echo "FAIL: mailtrail $verb --help: $(head -c 200 "$tmp/help")"; fail=1
  fi
done
# --version: what a bug report needs, on stdout, exit 0.
version=$("$bin" --version)
if [[ $? -ne 0 ]] || ! grep -qE '^mailtrail [0-9]+\.[0-9]+\.[0-9]+ \(git ([0-9a-f]{7,}|unknown)\)' <<< "$version" ||
   ! grep -q '^store schema: SQLite [0-9]*, MySQL [0-9]*$' <<< "$version" ||
   ! grep -q '^libraries: SQLite 3\.' <<< "$version"; then
  echo "FAIL: mailtrail --version: $version"; fail=1
else
  echo "ok: --version: $(head -1 <<< "$version")"
fi
# ... and names the commit the binary was built from: it named the one cmake
# had last configured, so a rebuild after a commit named the commit before.
src=$(cd "$(dirname "$0")/../.." && pwd)
if head=$(git -C "$src" rev-parse --short=12 HEAD 2>/dev/null) &&
   ! grep -q "(git $head)" <<< "$version"; then
  echo "FAIL: --version does not name HEAD $head (rebuild after a commit?): $(head -1 <<< "$version")"
  fail=1
fi
exit $fail
