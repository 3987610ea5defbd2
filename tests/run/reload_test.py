#!/usr/bin/env python3
"""SIGHUP reloads `mailtrail run --config FILE`: a broken file is refused and the
running configuration kept (the agent goes on reading), a good one is applied
(and settings that need a restart are named); SIGTERM then exits 0.

usage: reload_test.py MAILTRAIL
"""
import os
import signal
import subprocess
import sys
import tempfile
import time


def main():
    binary = sys.argv[1]
    tmp = tempfile.mkdtemp(prefix="mt_reload_")
    log = os.path.join(tmp, "mail.log")
    db = os.path.join(tmp, "t.db")
    conf = os.path.join(tmp, "mailtrail.toml")
    err = os.path.join(tmp, "err.txt")
    line = "Nov 27 12:03:26 mx postfix/pickup[1]: %s: uid=0 from=<root>\n"
    with open(log, "w") as f:
        f.write(line % "44C4B10A321")

    def write_conf(extra):
        with open(conf, "w") as f:
            f.write('[store]\nurl = "sqlite:%s"\n[logs]\npaths = ["%s"]\nfrom_start = true\n'
                    'poll_interval_ms = 50\n%s' % (db, log, extra))

    write_conf("[writer]\nflush_interval_ms = 100\n")
    errf = open(err, "w")
    p = subprocess.Popen([binary, "run", "--config", conf], stderr=errf)
    time.sleep(0.5)
    write_conf("[writer]\nflush_interval = 100\n")  # a typo: refused
    p.send_signal(signal.SIGHUP)
    time.sleep(0.3)
    with open(log, "a") as f:
        f.write(line % "55C4B10A321")  # still read after the refused reload
    time.sleep(0.5)
    write_conf("[writer]\nflush_interval_ms = 300\n[tracker]\ngrace_s = 3\n")
    p.send_signal(signal.SIGHUP)
    time.sleep(0.3)
    p.send_signal(signal.SIGTERM)
    rc = p.wait(timeout=30)
    errf.close()
    text = open(err).read()
    print(text)
    ok = (rc == 0
          and "reload refused, keeping the running configuration" in text
          and "mailtrail.toml:8: unknown key 'flush_interval' in [writer]" in text
          and "configuration reloaded (flush interval 300 ms)" in text
          and "at the next restart: [tracker]" in text
          and "stopped after 2 lines" in text)
    subprocess.run(["rm", "-rf", tmp])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
