#!/usr/bin/env python3
"""A checkpoint the agent cannot resume from (here: its bytes overwritten) stops
`mailtrail run` at once, with exit status 65 (on which the systemd unit does not
restart) and a message that names the way out; `mailtrail db
forget-checkpoint` takes it; the agent then starts afresh, as on a first start,
and the records written before stay, once each.

usage: damaged_checkpoint_test.py MAILTRAIL
"""
import os
import sqlite3
import subprocess
import sys
import tempfile
import time

MSG = ("Nov 27 12:03:26 mx postfix/pickup[1]: {q}: uid=0 from=<root>\n"
       "Nov 27 12:03:26 mx postfix/qmgr[2]: {q}: removed\n")


def qids(db):
    con = sqlite3.connect(db, timeout=5)
    try:
        return sorted(q for (q,) in con.execute("SELECT qid FROM message"))
    finally:
        con.close()


def wait_for(pred, seconds=10):
    end = time.time() + seconds
    while time.time() < end:
        if pred():
            return True
        time.sleep(0.1)
    return False


def main():
    binary = sys.argv[1]
    tmp = tempfile.mkdtemp(prefix="mt_damaged_")
    log = os.path.join(tmp, "mail.log")
    db = os.path.join(tmp, "t.db")
    conf = os.path.join(tmp, "mailtrail.toml")
    with open(log, "w") as f:
        f.write(MSG.format(q="44C4B10A321"))
    with open(conf, "w") as f:
        f.write('[store]\nurl = "sqlite:%s"\n[logs]\npaths = ["%s"]\npoll_interval_ms = 50\n'
                '[writer]\nflush_interval_ms = 100\n' % (db, log))

    def run():
        return subprocess.Popen([binary, "run", "--config", conf], stderr=subprocess.PIPE,
                                text=True)

    # A first start begins at the end of the log: a message appended after it is read.
    p = run()
    time.sleep(0.5)
    with open(log, "a") as f:
        f.write(MSG.format(q="55C4B10A321"))
    first = wait_for(lambda: os.path.exists(db) and qids(db) == ["55C4B10A321"])
    p.terminate()
    p.wait(timeout=30)

    con = sqlite3.connect(db)
    damaged = con.execute("UPDATE checkpoint SET data = 'not a checkpoint' WHERE name = 'tail'"
                          ).rowcount
    con.commit()
    con.close()

    p = run()
    try:
        _, refused_text = p.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        p.kill()
        refused_text = "(still running)"
    refused = p.returncode == 65  # EX_DATAERR: the unit does not restart on it

    forget = subprocess.run([binary, "db", "forget-checkpoint", "--store", "sqlite:" + db],
                            capture_output=True, text=True)

    p = run()
    time.sleep(0.5)
    with open(log, "a") as f:
        f.write(MSG.format(q="66C4B10A321"))
    afresh = wait_for(lambda: qids(db) == ["55C4B10A321", "66C4B10A321"])
    p.terminate()
    rc = p.wait(timeout=30)
    got = qids(db)
    print("first start:", first, "| damaged rows:", damaged, "| refused:", refused,
          repr(refused_text.strip()[-400:]), "| forget:", forget.returncode,
          forget.stdout.strip(), forget.stderr.strip(), "| afresh:", afresh, got, "| exit:", rc)
    ok = (first and damaged == 1 and refused
          and "resuming from the checkpoint" in refused_text
          and "mailtrail db forget-checkpoint" in refused_text
          and forget.returncode == 0 and "the checkpoint is forgotten (" in forget.stdout
          and afresh and got == ["55C4B10A321", "66C4B10A321"] and rc == 0)
    subprocess.run(["rm", "-rf", tmp])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
