#!/usr/bin/env python3
"""Issue 19 item 2 with a fleet: two running agents (mx1, mx2) share one
MariaDB store, each with its own policy service. A block added by hand is
enforced by both; `blocks remove` ends it in the store, and both running
agents stop enforcing it (their policy services answer DUNNO again).

usage: removal_two_agents_test.py MAILTRAIL SERVER_SH"""
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from allowlist_live_test import ask_policy, wait_for  # noqa: E402
from mt_testlib import start_mariadb  # noqa: E402

IP = "203.0.113.9"


def main():
    binary, server = sys.argv[1:3]
    tmp = tempfile.mkdtemp(prefix="mt_removal_two_")
    dbdir = os.path.join(tmp, "mariadb")
    agents, socks = [], {}
    try:
        _, store = start_mariadb(binary, server, dbdir)
        for name in ("mx1", "mx2"):
            log = os.path.join(tmp, name + ".log")
            open(log, "w").close()
            socks[name] = os.path.join(tmp, name + ".sock")
            agents.append(subprocess.Popen(
                [binary, "run", "--store", store, "--agent", name, "--spool", "", "--log", log,
                 "--policy-socket", socks[name], "--allow", "127.0.0.0/8",
                 "--flush-interval", "100", "--poll-interval", "100"],
                stderr=open(os.path.join(tmp, name + ".err"), "w")))
        if not wait_for("the policy sockets", lambda: all(map(os.path.exists, socks.values()))):
            return 1
        subprocess.run([binary, "blocks", "add", "ip", IP, "--for", "1h", "--store", store],
                       check=True, stdout=subprocess.DEVNULL)
        blocked = lambda n: ask_policy(socks[n], IP) != "action=DUNNO"
        if not wait_for("both agents to enforce it", lambda: blocked("mx1") and blocked("mx2")):
            return 1
        print("enforced by mx1 and mx2")
        subprocess.run([binary, "blocks", "remove", IP, "--store", store], check=True,
                       stdout=subprocess.DEVNULL)
        t0 = time.monotonic()
        ok = wait_for("both agents to end it", lambda: not blocked("mx1") and not blocked("mx2"))
        print("mx1 %r, mx2 %r, after %.1f s (issue: within 5 s)"
              % (ask_policy(socks["mx1"], IP), ask_policy(socks["mx2"], IP), time.monotonic() - t0))
        ok = ok and all(a.poll() is None for a in agents)
        for a in agents:
            a.terminate()
            a.wait(timeout=60)
        if not ok:
            for name in ("mx1", "mx2"):
                print(name, open(os.path.join(tmp, name + ".err")).read()[-1500:])
        print("ok" if ok else "FAILED")
        return 0 if ok else 1
    finally:
        for a in agents:
            if a.poll() is None:
                a.kill()
                a.wait()
        subprocess.run([server, "stop", dbdir])
        subprocess.run(["rm", "-rf", tmp])


if __name__ == "__main__":
    sys.exit(main())
