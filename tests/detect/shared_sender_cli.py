#!/usr/bin/env python3
"""A shared server's backscatter blocks do not escalate (helper-114 F4).

One provider outbound IP (198.51.100.53) hands us other tenants' legitimate
mail all day and, once a day for four days, a burst of 22 genuine notices
for spam that forged our users: `mailtrail detect` blocked it 1 h, 2 h, 4 h,
8 h (up to max_period, 7 days), and every tenant's mail waited behind it. A
source that sends nothing but bounces (203.0.113.77, the same bursts)
still escalates: the test fails both ways.

usage: shared_sender_cli.py MAILTRAIL
"""
import datetime
import json
import os
import subprocess
import sys
import tempfile

SHARED, DEDICATED = "198.51.100.53", "203.0.113.77"
T0 = datetime.datetime(2026, 3, 10, 0, 0, 0)
_qid = [0x10A300]


def stamp(seconds):
    t = T0 + datetime.timedelta(seconds=seconds)
    return t.strftime("%b ") + "%2d" % t.day + t.strftime(" %H:%M:%S") + " mx1 postfix/"


def message(t, ip, name, sender, to, subject):
    _qid[0] += 1
    q = "%X" % _qid[0]
    tail = "from=<%s> to=<%s> proto=ESMTP helo=<%s>" % (sender, to, name)
    return [
        stamp(t) + "smtpd[200]: connect from %s[%s]" % (name, ip),
        stamp(t) + "smtpd[200]: %s: client=%s[%s]" % (q, name, ip),
        stamp(t) + "cleanup[201]: %s: info: header Subject: %s from %s[%s]; %s"
        % (q, subject, name, ip, tail),
        stamp(t) + "cleanup[201]: %s: message-id=<%s.%s@%s>" % (q, q, t, name),
        stamp(t) + "qmgr[100]: %s: from=<%s>, size=4000, nrcpt=1 (queue active)" % (q, sender),
        stamp(t) + "smtpd[200]: disconnect from %s[%s] ehlo=1 mail=1 rcpt=1 data=1 quit=1 "
        "commands=5" % (name, ip),
        stamp(t) + "local[202]: %s: to=<%s>, relay=local, delay=0.1, delays=0/0/0/0.1, "
        "dsn=2.0.0, status=sent (delivered to mailbox)" % (q, to),
        stamp(t) + "qmgr[100]: %s: removed" % q,
    ]


def log():
    lines = []
    for day in range(4):
        base = day * 86400
        events = []
        for k in range(30):  # the tenants' mail, 08:00-18:00
            events.append((base + 8 * 3600 + k * 1200, SHARED, "mail.shared.example", "person%d@tenant%d.example"
                           % (k, k % 7), "user%02d@example.org" % (k % 20), "Re: plan %d" % k))
        for ip, name, at in ((SHARED, "mail.shared.example", 10), (DEDICATED, "bad.example", 14)):
            for k in range(22):  # the burst
                events.append((base + at * 3600 + k * 2, ip, name, "", "user%02d@example.org" % k,
                               "Undeliverable: your mailbox is full %d" % day))
        for e in sorted(events):
            lines += message(*e)
    return lines


def main():
    binary = sys.argv[1]
    with tempfile.TemporaryDirectory(prefix="mt_shared_sender_") as tmp:
        path = os.path.join(tmp, "mail.log")
        with open(path, "w") as f:
            f.write("\n".join(log()) + "\n")
        out = subprocess.run([binary, "detect", "--year", "2026", "--all", "--format", "jsonl", path],
                             check=True, capture_output=True, text=True).stdout
    hours = {SHARED: [], DEDICATED: []}
    for b in map(json.loads, out.splitlines()):
        if b["kind"] == "ip" and b["key"] in hours:
            created = datetime.datetime.fromisoformat(b["created"].replace("Z", "+00:00"))
            expires = datetime.datetime.fromisoformat(b["expires"].replace("Z", "+00:00"))
            hours[b["key"]].append(round((expires - created).total_seconds() / 3600, 2))
        elif b["kind"] == "ip" or b["kind"] == "subject":
            print("note: also blocked %s %s" % (b["kind"], b["key"]))
    print("block hours, shared server %s: %s" % (SHARED, hours[SHARED]))
    print("block hours, bounces only  %s: %s" % (DEDICATED, hours[DEDICATED]))
    ok = hours[SHARED] == [1.0, 1.0, 1.0, 1.0] and hours[DEDICATED] == [1.0, 2.0, 4.0, 8.0]
    print("ok" if ok else "FAILED: want [1, 1, 1, 1] and [1, 2, 4, 8]")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
