#!/usr/bin/env python3
"""`mailtrail replay` and `mailtrail run` started while another process holds
the SQLite file's write lock (as `mailtrail db purge` does for its one
transaction) for 8 s, longer than SQLite's busy timeout (5 s): both must wait
for it and then do their work (helper-104 F3: both exited after 5 s with
"database is locked", and systemd restarted the agent into the same lock).

usage: locked_start_test.py MAILTRAIL CORPUS.log.gz
"""
import gzip
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time

from mt_testlib import (Held, SqliteLock, closed_records, conclude, live_year, replay_closed,
                        wait_for)

HOLD_SECONDS = 8


def hold_lock(db, held):
    """Holds `db`'s write lock for HOLD_SECONDS on a thread; `held` is set once taken."""
    def run():
        lock = SqliteLock(db)
        held.set()
        time.sleep(HOLD_SECONDS)
        lock.release()
    t = threading.Thread(target=run)
    t.start()
    held.wait()
    return t


def main():
    binary, corpus = sys.argv[1:3]
    lines = gzip.open(corpus, "rt", errors="surrogateescape").read().splitlines(keepends=True)
    tmp = tempfile.mkdtemp(prefix="mt_locked_")
    db, log = os.path.join(tmp, "store.db"), os.path.join(tmp, "mail.log")
    half = len(lines) // 2
    with open(log, "w", errors="surrogateescape") as f:
        f.writelines(lines[:half])
    store = "sqlite:" + db
    year = str(live_year(lines[0]))
    subprocess.run([binary, "replay", "--quiet", "--store", store, "--year", year, log],
                   check=True)
    result = {}

    # A replay of the whole log into the locked store, named by its path alone
    # (which did not wait at first, helper-106).
    with open(log, "a", errors="surrogateescape") as f:
        f.writelines(lines[half:])
    holder = hold_lock(db, threading.Event())
    r = subprocess.run([binary, "replay", "--quiet", "--store", db, "--year", year, log],
                       capture_output=True, text=True)
    holder.join()
    result["replay exit"] = r.returncode
    result["replay said the wait"] = "waiting for it" in r.stderr

    # The live agent started against the locked store.
    errpath = os.path.join(tmp, "agent.err")
    holder = hold_lock(db, threading.Event())
    with Held() as held:
        errf = held.file(open(errpath, "w"))
        agent = held.process(subprocess.Popen([binary, "run", "--store", store, "--log", log],
                                              stderr=errf))
        time.sleep(HOLD_SECONDS - 1)
        result["run alive while locked"] = agent.poll() is None
        holder.join()
        result["run following after"] = wait_for(errpath, "following ", 30)
        agent.send_signal(signal.SIGTERM)
        result["run exit"] = agent.wait(timeout=60)
    err = open(errpath, errors="replace").read()
    result["run said the lock"] = "is locked by another process" in err
    want = replay_closed(binary, lines, tmp, "one")
    got = closed_records(binary, store)
    print(result, "%d records, one replay closes %d"
          % (len(got), len(want)))
    ok = (result["replay exit"] == 0 and result["replay said the wait"]
          and result["run alive while locked"] and result["run following after"]
          and result["run exit"] == 0 and result["run said the lock"] and want and got == want)
    return conclude(ok, want, got, tmp, replay=r.stderr, agent=err)


if __name__ == "__main__":
    sys.exit(main())
