#!/usr/bin/env python3
"""A blocked server's retries are no new flood (docs/detection.md, "Retries of
refused notices"). A university's MX sends one burst of 300 notices in 150 s;
the IP rule blocks it at the 20th; every notice after that is refused with
450 and retried on Postfix's backoff (300, 600, 1200, 2400, then every 4000 s)
while the block lasts. The test plays that sender against `mailtrail detect`
until the blocks no longer change: each round's blocks decide which attempts
of the next round are refused. When the block ended, the retries came as a
wave, were taken for a new flood, and the block came back doubled: 1 h, 2 h,
... 64 h from one burst (helper-134 F2). One block now.

usage: retry_waves.py MAILTRAIL
"""
import datetime as dt
import heapq
import json
import os
import subprocess
import sys
import tempfile

T0 = dt.datetime(2026, 12, 7, 0, 0, 0)
IP, NAME = "192.0.2.50", "mx.uni.example"
BACKOFF = [300, 600, 1200, 2400, 4000]


def stamp(t):
    return t.strftime("%b ") + "%2d" % t.day + t.strftime(" %H:%M:%S")


def log(blocks, n=300):
    """The sender's attempts over five days: (time, line) in order."""
    lines, pid, seq = [], 2000, 0
    attempts = [(T0 + dt.timedelta(seconds=i * 0.5), i, 0) for i in range(n)]
    heapq.heapify(attempts)
    while attempts:
        t, i, a = heapq.heappop(attempts)
        if t > T0 + dt.timedelta(days=5):
            continue
        rcpt, peer, s = "u%d@example.test" % i, "%s[%s]" % (NAME, IP), stamp(t)
        pid += 1
        smtpd = "%s mx postfix/smtpd[%d]: " % (s, pid)
        lines.append(smtpd + "connect from " + peer)
        if any(b <= t < e for b, e in blocks):
            lines.append(smtpd + "NOQUEUE: reject: RCPT from %s: 450 4.7.1 <%s>: Recipient "
                         "address rejected: Service temporarily unavailable; from=<> to=<%s> "
                         "proto=ESMTP helo=<%s>" % (peer, rcpt, rcpt, NAME))
            lines.append(smtpd + "disconnect from %s ehlo=1 mail=1 rcpt=0/1 quit=1 "
                         "commands=3/4" % peer)
            heapq.heappush(attempts, (t + dt.timedelta(seconds=BACKOFF[min(a, 4)]), i, a + 1))
            continue
        seq += 1
        q = "%X" % (0xA0000000 + seq)
        tail = "from %s; from=<> to=<%s> proto=ESMTP helo=<%s>" % (peer, rcpt, NAME)
        lines += [smtpd + "%s: client=%s" % (q, peer),
                  "%s mx postfix/cleanup[99]: %s: info: header Subject: Undelivered Mail "
                  "Returned to Sender %s" % (s, q, tail),
                  "%s mx postfix/cleanup[99]: %s: message-id=<%s.%d@%s>" % (s, q, q, i, NAME),
                  "%s mx postfix/qmgr[98]: %s: from=<>, size=900, nrcpt=1 (queue active)" % (s, q),
                  "%s mx postfix/local[97]: %s: to=<%s>, relay=local, delay=0.01, "
                  "delays=0/0/0/0, dsn=2.0.0, status=sent (delivered to mailbox)" % (s, q, rcpt),
                  "%s mx postfix/qmgr[98]: %s: removed" % (s, q),
                  smtpd + "disconnect from %s ehlo=1 mail=1 rcpt=1 data=1 quit=1 "
                  "commands=5" % peer]
    return lines


def blocks_of(binary, path, store):
    if os.path.exists(store):
        os.unlink(store)
    out = subprocess.run([binary, "detect", "--all", "--year", "2026", "--store",
                          "sqlite:" + store, "--format", "jsonl", path],
                         capture_output=True, text=True, check=True).stdout
    got = []
    for line in out.splitlines():
        b = json.loads(line)
        if b.get("key") == IP:
            got.append((dt.datetime.strptime(b["created"][:19], "%Y-%m-%dT%H:%M:%S"),
                        dt.datetime.strptime(b["expires"][:19], "%Y-%m-%dT%H:%M:%S")))
    return sorted(got)


def main():
    binary = sys.argv[1]
    with tempfile.TemporaryDirectory() as tmp:
        path, store = os.path.join(tmp, "mail.log"), os.path.join(tmp, "d.db")
        blocks = []
        for _ in range(12):
            with open(path, "w") as f:
                f.write("\n".join(log(blocks)) + "\n")
            got = blocks_of(binary, path, store)
            if got == blocks:
                break
            blocks = got
        for b, e in blocks:
            print("block %s -> %s (%s)" % (b, e, e - b))
        refused = sum(1 for l in log(blocks) if "NOQUEUE: reject" in l)
        print("%d attempts refused while blocked" % refused)
        if len(blocks) != 1 or blocks[0][1] - blocks[0][0] != dt.timedelta(hours=1):
            print("FAIL: one burst must make one block of one hour")
            return 1
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
