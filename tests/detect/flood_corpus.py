#!/usr/bin/env python3
"""The backscatter corpus (real Postfix 3.7 logs of a flood, with ground truth)
through `mailtrail detect`: every flooding IP must be blocked within 60 s of log
time after its flood began, no legitimate sender may be blocked (of mail or of
a few genuine notices), and no block may hit a subject that only legitimate
bounces carried. Prints the
measured detection numbers (docs/detection.md): time to block per IP, flood
messages that arrived before their sender was blocked, false blocks.

usage: flood_corpus.py MAILTRAIL LOG.gz GROUNDTRUTH.jsonl.gz [detect flags...]
"""
import datetime
import gzip
import json
import subprocess
import sys


def ts(s):
    return datetime.datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()


def main():
    binary, log, truth = sys.argv[1:4]
    extra = sys.argv[4:]
    out = subprocess.run([binary, "detect", "--year", "2026", "--allow", "127.0.0.1/32",
                          "--format", "jsonl", "--all", *extra, log],
                         check=True, capture_output=True, text=True)
    blocks = [json.loads(l) for l in out.stdout.splitlines()]
    msgs = [json.loads(l) for l in gzip.open(truth, "rt")]
    flood = [m for m in msgs if m["flood"]]
    legit = [m for m in msgs if not m["flood"]]
    ip_blocks = {b["key"]: ts(b["created"]) for b in blocks if b["kind"] == "ip"}
    subject_blocks = [b for b in blocks if b["kind"] == "subject"]
    ok = True

    print("flooding IP      first bounce  blocked after  let through / sent")
    let_through = 0
    for ip in sorted({m["client_ip"] for m in flood}):
        mine = sorted(m["send_epoch"] for m in flood if m["client_ip"] == ip)
        if ip not in ip_blocks:
            print("FAIL: flooding IP %s never blocked" % ip)
            ok = False
            continue
        delay = ip_blocks[ip] - mine[0]
        through = sum(1 for t in mine if t < ip_blocks[ip])
        let_through += through
        print("%-15s  %s  %6.1f s      %4d / %d" % (
            ip, datetime.datetime.utcfromtimestamp(mine[0]).strftime("%H:%M:%S"), delay,
            through, len(mine)))
        if delay > 60:
            print("FAIL: %s blocked %.1f s after its flood began (> 60 s)" % (ip, delay))
            ok = False
    legit_senders = {m["client_ip"] for m in legit if m.get("mail_from") != "" and m.get("client_ip")}
    legit_bouncers = {m["client_ip"] for m in legit if m.get("mail_from") == ""}
    flood_ips = {m["client_ip"] for m in flood}
    wrong = sorted(set(ip_blocks) & legit_senders - flood_ips)
    if wrong:
        print("FAIL: legitimate non-bounce senders blocked:", wrong)
        ok = False
    flood_subjects = {m["subject"] for m in flood}
    for b in subject_blocks:
        if not set(b["raw_subjects"]) & flood_subjects:
            print("FAIL: subject blocked that only legitimate mail carried:", b["key"])
            ok = False
    bouncers_hit = sorted(set(ip_blocks) & legit_bouncers - flood_ips)
    if bouncers_hit:
        # An IP is blocked only for its own flooding: a legitimate server that
        # sent a notice or two is never blocked, whatever subject it carried.
        print("FAIL: legitimate bounce senders blocked:", bouncers_hit)
        ok = False
    legit_bounces_hit = sum(1 for m in legit if m.get("mail_from") == "" and any(
        m["subject"] in b["raw_subjects"] and ts(b["created"]) <= m["send_epoch"]
        for b in subject_blocks))
    print("flood: %d bounces from %d IPs; %d arrived before their sender was blocked (%.0f%%)"
          % (len(flood), len(flood_ips), let_through, 100.0 * let_through / len(flood)))
    print("subject blocks: %s" % ", ".join(repr(b["key"]) for b in subject_blocks))
    print("false blocks: %d legitimate non-bounce senders, %d legitimate bounce senders %s; "
          "%d legitimate bounces arrived under a subject block"
          % (len(wrong), len(bouncers_hit), bouncers_hit, legit_bounces_hit))
    for b in blocks:
        if b["live"]:
            print("FAIL: a block from replayed lines is live:", b["key"])
            ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
