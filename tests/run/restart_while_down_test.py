#!/usr/bin/env python3
"""The agent (re)started while its MySQL store is down (issue 18): it must not
exit, but wait for the store (saying so), stop cleanly on SIGTERM while it
waits, and once the server is back resume from its checkpoint: the database then
holds exactly the records of a one-shot `mailtrail replay` of every line,
including those written while the agent waited.

usage: restart_while_down_test.py MAILTRAIL SERVER_SH CORPUS.log.gz
"""
import gzip
import os
import signal
import subprocess
import sys
import tempfile
import time

from mt_testlib import start_mariadb, stop_and_compare, wait_for



def main():
    binary, server, corpus = sys.argv[1:4]
    lines = gzip.open(corpus, "rt", errors="surrogateescape").read().splitlines(keepends=True)
    tmp = tempfile.mkdtemp(prefix="mt_restart_down_")
    dbdir = os.path.join(tmp, "mariadb")
    agent = None
    try:
        _, store = start_mariadb(binary, server, dbdir)
        log = os.path.join(tmp, "mail.log")
        open(log, "w").close()
        cmd = [binary, "run", "--store", store, "--spool", os.path.join(tmp, "spool.db"),
               "--log", log, "--from-start", "--flush-interval", "100", "--poll-interval", "50"]
        errpath = os.path.join(tmp, "agent.err")
        errlog = open(errpath, "w")

        def append(part):
            with open(log, "a", errors="surrogateescape") as f:
                f.writelines(part)

        third = len(lines) // 3
        agent = subprocess.Popen(cmd, stderr=errlog)
        append(lines[:third])
        if not wait_for(errpath, "following"):
            print("FAIL: the agent did not start:", open(errpath).read()[-2000:])
            return 1
        time.sleep(2)  # several commits
        agent.send_signal(signal.SIGKILL)
        agent.wait()
        subprocess.run([server, "kill", dbdir], check=True)  # and the server crashes

        # Started while the server is down: it waits, and SIGTERM stops it.
        agent = subprocess.Popen(cmd, stderr=errlog)
        if not wait_for(errpath, "waiting for it"):
            print("FAIL: no word of waiting for the store:", open(errpath).read()[-2000:])
            return 1
        time.sleep(1.5)
        if agent.poll() is not None:
            print("FAIL: the agent exited with %d while the store was down: %s"
                  % (agent.returncode, open(errpath).read()[-2000:]))
            return 1
        agent.send_signal(signal.SIGTERM)
        rc = agent.wait(timeout=10)
        if rc != 0:
            print("FAIL: SIGTERM while waiting for the store: exit %d" % rc)
            return 1

        # Started again, still down; the log grows; the server comes back.
        agent = subprocess.Popen(cmd, stderr=errlog)
        append(lines[third:2 * third])
        time.sleep(3)
        if agent.poll() is not None:
            print("FAIL: the agent exited with %d while the store was down: %s"
                  % (agent.returncode, open(errpath).read()[-2000:]))
            return 1
        subprocess.run([server, "start", dbdir], check=True, stdout=subprocess.DEVNULL)
        append(lines[2 * third:])
        deadline = time.monotonic() + 90
        while open(errpath).read().count("following") < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        if open(errpath).read().count("following") < 2:
            print("FAIL: the agent did not resume:", open(errpath).read()[-2000:])
            return 1
        time.sleep(14)  # past the tracker's 10 s grace: records close
        rc = stop_and_compare(agent, errpath, binary, lines, tmp, store,
                              "agent restarted twice while MariaDB was down")
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
