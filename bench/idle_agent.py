#!/usr/bin/env python3
"""An idle `mailtrail run` beside a large block table: the CPU its block
refreshes (every 2 s) take and the memory its start's read of the table
leaves. Prints measured numbers (docs/benchmarks.md, "The live agent").

usage: idle_agent.py MAILTRAIL [--ended N] [--old N] [--seconds S]
  --ended N  blocks that ended within the last 6 days (default 150,000):
             the start reads them (strikes), the refreshes must not
  --old N    blocks that ended 8 to 30 days ago (default 150,000): read by nothing
One 7-day block by hand is active throughout (the refreshes once read every
row that ended since the oldest active block began).
"""
import argparse
import os
import random
import sqlite3
import subprocess
import tempfile
import time

US = 1_000_000
DAY = 86400 * US
TICKS = os.sysconf("SC_CLK_TCK")


def fill(db, now_us, ended, old):
    """Rows shaped like the detector's: an IP or a subject, a reason, five
    queue ids of evidence, the subject's forms."""
    rnd = random.Random(1)
    con = sqlite3.connect(db)
    cols = con.execute("SELECT * FROM block LIMIT 1").fetchone()
    assert cols, "the block made by hand is missing"

    def row(i, end):
        created = end - rnd.randint(1, 48) * 3600 * US
        evidence = " ".join("%010X" % rnd.getrandbits(40) for _ in range(5))
        if i % 4 == 0:
            subject = "Undelivered: offer %d for you today" % i
            return ("subject", subject.lower(), created, end, "backscatter: 212 bounces of one subject",
                    "backscatter-subject", "mx1", subject + "\nUndeliverable: " + subject, evidence,
                    1 + i % 3, 1)
        ip = "10.%d.%d.%d" % (i >> 16 & 255, i >> 8 & 255, i & 255)
        return ("ip", ip, created, end, "backscatter: 61 bounces from " + ip + " within 600 s",
                "backscatter-ip", "mx1", "", evidence, 1 + i % 3, 1)

    rows = [row(i, now_us - rnd.randint(60, 6 * 86400) * US) for i in range(ended)]
    rows += [row(ended + i, now_us - rnd.randint(8 * 86400, 30 * 86400) * US) for i in range(old)]
    con.executemany("INSERT OR IGNORE INTO block (kind, key, created, expires, reason, rule,"
                    " origin_host, raw_subjects, evidence, strikes, live)"
                    " VALUES (?,?,?,?,?,?,?,?,?,?,?)", rows)
    con.commit()
    con.close()


def proc(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])  # utime + stime
    mem = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(("VmRSS:", "VmHWM:")):
                mem[line.split(":")[0]] = int(line.split()[1]) / 1024
    return ticks, mem.get("VmRSS", 0), mem.get("VmHWM", 0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mailtrail")
    ap.add_argument("--ended", type=int, default=150000)
    ap.add_argument("--old", type=int, default=150000)
    ap.add_argument("--seconds", type=float, default=20)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = os.path.join(tmp, "t.db")
        conf = os.path.join(tmp, "m.toml")
        log = os.path.join(tmp, "mail.log")
        open(log, "w").close()
        with open(conf, "w") as f:
            f.write('[store]\nurl = "sqlite:%s"\n[logs]\npaths = ["%s"]\n[detect]\nenabled = true\n'
                    % (db, log))
        subprocess.run([a.mailtrail, "replay", "--quiet", "--store", "sqlite:" + db, log],
                       check=True, stdout=subprocess.DEVNULL)  # makes the store
        subprocess.run([a.mailtrail, "blocks", "add", "ip", "192.0.2.77", "--for", "7d",
                        "--reason", "bench", "--store", "sqlite:" + db, "--config", conf],
                       check=True, stdout=subprocess.DEVNULL)
        t0 = time.time()
        fill(db, int(time.time() * US), a.ended, a.old)
        print("block rows: %d ended in the last 6 days, %d ended 8-30 days ago, 1 active"
              " (%.1f s to write)" % (a.ended, a.old, time.time() - t0))
        agent = subprocess.Popen([a.mailtrail, "run", "--config", conf],
                                 stderr=subprocess.DEVNULL)
        try:
            # The start reads the rows, then settles: wait until 3 s pass
            # without a tick, or 60 s.
            start = time.time()
            last, quiet_since = proc(agent.pid)[0], time.time()
            while time.time() - quiet_since < 3 and time.time() - start < 60:
                time.sleep(0.5)
                ticks = proc(agent.pid)[0]
                if ticks != last:
                    last, quiet_since = ticks, time.time()
            settled = time.time() - start
            before, _, _ = proc(agent.pid)
            time.sleep(a.seconds)
            after, rss, hwm = proc(agent.pid)
            print("start settled after %.1f s" % settled)
            print("idle %.0f s: %d ticks (%.1f%% of a core), resident %.0f MB, peak %.0f MB"
                  % (a.seconds, after - before, 100.0 * (after - before) / TICKS / a.seconds,
                     rss, hwm))
        finally:
            agent.terminate()
            agent.wait()


if __name__ == "__main__":
    main()
