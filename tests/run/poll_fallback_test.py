#!/usr/bin/env python3
"""Without file events the steady timer still finds new lines: the log's
directory does not exist when `mailtrail run` starts, so it cannot be watched
(the agent says so); the directory and the log appear later and are read by the
periodic re-check alone (what also covers dropped inotify events).

usage: poll_fallback_test.py MAILTRAIL
"""
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time


def main():
    binary = sys.argv[1]
    tmp = tempfile.mkdtemp(prefix="mt_poll_")
    logdir = os.path.join(tmp, "later")
    log = os.path.join(logdir, "mail.log")
    db = os.path.join(tmp, "t.db")
    err = os.path.join(tmp, "err.txt")
    with open(err, "w") as errf:
        p = subprocess.Popen([binary, "run", "--store", "sqlite:" + db, "--log", log,
                              "--from-start", "--poll-interval", "200"], stderr=errf)
        time.sleep(0.5)
        os.mkdir(logdir)
        with open(log, "w") as f:
            f.write("Nov 27 12:03:26 mx postfix/pickup[1]: 44C4B10A321: uid=0 from=<root>\n"
                    "Nov 27 12:03:26 mx postfix/qmgr[2]: 44C4B10A321: removed\n")
        found = False
        for _ in range(50):
            time.sleep(0.1)
            try:
                found = sqlite3.connect(db).execute(
                    "SELECT count(*) FROM message WHERE qid = '44C4B10A321'").fetchone()[0] == 1
            except sqlite3.Error:
                pass
            if found:
                break
        p.send_signal(signal.SIGTERM)
        rc = p.wait(timeout=30)
    text = open(err).read()
    print(text.strip(), "| found:", found)
    ok = rc == 0 and found and "cannot watch" in text
    subprocess.run(["rm", "-rf", tmp])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
