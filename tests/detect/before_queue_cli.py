#!/usr/bin/env python3
"""Backscatter behind a before-queue filter (smtpd_proxy_filter): 30 bounces
in 30 s from one client, each queued by the smtpd behind the filter, whose
client is the filter (127.0.0.1). The front smtpd's proxy-accept line gives
each message its real client, and `mailtrail detect` blocks that client,
whether proxy-accept is logged before "removed" or after it (a quick delivery
or a slow filter: the record then waits for its grace, docs/record.md), and
counts no bounce twice. Before the join, nothing was counted behind such a
filter.

usage: before_queue_cli.py MAILTRAIL
"""
import json
import re
import os
import subprocess
import sys
import tempfile

CLIENT, NAME = "203.0.113.5", "mail.bad.test"


def bounce(i, late, fil, login="", helo=NAME):
    ts = "Dec 05 20:00:%02d mx postfix/" % (10 + i)
    qid, front, back = "A%07XB" % (0x1000 + i), 2000 + i, 3000 + i
    accept = ("smtpd[%d]: proxy-accept: END-OF-MESSAGE: 250 2.0.0 Ok: queued as %s; from=<> "
              "to=<u%d@hosted.test> proto=ESMTP helo=<%s>%s" % (
                  front, qid, i, helo, " sasl_username=<%s>" % login if login else ""))
    v = ["smtpd[%d]: connect from %s[%s]" % (front, NAME, CLIENT),
         "smtpd[%d]: NOQUEUE: client=%s[%s]%s" % (
             front, NAME, CLIENT, ", sasl_method=PLAIN, sasl_username=" + login if login else ""),
         "smtpd[%d]: connect from localhost[%s]" % (back, fil),
         "smtpd[%d]: %s: client=localhost[%s]" % (back, qid, fil),
         "cleanup[400]: %s: info: header Subject: Undelivered Mail Returned to Sender from "
         "localhost[%s]; from=<> to=<u%d@hosted.test> proto=ESMTP helo=<mx.example.test>"
         % (qid, fil, i),
         "cleanup[400]: %s: message-id=<%d.bounce@bad.test>" % (qid, i),
         "qmgr[500]: %s: from=<>, size=900, nrcpt=1 (queue active)" % qid]
    if not late:
        v.append(accept)
    v += ["smtpd[%d]: disconnect from localhost[%s] ehlo=1 mail=1 rcpt=1 data=1 quit=1 "
          "commands=5" % (back, fil),
          "virtual[600]: %s: to=<u%d@hosted.test>, relay=virtual, delay=0.01, "
          "delays=0.01/0/0/0, dsn=2.0.0, status=sent (delivered to maildir)" % (qid, i),
          "qmgr[500]: %s: removed" % qid]
    if late:
        v.append(accept)
    v.append("smtpd[%d]: disconnect from %s[%s] ehlo=1 mail=1 rcpt=1 data=1 quit=1 commands=5"
             % (front, NAME, CLIENT))
    return [ts + l for l in v]


def main():
    binary = sys.argv[1]
    ok = True
    with tempfile.TemporaryDirectory(prefix="mt_before_queue_") as tmp:
        # The filter on 127.0.0.1, or on another loopback address (a lab's,
        # or a second listener), which the detector does not take for a
        # filter: a record counted from it and again with its client would
        # count one bounce twice (helper-71).
        for fil in ("127.0.0.1", "127.0.0.30"):
            for late in (False, True):
                path = os.path.join(tmp, "%s-%s.log" % (fil, "late" if late else "in-order"))
                with open(path, "w") as f:
                    for i in range(30):
                        f.write("\n".join(bounce(i, late, fil)) + "\n")
                out = subprocess.run([binary, "detect", "--format", "jsonl", "--year", "2026",
                                      path], check=True, capture_output=True, text=True)
                keys = [(b["kind"], b["key"]) for b in map(json.loads, out.stdout.splitlines())]
                counted = int(re.search(r"(\d+) bounces in", out.stderr).group(1))
                print("filter %s, proxy-accept %s \"removed\": %d bounces, %s"
                      % (fil, "after" if late else "before", counted, keys))
                if ("ip", CLIENT) not in keys:
                    print("FAIL: the flooding client behind the filter is not blocked")
                    ok = False
                if any(k[1].startswith("127.") for k in keys):
                    print("FAIL: a loopback address was decided on")
                    ok = False
                if counted > 30:
                    print("FAIL: 30 bounces counted as %d" % counted)
                    ok = False
        # A logged-in user's null-sender mail (read receipts) is never counted
        # against its IP: the login comes from the front's NOQUEUE: client=
        # line. A HELO that writes a login of its own into proxy-accept
        # ("x> sasl_username=<bob") is no login (helper-71, helper-72).
        for name, kw, want in (("logged in", {"login": "u@hosted.test"}, False),
                               ("HELO-written login", {"helo": "x> sasl_username=<bob"}, True)):
            path = os.path.join(tmp, name.replace(" ", "-") + ".log")
            with open(path, "w") as f:
                for i in range(30):
                    f.write("\n".join(bounce(i, False, "127.0.0.1", **kw)) + "\n")
            out = subprocess.run([binary, "detect", "--format", "jsonl", "--year", "2026", path],
                                 check=True, capture_output=True, text=True)
            keys = [(b["kind"], b["key"]) for b in map(json.loads, out.stdout.splitlines())]
            print("%s: %s" % (name, keys))
            if (("ip", CLIENT) in keys) != want:
                print("FAIL: %s: the client is %sblocked" % (name, "not " if want else ""))
                ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
