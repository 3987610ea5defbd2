#!/usr/bin/env python3
"""A generated day at a busy MX with backscatter floods (backscatter_day.py) through
`mailtrail detect`, measured against its ground truth: legitimate servers blocked,
flood IPs blocked and their time to block (log time, from the IP's first flood
bounce to the decision), flood bounces let through (arrived before their sender
was blocked and not under a subject block), genuine notices that arrived under a
subject block. Prints one table row per setting (docs/detection.md).

usage: backscatter_day_test.py MAILTRAIL [--check] [--seed N] [--setting NAME=FLAGS]...
With --check, the first setting must block no legitimate server and every flood
IP within 60 s of log time (counts and log time only; never the wall clock).
"""
import argparse
import datetime
import json
import os
import shlex
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def ts(s):
    return datetime.datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()


def measure(binary, log, truth, flags):
    out = subprocess.run([binary, "detect", "--allow", "127.0.0.1/32", "--format", "jsonl",
                          "--all", *flags, log], check=True, capture_output=True, text=True)
    blocks = [json.loads(l) for l in out.stdout.splitlines()]
    ip_blocks = {}
    for b in blocks:
        if b["kind"] == "ip":
            ip_blocks.setdefault(b["key"], ts(b["created"]))
    subjects = [b for b in blocks if b["kind"] == "subject"]
    flood_ips, legit_ips = set(truth["flood_ips"]), set(truth["legit_ips"])
    first = {}
    for b in truth["bounces"]:
        if b["flood"]:
            first.setdefault(b["ip"], b["t"])

    def under_subject_block(b):
        return any(b["subject"] in s["raw_subjects"] and ts(s["created"]) <= b["t"] < ts(s["expires"])
                   for s in subjects)

    delays = {ip: ip_blocks[ip] - first[ip] for ip in flood_ips if ip in ip_blocks}
    through = sum(1 for b in truth["bounces"] if b["flood"] and
                  not (b["ip"] in ip_blocks and ip_blocks[b["ip"]] <= b["t"]) and
                  not under_subject_block(b))
    genuine_refused = sum(1 for b in truth["bounces"] if not b["flood"] and under_subject_block(b))
    answers = [l for l in out.stderr.splitlines() if "answers" in l]
    groups = {}
    for b in truth["bounces"]:
        if b["flood"]:
            groups.setdefault(b["kind"], set()).add(b["ip"])
    per_group = []
    for g, ips in sorted(groups.items()):
        ds = sorted(delays[ip] for ip in ips if ip in delays)
        per_group.append("%s: %d/%d IPs blocked, max %s" % (
            g, len(ds), len(ips), "%.1f s" % ds[-1] if ds else "-"))
    return {
        "legit_blocked": sorted(set(ip_blocks) & legit_ips),
        "flood_blocked": len(delays), "flood_ips": len(flood_ips),
        "missed": sorted(flood_ips - set(delays)),
        "median_delay": sorted(delays.values())[len(delays) // 2] if delays else None,
        "max_delay": max(delays.values()) if delays else None,
        "slow": sorted(ip for ip, d in delays.items() if d > 60),
        "flood_bounces": sum(1 for b in truth["bounces"] if b["flood"]), "through": through,
        "subject_blocks": [s["key"] for s in subjects], "genuine_refused": genuine_refused,
        "genuine": sum(1 for b in truth["bounces"] if not b["flood"]),
        "answers": answers[0].split(": ", 1)[1] if answers else "",
        "per_group": per_group,
    }


def main():
    p = argparse.ArgumentParser()
    p.add_argument("binary")
    p.add_argument("--check", action="store_true")
    p.add_argument("--seed", type=int, default=19)
    p.add_argument("--setting", action="append", default=[])
    a = p.parse_args()
    settings = [s.split("=", 1) for s in a.setting] or [["defaults", ""]]
    with tempfile.TemporaryDirectory() as tmp:
        log, truth_path = os.path.join(tmp, "day.log"), os.path.join(tmp, "day.json")
        subprocess.run([sys.executable, os.path.join(HERE, "backscatter_day.py"), "--seed",
                        str(a.seed), "--log", log, "--truth", truth_path], check=True)
        truth = json.load(open(truth_path))
        print("| setting | legitimate servers blocked | flood IPs blocked | time to block: "
              "median / max | flood bounces let through | subject blocks | genuine notices "
              "under a subject block |")
        print("|---|---:|---:|---:|---:|---|---:|")
        ok = True
        for i, (name, flags) in enumerate(settings):
            m = measure(a.binary, log, truth, shlex.split(flags))
            print("| %s `%s` | %d | %d / %d | %s / %s | %d / %d | %s | %d / %d |" % (
                name, flags or "(none)", len(m["legit_blocked"]), m["flood_blocked"],
                m["flood_ips"], "%.1f s" % m["median_delay"] if m["median_delay"] is not None
                else "-", "%.1f s" % m["max_delay"] if m["max_delay"] is not None else "-",
                m["through"], m["flood_bounces"], ", ".join(m["subject_blocks"]) or "none",
                m["genuine_refused"], m["genuine"]))
            print("  %s: %s; %s" % (name, m["answers"], "; ".join(m["per_group"])),
                  file=sys.stderr)
            if a.check and i == 0:
                if m["legit_blocked"]:
                    print("FAIL: legitimate servers blocked:", m["legit_blocked"])
                    ok = False
                if m["missed"]:
                    print("FAIL: flood IPs never blocked:", m["missed"])
                    ok = False
                if m["slow"]:
                    print("FAIL: flood IPs blocked more than 60 s (log time) after their "
                          "first bounce:", m["slow"])
                    ok = False
        print("(generated: %d genuine notices, %d flood bounces from %d IPs, %d legitimate "
              "client IPs; seed %d)" % (m["genuine"], m["flood_bounces"], m["flood_ips"],
                                        len(truth["legit_ips"]), a.seed))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
