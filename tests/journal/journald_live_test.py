#!/usr/bin/env python3
"""The agent on a real journald (issue 22 item 1): a throwaway journald in its own
namespace (`systemd-journald NS`: its own sockets under /run/systemd/journal.NS,
its files in /var/log/journal/MACHINE-ID.NS, nothing of the system's journal
touched) receives a corpus log as syslog datagrams on its dev-log socket, as
Postfix's would arrive, while `mailtrail run --journal-directory` follows its
files and is SIGKILLed and restarted. journald stamps each entry with its own
receive time (the syslog stamps are not used). Afterwards the store must hold
exactly the records of a one-shot replay of the lines journald stored, written
out independently here from `journalctl -o json` as RFC 3339 log lines (the
entry's time, _HOSTNAME, SYSLOG_IDENTIFIER[SYSLOG_PID]: MESSAGE), and of
`replay --journal-file` of the same directory. Skipped (exit 77) where journald
cannot be started (not root, no /etc/machine-id).

usage: journald_live_test.py MAILTRAIL CORPUS.log.gz [--kills N] [--seed S]
"""
import argparse
import gzip
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "run"))
sys.path.insert(0, HERE)
from mt_testlib import report_difference, search, start_following  # noqa: E402
import journald_ns  # noqa: E402

BSD = re.compile(r"^[A-Z][a-z]{2} +\d{1,2} \d\d:\d\d:\d\d \S+ (\S+?: .*)$")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("corpus")
    ap.add_argument("--kills", type=int, default=6)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    if not journald_ns.available():
        print("skipped: needs root, /etc/machine-id and systemd-journald")
        return 77
    rng = random.Random(a.seed)
    lines = gzip.open(a.corpus, "rt", errors="surrogateescape").read().splitlines()
    tags = [m.group(1) for m in map(BSD.match, lines) if m]
    tmp = tempfile.mkdtemp(prefix="mt_journald_live_")
    journald = journald_ns.Journald(tmp)
    try:
        jdir = journald.wait_started()
        if jdir is None:
            print("FAIL: journald did not start;", journald.error())
            return 1
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.connect(journald.dev_log)
        store = "sqlite:" + os.path.join(tmp, "agent.db")
        errpath = os.path.join(tmp, "agent.err")
        errlog = open(errpath, "w")
        cmd = [a.binary, "run", "--store", store, "--journal-directory", jdir, "--from-start",
               "--flush-interval", "100", "--poll-interval", "50"]
        starts = 0

        def start():  # returns once started (checkpoint read, journal open)
            nonlocal starts
            starts += 1
            return start_following(cmd, errlog, errpath, starts)

        agent = start()
        per_kill = len(tags) // (a.kills + 1)
        kills, sent = 0, 0
        while sent < len(tags):
            n = rng.randint(20, 300)
            for tag in tags[sent:sent + n]:
                # <22>: facility mail, severity info; journald takes the tag
                # (ident[pid]) and stamps the entry with its receive time.
                sock.send(("<22>" + tag).encode("utf-8", "surrogateescape"))
            sent += len(tags[sent:sent + n])
            time.sleep(rng.uniform(0.0, 0.1))
            if sent >= (kills + 1) * per_kill and kills < a.kills:
                agent.send_signal(signal.SIGKILL)
                agent.wait()
                kills += 1
                agent = start()
        # Every line stored by journald, then past the tracker's 10 s grace.
        deadline = time.monotonic() + 60
        entries = []
        while time.monotonic() < deadline:
            entries = journald_ns.stored_lines(jdir)
            if len(entries) >= len(tags):
                break
            time.sleep(0.2)
        time.sleep(13)
        agent.send_signal(signal.SIGTERM)
        rc = agent.wait(timeout=60)
        errlog.close()
        if rc != 0:
            print("agent exited with", rc, open(errpath).read()[-2000:])
            return 1
        # The stored lines as a plain RFC 3339 log, replayed in one go.
        log = os.path.join(tmp, "stored.log")
        with open(log, "w", errors="surrogateescape") as f:
            f.write("".join(line + "\n" for line in entries))
        one = "sqlite:" + os.path.join(tmp, "one.db")
        subprocess.run([a.binary, "replay", "--quiet", "--store", one, log], check=True)
        again = "sqlite:" + os.path.join(tmp, "again.db")
        subprocess.run([a.binary, "replay", "--quiet", "--store", again, "--journal-file", jdir],
                       check=True)
        want = sorted(r for end, r in search(a.binary, one) if end != "open")
        got = sorted(r for end, r in search(a.binary, store))
        replayed = sorted(r for end, r in search(a.binary, again) if end != "open")
        print("seed %d: %d lines sent, %d stored by journald, %d kills: the agent stored %d "
              "records, a replay of the stored lines closed %d, replay --journal-file %d"
              % (a.seed, len(tags), len(entries), kills, len(got), len(want), len(replayed)))
        if len(entries) != len(tags) or got != want or replayed != want or not want:
            if got != want:
                report_difference(want, got)
            print("FAIL; kept for inspection:", tmp)
            return 1
        subprocess.run(["rm", "-rf", tmp])
        return 0
    finally:
        journald.stop()


if __name__ == "__main__":
    sys.exit(main())
