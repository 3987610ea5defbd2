#!/usr/bin/env python3
"""A backscatter flood split over several MXes (issue 19 item 9): one source
sends bounces to three MX hosts for five minutes, each host getting 40% of the
IP rule's threshold (8 of 20 within 60 s): 24 a minute fleet-wide. (Longer than
the window: read one log after the other, as a single host's rotated files
are, the windows would never hold the hosts' shares together.) `mailtrail detect` given the three hosts'
logs must block the source (counted fleet-wide, the default) and must not with
--per-host (each host alone sees 8). Also the generator of the agents' test
(tests/run/fleet_test.py).

usage: split_flood.py MAILTRAIL
"""
import datetime
import json
import os
import subprocess
import sys
import tempfile

FLOOD_IP = "192.0.2.50"
HOSTS = ("mx1", "mx2", "mx3")
PER_MINUTE = 8  # per host: 40% of the IP rule's 20 within 60 s
MINUTES = 5


def stamp(t):
    s = t.strftime("%b %d %H:%M:%S")
    return s[:4] + " " + s[5:] if s[4] == "0" else s


def bounce(host, qid, t, ip=FLOOD_IP, subject="failure notice"):
    """The lines Postfix logs for one bounce received from `ip`."""
    ts, pid = stamp(t), 1000 + int(qid[-3:], 16) % 9000
    name = "relay.flood.test"
    return [
        "%s %s postfix/smtpd[%d]: connect from %s[%s]\n" % (ts, host, pid, name, ip),
        "%s %s postfix/smtpd[%d]: %s: client=%s[%s]\n" % (ts, host, pid, qid, name, ip),
        "%s %s postfix/cleanup[200]: %s: info: header Subject: %s from %s[%s]; from=<> "
        "to=<sales@example.test> proto=ESMTP helo=<%s>\n" % (ts, host, qid, subject, name, ip, name),
        "%s %s postfix/cleanup[200]: %s: message-id=<%s@flood.test>\n" % (ts, host, qid, qid),
        "%s %s postfix/qmgr[300]: %s: from=<>, size=447, nrcpt=1 (queue active)\n" % (ts, host, qid),
        "%s %s postfix/local[400]: %s: to=<nadia@example.test>, orig_to=<sales@example.test>, "
        "relay=local, delay=0.01, delays=0/0/0/0, dsn=2.0.0, status=sent (delivered to mailbox)\n"
        % (ts, host, qid),
        "%s %s postfix/qmgr[300]: %s: removed\n" % (ts, host, qid),
        "%s %s postfix/smtpd[%d]: disconnect from %s[%s] ehlo=1 mail=1 rcpt=1 data=1 quit=1 "
        "commands=5\n" % (ts, host, pid, name, ip),
    ]


def host_lines(index, start, n=PER_MINUTE * MINUTES, spacing=60.0 / PER_MINUTE):
    """Host number `index`'s share: n bounces `spacing` s apart from `start`,
    offset by a second per host so that the hosts interleave."""
    host = HOSTS[index]
    out = []
    for i in range(n):
        qid = "%X%07X" % (10 + index, i + 1)
        t = start + datetime.timedelta(seconds=index + i * spacing)
        out += bounce(host, qid, t)
    return out


def detect(binary, files, *flags):
    out = subprocess.run([binary, "detect", "--format", "jsonl", "--year", "2026", *flags, *files],
                         check=True, capture_output=True, text=True).stdout
    return {(b["kind"], b["key"]): b["created"] for b in map(json.loads, out.splitlines())}


def main():
    binary = sys.argv[1]
    tmp = tempfile.mkdtemp(prefix="mt_split_flood_")
    try:
        start = datetime.datetime(2026, 11, 27, 12, 0, 0)
        files = []
        for i in range(len(HOSTS)):
            path = os.path.join(tmp, HOSTS[i] + ".log")
            with open(path, "w") as f:
                f.writelines(host_lines(i, start))
            files.append(path)
        ok = True
        fleet = detect(binary, files)
        print("fleet-wide:", sorted(fleet.items()))
        created = fleet.get(("ip", FLOOD_IP))
        # Within its first minute (log time), as one MX receiving all of it would.
        if created is None or created > "2026-11-27T12:01:00Z":
            print("FAIL: the split flood is not blocked fleet-wide within 60 s of its start")
            ok = False
        per_host = detect(binary, files, "--per-host")
        print("per host:", sorted(per_host))
        if per_host:
            print("FAIL: --per-host blocked what no host saw enough of")
            ok = False
        one = detect(binary, files[:1])
        if one:
            print("FAIL: one host's share alone was blocked:", one)
            ok = False
        return 0 if ok else 1
    finally:
        subprocess.run(["rm", "-rf", tmp])


if __name__ == "__main__":
    sys.exit(main())
