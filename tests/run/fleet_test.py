#!/usr/bin/env python3
"""Fleet-wide detection with real agents (issue 19 item 9): three `mailtrail
run` agents share a throwaway MariaDB store, each following the log of its own
MX. One source floods all three, each MX getting 40% of the IP rule's
threshold (8 of 20 bounces a minute, tests/detect/split_flood.py). With fleet
counting on (the default) the source must be blocked within 60 s of the
flood's start (log time), and each agent's policy service must refuse it; with
`[detect] fleet = false` no agent blocks it.

The lines are written as the flood goes, twice as fast as log time (each
agent reads them as they come and exchanges counts every second of the clock).

usage: fleet_test.py MAILTRAIL SERVER_SH
"""
import datetime
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "detect"))
from mt_testlib import start_mariadb  # noqa: E402
from detect_live_test import ask_policy  # noqa: E402
import split_flood  # noqa: E402

SPEED = 2.0       # seconds of log time per second of the clock
# With counting off no agent may block at any speed (each sees 8 a minute):
# that run goes faster.
SPEED_OFF = 4.0
LOG_SPAN = 90.0  # seconds of the flood written


def parse_time(line):
    return datetime.datetime.strptime("2026 " + line[:15], "%Y %b %d %H:%M:%S")


def run_fleet(binary, tmp, store, name, fleet, speed=SPEED):
    """Runs the three agents through the flood; (blocks of the store, policy answers)."""
    cfg = os.path.join(tmp, name + ".toml")
    with open(cfg, "w") as f:
        f.write("[detect]\nfleet = %s\nfleet_interval_s = 1\n" % ("true" if fleet else "false"))
    start = datetime.datetime.utcnow().replace(microsecond=0) - datetime.timedelta(seconds=10)
    agents, logs, socks, lines = [], [], [], []
    err = open(os.path.join(tmp, name + ".err"), "a")
    for i, host in enumerate(split_flood.HOSTS):
        log = os.path.join(tmp, "%s-%s.log" % (name, host))
        open(log, "w").close()
        sock = os.path.join(tmp, "%s-%s.sock" % (name, host))
        logs.append(log)
        socks.append(sock)
        lines += [(parse_time(l), i, l) for l in split_flood.host_lines(i, start)]
        agents.append(subprocess.Popen(
            [binary, "run", "--config", cfg, "--store", store, "--agent", "%s-%s" % (name, host),
             "--log", log, "--from-start", "--allow", "127.0.0.1/32", "--flush-interval", "100",
             "--poll-interval", "50", "--policy-socket", sock,
             "--spool", os.path.join(tmp, "%s-%s.spool" % (name, host))], stderr=err))
    lines.sort(key=lambda x: (x[0], x[1]))
    time.sleep(1)
    t0 = time.monotonic()
    pos = 0
    files = [open(l, "a") for l in logs]
    while pos < len(lines):
        upto = start + datetime.timedelta(seconds=(time.monotonic() - t0) * speed)
        if lines[pos][0] > start + datetime.timedelta(seconds=LOG_SPAN):
            break
        while pos < len(lines) and lines[pos][0] <= upto:
            files[lines[pos][1]].write(lines[pos][2])
            pos += 1
        for f in files:
            f.flush()
        time.sleep(0.1)
    for f in files:
        f.close()
    time.sleep(7)  # a block one agent made reaches the others within 5 s
    try:
        answers = [ask_policy(s, split_flood.FLOOD_IP) for s in socks]
    except OSError as e:
        print("FAIL: %s: policy service: %s: %s" % (name, e, open(err.name).read()[-3000:]))
        answers = []
    for a in agents:
        a.send_signal(signal.SIGTERM)
    rcs = [a.wait(timeout=30) for a in agents]
    err.close()
    if any(rcs):
        print("FAIL: %s: agent exits %s: %s" % (name, rcs,
                                                open(os.path.join(tmp, name + ".err")).read()[-3000:]))
        return None, None, None
    out = subprocess.run([binary, "blocks", "list", "--all", "--format", "jsonl", "--store", store],
                         check=True, capture_output=True, text=True).stdout
    return [json.loads(l) for l in out.splitlines()], answers, start


def main():
    binary, server = sys.argv[1:3]
    tmp = tempfile.mkdtemp(prefix="mt_fleet_")
    dbdir = os.path.join(tmp, "mariadb")
    try:
        sock, store = start_mariadb(binary, server, dbdir)
        ok = True
        blocks, answers, start = run_fleet(binary, tmp, store, "on", True)
        if blocks is None:
            return 1
        flood = [b for b in blocks if b["key"] == split_flood.FLOOD_IP]
        print("fleet counting on: blocks %s; policy answers %s"
              % ([(b["key"], b["created"], b["origin_host"]) for b in blocks], answers))
        deadline = (start + datetime.timedelta(seconds=60)).strftime("%Y-%m-%dT%H:%M:%SZ")
        for b in flood:
            at = datetime.datetime.strptime(b["created"], "%Y-%m-%dT%H:%M:%SZ")
            print("  %s decided it %d s after the flood's start (log time)"
                  % (b["origin_host"], (at - start).total_seconds()))
        # Every agent that decided it did so within the minute (the others took
        # its block from the store; all three refuse it below).
        if not flood or max(b["created"] for b in flood) > deadline:
            print("FAIL: the split flood is not blocked within 60 s of its start (%s)" % deadline)
            ok = False
        if not all(a.startswith("action=450") for a in answers):
            print("FAIL: not every agent refuses the flooding source")
            ok = False
        # The same flood, counting off, in a database of its own.
        subprocess.run(["mariadb", "--no-defaults", "-uroot", "-S", sock, "-e",
                        "CREATE DATABASE mt2"], check=True)
        store2 = store.replace("/mt?", "/mt2?")
        subprocess.run([binary, "db", "migrate", "--store", store2], check=True,
                       stdout=subprocess.DEVNULL)
        blocks, answers, _ = run_fleet(binary, tmp, store2, "off", False, SPEED_OFF)
        if blocks is None:
            return 1
        print("fleet counting off: blocks %s; policy answers %s"
              % ([b["key"] for b in blocks], answers))
        if blocks or any(a.startswith("action=450") for a in answers):
            print("FAIL: blocked with fleet counting off")
            ok = False
        return 0 if ok else 1
    finally:
        subprocess.run([server, "stop", dbdir], stderr=subprocess.DEVNULL)
        subprocess.run(["rm", "-rf", tmp])


if __name__ == "__main__":
    sys.exit(main())
