#!/usr/bin/env python3
"""A MariaDB that answers but refuses writes (helper-95): `SET GLOBAL
read_only=1`, as on a primary demoted by a failover, while `mailtrail run`
writes into it as a user without SUPER. The agent must wait or spool, not end
(it ended with "MySQL error 1290" and systemd restarted it every 2 s), must
start while the server is read-only, and once writes are allowed again the
database must hold exactly the records of a one-shot replay of the same lines.
Then a `db migrate` of a newer mailtrail while the agent is cut off: at its
next connection the agent must see the schema version it does not know and
stop writing, with that said (it went on writing, unchecked).

usage: read_only_test.py MAILTRAIL SERVER_SH CORPUS.log.gz
"""
import gzip
import os
import signal
import subprocess
import sys
import tempfile
import time

from mt_testlib import replay_closed, report_difference, search, start_mariadb


def wait_for(predicate, seconds=120):
    """Polls `predicate` until it holds (a guard against a hang, no time asserted)."""
    deadline = time.monotonic() + seconds
    while not predicate() and time.monotonic() < deadline:
        time.sleep(0.05)
    return predicate()


def schema_changed_under_it(cmd, sql, sock, log, lines, errpath):
    errlog = open(errpath, "a")
    agent = subprocess.Popen(cmd, stderr=errlog)
    try:
        starts = open(errpath).read().count("following ")
        if not wait_for(lambda: open(errpath).read().count("following ") > starts):
            print("FAIL: the agent did not start again:", open(errpath).read()[-2000:])
            return 1
        sql("UPDATE mt.mailtrail_meta SET v = '999' WHERE k = 'schema_version'")
        # Its sessions are cut (a server restart, a failover): it connects again.
        out = subprocess.run(["mariadb", "--no-defaults", "-uroot", "-S", sock, "-N", "-e", "SELECT id FROM information_schema.PROCESSLIST"
                              " WHERE USER = 'mt'"], check=True, capture_output=True,
                             text=True).stdout.split()
        for session in out:
            sql("KILL CONNECTION %s" % session)
        with open(log, "a", errors="surrogateescape") as f:
            f.writelines(lines[:200])  # the same lines again: a rotated log read anew
        ended = wait_for(lambda: agent.poll() is not None)
        err = open(errpath).read().split("following ")[-1]
        if not ended or agent.returncode == 0 or "schema version 999" not in err:
            print("FAIL: a schema version changed under the agent was not seen:",
                  agent.poll(), err[-2000:])
            return 1
        print("a schema changed under it: the agent stopped (exit %d) and said so" %
              agent.returncode)
        return 0
    finally:
        if agent.poll() is None:
            agent.kill()
        agent.wait()
        errlog.close()


def main():
    binary, server, corpus = sys.argv[1:4]
    lines = gzip.open(corpus, "rt", errors="surrogateescape").read().splitlines(keepends=True)
    tmp = tempfile.mkdtemp(prefix="mt_read_only_")
    dbdir = os.path.join(tmp, "mariadb")
    agent = None
    try:
        sock, _ = start_mariadb(binary, server, dbdir)

        def sql(statement):
            subprocess.run(["mariadb", "--no-defaults", "-uroot", "-S", sock, "-e", statement],
                           check=True)

        # read_only binds every user without SUPER (or READ_ONLY ADMIN): an agent's.
        sql("CREATE USER mt@localhost; GRANT ALL ON mt.* TO mt@localhost")
        store = "mysql://mt@localhost/mt?socket=" + sock
        log = os.path.join(tmp, "mail.log")
        spool = os.path.join(tmp, "spool.db")
        open(log, "w").close()
        cmd = [binary, "run", "--store", store, "--spool", spool, "--agent", "mx-test",
               "--log", log, "--from-start", "--flush-interval", "100", "--poll-interval", "50"]
        errpath = os.path.join(tmp, "agent.err")
        errlog = open(errpath, "w")

        def err():
            return open(errpath, errors="replace").read()

        def append(part):
            with open(log, "a", errors="surrogateescape") as f:
                f.writelines(part)

        agent = subprocess.Popen(cmd, stderr=errlog)
        third = len(lines) // 3
        append(lines[:third])
        if not wait_for(lambda: search(binary, store)):
            print("FAIL: nothing written before the server became read-only:", err()[-2000:])
            return 1
        sql("SET GLOBAL read_only = 1")
        append(lines[third:2 * third])
        spooling = wait_for(lambda: "spooling to" in err() or agent.poll() is not None)
        if not spooling or agent.poll() is not None:
            print("FAIL: a read-only server ended the agent or was never spooled around:",
                  agent.poll(), err()[-2000:])
            return 1
        # A start while the server is read-only: the agent runs, from its spool.
        agent.send_signal(signal.SIGTERM)
        agent.wait(timeout=60)
        starts = err().count("following ")
        agent = subprocess.Popen(cmd, stderr=errlog)
        if not wait_for(lambda: err().count("following ") > starts or agent.poll() is not None) \
                or agent.poll() is not None:
            print("FAIL: the agent did not start on a read-only server:", agent.poll(),
                  err()[-2000:])
            return 1
        append(lines[2 * third:])
        sql("SET GLOBAL read_only = 0")
        if not wait_for(lambda: "the spool is drained" in err().split("following ")[-1]):
            print("FAIL: the spool was not drained once writes were allowed:", err()[-2000:])
            return 1
        # The last messages close 10 s after their last line (the tracker's grace).
        want = replay_closed(binary, lines, tmp, "one")
        wait_for(lambda: len(search(binary, store)) >= len(want))
        agent.send_signal(signal.SIGTERM)
        rc = agent.wait(timeout=60)
        agent = None
        errlog.close()
        if rc != 0:
            print("agent exited with", rc, err()[-2000:])
            return 1
        got = sorted(r for end, r in search(binary, store))
        print("%d lines; the server read-only for a third of them and an agent start:"
              " MySQL holds %d records, one-shot replay closed %d" % (len(lines), len(got),
                                                                       len(want)))
        if got != want:
            report_difference(want, got)
            return 1
        return schema_changed_under_it(cmd, sql, sock, log, lines, errpath)
    finally:
        if agent is not None:
            agent.kill()
            agent.wait()
        subprocess.run([server, "stop", dbdir])
        subprocess.run(["rm", "-rf", tmp])


if __name__ == "__main__":
    sys.exit(main())
