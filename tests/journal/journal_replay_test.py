#!/usr/bin/env python3
"""Journal replay against plain-log replay (issue 22 item 1): each corpus log is
turned into a journal file by the real systemd-journal-remote (journal export
format in, log_to_journal_export.py), replayed with `replay --journal-file`, and
its records must be exactly those of `replay --year 2026 LOG` (the corpus was
written in 2026, UTC). Also: a journal directory with the log split over two
files gives the same records, --since/--until read only the entries between
them, a --journal-match that matches nothing reads nothing, and mistakes say
what is wrong.

usage: journal_replay_test.py MAILTRAIL CORPUS_DIR
"""
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REMOTE = "/lib/systemd/systemd-journal-remote"
LOGS = ["01-inbound-local.log.gz", "03-outbound-relay-bounce.log.gz",
        "04-content-filter-amavis.log.gz", "04-content-filter-amavis.rfc3339.log.gz",
        "05-backscatter-flood.log.gz", "08-long-queue-ids.log.gz"]


def write_journal(log, out, *args):
    """`log` (or a range of its lines) as the journal file `out`."""
    export = subprocess.run([sys.executable, os.path.join(HERE, "log_to_journal_export.py"), log,
                             "--year", "2026", *args], check=True, capture_output=True).stdout
    subprocess.run([REMOTE, "-o", out, "-"], input=export, check=True, capture_output=True)


def records(binary, db):
    out = subprocess.run([binary, "search", "--store", "sqlite:" + db, "--format", "jsonl",
                          "--limit", "100000000"], check=True, capture_output=True,
                         text=True).stdout
    return sorted(out.splitlines())


def replay(binary, db, *args):
    """The summary line replay prints."""
    return subprocess.run([binary, "replay", "--store", "sqlite:" + db, *args], check=True,
                          capture_output=True, text=True).stdout.strip()


def main():
    binary, corpus = sys.argv[1], sys.argv[2]
    tmp = tempfile.mkdtemp(prefix="mt_journal_replay_")
    failures = 0
    for name in LOGS:
        log = os.path.join(corpus, name)
        journal = os.path.join(tmp, name + ".journal")
        write_journal(log, journal)
        plain_db, journal_db = os.path.join(tmp, name + ".plain.db"), os.path.join(tmp, name + ".j.db")
        replay(binary, plain_db, "--year", "2026", log)
        said = replay(binary, journal_db, "--journal-file", journal)
        want, got = records(binary, plain_db), records(binary, journal_db)
        same = want == got and len(want) > 0
        print("%s: plain log %d records, journal %d: %s (%s)"
              % (name, len(want), len(got), "identical" if same else "DIFFERENT", said))
        if not same:
            failures += 1
            for r in [r for r in want if r not in set(got)][:2] + [r for r in got if r not in set(want)][:2]:
                print("   ", r[:300])

    # The same log as two files of one directory: read in the order of the lines.
    log = os.path.join(corpus, "05-backscatter-flood.log.gz")
    n = int(subprocess.run("zcat '%s' | wc -l" % log, shell=True, capture_output=True,
                           text=True).stdout)
    d = os.path.join(tmp, "dir")
    os.mkdir(d)
    write_journal(log, os.path.join(d, "a.journal"), "--first", str(n // 2))
    write_journal(log, os.path.join(d, "b.journal"), "--skip", str(n // 2))
    db = os.path.join(tmp, "dir.db")
    said = replay(binary, db, "--journal-file", d)
    want = records(binary, os.path.join(tmp, "05-backscatter-flood.log.gz.plain.db"))
    got = records(binary, db)
    print("05 split over two files of a directory: %d records, plain log %d (%s)"
          % (len(got), len(want), said))
    if got != want:
        failures += 1

    # --since/--until: only the entries between them (inclusive), counted in lines.
    journal = os.path.join(tmp, "01-inbound-local.log.gz.journal")
    lines = subprocess.run("zcat '%s'" % os.path.join(corpus, "01-inbound-local.log.gz"),
                           shell=True, capture_output=True, text=True).stdout.splitlines()
    between = [l for l in lines if "Nov 27 12:03:40" <= l[:15] <= "Nov 27 12:04:10"]
    said = replay(binary, os.path.join(tmp, "range.db"), "--journal-file", journal,
                  "--since", "2026-11-27T12:03:40Z", "--until", "2026-11-27T12:04:10Z")
    print("--since 12:03:40 --until 12:04:10: %s; the log has %d lines then" % (said, len(between)))
    if not said.startswith("replayed %d lines " % len(between)) or not between:
        failures += 1
    # A match rule: exact values are journal matches, PREFIX* prefixes.
    said = replay(binary, os.path.join(tmp, "smtpd.db"), "--journal-file", journal,
                  "--journal-match", "SYSLOG_IDENTIFIER=postfix/smtpd")
    smtpd = sum(1 for l in lines if " postfix/smtpd[" in l)
    print("--journal-match SYSLOG_IDENTIFIER=postfix/smtpd: %s; the log has %d smtpd lines"
          % (said, smtpd))
    if not said.startswith("replayed %d lines " % smtpd):
        failures += 1
    said = replay(binary, os.path.join(tmp, "none.db"), "--journal-file", journal,
                  "--journal-match", "SYSLOG_IDENTIFIER=dovecot*")
    print("--journal-match SYSLOG_IDENTIFIER=dovecot*: %s" % said)
    if not said.startswith("replayed 0 lines "):
        failures += 1
    # Mistakes: one clear line and a non-zero exit.
    for args, code, said in [
            (["--journal-file", os.path.join(tmp, "missing.journal")], 1, "no journal file"),
            (["--journal-file", journal, "x.log"], 2, "not both"),
            (["--since", "2026-11-27", "x.log"], 2, "are for the journal"),
            (["--journal-file", journal, "--journal-match", "lower=x"], 1, "FIELD=VALUE"),
            (["--journal-file", journal, "--since", "yesterday"], 1, "--since must be"),
            (["--journal-file", "/etc/hostname"], 1, "journal: opening")]:
        p = subprocess.run([binary, "replay", "--store", "sqlite:" + os.path.join(tmp, "e.db"),
                            *args], capture_output=True, text=True)
        ok = p.returncode == code and said in p.stderr
        print("%s: exit %d, %s" % (" ".join(args[-2:]), p.returncode, p.stderr.strip()))
        if not ok:
            failures += 1
    # `run` says the same of journal options without the journal (they were
    # ignored), before it opens anything.
    for args in (["--journal-writer", "root"], ["--journal-match", "SYSLOG_IDENTIFIER=x"]):
        p = subprocess.run([binary, "run", "--store", "sqlite:" + os.path.join(tmp, "r.db"),
                            "--log", os.path.join(tmp, "r.log"), *args],
                           capture_output=True, text=True, timeout=60)
        ok = p.returncode != 0 and "are for the journal" in p.stderr
        print("run %s without --journal: exit %d, %s" % (args[0], p.returncode,
                                                         p.stderr.strip()[-200:]))
        if not ok:
            failures += 1
    if failures:
        print("FAIL: %d check(s); kept for inspection: %s" % (failures, tmp))
        return 1
    subprocess.run(["rm", "-rf", tmp])
    return 0


if __name__ == "__main__":
    sys.exit(main())
