#!/usr/bin/env python3
"""Issue 19 items 4 and 5, the Postfix tables: an agent writes blocks
into an access map (real postmap, lmdb) and header_checks (pcre), an IP and a
subject blocked for an hour.
- Item 5: someone edits header_checks and deletes the access map's database
  under the running agent: its periodic recheck writes them again.
- Item 4: the agent is killed with SIGKILL and the blocks end (removed by
  hand, `blocks remove`, while it is dead): the tables still
  hold them (nothing else would remove them), then one
  `mailtrail enforce --reconcile --config FILE` pass (what the systemd timer
  runs every 30 s) rewrites them without the ended blocks: `postmap -q`
  answers nothing.

usage: reconcile_test.py MAILTRAIL"""
import os
import shutil
import signal
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from allowlist_live_test import wait_for  # noqa: E402

IP = "203.0.113.9"
SUBJECT = "Quarterly invoice reminder 2026"


def query(kind, table, key):
    conf = os.path.dirname(table)  # main.cf beside the table
    r = subprocess.run(["postmap", "-c", conf, "-q", key, kind + ":" + table],
                       capture_output=True, text=True)
    return r.stdout.strip()


def main():
    binary = sys.argv[1]
    tmp = tempfile.mkdtemp(prefix="mt_reconcile_")
    agent = None
    try:
        log = os.path.join(tmp, "mail.log")
        open(log, "w").close()
        db = os.path.join(tmp, "mt.db")
        store = "sqlite:" + db
        access = os.path.join(tmp, "access")
        checks = os.path.join(tmp, "header_checks")
        cfg = os.path.join(tmp, "mailtrail.toml")
        open(os.path.join(tmp, "main.cf"), "w").write("compatibility_level = 3.7\n")
        with open(cfg, "w") as f:
            f.write('[store]\nurl = "%s"\n[logs]\npaths = ["%s"]\n'
                    '[writer]\nflush_interval_ms = 100\n'
                    '[enforce]\naccess_map = "%s"\nheader_checks = "%s"\npostfix_reload = false\n'
                    'recheck_interval_s = 2\n[blocks]\nallow_mynetworks = false\npostfix_config_dir = "%s"\n'
                    % (store, log, access, checks, tmp))
        err = open(os.path.join(tmp, "agent.err"), "w")
        agent = subprocess.Popen([binary, "run", "--config", cfg], stderr=err)
        if not wait_for("the agent to start",
                        lambda: "following" in open(os.path.join(tmp, "agent.err")).read()):
            return 1
        for kind, key in (("ip", IP), ("subject", SUBJECT)):
            subprocess.run([binary, "blocks", "add", kind, key, "--for", "1h", "--store", store],
                           check=True, stdout=subprocess.DEVNULL)
        held = lambda: (query("lmdb", access, IP) and
                        query("pcre", checks, "Subject: " + SUBJECT))
        if not wait_for("both blocks in the tables", held):
            return 1
        print("enforced: %r / %r" % (query("lmdb", access, IP),
                                      query("pcre", checks, "Subject: " + SUBJECT)))
        ok = True
        # Item 5: edited and removed by someone else, under the running agent.
        open(checks, "w").write("# emptied by someone\n")
        os.unlink(access + ".lmdb")
        if not wait_for("the agent to repair its tables", held, limit=120):
            ok = False
        else:
            print("repaired by the running agent")
        agent.send_signal(signal.SIGKILL)
        agent.wait()
        agent = None
        # The blocks end while the agent is dead (by hand: no wait for a
        # period, and no race with the repair above on a slow machine).
        for key in (IP, SUBJECT):
            subprocess.run([binary, "blocks", "remove", key, "--store", store], check=True,
                           stdout=subprocess.DEVNULL)
        ended = lambda: subprocess.run(
            [binary, "blocks", "list", "--store", store],
            capture_output=True, text=True, check=True).stdout.strip() == ""
        if not wait_for("the blocks to end", ended, limit=120):
            return 1
        print("after the end, agent dead: %r / %r" % (query("lmdb", access, IP),
                                                       query("pcre", checks, "Subject: " + SUBJECT)))
        r = subprocess.run([binary, "enforce", "--reconcile", "--config", cfg],
                           capture_output=True, text=True)
        print("enforce --reconcile: exit %d, %s" % (r.returncode, r.stderr.strip()[-300:]))
        left = (query("lmdb", access, IP), query("pcre", checks, "Subject: " + SUBJECT))
        print("after reconcile: %r" % (left,))
        if r.returncode != 0 or any(left):
            print("FAIL: an ended block is still enforced")
            ok = False
        print("ok" if ok else "FAILED")
        if not ok:
            print(open(os.path.join(tmp, "agent.err")).read()[-2000:])
        return 0 if ok else 1
    finally:
        if agent and agent.poll() is None:
            agent.kill()
            agent.wait()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
