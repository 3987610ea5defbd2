#!/usr/bin/env python3
"""A first start on the journal (issue 22 item 1): `mailtrail run --journal-directory
DIR` without --from-start reads only what is written after it started (the
newest entry's cursor is its first checkpoint); SIGKILLed before any record and
restarted, it reads on after that cursor, not from the head; and with
--from-start a first start reads everything there. The lines it read are
compared with a one-shot replay of the same lines.

usage: journal_first_start_test.py MAILTRAIL CORPUS.log.gz
"""
import gzip
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REMOTE = "/lib/systemd/systemd-journal-remote"
sys.path.insert(0, os.path.join(HERE, "..", "run"))
from mt_testlib import stop_and_compare  # noqa: E402


def main():
    binary, corpus = sys.argv[1:3]
    export = subprocess.run([sys.executable, os.path.join(HERE, "log_to_journal_export.py"), corpus,
                             "--year", "2026"], check=True, capture_output=True).stdout
    entries = [e + b"\n\n" for e in export.split(b"\n\n") if e.strip()]
    third = len(entries) // 3
    tmp = tempfile.mkdtemp(prefix="mt_journal_first_")
    jdir = os.path.join(tmp, "journal")
    os.mkdir(jdir)

    def write(name, part):
        subprocess.run([REMOTE, "-o", os.path.join(jdir, name), "-"], input=b"".join(part),
                       check=True, capture_output=True)

    def run(db, errpath, *extra):
        err = open(errpath, "a")
        p = subprocess.Popen([binary, "run", "--store", "sqlite:" + os.path.join(tmp, db),
                              "--journal-directory", jdir, "--flush-interval", "100",
                              "--poll-interval", "50", *extra], stderr=err)
        deadline = time.monotonic() + 60
        starts = open(errpath).read().count("following ") + 1
        while (open(errpath).read().count("following ") < starts and p.poll() is None
               and time.monotonic() < deadline):
            time.sleep(0.02)
        return p

    def lines_read(p, errpath):
        """SIGTERM, then the agent's count of lines read."""
        time.sleep(1.0)  # past a poll interval and a commit
        p.send_signal(signal.SIGTERM)
        p.wait(timeout=60)
        m = re.findall(r"stopped after (\d+) lines", open(errpath).read())
        return int(m[-1]) if m else -1

    write("a.journal", entries[:third])
    err1 = os.path.join(tmp, "tail.err")
    p = run("tail.db", err1)
    # It says so (helper-144 L6: a first start on the journal said nothing).
    said_tail = "journal: no checkpoint of it: read from now on" in open(err1).read()
    write("b.journal", entries[third:2 * third])
    # Killed while (or after) it reads b: its first checkpoint (the tail's
    # cursor) or a later one holds, and the restart reads on from it.
    time.sleep(0.3)
    p.send_signal(signal.SIGKILL)
    p.wait()
    p = run("tail.db", err1)
    write("c.journal", entries[2 * third:])
    # Past the tracker's 10 s grace, then exactly the records of a one-shot
    # replay of b and c: nothing of a (written before the first start), b and c
    # neither lost nor doubled across the kill.
    time.sleep(13)
    lines = gzip.open(corpus, "rt", errors="surrogateescape").read().splitlines(keepends=True)
    ok = stop_and_compare(p, err1, binary, lines[third:], tmp, "sqlite:" + os.path.join(tmp, "tail.db"),
                          "first start at the tail, killed, restarted") == 0
    # From the start: everything there.
    err2 = os.path.join(tmp, "head.err")
    p = run("head.db", err2, "--from-start")
    got_all = lines_read(p, err2)
    print("--from-start: read %d lines of %d" % (got_all, len(entries)))
    ok = ok and got_all == len(entries)
    said_head = "journal: no checkpoint of it" in open(err2).read()
    print("said it reads from now on: %s at the first start, %s with --from-start"
          % (said_tail, said_head))
    ok = ok and said_tail and not said_head
    if not ok:
        print("FAIL; kept for inspection:", tmp)
        return 1
    subprocess.run(["rm", "-rf", tmp])
    return 0


if __name__ == "__main__":
    sys.exit(main())
