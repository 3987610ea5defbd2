#!/usr/bin/env python3
"""A block in the store made further ahead of the clock than [blocks]
max_period_s, and a day (a machine booted with its clock set back, or the deciding
agent's clock that far ahead) is not enforced: `mailtrail enforce --reconcile`
(the systemd timer's pass, which reads the store alone) leaves it out of a
real access map (postmap, lmdb), as the agent does, and takes the bound from
the configuration; a block made ahead by less than the bound is enforced.
Before, every such block was enforced until its end by this clock. `blocks
explain --config` says which of the two is not enforced here, and why.

usage: reconcile_ahead_test.py MAILTRAIL"""
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from removal_live_test import postmap_q as query  # noqa: E402

FAR = "203.0.113.21"   # made three days ahead: past max_period_s = 2 days
NEAR = "203.0.113.22"  # made ten minutes ahead: within it


def main():
    binary = sys.argv[1]
    tmp = tempfile.mkdtemp(prefix="mt_reconcile_ahead_")
    try:
        db = os.path.join(tmp, "mt.db")
        store = "sqlite:" + db
        access = os.path.join(tmp, "access")
        cfg = os.path.join(tmp, "mailtrail.toml")
        open(os.path.join(tmp, "main.cf"), "w").write("compatibility_level = 3.7\n")
        with open(cfg, "w") as f:
            f.write('[store]\nurl = "%s"\n[enforce]\naccess_map = "%s"\npostfix_reload = false\n'
                    '[blocks]\nmax_period_s = 172800\nallow_mynetworks = false\n'
                    'postfix_config_dir = "%s"\n' % (store, access, tmp))
        subprocess.run([binary, "db", "migrate", "--store", store], check=True,
                       stdout=subprocess.DEVNULL)
        now = int(time.time() * 1e6)
        day, minute = 86400 * 10**6, 60 * 10**6
        con = sqlite3.connect(db)
        for key, created in ((FAR, now + 3 * day), (NEAR, now + 10 * minute)):
            con.execute("INSERT INTO block (kind, key, created, expires, reason, rule, origin_host,"
                        " raw_subjects, evidence, strikes, live) VALUES"
                        " ('ip', ?, ?, ?, 'test', 'manual', 'mx2', '[]', '[]', 1, 1)",
                        (key, created, created + 30 * minute))
        con.commit()
        con.close()
        r = subprocess.run([binary, "enforce", "--reconcile", "--config", cfg],
                           capture_output=True, text=True)
        print("enforce --reconcile: exit %d, %s" % (r.returncode, r.stderr.strip()[-600:]))
        far, near = query(access, FAR), query(access, NEAR)
        print("access map: %s -> %r, %s -> %r" % (FAR, far, NEAR, near))
        ok = r.returncode == 0 and far == "" and near != ""
        if "not enforcing ip %s" % FAR not in r.stderr:
            print("FAIL: the block left out was not said")
            ok = False
        for key, left_out in ((FAR, True), (NEAR, False)):
            e = subprocess.run([binary, "blocks", "explain", key, "--store", store,
                                "--config", cfg], capture_output=True, text=True)
            said = "not enforced here: made at" in e.stdout and "ahead of this clock" in e.stdout
            print("blocks explain %s: exit %d, %s" % (key, e.returncode, e.stdout.strip()[-300:]))
            if e.returncode != 0 or said != left_out:
                print("FAIL: explain of %s %s its being left out" %
                      (key, "does not say" if left_out else "says"))
                ok = False
        print("ok" if ok else "FAILED")
        return 0 if ok else 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
