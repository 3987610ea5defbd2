#!/usr/bin/env python3
"""Issue 19 item 2: `blocks remove` reaches a running agent. A block added by
hand to the agent's store is enforced (policy service, access map); removed
with `blocks remove`, the running agent ends it too: the policy service answers
DUNNO again and the access map (built with the real postmap) no longer holds it.
The agent is never restarted.

usage: removal_live_test.py MAILTRAIL"""
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from allowlist_live_test import ask_policy, wait_for  # noqa: E402

IP = "203.0.113.9"


def postmap_q(table, key):
    conf = os.path.dirname(table)  # main.cf beside the table
    r = subprocess.run(["postmap", "-c", conf, "-q", key, "lmdb:" + table],
                       capture_output=True, text=True)
    return r.stdout.strip()


def main():
    binary = sys.argv[1]
    tmp = tempfile.mkdtemp(prefix="mt_removal_live_")
    agent = None
    try:
        log = os.path.join(tmp, "mail.log")
        open(log, "w").close()
        store = "sqlite:" + os.path.join(tmp, "mt.db")
        sock = os.path.join(tmp, "policy.sock")
        access = os.path.join(tmp, "access")
        open(os.path.join(tmp, "main.cf"), "w").write("compatibility_level = 3.7\n")
        agent = subprocess.Popen(
            [binary, "run", "--store", store, "--log", log, "--policy-socket", sock,
             "--access-map", access, "--postfix-config-dir", tmp, "--allow", "127.0.0.0/8", "--flush-interval", "100",
             "--poll-interval", "100"],
            stderr=open(os.path.join(tmp, "agent.err"), "w"))
        if not wait_for("the policy socket", lambda: os.path.exists(sock)):
            return 1
        subprocess.run([binary, "blocks", "add", "ip", IP, "--for", "1h", "--store", store],
                       check=True, stdout=subprocess.DEVNULL)
        if not wait_for("the block enforced", lambda: ask_policy(sock, IP) != "action=DUNNO"
                        and postmap_q(access, IP)):
            return 1
        print("enforced: policy %r, postmap -q %r" % (ask_policy(sock, IP), postmap_q(access, IP)))
        removed = subprocess.run([binary, "blocks", "remove", IP, "--store", store],
                                 check=True, capture_output=True, text=True).stdout.strip()
        print("blocks remove:", removed)
        t0 = time.monotonic()
        ok = wait_for("the removal to reach the agent",
                      lambda: ask_policy(sock, IP) == "action=DUNNO" and not postmap_q(access, IP))
        print("policy %r, postmap -q %r, after %.1f s (issue: within 5 s)"
              % (ask_policy(sock, IP), postmap_q(access, IP), time.monotonic() - t0))
        if ok and agent.poll() is not None:
            print("FAIL: the agent is gone")
            ok = False
        agent.terminate()
        agent.wait(timeout=60)
        if not ok:
            print(open(os.path.join(tmp, "agent.err")).read()[-2000:])
        print("ok" if ok else "FAILED")
        return 0 if ok else 1
    finally:
        if agent and agent.poll() is None:
            agent.kill()
            agent.wait()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
