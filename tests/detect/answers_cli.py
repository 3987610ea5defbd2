#!/usr/bin/env python3
"""`mailtrail detect` and a newsletter still waiting for greylisted recipients
(docs/detection.md, "Answers to our own mail"): the notices for the
recipients already delivered arrive while the message is open (it closes ten
minutes later). They are answers, in one log and in two MXes' logs merged by
time (mx1 sends the newsletter, mx2 receives the notices), and nothing is
blocked; with --answers off the same lines block (the test can fail). Both
fail where mail is learned only when its message closes.

usage: answers_cli.py MAILTRAIL
"""
import datetime
import os
import subprocess
import sys
import tempfile

T0 = datetime.datetime(2026, 11, 27, 12, 0, 0, tzinfo=datetime.timezone.utc)
QID = "5B00C0FFEE"
MESSAGE_ID = "spring-2026@example.org"
OUTBOUND = "mail-db8eur05on2101.outbound.protection.outlook.com"


def stamp(seconds, host):
    t = T0 + datetime.timedelta(seconds=seconds)
    return t.strftime("%Y-%m-%dT%H:%M:%S.%f+00:00 ") + host + " "


def newsletter(host, sent=200, greylisted=100):
    s = stamp(0, host)
    v = [s + "postfix/pickup[10]: %s: uid=1001 from=<news@example.org>" % QID,
         s + "postfix/cleanup[11]: %s: info: header Subject: Spring offers from local; "
             "from=<news@example.org> to=<u0@contoso0.com>" % QID,
         s + "postfix/cleanup[11]: %s: message-id=<%s>" % (QID, MESSAGE_ID),
         s + "postfix/qmgr[12]: %s: from=<news@example.org>, size=9000, nrcpt=%d (queue active)"
             % (QID, sent + greylisted)]
    for i in range(sent + greylisted):
        mx = "contoso%d-com.mail.protection.outlook.com" % (i % 30)
        status = ("dsn=2.0.0, status=sent (250 2.6.0 Queued mail for delivery)" if i < sent else
                  "dsn=4.7.1, status=deferred (host %s said: 450 4.7.1 Greylisted)" % mx)
        v.append(stamp((i + 1) / 10, host) +
                 "postfix/smtp[13]: %s: to=<u%d@contoso%d.com>, relay=%s[52.101.%d.9]:25, "
                 "delay=1, delays=0/0/0.5/0.5, %s" % (QID, i, i % 30, mx, i % 30, status))
    return v


def retried(host, sent=200, greylisted=100):
    """Ten minutes later the greylisting servers take it, and it closes."""
    v = []
    for i in range(sent, sent + greylisted):
        mx = "contoso%d-com.mail.protection.outlook.com" % (i % 30)
        v.append(stamp(600 + i / 10, host) +
                 "postfix/smtp[13]: %s: to=<u%d@contoso%d.com>, relay=%s[52.101.%d.9]:25, "
                 "delay=600, delays=590/0/0.5/0.5, dsn=2.0.0, status=sent (250 2.6.0 Queued)"
                 % (QID, i, i % 30, mx, i % 30))
    return v + [stamp(700, host) + "postfix/qmgr[12]: %s: removed" % QID]


def notices(host, n=150):
    v = []
    for i in range(n):
        q, s, ip = "6C0%07d" % i, stamp(60 + i * 0.8, host), "40.107.1.%d" % (10 + i % 3)
        tr = " from %s[%s]; from=<> to=<news@example.org> proto=ESMTP helo=<%s>" % (
            OUTBOUND, ip, OUTBOUND)
        v.append(s + "postfix/smtpd[20]: %s: client=%s[%s]" % (q, OUTBOUND, ip))
        v.append(s + "postfix/cleanup[11]: %s: info: header Subject: Undeliverable: Spring offers"
                 % q + tr)
        v.append(s + "postfix/cleanup[11]: %s: message-id=<n%s@outlook.test>" % (q, q))
        if i % 3 == 0:
            v.append(s + "postfix/cleanup[11]: %s: info: header Message-ID: <%s>" % (q, MESSAGE_ID)
                     + tr)
        v.append(s + "postfix/qmgr[12]: %s: from=<>, size=900, nrcpt=1 (queue active)" % q)
        v.append(s + "postfix/local[14]: %s: to=<news@example.org>, relay=local, delay=0.1, "
                 "delays=0/0/0/0.1, dsn=2.0.0, status=sent (delivered to mailbox)" % q)
        v.append(s + "postfix/qmgr[12]: %s: removed" % q)
    return v


def detect(binary, files, *flags):
    p = subprocess.run([binary, "detect", "--format", "jsonl", *flags, *files],
                       check=True, capture_output=True, text=True)
    return p.stdout.splitlines(), p.stderr


def main():
    binary = sys.argv[1]
    tmp = tempfile.mkdtemp(prefix="mt_answers_cli_")
    ok = True
    try:
        def write(name, lines):
            path = os.path.join(tmp, name)
            with open(path, "w") as f:
                f.write("\n".join(lines) + "\n")
            return path

        one = [write("mail.log", newsletter("mx1") + notices("mx1") + retried("mx1"))]
        # The notices' log first: merged by time, the deliveries before them are learned first.
        # (Agents in a fleet share no such memory: docs/detection.md.)
        two = [write("mx2.log", notices("mx2")),
               write("mx1.log", newsletter("mx1") + retried("mx1"))]
        for name, files in (("one log", one), ("two MXes", two)):
            blocks, summary = detect(binary, files)
            print("%s: %d block(s); %s" % (name, len(blocks), summary.strip().splitlines()[-1:]))
            if blocks:
                print("FAIL: %s: notices answering the open newsletter blocked: %s" % (name, blocks))
                ok = False
            if "150 answers" not in summary:
                print("FAIL: %s: not 150 answers:\n%s" % (name, summary))
                ok = False
            control, _ = detect(binary, files, "--answers", "off")
            if len(control) < 3:
                print("FAIL: %s: without answers the flood is not blocked: %s" % (name, control))
                ok = False
        return 0 if ok else 1
    finally:
        subprocess.run(["rm", "-rf", tmp])


if __name__ == "__main__":
    sys.exit(main())
