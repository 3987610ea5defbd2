#!/usr/bin/env python3
"""A line Postfix cut at 2000 bytes, through a real journald (journald_ns.py).

A sender pushes smtpd's reject line past Postfix's 2000 bytes with a long
quoted recipient, placing a forged `; from=<> to=<...> ... helo=<h>` followed
by spaces where the cut falls. journald strips a message's trailing
whitespace (keeping the datagram in SYSLOG_RAW): the line came out shorter
than 2000, was not known as cut, and 25 such rejects of a provider user's
mail were read as null-sender bounces, enough to block the provider's
shared MTA (helper-119 N4). `replay --journal-file` must read them as a
replay of the same lines written to a file does (2000 bytes there, known as
cut): no record with the forged null sender.
Skipped (exit 77) where journald cannot be started.

usage: journald_cut_test.py MAILTRAIL
"""
import json
import os
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import journald_ns  # noqa: E402

CUT = 2000  # Postfix's MSG_SYSLOG_RECLEN
DECOY = "; from=<> to=<nadia@example.test> proto=ESMTP helo=<h>"
SPACES = 8
CLIENT = "192.0.2.50"


def cut_reject():
    """smtpd's reject as Postfix writes it: the reply capped at 510 bytes,
    the whole cut at 2000, right after the decoy and its spaces."""
    pre = "NOQUEUE: reject: RCPT from prov.example[%s]: " % CLIENT
    for pad in range(300, 1500):
        local = "a" * pad + DECOY + " " * SPACES + "xyz"
        reply = ('550 5.1.1 <"%s"@example.test>: Recipient address rejected: User unknown in '
                 "local recipient table" % local)[:510]
        m = (pre + reply + '; from=<alice@prov.example> to=<"%s"@example.test> proto=ESMTP '
             "helo=<prov.example>" % local)[:CUT]
        if m.endswith(DECOY + " " * SPACES):
            return m
    raise SystemExit("FAIL: no padding puts the cut after the decoy")


def sessions():
    out = []
    for i in range(25):
        tag = "postfix/smtpd[%d]: " % (30000 + i)
        out += [tag + "connect from prov.example[%s]" % CLIENT, tag + cut_reject(),
                tag + "disconnect from prov.example[%s] ehlo=1 mail=1 rcpt=0/1 quit=1 "
                "commands=3/4" % CLIENT]
    return out


def null_senders(binary, store):
    out = subprocess.run([binary, "search", "--store", store, "--format", "jsonl", "--limit",
                          "1000", "--client-ip", CLIENT], check=True, capture_output=True,
                         text=True).stdout
    recs = [json.loads(line) for line in out.splitlines()]
    return len(recs), sum(1 for r in recs if r.get("sender") == "")


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    binary = sys.argv[1]
    if not journald_ns.available():
        print("skipped: needs root, /etc/machine-id and systemd-journald")
        return 77
    tmp = tempfile.mkdtemp(prefix="mt_journald_cut_")
    journald = journald_ns.Journald(tmp)
    lines = sessions()
    try:
        jdir = journald.wait_started()
        if jdir is None:
            print("FAIL: journald did not start;", journald.error())
            return 1
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.connect(journald.dev_log)
        for line in lines:
            sock.send(("<22>" + line).encode())
        deadline = time.monotonic() + 60
        while len(journald_ns.stored_lines(jdir)) < len(lines) and time.monotonic() < deadline:
            time.sleep(0.2)
        stored = journald_ns.stored_lines(jdir)
        if len(stored) != len(lines):
            print("FAIL: journald stored %d of %d lines" % (len(stored), len(lines)))
            return 1
        stripped = [s for s in stored if "NOQUEUE" in s and not s.endswith(" ")]
        ok = len(stripped) == 25  # the premise: journald took the spaces off
        if not ok:
            print("FAIL: journald kept the trailing spaces of %d of 25 rejects"
                  % (25 - len(stripped)))

        jstore = "sqlite:" + os.path.join(tmp, "journal.db")
        subprocess.run([binary, "replay", "--quiet", "--store", jstore, "--journal-file", jdir],
                       check=True, capture_output=True)
        records, null = null_senders(binary, jstore)
        # The control: the same lines as rsyslog writes them, 2000 bytes.
        log = os.path.join(tmp, "mail.log")
        with open(log, "w") as f:
            f.write("".join("Nov 27 12:10:%02d mx %s\n" % (i // 3, line)
                            for i, line in enumerate(lines)))
        fstore = "sqlite:" + os.path.join(tmp, "file.db")
        subprocess.run([binary, "replay", "--quiet", "--year", "2026", "--store", fstore, log],
                       check=True, capture_output=True)
        frecords, fnull = null_senders(binary, fstore)
        if null or fnull or records != frecords:
            print("FAIL: replay --journal-file: %d records of %s, %d with the forged null sender;"
                  " from a file: %d, %d" % (records, CLIENT, null, frecords, fnull))
            ok = False
        print("25 cut rejects through journald (%d stored without their trailing spaces): %d "
              "records, %d with a null sender; from a file: %d, %d"
              % (len(stripped), records, null, frecords, fnull))
        if not ok:
            print("kept for inspection:", tmp)
            return 1
        subprocess.run(["rm", "-rf", tmp])
        return 0
    finally:
        journald.stop()


if __name__ == "__main__":
    sys.exit(main())
