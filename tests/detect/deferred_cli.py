#!/usr/bin/env python3
"""`mailtrail detect` counts a bounce at its first deferral, once per message
(docs/detection.md, "When is it counted?"): a flood deferred at our mailboxes
and closed two hours later is blocked at its 20th bounce, by one log alone and
merged with another host's log. Short Postfix queue ids come back: the flood's
queue ids were those of five bounces half an hour before, and the merged run
took the flood for those and blocked nothing (helper-141 B-1).

usage: deferred_cli.py MAILTRAIL
"""
import datetime as dt
import os
import subprocess
import sys
import tempfile


def bounces(start, n, ip, host, close_after):
    """n bounces from ip one a second from start, deferred (a full mailbox),
    delivered close_after seconds later; (time, line) pairs."""
    out = []
    for i in range(n):
        t = start + dt.timedelta(seconds=i)
        q = "AB%09X" % i  # the same ids for every call: reused
        peer = "mx.reflector.test[%s]" % ip
        rcpt = "u%d@example.test" % i

        def line(at, text):
            out.append((at, "%s %s postfix/%s" % (at.strftime("%b %d %H:%M:%S"), host, text)))
        line(t, "smtpd[%d]: %s: client=%s" % (20000 + i, q, peer))
        line(t, "cleanup[300]: %s: info: header Subject: Undelivered Mail Returned to Sender "
                "from %s; from=<> to=<%s> proto=ESMTP helo=<mx.reflector.test>" % (q, peer, rcpt))
        line(t, "cleanup[300]: %s: message-id=<%s.%s@mx.reflector.test>" % (q, q, ip))
        line(t, "qmgr[301]: %s: from=<>, size=2000, nrcpt=1 (queue active)" % q)
        line(t, "lmtp[302]: %s: to=<%s>, relay=mail.example.test[private/dovecot-lmtp], "
                "delay=0.1, delays=0/0/0/0.1, dsn=4.2.2, status=deferred (host "
                "mail.example.test[private/dovecot-lmtp] said: 452 4.2.2 Mailbox is full)"
             % (q, rcpt))
        t2 = t + dt.timedelta(seconds=close_after)
        line(t2, "lmtp[302]: %s: to=<%s>, relay=mail.example.test[private/dovecot-lmtp], "
                 "delay=1, delays=1/0/0/0.1, dsn=2.0.0, status=sent (250 2.0.0 Saved)" % (q, rcpt))
        line(t2, "qmgr[301]: %s: removed" % q)
    return out


def detect(binary, *files):
    out = subprocess.run([binary, "detect", "--year", "2026", *files], capture_output=True,
                         text=True, check=True)
    return [l for l in out.stdout.splitlines() if "  ip " in l]


def main():
    binary = sys.argv[1]
    day = dt.datetime(2026, 12, 7, 10, 0, 0)
    with tempfile.TemporaryDirectory() as tmp:
        lines = bounces(day, 5, "203.0.113.10", "mx", 5) + \
            bounces(day + dt.timedelta(minutes=30), 22, "203.0.113.20", "mx", 7200)
        lines.sort(key=lambda x: x[0])
        mx = os.path.join(tmp, "mx.log")
        with open(mx, "w") as f:
            f.write("".join(l + "\n" for _, l in lines))
        other = os.path.join(tmp, "other.log")
        with open(other, "w") as f:
            f.write("".join(l + "\n" for _, l in bounces(day, 1, "198.51.100.1", "other", 5)))
        ok = True
        for files in ((mx,), (mx, other)):
            got = detect(binary, *files)
            print("%s: %s" % (" + ".join(os.path.basename(f) for f in files), got))
            want = [l for l in got if "203.0.113.20" in l and l.startswith("2026-12-07T10:30:19Z")]
            if len(got) != 1 or len(want) != 1:
                print("FAIL: expected one block of 203.0.113.20 at its 20th deferral (10:30:19)")
                ok = False
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
