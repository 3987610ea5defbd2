#!/usr/bin/env python3
"""A backfill after a default first start (helper-95, F7): `mailtrail run`
starts at the end of a log that already holds half a corpus (no
--from-start), follows the rest, and stops; then the admin replays the whole
log into the same store, as docs/install.md says, to have its history too.
The agent's records of the messages it met in their middle (no client, the
first recipients missing) must give way to the replay's whole ones: the
store then holds exactly the records of one replay of the log (it held
both, 84 messages twice on the generated log). Messages the agent met from
their start are not written twice either.

usage: backfill_test.py MAILTRAIL CORPUS.log.gz [SERVER_SH]
  with SERVER_SH (tests/mysql/server.sh) the store is a throwaway MariaDB.
"""
import gzip
import os
import signal
import subprocess
import sys
import tempfile
import time

from mt_testlib import live_year, report_difference, search, start_mariadb


def wait_for_text(path, text, seconds=60):
    """Polls the file until it holds `text` (a guard against a hang, no time asserted)."""
    deadline = time.monotonic() + seconds
    while text not in open(path).read() and time.monotonic() < deadline:
        time.sleep(0.05)
    return text in open(path).read()


def main():
    binary, corpus = sys.argv[1:3]
    server = sys.argv[3] if len(sys.argv) > 3 else None
    lines = gzip.open(corpus, "rt", errors="surrogateescape").read().splitlines(keepends=True)
    tmp = tempfile.mkdtemp(prefix="mt_backfill_")
    log = os.path.join(tmp, "mail.log")
    errpath = os.path.join(tmp, "agent.err")
    dbdir = os.path.join(tmp, "mariadb")
    agent = None
    ok = False
    try:
        if server:
            _, store = start_mariadb(binary, server, dbdir)
        else:
            store = "sqlite:" + os.path.join(tmp, "agent.db")
        half = len(lines) // 2
        with open(log, "w", errors="surrogateescape") as f:
            f.writelines(lines[:half])
        errlog = open(errpath, "w")
        spool = ["--spool", os.path.join(tmp, "spool.db")] if server else []
        agent = subprocess.Popen([binary, "run", "--store", store, "--log", log,
                                  "--poll-interval", "50", "--flush-interval", "100"] + spool,
                                 stderr=errlog)
        if not wait_for_text(errpath, "following"):
            print("FAIL: the agent did not start:", open(errpath).read()[-2000:])
            return 1
        time.sleep(0.5)  # at the end of the log: what comes next is new
        with open(log, "a", errors="surrogateescape") as f:
            f.writelines(lines[half:])
        time.sleep(13)  # past the tracker's 10 s grace: records close
        agent.send_signal(signal.SIGTERM)
        rc = agent.wait(timeout=60)
        agent = None
        errlog.close()
        if rc != 0:
            print("FAIL: agent exited with", rc, open(errpath).read()[-2000:])
            return 1
        year = str(live_year(lines[0]))
        subprocess.run([binary, "replay", "--quiet", "--store", store, "--year", year, log],
                       check=True)
        one = "sqlite:" + os.path.join(tmp, "one.db")
        subprocess.run([binary, "replay", "--quiet", "--store", one, "--year", year, log],
                       check=True)
        want = sorted(r for _, r in search(binary, one))
        got = sorted(r for _, r in search(binary, store))
        print("%d lines, the agent started in the middle, then the whole log replayed into %s:"
              " %d records, one replay %d" % (len(lines), store.split(":")[0], len(got),
                                                len(want)))
        if got != want:
            report_difference(want, got)
            print("kept for inspection:", tmp)
            return 1
        ok = True
        return 0
    finally:
        if agent is not None:
            agent.kill()
            agent.wait()
        if server and os.path.isdir(dbdir):
            subprocess.run([server, "stop", dbdir], stdout=subprocess.DEVNULL)
        if ok:  # after the server stopped: its files are in there
            subprocess.run(["rm", "-rf", tmp])


if __name__ == "__main__":
    sys.exit(main())
