#!/usr/bin/env python3
"""Following the journal with SIGKILLs (issue 22 item 1): a corpus log is written,
in chunks of random size, as journal files into a directory (the real
systemd-journal-remote, one file per chunk, as journald starts new files), while
`mailtrail run --journal-directory DIR` follows it and is SIGKILLed and restarted
at seeded random points, some chunks written while it is down. Afterwards the
store must hold exactly the records of a one-shot `mailtrail replay` of the same
lines: the journal cursor, committed with the records, loses and doubles
nothing.

usage: journal_follow_test.py MAILTRAIL CORPUS.log.gz [--kills N] [--seed S]
"""
import argparse
import gzip
import os
import random
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "run"))
from mt_testlib import live_year, start_following, stop_and_compare  # noqa: E402

REMOTE = "/lib/systemd/systemd-journal-remote"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("corpus")
    ap.add_argument("--kills", type=int, default=12)
    ap.add_argument("--chunks", type=int, default=30)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    lines = gzip.open(a.corpus, "rt", errors="surrogateescape").read().splitlines(keepends=True)
    year = live_year(lines[0])
    # One export entry per line (the corpus has no other), split into chunks.
    export = subprocess.run([sys.executable, os.path.join(HERE, "log_to_journal_export.py"),
                             a.corpus, "--year", str(year)], check=True,
                            capture_output=True).stdout
    entries = [e + b"\n\n" for e in export.split(b"\n\n") if e.strip()]
    assert len(entries) == len(lines), (len(entries), len(lines))
    cuts = sorted(rng.sample(range(1, len(entries)), a.chunks - 1))
    chunks = [entries[i:j] for i, j in zip([0] + cuts, cuts + [len(entries)])]

    tmp = tempfile.mkdtemp(prefix="mt_journal_follow_")
    jdir = os.path.join(tmp, "journal")
    os.mkdir(jdir)
    store = "sqlite:" + os.path.join(tmp, "agent.db")
    errpath = os.path.join(tmp, "agent.err")
    errlog = open(errpath, "w")
    cmd = [a.binary, "run", "--store", store, "--journal-directory", jdir, "--from-start",
           "--flush-interval", "100", "--poll-interval", "50"]
    written = 0

    def write_chunk():
        nonlocal written
        path = os.path.join(jdir, "part-%03d.journal" % written)
        subprocess.run([REMOTE, "-o", path, "-"], input=b"".join(chunks[written]), check=True,
                       capture_output=True)
        written += 1

    starts = 0

    def start():  # returns once started (checkpoint read, journal open)
        nonlocal starts
        starts += 1
        return start_following(cmd, errlog, errpath, starts)

    kills = down_writes = 0
    agent = start()
    per_kill = max(1, len(chunks) // (a.kills + 1))
    while written < len(chunks):
        write_chunk()
        time.sleep(rng.uniform(0.0, 0.3))
        if written % per_kill == 0 and kills < a.kills:
            agent.send_signal(signal.SIGKILL)
            agent.wait()
            kills += 1
            if rng.random() < 0.4 and written < len(chunks):  # written while it is down
                write_chunk()
                down_writes += 1
            agent = start()
    while kills < a.kills:
        time.sleep(rng.uniform(0.05, 0.4))
        agent.send_signal(signal.SIGKILL)
        agent.wait()
        kills += 1
        agent = start()
    # Everything read (the metrics would say; the log's last line in the
    # store is enough), then past the tracker's 10 s grace: records waiting for
    # late lines close.
    time.sleep(13)
    errlog.close()
    print("seed %d: %d lines in %d journal files (%d written while the agent was down), "
          "%d kills" % (a.seed, len(lines), written, down_writes, kills))
    rc = stop_and_compare(agent, errpath, a.binary, lines, tmp, store, "journal followed")
    if rc != 0 or kills < a.kills:
        print("FAIL (seed %d); kept for inspection: %s" % (a.seed, tmp))
        return 1
    subprocess.run(["rm", "-rf", tmp])
    return 0


if __name__ == "__main__":
    sys.exit(main())
