#!/usr/bin/env python3
"""Crash test of the live agent (issue 3): a real corpus is appended to a real log
in random chunks with logrotate-style rename rotations, while `mailtrail run` is
SIGKILLed and restarted at seeded random points (at least 20 kills). Afterwards
the store must hold exactly the records of a one-shot `mailtrail replay` of the
same lines: none lost, none doubled.

usage: crash_test.py MAILTRAIL CORPUS.log.gz [--kills N] [--seed S] [--mariadb SERVER_SH]
With --mariadb the store is a throwaway MariaDB (tests/mysql/server.sh) with an
outage spool, and at kills the server is also crashed (SIGKILL) or brought back
at random, so that the agent is killed and restarted during outages too (it
then resumes from its spool, or waits for the server).
Rotations are of both kinds logrotate does: rename (`create`) and copytruncate
(copy, then truncate the file in place), and a rotated file may be compressed
at once (gzip keeps the modification time). Some kills come within 0.1 s of a
copytruncate, before the agent can have seen it (issue 18's reproducer), and
every third kill the log is rotated one to three times, of either kind, while
the agent is stopped (with lines written to each file): the restarted agent
must finish the file it was reading (or its copy) at the checkpoint, read the
ones rotated in and out meanwhile, then the current one. The seed is printed
on failure: `--seed S` reproduces the run.
"""
import argparse
import atexit
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


