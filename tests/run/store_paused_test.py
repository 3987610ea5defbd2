#!/usr/bin/env python3
"""`mailtrail run` in front of a store that takes no batch for a while: here a
SQLite file another process holds locked (as `mailtrail db purge` does for
its one DELETE transaction), with a queue of one batch. The agent must not
exit ("database is locked" ended it, and systemd restarted it into the same
lock), its loop must go on (WATCHDOG=1 keeps coming: a blocked loop sent none
until the store came back, helper-95/102), a SIGHUP meanwhile must be
waited for as a state of the loop, not inside it, and be done once the store takes batches; in
the end the store holds exactly the records of a one-shot replay.

usage: store_paused_test.py MAILTRAIL CORPUS.log.gz
"""
import gzip
import os
import signal
import subprocess
import sys
import tempfile
import time

from mt_testlib import Held, NotifySocket, closed_records, conclude, replay_closed


def main():
    binary, corpus = sys.argv[1:3]
    lines = gzip.open(corpus, "rt", errors="surrogateescape").read().splitlines(keepends=True)
    tmp = tempfile.mkdtemp(prefix="mt_paused_")
    db, log = os.path.join(tmp, "agent.db"), os.path.join(tmp, "mail.log")
    conf, errpath = os.path.join(tmp, "mailtrail.toml"), os.path.join(tmp, "agent.err")
    with open(conf, "w") as f:
        f.write('[store]\nurl = "sqlite:%s"\n[logs]\npaths = ["%s"]\nfrom_start = true\n'
                "poll_interval_ms = 50\n[writer]\nflush_interval_ms = 100\nqueue_batches = 1\n"
                % (db, log))
    third = len(lines) // 3
    with open(log, "w", errors="surrogateescape") as f:
        f.writelines(lines[:third])
    notify = NotifySocket(tmp)

    def err():
        return open(errpath).read()

    with Held() as held:
        errf = held.file(open(errpath, "w"))
        agent = held.process(subprocess.Popen([binary, "run", "--config", conf], env=notify.env,
                                              stderr=errf))
        notify.longest_silence(3)  # it reads the first third and commits it
        lock = held.lock(db)  # the write lock, as a purge holds it
        with open(log, "a", errors="surrogateescape") as f:
            f.writelines(lines[third:2 * third])
        locked_silence = notify.longest_silence(8)  # past the busy timeout (5 s) and the pause
        agent.send_signal(signal.SIGHUP)
        after_hup_silence = notify.longest_silence(4)
        paused_said = "reload: waiting for the store" in err()
        lock.release()
        with open(log, "a", errors="surrogateescape") as f:
            f.writelines(lines[2 * third:])
        deadline = time.monotonic() + 60
        while "configuration reloaded" not in err() and time.monotonic() < deadline:
            notify.longest_silence(0.5)
        reloaded = "configuration reloaded" in err()
        notify.longest_silence(13)  # past the tracker's 10 s grace: records close
        agent.send_signal(signal.SIGTERM)
        rc = agent.wait(timeout=60)
    want = replay_closed(binary, lines, tmp, "one")
    got = closed_records(binary, "sqlite:" + db)
    print("store locked 12 s: at most %.1f s without WATCHDOG=1 while locked, %.1f s after a"
          " SIGHUP; reload waiting said: %s, done after: %s; exit %s; %d records, one replay %d"
          % (locked_silence, after_hup_silence, paused_said, reloaded, rc, len(got), len(want)))
    ok = (locked_silence < 5 and after_hup_silence < 4 and paused_said and reloaded and rc == 0
          and "database is locked" not in err().split("reload: waiting for the store")[0].split(
              "is locked by another process")[0] and want and got == want)
    return conclude(ok, want, got, tmp, agent=err())


if __name__ == "__main__":
    sys.exit(main())
