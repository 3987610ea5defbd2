#!/usr/bin/env python3
"""A damaged outage spool (issue 18): the agent spools batches while MariaDB is
down and is killed. Then:
- its WAL is damaged (SQLite silently reads it up to the last good frame):
  the start says how many batches were lost and that their lines are read
  again from the log, and goes on;
- its database file is damaged: every start stops with exit 65 saying what is
  at stake (batches, records) and the way out, and so does
  `db forget-checkpoint --spool`; following the way out (the spool moved
  aside) loses nothing the log still holds: the database then equals a
  one-shot replay.

usage: damaged_spool_test.py MAILTRAIL SERVER_SH CORPUS.log.gz
"""
import gzip
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

from mt_testlib import start_mariadb, stop_and_compare, wait_for



def damage(path):
    """Garbage over the second half of the file."""
    size = os.path.getsize(path)
    with open(path, "r+b") as f:
        f.seek(size // 2)
        f.write(os.urandom(size - size // 2))


def checkpoint_wal(path):
    """Moves what the WAL holds into the database file (as SQLite does itself
    from time to time), so that damage to the file reaches the batches."""
    c = sqlite3.connect(path)
    c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    c.close()


def main():
    binary, server, corpus = sys.argv[1:4]
    lines = gzip.open(corpus, "rt", errors="surrogateescape").read().splitlines(keepends=True)
    tmp = tempfile.mkdtemp(prefix="mt_damaged_spool_")
    dbdir = os.path.join(tmp, "mariadb")
    agent = None
    try:
        _, store = start_mariadb(binary, server, dbdir)
        log = os.path.join(tmp, "mail.log")
        spool = os.path.join(tmp, "spool.db")
        open(log, "w").close()
        cmd = [binary, "run", "--store", store, "--spool", spool, "--log", log, "--from-start",
               "--flush-interval", "100", "--poll-interval", "50"]
        errpath = os.path.join(tmp, "agent.err")
        errlog = open(errpath, "w")

        def append(part):
            step = max(1, len(part) // 20)
            for i in range(0, len(part), step):
                with open(log, "a", errors="surrogateescape") as f:
                    f.writelines(part[i:i + step])
                time.sleep(0.05)

        third = len(lines) // 3
        agent = subprocess.Popen(cmd, stderr=errlog)
        wait_for(errpath, "following")
        append(lines[:third])
        time.sleep(1)
        subprocess.run([server, "kill", dbdir], check=True)
        append(lines[third:2 * third])
        if not wait_for(errpath, "spooling to"):
            print("FAIL: the agent never spooled:", open(errpath).read()[-2000:])
            return 1
        time.sleep(1)
        agent.send_signal(signal.SIGKILL)
        agent.wait()
        agent = None
        # (a) the WAL damaged, on a copy: said, and the agent goes on.
        copy = os.path.join(tmp, "copy")
        os.mkdir(copy)
        for suffix in ("", "-wal", ".mark"):
            shutil.copy(spool + suffix, os.path.join(copy, "spool.db" + suffix))
        damage(os.path.join(copy, "spool.db-wal"))
        wal_cmd = [a if a != spool else os.path.join(copy, "spool.db") for a in cmd]
        try:
            out = subprocess.run(wal_cmd, stderr=subprocess.PIPE, text=True, timeout=5).stderr
        except subprocess.TimeoutExpired as e:  # it waits for the store: it went on
            out = (e.stderr or b"").decode(errors="replace")
        if "lost its last" not in out or "read again from the log" not in out:
            print("FAIL: a damaged spool WAL was not said:", out[-1500:])
            return 1
        print("damaged WAL:", [l for l in out.splitlines() if "lost its last" in l][0][:300])

        # (b) the database file damaged.
        checkpoint_wal(spool)
        damage(spool)

        try:
            rc = subprocess.run(cmd, stderr=subprocess.PIPE, text=True, timeout=20)
        except subprocess.TimeoutExpired as e:
            print("FAIL: a start on a damaged spool did not stop:", (e.stderr or b"")[-1500:])
            return 1
        msg = rc.stderr
        if rc.returncode != 65 or "is damaged" not in msg or "mv " + spool not in msg:
            print("FAIL: a start on a damaged spool: exit %d: %s" % (rc.returncode, msg[-1500:]))
            return 1
        print("start on the damaged spool: exit 65:", msg.strip().splitlines()[-1][:400])
        fc = subprocess.run([binary, "db", "forget-checkpoint", "--store", store, "--spool", spool],
                            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
                            timeout=60)
        if fc.returncode != 65 or "is damaged" not in fc.stderr:
            print("FAIL: forget-checkpoint on a damaged spool: exit %d: %s"
                  % (fc.returncode, fc.stderr[-1500:]))
            return 1

        # The way out: the spool moved aside; the store back; nothing lost.
        for suffix in ("", "-wal", "-shm", ".mark"):
            if os.path.exists(spool + suffix):
                os.rename(spool + suffix, spool + ".damaged" + suffix)
        subprocess.run([server, "start", dbdir], check=True, stdout=subprocess.DEVNULL)
        agent = subprocess.Popen(cmd, stderr=errlog)
        append(lines[2 * third:])
        time.sleep(14)  # past the tracker's 10 s grace
        rc = stop_and_compare(agent, errpath, binary, lines, tmp, store,
                              "spool damaged during an outage and moved aside")
        agent = None
        errlog.close()
        return rc
    finally:
        if agent is not None:
            agent.kill()
            agent.wait()
        subprocess.run([server, "stop", dbdir])
        subprocess.run(["rm", "-rf", tmp])


if __name__ == "__main__":
    sys.exit(main())
