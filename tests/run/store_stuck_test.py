#!/usr/bin/env python3
"""`mailtrail run` whose writer is stuck on one batch (a SQLite file another
process holds locked) while its queue still has room, so the reading is not
paused: a SIGHUP and a SIGTERM then stop the running agent, and that stop
waits for the store. It must wait as a state of the loop, not inside it
(helper-104: the loop sent no WATCHDOG=1 for as long as the lock lasted, and
a second SIGTERM was ignored):
  1. SIGHUP while stuck: WATCHDOG=1 keeps coming; the reload is done once
     the store takes the batch.
  2. SIGHUP, then SIGTERM while the reload waits: WATCHDOG=1 keeps coming,
     the stop's wait is said (it was not when the reload's had been,
     helper-106); a second SIGTERM stops at once (exit 0), says that nothing
     is lost, and leaves no policy socket behind.
  3. Started again after the lock: the store holds exactly the records of a
     one-shot replay (the lines of the cut-short stop are read again).

usage: store_stuck_test.py MAILTRAIL CORPUS.log.gz
"""
import gzip
import os
import signal
import subprocess
import sys
import tempfile
import time

from mt_testlib import Held, NotifySocket, closed_records, conclude, replay_closed, wait_for

QUIET_LIMIT = 5.0  # seconds without WATCHDOG=1 that count as a held loop


def main():
    binary, corpus = sys.argv[1:3]
    lines = gzip.open(corpus, "rt", errors="surrogateescape").read().splitlines(keepends=True)
    tmp = tempfile.mkdtemp(prefix="mt_stuck_")
    db, log = os.path.join(tmp, "agent.db"), os.path.join(tmp, "mail.log")
    conf, errpath = os.path.join(tmp, "mailtrail.toml"), os.path.join(tmp, "agent.err")
    policy = os.path.join(tmp, "policy.sock")
    with open(conf, "w") as f:
        f.write('[store]\nurl = "sqlite:%s"\n[logs]\npaths = ["%s"]\nfrom_start = true\n'
                "poll_interval_ms = 50\n[writer]\nflush_interval_ms = 100\n"
                '[policy]\nsocket = "%s"\n' % (db, log, policy))
    quarter = len(lines) // 4
    cuts = [0, quarter, quarter + 40, 2 * quarter, len(lines)]

    def append(i):
        with open(log, "a", errors="surrogateescape") as f:
            f.writelines(lines[cuts[i]:cuts[i + 1]])

    notify = NotifySocket(tmp)

    def err():
        return open(errpath, errors="replace").read()

    result = {}
    with Held() as held:
        errf = held.file(open(errpath, "w"))

        def start():
            return held.process(subprocess.Popen([binary, "run", "--config", conf],
                                                 env=notify.env, stderr=errf))

        agent = start()
        append(0)
        notify.longest_silence(3)  # the first quarter read and committed
        lock = held.lock(db)  # the write lock, as `db purge` holds it
        append(1)  # a few lines: one batch, which the writer takes and waits on
        notify.longest_silence(1.5)
        agent.send_signal(signal.SIGHUP)
        result["silence after SIGHUP"] = notify.longest_silence(8)
        lock.release()
        result["reloaded"] = wait_for(errpath, "configuration reloaded", 60)
        append(2)
        notify.longest_silence(2)
        lock = held.lock(db)
        append(3)
        notify.longest_silence(1.5)
        agent.send_signal(signal.SIGHUP)
        notify.longest_silence(4.5)  # the reload's wait is said after 3 s
        result["policy socket while running"] = os.path.exists(policy)
        agent.send_signal(signal.SIGTERM)
        result["silence after SIGTERM"] = notify.longest_silence(8)
        result["wait said"] = "a second SIGTERM stops at once" in err()
        agent.send_signal(signal.SIGTERM)
        t0 = time.monotonic()
        try:
            result["exit"] = agent.wait(timeout=10)
        except subprocess.TimeoutExpired:
            result["exit"] = "still running 10 s after a second SIGTERM"
            agent.kill()
            agent.wait()
        result["second SIGTERM took"] = round(time.monotonic() - t0, 1)
        result["nothing lost said"] = "stopped without waiting for the store" in err()
        result["policy socket left"] = os.path.exists(policy)
        lock.release()
        agent = start()
        notify.longest_silence(14)  # read again, and past the tracker's 10 s grace
        agent.send_signal(signal.SIGTERM)
        result["last exit"] = agent.wait(timeout=60)
    want = replay_closed(binary, lines, tmp, "one")
    got = closed_records(binary, "sqlite:" + db)
    print(result, "%d records, one replay %d" % (len(got), len(want)))
    ok = (result["silence after SIGHUP"] < QUIET_LIMIT and result["reloaded"]
          and result["silence after SIGTERM"] < QUIET_LIMIT and result["wait said"]
          and result["exit"] == 0 and result["nothing lost said"] and result["last exit"] == 0
          and result["policy socket while running"] and not result["policy socket left"]
          and want and got == want)
    return conclude(ok, want, got, tmp, agent=err())


if __name__ == "__main__":
    sys.exit(main())
