#!/usr/bin/env python3
"""Blocks shared through one MySQL/MariaDB store (issue 5): agent mx1 follows a
log with the backscatter corpus (stamps moved to now), agent mx2 a quiet log.
Every block mx1 decides must become active in mx2 too ("decided by mx"), and
the time from mx1 saying a block to mx2 saying it is measured.

usage: shared_blocks_test.py MAILTRAIL SERVER_SH CORPUS05.log.gz
"""
import gzip
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

from detect_live_test import FLOOD_IPS, shifted
from mt_testlib import start_mariadb


def main():
    binary, server, corpus = sys.argv[1:4]
    lines = gzip.open(corpus, "rt").read().splitlines(keepends=True)
    tmp = tempfile.mkdtemp(prefix="mt_shared_")
    dbdir = os.path.join(tmp, "mariadb")
    agents = []
    try:
        _, store = start_mariadb(binary, server, dbdir)
        errs = {}
        for name in ("mx1", "mx2"):
            log = os.path.join(tmp, name + ".log")
            open(log, "w").close()
            errs[name] = os.path.join(tmp, name + ".err")
            agents.append(subprocess.Popen(
                [binary, "run", "--store", store, "--agent", name, "--spool", "",
                 "--log", log, "--from-start", "--allow", "127.0.0.1/32",
                 "--flush-interval", "100", "--poll-interval", "50"],
                stderr=open(errs[name], "w")))
        time.sleep(0.5)
        said = {}  # (agent, ip) -> when it was first seen in its log
        with open(os.path.join(tmp, "mx1.log"), "a") as f:
            f.writelines(shifted(lines))
        deadline = time.time() + 30
        while time.time() < deadline:
            for name in ("mx1", "mx2"):
                for m in re.finditer(r"mailtrail: block ip (\S+) until", open(errs[name]).read()):
                    said.setdefault((name, m.group(1)), time.time())
            if all(("mx2", ip) in said for ip in FLOOD_IPS):
                break
            time.sleep(0.1)
        for a in agents:
            a.send_signal(signal.SIGTERM)
        rcs = [a.wait(timeout=30) for a in agents]
        agents = []
        mx2 = open(errs["mx2"]).read()
        missing = [ip for ip in sorted(FLOOD_IPS) if ("mx2", ip) not in said]
        delays = [said[("mx2", ip)] - said[("mx1", ip)] for ip in FLOOD_IPS
                  if ("mx2", ip) in said and ("mx1", ip) in said]
        print("mx2 took over %d/6 flood blocks decided by mx1; delay from mx1's log line to"
              " mx2's: max %.1f s" % (6 - len(missing), max(delays) if delays else -1))
        if rcs != [0, 0] or missing or "(decided by mx)" not in mx2:
            print("FAIL: exits %s, missing %s\n%s" % (rcs, missing, mx2[-1500:]))
            return 1
        return 0
    finally:
        for a in agents:
            a.kill()
            a.wait()
        subprocess.run([server, "stop", dbdir])
        subprocess.run(["rm", "-rf", tmp])


if __name__ == "__main__":
    sys.exit(main())
