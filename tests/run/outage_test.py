#!/usr/bin/env python3
"""Outage test of the MySQL store (issue 4): `mailtrail run` writes a growing log
into a real MariaDB; in the middle the server is killed (SIGKILL, a crash) and
stays down while the log keeps growing; the agent is SIGKILLed and restarted
during the outage too (it resumes from its spool); then the server comes back.
Afterwards the database must hold exactly the records of a one-shot `mailtrail
replay` of the same lines: nothing lost, nothing doubled.

usage: outage_test.py MAILTRAIL SERVER_SH CORPUS.log.gz
"""
import gzip
import os
import signal
import subprocess
import sys
import tempfile
import time

from mt_testlib import replay_closed, report_difference, search, start_mariadb


def main():
    binary, server, corpus = sys.argv[1:4]
    lines = gzip.open(corpus, "rt", errors="surrogateescape").read().splitlines(keepends=True)
    tmp = tempfile.mkdtemp(prefix="mt_outage_")
    dbdir = os.path.join(tmp, "mariadb")
    agent = None
    try:
        _, store = start_mariadb(binary, server, dbdir)
        log = os.path.join(tmp, "mail.log")
        spool = os.path.join(tmp, "spool.db")
        open(log, "w").close()
        cmd = [binary, "run", "--store", store, "--spool", spool, "--agent", "mx-test",
               "--log", log, "--from-start", "--flush-interval", "100", "--poll-interval", "50"]
        errpath = os.path.join(tmp, "agent.err")
        errlog = open(errpath, "w")
        agent = subprocess.Popen(cmd, stderr=errlog)
        time.sleep(0.3)

        def append(part):
            step = max(1, len(part) // 40)
            for i in range(0, len(part), step):
                with open(log, "a", errors="surrogateescape") as f:
                    f.writelines(part[i:i + step])
                time.sleep(0.02)

        third = len(lines) // 3
        append(lines[:third])
        time.sleep(0.5)
        subprocess.run([server, "kill", dbdir], check=True)  # the server crashes
        append(lines[third:2 * third])
        for _ in range(300):  # the store gives up its retries and the spool takes over
            if "spooling to" in open(errpath).read():
                break
            time.sleep(0.1)
        time.sleep(0.5)
        agent.send_signal(signal.SIGKILL)  # and the agent dies during the outage
        agent.wait()
        agent = subprocess.Popen(cmd, stderr=errlog)  # starts from its spool
        time.sleep(0.5)
        if agent.poll() is not None:
            print("FAIL: the agent did not start during the outage:",
                  open(errpath).read()[-2000:])
            return 1
        append(lines[2 * third:])
        time.sleep(0.5)
        subprocess.run([server, "start", dbdir], check=True, stdout=subprocess.DEVNULL)
        time.sleep(14)  # drain; and past the tracker's 10 s grace
        agent.send_signal(signal.SIGTERM)
        rc = agent.wait(timeout=60)
        agent = None
        errlog.close()
        err = open(errpath).read()
        if rc != 0:
            print("agent exited with", rc, err[-2000:])
            return 1
        if "spooling to" not in err or "the spool is drained" not in err:
            print("FAIL: the agent never spooled, or never drained:", err[-2000:])
            return 1
        want = replay_closed(binary, lines, tmp, "one")
        got = sorted(r for end, r in search(binary, store))
        print("%d lines; server killed for a third of them, agent killed once in the outage:"
              " MySQL holds %d records, one-shot replay closed %d" % (len(lines), len(got),
                                                                       len(want)))
        if got != want:
            report_difference(want, got)
            return 1
        return 0
    finally:
        if agent is not None:
            agent.kill()
            agent.wait()
        subprocess.run([server, "stop", dbdir])
        subprocess.run(["rm", "-rf", tmp])


if __name__ == "__main__":
    sys.exit(main())
