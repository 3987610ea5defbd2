#!/usr/bin/env python3
"""SIGHUP reloads `mailtrail run --config FILE`, validate then swap: a broken file
is refused and the running configuration kept (the agent goes on reading); a
good one replaces the running agent, which resumes from the checkpoint (here it
follows a second log from then on, and the first one's records stay), moves
the metrics endpoint to the new [metrics] listen, and says that an [enforce]
change waits for a restart; SIGTERM then exits 0.

usage: reload_test.py MAILTRAIL
"""
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request

from mt_testlib import free_port


def metrics_on(port):
    try:
        return "mailtrail_log_lines_total" in urllib.request.urlopen(
            "http://127.0.0.1:%d/metrics" % port, timeout=2).read().decode()
    except OSError:
        return False


def signal_during_start(binary, sig):
    """A signal while `run` is still starting (here: waiting for a database
    another process holds locked) neither kills it (SIGHUP's default action:
    exit 129, issue 17) nor is lost: after a SIGHUP it runs on and stops on
    SIGTERM with 0; a SIGTERM stops it cleanly, 0, as soon as it started."""
    tmp = tempfile.mkdtemp(prefix="mt_early_")
    db, log = os.path.join(tmp, "t.db"), os.path.join(tmp, "mail.log")
    open(log, "w").close()
    holder = sqlite3.connect(db, isolation_level=None)  # a rollback-journal file...
    holder.execute("CREATE TABLE held (x)")
    holder.execute("BEGIN EXCLUSIVE")  # ...locked: opening it waits (busy timeout)
    p = subprocess.Popen([binary, "run", "--store", "sqlite:" + db, "--log", log,
                          "--poll-interval", "50"], stderr=subprocess.PIPE, text=True)
    time.sleep(0.3)  # well inside the start: main() runs, the store is not open
    p.send_signal(sig)
    time.sleep(0.3)
    holder.rollback()
    holder.close()
    time.sleep(1.0)
    alive = p.poll() is None
    if alive:
        p.send_signal(signal.SIGTERM)
    try:
        rc = p.wait(timeout=30)
    except subprocess.TimeoutExpired:
        p.kill()
        rc = "hung"
    text = p.stderr.read()
    subprocess.run(["rm", "-rf", tmp])
    print("signal %d during the start: exit %s, alive after it: %s; %s" % (sig, rc, alive, text))
    if sig == signal.SIGHUP:
        return rc == 0 and alive and "SIGHUP during the start" in text
    return rc == 0 and "stopped after" in text


def main():
    binary = sys.argv[1]
    early_ok = all([signal_during_start(binary, signal.SIGHUP),
                    signal_during_start(binary, signal.SIGTERM)])
    tmp = tempfile.mkdtemp(prefix="mt_reload_")
    log_a = os.path.join(tmp, "a.log")
    log_b = os.path.join(tmp, "b.log")
    db = os.path.join(tmp, "t.db")
    conf = os.path.join(tmp, "mailtrail.toml")
    err = os.path.join(tmp, "err.txt")
    msg = ("Nov 27 12:03:26 mx postfix/pickup[1]: {q}: uid=0 from=<root>\n"
           "Nov 27 12:03:26 mx postfix/qmgr[2]: {q}: removed\n")
    with open(log_a, "w") as f:
        f.write(msg.format(q="44C4B10A321"))

    def write_conf(logs, extra=""):
        with open(conf, "w") as f:
            f.write('[store]\nurl = "sqlite:%s"\n[logs]\npaths = [%s]\nfrom_start = true\n'
                    'poll_interval_ms = 50\n%s' % (db, ", ".join('"%s"' % l for l in logs), extra))

    port1, port2 = free_port(), free_port()
    metrics = '[metrics]\nlisten = "127.0.0.1:%d"\n'
    write_conf([log_a], metrics % port1)
    errf = open(err, "w")
    p = subprocess.Popen([binary, "run", "--config", conf], stderr=errf)
    time.sleep(0.5)
    before = metrics_on(port1)
    write_conf([log_a], "[writer]\nflush_interval = 100\n")  # a typo: refused
    p.send_signal(signal.SIGHUP)
    time.sleep(0.3)
    with open(log_a, "a") as f:
        f.write(msg.format(q="55C4B10A321"))  # still read after the refused reload
    time.sleep(0.5)
    open(log_b, "w").close()
    write_conf([log_a, log_b], "[writer]\nflush_interval_ms = 300\n" + metrics % port2 +
               "[enforce]\ndry_run = true\n")
    p.send_signal(signal.SIGHUP)
    time.sleep(0.5)
    with open(log_b, "a") as f:
        f.write(msg.format(q="66C4B10A321"))  # only the new configuration follows b.log
    time.sleep(1.5)
    moved = metrics_on(port2) and not metrics_on(port1)
    p.send_signal(signal.SIGTERM)
    rc = p.wait(timeout=30)
    errf.close()
    text = open(err).read()
    qids = sorted(q for (q,) in sqlite3.connect(db).execute("SELECT qid FROM message"))
    print(text, qids, "metrics on the first port before:", before, "moved:", moved)
    ok = (rc == 0 and before and moved
          and "configuration reloaded: 2 log(s)" in text and "; at the next restart: [enforce]" in text
          and "reload refused, keeping the running configuration" in text
          and "mailtrail.toml:8: unknown key 'flush_interval' in [writer]" in text
          and "configuration reloaded: 2 log(s)" in text
          and qids == ["44C4B10A321", "55C4B10A321", "66C4B10A321"])
    subprocess.run(["rm", "-rf", tmp])
    return 0 if ok and early_ok else 1


if __name__ == "__main__":
    sys.exit(main())