def records(binary, db):
    out = subprocess.run([binary, "search", "--store", "sqlite:" + db, "--format", "jsonl",
                          "--limit", "100000000"], check=True, capture_output=True, text=True).stdout
    recs = []
    for line in out.splitlines():
        r = json.loads(line)
        end = r.pop("end")
        recs.append((end, json.dumps(r, sort_keys=True)))
    return recs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("corpus")
    ap.add_argument("--kills", type=int, default=22)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--mariadb", help="tests/mysql/server.sh: a MariaDB store with outages")
    a = ap.parse_args()
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from mt_testlib import search, start_mariadb
    rng = random.Random(a.seed)
    lines = gzip.open(a.corpus, "rt", errors="surrogateescape").read().splitlines(keepends=True)
    tmp = tempfile.mkdtemp(prefix="mt_crash_")
    log = os.path.join(tmp, "mail.log")
    open(log, "w").close()
    dbdir = os.path.join(tmp, "mariadb")
    server_up = True
    outages = 0
    if a.mariadb:
        _, store = start_mariadb(a.binary, a.mariadb, dbdir)
        extra = ["--spool", os.path.join(tmp, "spool.db")]
    else:
        store, extra = "sqlite:" + os.path.join(tmp, "agent.db"), []
    cmd = [a.binary, "run", "--store", store, "--log", log, "--from-start",
           "--flush-interval", "100", "--poll-interval", "50"] + extra
    errpath = os.path.join(tmp, "agent.err")
    errlog = open(errpath, "w")

    def stop_server():
        if a.mariadb and os.path.exists(os.path.join(dbdir, "mysqld.pid")):
            subprocess.run([a.mariadb, "stop", dbdir], stderr=subprocess.DEVNULL)

    atexit.register(stop_server)  # whatever happens, the server it started stops

    def toggle_server():
        """A crash of the server, or its return."""
        nonlocal server_up, outages
        if server_up:
            subprocess.run([a.mariadb, "kill", dbdir], check=True)
            outages += 1
        else:
            subprocess.run([a.mariadb, "start", dbdir], check=True, stdout=subprocess.DEVNULL)
        server_up = not server_up

    def compress(rotated):
        """logrotate's compress: gzip keeps the modification time."""
        nonlocal compressed
        st = os.stat(rotated)
        with open(rotated, "rb") as src, gzip.open(rotated + ".gz", "wb") as dst:
            dst.write(src.read())
        os.utime(rotated + ".gz", ns=(st.st_atime_ns, st.st_mtime_ns))
        os.unlink(rotated)
        compressed += 1

    def rotate():
        """One rotation, rename or copytruncate at random (logrotate's two kinds)."""
        nonlocal rotations, copies
        rotations += 1
        rotated = "%s.%d" % (log, rotations)
        if rng.random() < 0.5:
            os.rename(log, rotated)
            open(log, "w").close()
        else:
            copies += 1
            with open(log, "rb") as src, open(rotated, "wb") as dst:
                dst.write(src.read())
            os.truncate(log, 0)
        return rotated

    def append(n):
        nonlocal i
        with open(log, "a", errors="surrogateescape") as f:
            f.writelines(lines[i:i + n])
        i += n

    def following(pid):
        """The agent has the current log open (it has read its checkpoint, if any)."""
        want = os.stat(log).st_ino
        fd_dir = "/proc/%d/fd" % pid
        try:
            for fd in os.listdir(fd_dir):
                try:
                    if os.stat(os.path.join(fd_dir, fd)).st_ino == want:
                        return True
                except OSError:
                    pass
        except OSError:
            pass
        return False

    def start():
        p = subprocess.Popen(cmd, stderr=errlog)
        # Nothing happens to the log until the agent follows it: on a loaded
        # machine a fixed pause let the first rotation come before the first
        # open, and a first start (no checkpoint yet) then never saw the
        # rotated file. Waiting for the open is what the test means.
        # (While the server is down and the spool holds no whole checkpoint,
        # it waits for the server instead: a short wait then.)
        deadline = time.monotonic() + (30 if server_up else 3)
        while not following(p.pid) and p.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.05)  # and one poll
        return p

    kills = rotations = compressed = stopped_rotations = copies = quick_kills = 0
    i = 0
    agent = start()
    per_kill = max(1, len(lines) // (a.kills + 2))
    next_kill = per_kill
    while i < len(lines):
        append(rng.randint(20, 400))
        time.sleep(rng.uniform(0.0, 0.03))
        if rng.random() < 0.05:
            rotated = rotate()
            time.sleep(0.1)  # the agent sees the new file before the next rotation
            if rng.random() < 0.4:  # without delaycompress
                compress(rotated)
        if i >= next_kill:
            if rng.random() < 0.35:  # rotated, and killed before it can have seen it
                quick_kills += 1
                rotate()
                time.sleep(rng.uniform(0.0, 0.1))
            else:
                time.sleep(rng.uniform(0.0, 0.2))
            agent.send_signal(signal.SIGKILL)
            agent.wait()
            kills += 1
            next_kill += per_kill
            if kills % 3 == 0 and i < len(lines):  # rotations pile up while it is down
                for _ in range(rng.randint(1, 3)):
                    append(rng.randint(1, 50))
                    rotated = rotate()
                    if rng.random() < 0.5:
                        compress(rotated)
                    time.sleep(0.01)  # distinct modification times
                    stopped_rotations += 1
                append(rng.randint(1, 50))
            if a.mariadb and rng.random() < 0.4:  # an outage begins or ends while it is down
                toggle_server()
            agent = start()
            if a.mariadb and rng.random() < 0.2:  # or while it runs
                toggle_server()
    while kills < a.kills:
        time.sleep(rng.uniform(0.05, 0.3))
        agent.send_signal(signal.SIGKILL)
        agent.wait()
        kills += 1
        agent = start()
    if a.mariadb:
        if not server_up:
            toggle_server()
        # Every spooled batch written: the last outage drained (retries up to 30 s apart).
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            err = open(errpath, errors="replace").read()
            if err.rfind("spool is drained") >= err.rfind("spooling to"):
                break
            time.sleep(0.5)
    time.sleep(13)  # past the tracker's 10 s grace: records waiting for late lines close
    agent.send_signal(signal.SIGTERM)
    rc = agent.wait(timeout=30)
    errlog.close()
    if rc != 0:
        print("agent exited with", rc, open(errpath).read()[-2000:])
        return 1

    # The same lines in one go. The live agent dates yearless lines by its clock:
    # a month after the current one is last year.
    now = datetime.datetime.now(datetime.timezone.utc)
    month = datetime.datetime.strptime(lines[0][:3], "%b").month
    year = now.year if month <= now.month else now.year - 1
    whole = os.path.join(tmp, "whole.log")
    with open(whole, "w", errors="surrogateescape") as f:
        f.writelines(lines)
    one = os.path.join(tmp, "one.db")
    subprocess.run([a.binary, "replay", "--quiet", "--store", "sqlite:" + one, "--year", str(year),
                    whole], check=True)
    want = sorted(r for end, r in records(a.binary, one) if end != "open")
    got = sorted(r for end, r in search(a.binary, store))
    print("seed %d: %d lines, %d rotations (%d by copytruncate, %d compressed, %d while stopped), "
          "%d kills (%d right after a rotation)%s: agent stored %d records, one-shot replay "
          "closed %d" % (a.seed, len(lines), rotations, copies, compressed, stopped_rotations,
                         kills, quick_kills,
                         ", %d MariaDB crashes" % outages if a.mariadb else "", len(got),
                         len(want)))
    if kills < 20 or got != want:
        missing = [r for r in want if r not in set(got)]
        extra = [r for r in got if r not in set(want)]
        print("FAIL (seed %d): %d missing, %d extra" % (a.seed, len(missing), len(extra)))
        for r in (missing[:3] + extra[:3]):
            print("  ", r[:300])
        print("kept for inspection:", tmp)
        return 1
    stop_server()
    subprocess.run(["rm", "-rf", tmp])
    return 0


if __name__ == "__main__":
    sys.exit(main())
