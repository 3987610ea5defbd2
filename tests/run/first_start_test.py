#!/usr/bin/env python3
"""A first start killed before its first batch (issue 18): `mailtrail run
--from-start` reads a log and is SIGKILLed before it commits any record; the log
is rotated while it is down; the restarted agent must read the rotated file
from where the first one stood (its start), then the new one: the store then
holds exactly the records of a one-shot replay. Before the fix the restart was
a first start again and read only the new file (a third of the records lost).

usage: first_start_test.py MAILTRAIL CORPUS.log.gz
"""
import gzip
import os
import signal
import subprocess
import sys
import tempfile
import time

from mt_testlib import replay_closed, report_difference, search


def main():
    binary, corpus = sys.argv[1:3]
    lines = gzip.open(corpus, "rt", errors="surrogateescape").read().splitlines(keepends=True)
    tmp = tempfile.mkdtemp(prefix="mt_first_start_")
    log = os.path.join(tmp, "mail.log")
    db = "sqlite:" + os.path.join(tmp, "agent.db")
    errpath = os.path.join(tmp, "agent.err")
    errlog = open(errpath, "w")
    third = len(lines) // 3
    with open(log, "w", errors="surrogateescape") as f:
        f.writelines(lines[:third])
    base = [binary, "run", "--store", db, "--log", log, "--from-start", "--poll-interval", "50"]
    # No commit for a minute (nor by size: 20,000 records): the kill comes first.
    agent = subprocess.Popen(base + ["--flush-interval", "60000"],
                             stderr=errlog)
    deadline = time.monotonic() + 30
    while "following" not in open(errpath).read() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)  # it reads (a part of) the file
    agent.send_signal(signal.SIGKILL)
    agent.wait()
    os.rename(log, log + ".1")  # rotated while it is down
    with open(log, "w", errors="surrogateescape") as f:
        f.writelines(lines[third:2 * third])
    agent = subprocess.Popen(base + ["--flush-interval", "100"], stderr=errlog)
    time.sleep(1)
    with open(log, "a", errors="surrogateescape") as f:
        f.writelines(lines[2 * third:])
    time.sleep(13)  # past the tracker's 10 s grace: records close
    agent.send_signal(signal.SIGTERM)
    rc = agent.wait(timeout=60)
    errlog.close()
    if rc != 0:
        print("agent exited with", rc, open(errpath).read()[-2000:])
        return 1
    want = replay_closed(binary, lines, tmp, "one")
    got = sorted(r for end, r in search(binary, db))
    print("%d lines, a first start killed before its first batch and the log rotated: the agent"
          " stored %d records, one-shot replay closed %d" % (len(lines), len(got), len(want)))
    if got != want:
        report_difference(want, got)
        print("kept for inspection:", tmp)
        return 1
    subprocess.run(["rm", "-rf", tmp])
    return 0


if __name__ == "__main__":
    sys.exit(main())
