#!/usr/bin/env python3
"""Detection survives SIGKILL (issue 19 item 8): `mailtrail run` follows a log
to which corpus 05 (a backscatter flood, its stamps moved to just now) is
appended in chunks, once without kills and once SIGKILLed and restarted about
ten times during the flood. Both runs must end with the same block decisions:
the same (kind, key), each with the same period and strikes. Before the
detector's windows were saved with the checkpoint, the killed run decided
fewer blocks (each restart emptied the windows), and a restart could decide a
block again as a second strike with its period doubled.

usage: flood_kill_test.py MAILTRAIL CORPUS05.log.gz [--kills N] [--seed S]
"""
import argparse
import datetime
import gzip
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from detect_live_test import shifted  # noqa: E402


def stamp(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


def decisions(binary, store):
    out = subprocess.run([binary, "blocks", "list", "--all", "--format", "jsonl", "--store", store],
                         check=True, capture_output=True, text=True).stdout
    got = []
    for line in out.splitlines():
        b = json.loads(line)
        period = stamp(b["expires"]) - stamp(b["created"])
        got.append((b["kind"], b["key"], int(period.total_seconds()), b["strikes"]))
    return sorted(got)


def run(binary, tmp, name, lines, kill_at, rng):
    """Appends `lines` in chunks; SIGKILLs and restarts the agent before the
    chunks numbered in kill_at. The store's decisions at the end."""
    store = "sqlite:" + os.path.join(tmp, name + ".db")
    log = os.path.join(tmp, name + ".log")
    open(log, "w").close()
    cfg = os.path.join(tmp, "mailtrail.toml")
    with open(cfg, "w") as f:  # as detect_live_test: one source may make a subject flood
        f.write("[detect]\nsubject_ips = 1\n")
    err = open(os.path.join(tmp, name + ".err"), "a")
    cmd = [binary, "run", "--config", cfg, "--store", store, "--log", log, "--from-start",
           "--allow", "127.0.0.1/32", "--flush-interval", "100", "--poll-interval", "50"]
    agent = subprocess.Popen(cmd, stderr=err)
    chunks = 24
    size = (len(lines) + chunks - 1) // chunks
    for i in range(chunks):
        if i in kill_at:
            time.sleep(rng.uniform(0.05, 0.4))  # mid-read, mid-commit, or idle
            agent.send_signal(signal.SIGKILL)
            agent.wait()
            agent = subprocess.Popen(cmd, stderr=err)
        with open(log, "a") as f:
            f.writelines(lines[i * size:(i + 1) * size])
        time.sleep(0.25)
    time.sleep(3)  # reads the rest and closes the records (log time goes on by the clock)
    agent.send_signal(signal.SIGTERM)
    rc = agent.wait(timeout=30)
    err.close()
    if rc != 0:
        print("FAIL: %s: agent exit %d: %s" % (name, rc,
                                              open(os.path.join(tmp, name + ".err")).read()[-2000:]))
        return None
    return decisions(binary, store)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("corpus")
    ap.add_argument("--kills", type=int, default=10)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    lines = shifted(gzip.open(a.corpus, "rt").read().splitlines(keepends=True))
    tmp = tempfile.mkdtemp(prefix="mt_flood_kill_")
    try:
        want = run(a.binary, tmp, "calm", lines, set(), rng)
        kill_at = set(rng.sample(range(2, 23), a.kills))
        got = run(a.binary, tmp, "killed", lines, kill_at, rng)
        if want is None or got is None:
            return 1
        print("without kills: %d decisions; with %d kills: %d" % (len(want), a.kills, len(got)))
        if not want:
            print("FAIL: the run without kills decided nothing")
            return 1
        if want != got:
            print("FAIL: seed %d: the decisions differ" % a.seed)
            for d in sorted(set(want) - set(got)):
                print("  only without kills:", d)
            for d in sorted(set(got) - set(want)):
                print("  only with kills:   ", d)
            return 1
        return 0
    finally:
        subprocess.run(["rm", "-rf", tmp])


if __name__ == "__main__":
    sys.exit(main())
