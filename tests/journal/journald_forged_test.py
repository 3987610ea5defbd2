#!/usr/bin/env python3
"""Forged Postfix lines in the journal (docs/security.md rule 9): any local user
can log a line tagged postfix/smtpd. A throwaway journald (journald_ns.py)
receives a corpus log from root, as Postfix's daemons would send it, and, mixed
in, a forged flood from the user nobody: whole messages of bounces "from" a
victim's address, smtpd to removed. journald stores each sender's user as
_UID. Then:
- `replay --journal-file` must hold exactly the records of a replay of root's
  lines (written out independently from `journalctl -o json`), none of the
  victim's, and say how many entries it refused;
- with `--journal-writer '*'` (anyone) the forged messages are records: the
  check is what kept them out;
- `run` following the same journal must store what the replay did, and warn
  once, also over a SIGKILL and a restart.
Skipped (exit 77) where journald cannot be started.

usage: journald_forged_test.py MAILTRAIL CORPUS.log.gz
"""
import gzip
import os
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
from mt_testlib import report_difference, search, start_following, wait_for  # noqa: E402
import journald_ns  # noqa: E402

BSD = re.compile(r"^[A-Z][a-z]{2} +\d{1,2} \d\d:\d\d:\d\d \S+ (\S+?: .*)$")
VICTIM = "198.51.100.77"
NOBODY = 65534
FORGED_MESSAGES = 30


def forged_lines():
    """A flood of bounces from VICTIM, each a whole message as Postfix logs one."""
    out = []
    for i in range(FORGED_MESSAGES):
        q, pid = "F%09X" % (0xABC000 + i), 40000 + i
        out += ["postfix/smtpd[%d]: connect from victim.example[%s]" % (pid, VICTIM),
                "postfix/smtpd[%d]: %s: client=victim.example[%s]" % (pid, q, VICTIM),
                "postfix/cleanup[%d]: %s: message-id=<forged%d@victim.example>" % (pid, q, i),
                "postfix/qmgr[%d]: %s: from=<>, size=2100, nrcpt=1 (queue active)" % (pid, q),
                "postfix/local[%d]: %s: to=<user%d@mx.test>, relay=local, delay=0.1, "
                "delays=0.05/0/0/0.05, dsn=2.0.0, status=sent (delivered to mailbox)" % (pid, q, i),
                "postfix/qmgr[%d]: %s: removed" % (pid, q),
                "postfix/smtpd[%d]: disconnect from victim.example[%s]" % (pid, VICTIM)]
    return out


