#!/usr/bin/env python3
"""`mailtrail report` against pflogsumm on the same real log, where the two count
the same thing: recipients delivered (pflogsumm's delivered + forwarded),
bounced, rejected and held must be equal. With a content filter pflogsumm also
counts the hop into the filter (a `status=sent` line to its port) as a
delivery; mailtrail counts the recipient once, where it ended, so for that
corpus (04) the hops are taken out of pflogsumm's count. The text report must
carry the same totals.

usage: report_vs_pflogsumm.py MAILTRAIL CORPUS_DIR NAME...
"""
import json
import os
import re
import subprocess
import sys
import tempfile

# The content filter's listener in the corpora that have one: pflogsumm counts
# each delivery into it as a delivery too.
FILTERS = {"04-content-filter-amavis": "[127.0.0.1]:10024"}


def hops_into(log, listener):
    """The `status=sent` lines of deliveries into the filter (one a recipient)."""
    return sum(1 for line in open(log, errors="replace")
               if "status=sent " in line and "relay=" in line
               and line.split("relay=", 1)[1].split(",", 1)[0].endswith(listener))


def pflogsumm_totals(path):
    totals = {}
    for line in open(path):
        m = re.match(r"\s*(\d+)\s+(received|delivered|forwarded|bounced|rejected|held)\b", line)
        if m:
            totals[m.group(2)] = int(m.group(1))
    return totals


def main():
    binary, corpus_dir, names = sys.argv[1], sys.argv[2], sys.argv[3:]
    tmp = tempfile.mkdtemp(prefix="mt_report_")
    ok = True
    for name in names:
        log = os.path.join(tmp, name + ".log")
        with open(log, "wb") as f:
            subprocess.run(["zcat", os.path.join(corpus_dir, name + ".log.gz")], stdout=f,
                           check=True)
        store = "sqlite:" + os.path.join(tmp, name + ".db")
        subprocess.run([binary, "replay", "--quiet", "--store", store, "--year", "2026", log],
                       check=True)
        report = json.loads(subprocess.run([binary, "report", "--store", store, "--format",
                                            "json"], check=True, capture_output=True,
                                           text=True).stdout)
        text = subprocess.run([binary, "report", "--store", store], check=True,
                              capture_output=True, text=True).stdout
        p = pflogsumm_totals(os.path.join(corpus_dir, name + ".pflogsumm-totals.txt"))
        r = report["recipients"]
        pairs = {"bounced": (r["bounced"], p["bounced"]),
                 "rejected": (r["rejected"], p["rejected"]),
                 "held": (r["held"], p["held"])}
        hops = hops_into(log, FILTERS[name]) if name in FILTERS else 0
        if name in FILTERS and hops == 0:
            print(name, "has no delivery into its filter", FILTERS[name])
            ok = False
        pairs["delivered"] = (r["delivered"], p["delivered"] + p["forwarded"] - hops)
        same = all(a == b for a, b in pairs.values())
        rows = {m.group(1): (int(m.group(2)), int(m.group(3))) for m in
                re.finditer(r"^([a-z_]+)\s+(\d+)\s+(\d+)$", text, re.M)}
        text_same = all(rows.get(o, (0, 0)) == (report["messages"][o], report["recipients"][o])
                        for o in report["messages"])
        # The window and host filters reach the store: this log's own host and
        # day give the same report, another host or an earlier window nothing.
        def records(*flags):
            out = subprocess.run([binary, "report", "--store", store, "--format", "json", *flags],
                                 check=True, capture_output=True, text=True).stdout
            return json.loads(out)["records"]
        filtered = (records("--host", "mx", "--since", "2026-11-27", "--until", "2026-11-28"),
                    records("--host", "mx2"), records("--until", "2026-11-27"))
        print(name, "mailtrail vs pflogsumm:", pairs, "| text table matches json:", text_same,
              "| records (mx that day, mx2, before):", report["records"], filtered)
        ok = (ok and same and text_same and report["records"] > 0
              and filtered == (report["records"], 0, 0))
    subprocess.run(["rm", "-rf", tmp])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
