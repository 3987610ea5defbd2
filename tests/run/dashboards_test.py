#!/usr/bin/env python3
"""The Grafana dashboard and the Prometheus rules shipped for the metrics
(issue 22): the rules pass `promtool check rules`, the dashboard is valid JSON
with a query in every panel, and every mailtrail metric either uses is one a
running agent exports (with detection and queue reading on), so that a renamed
metric cannot leave a silent panel or an alert that never fires.

usage: dashboards_test.py MAILTRAIL SOURCE_DIR
"""
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

from mt_testlib import free_port

NAME = re.compile(r"\bmailtrail_[a-z0-9_]+")


def used_names(text):
    names = set()
    for n in NAME.findall(text):
        for suffix in ("_bucket", "_sum", "_count"):
            if n.endswith(suffix) and n != "mailtrail_queue_files_read_total":
                n = n[: -len(suffix)]
        names.add(n)
    return names


def exported_names(binary, tmp):
    """The metric families a running agent serves (from its # TYPE lines)."""
    queue = os.path.join(tmp, "spool")
    for d in ("incoming", "active", "deferred", "hold", "corrupt"):
        os.makedirs(os.path.join(queue, d))
    log = os.path.join(tmp, "mail.log")
    with open(log, "w") as f:
        f.write("Nov 27 12:03:26 mx postfix/pickup[1]: 44C4B10A321: uid=0 from=<root>\n")
    port = free_port()
    config = os.path.join(tmp, "mailtrail.toml")
    with open(config, "w") as f:
        f.write('[store]\nurl = "sqlite:%s"\n[logs]\npaths = ["%s"]\nfrom_start = true\n'
                '[metrics]\nlisten = "127.0.0.1:%d"\n[queue]\nread = "files"\n'
                'directory = "%s"\n[detect]\nenabled = true\n'
                % (os.path.join(tmp, "t.db"), log, port, queue))
    p = subprocess.Popen([binary, "run", "--config", config], stderr=subprocess.DEVNULL)
    text = ""
    try:
        for _ in range(300):
            time.sleep(0.1)
            try:
                text = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port,
                                              timeout=2).read().decode()
            except OSError:
                continue
            if "mailtrail_queue_files_read_total" in text and "mailtrail_blocks_active" in text:
                break
    finally:
        p.send_signal(signal.SIGTERM)
        p.wait(timeout=30)
    return {line.split()[2] for line in text.splitlines() if line.startswith("# TYPE ")}


def main():
    binary, src = sys.argv[1:3]
    rules = os.path.join(src, "examples/prometheus/mailtrail-rules.yml")
    dashboard = os.path.join(src, "docs/grafana/mailtrail.json")
    failed = False
    check = subprocess.run(["promtool", "check", "rules", rules], capture_output=True, text=True)
    print(check.stdout.strip(), check.stderr.strip())
    if check.returncode != 0:
        failed = True
    board = json.load(open(dashboard))
    for panel in board["panels"]:
        if not panel.get("targets") or not all(t.get("expr") for t in panel["targets"]):
            print("FAIL: panel without a query:", panel.get("title"))
            failed = True
    tmp = tempfile.mkdtemp(prefix="mt_dashboards_")
    exported = exported_names(binary, tmp)
    subprocess.run(["rm", "-rf", tmp])
    used = used_names(open(rules).read()) | used_names(open(dashboard).read())
    missing = sorted(used - exported)
    print("%d metrics used by the rules and the dashboard, %d exported by the agent"
          % (len(used), len(exported)))
    if missing or not used:
        print("FAIL: used but not exported:", missing)
        failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