SENDER = """
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.connect(sys.argv[1])
for line in sys.stdin.read().splitlines():
    s.send(("<22>" + line).encode())
"""


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    binary, corpus = sys.argv[1], sys.argv[2]
    if not journald_ns.available():
        print("skipped: needs root, /etc/machine-id and systemd-journald")
        return 77
    lines = gzip.open(corpus, "rt", errors="surrogateescape").read().splitlines()
    tags = [m.group(1) for m in map(BSD.match, lines) if m]
    forged = forged_lines()
    tmp = tempfile.mkdtemp(prefix="mt_journald_forged_")
    journald = journald_ns.Journald(tmp)
    try:
        jdir = journald.wait_started()
        if jdir is None:
            print("FAIL: journald did not start;", journald.error())
            return 1
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.connect(journald.dev_log)
        # Root's lines in four parts, the forged flood sent by nobody between them.
        part = len(tags) // 4 + 1
        for k in range(4):
            for tag in tags[k * part:(k + 1) * part]:
                sock.send(("<22>" + tag).encode("utf-8", "surrogateescape"))
            chunk = forged[k * len(forged) // 4:(k + 1) * len(forged) // 4]
            subprocess.run(["/usr/bin/python3", "-c", SENDER, journald.dev_log], check=True,
                           input="\n".join(chunk), text=True,
                           preexec_fn=lambda: os.setuid(NOBODY))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if (len(journald_ns.stored_lines(jdir, 0)) >= len(tags)
                    and len(journald_ns.stored_lines(jdir, NOBODY)) >= len(forged)):
                break
            time.sleep(0.2)
        genuine = journald_ns.stored_lines(jdir, 0)
        if len(genuine) != len(tags) or len(journald_ns.stored_lines(jdir, NOBODY)) != len(forged):
            print("FAIL: journald stored %d of %d lines from root, %d of %d from nobody"
                  % (len(genuine), len(tags), len(journald_ns.stored_lines(jdir, NOBODY)), len(forged)))
            return 1
        log = os.path.join(tmp, "genuine.log")
        with open(log, "w", errors="surrogateescape") as f:
            f.write("\n".join(genuine) + "\n")
        one = "sqlite:" + os.path.join(tmp, "one.db")
        subprocess.run([binary, "replay", "--quiet", "--store", one, log], check=True)
        want = sorted(r for _, r in search(binary, one))

        checked = "sqlite:" + os.path.join(tmp, "checked.db")
        p = subprocess.run([binary, "replay", "--quiet", "--store", checked, "--journal-file",
                            jdir], capture_output=True, text=True)
        got = sorted(r for _, r in search(binary, checked))
        victims = search(binary, checked, "--client-ip", VICTIM)
        said = "%d journal entries tagged as Postfix's or amavis's were written by other " \
               "users and not read" % (len(forged))
        ok = p.returncode == 0 and got == want and not victims and said in p.stderr
        if not ok:
            print("FAIL: replay --journal-file: exit %d, %d records (want %d), %d of the victim;"
                  " stderr: %s" % (p.returncode, len(got), len(want), len(victims), p.stderr))
            if got != want:
                report_difference(want, got)

        anyone = "sqlite:" + os.path.join(tmp, "anyone.db")
        subprocess.run([binary, "replay", "--quiet", "--store", anyone, "--journal-file", jdir,
                        "--journal-writer", "*"], check=True, capture_output=True)
        taken = len(search(binary, anyone, "--client-ip", VICTIM))
        if taken != FORGED_MESSAGES:
            print("FAIL: with --journal-writer '*', %d forged records (want %d)"
                  % (taken, FORGED_MESSAGES))
            ok = False

        store = "sqlite:" + os.path.join(tmp, "agent.db")
        errpath = os.path.join(tmp, "agent.err")
        errlog = open(errpath, "w")
        cmd = [binary, "run", "--store", store, "--journal-directory", jdir, "--from-start",
               "--flush-interval", "100", "--poll-interval", "50"]
        agent = start_following(cmd, errlog, errpath, 1)
        warned = wait_for(errpath, "were written by other users and not read")
        time.sleep(13)  # past the tracker's grace: every message closed and saved
        # Caught up, one more forged message alone: the cursor past refused
        # entries is saved, so killed and restarted, the agent does not read
        # (and warn about) them again (helper-96).
        more = [line.replace("F000ABC", "F000DEF") for line in forged_lines()[:7]]
        subprocess.run(["/usr/bin/python3", "-c", SENDER, journald.dev_log], check=True,
                       input="\n".join(more), text=True, preexec_fn=lambda: os.setuid(NOBODY))
        deadline = time.monotonic() + 60
        while (len(journald_ns.stored_lines(jdir, NOBODY)) < len(forged) + len(more)
               and time.monotonic() < deadline):
            time.sleep(0.2)
        time.sleep(2)
        agent.send_signal(signal.SIGKILL)
        agent.wait()
        agent = start_following(cmd, errlog, errpath, 2)
        time.sleep(3)
        warnings = open(errpath).read().count("were written by other users and not read")
        if warnings != 1:
            print("FAIL: the refused entries were said %d times, over a SIGKILL" % warnings)
            ok = False
        agent.send_signal(signal.SIGTERM)
        rc = agent.wait(timeout=60)
        errlog.close()
        followed = sorted(r for _, r in search(binary, store))
        if rc != 0 or not warned or followed != want or "uid %d" % NOBODY not in open(
                errpath).read():
            print("FAIL: run: exit %d, warned %s, %d records (want %d); its log: %s"
                  % (rc, warned, len(followed), len(want), open(errpath).read()[-2000:]))
            if followed != want:
                report_difference(want, followed)
            ok = False
        print("%d lines from root, %d forged by nobody: replay and run kept %d records, none of "
              "the victim's; %d of them with --journal-writer '*'"
              % (len(genuine), len(forged), len(want), taken))
        if not ok:
            print("kept for inspection:", tmp)
            return 1
        subprocess.run(["rm", "-rf", tmp])
        return 0
    finally:
        journald.stop()


if __name__ == "__main__":
    sys.exit(main())
