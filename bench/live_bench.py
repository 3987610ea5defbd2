#!/usr/bin/env python3
"""Live agent measurements (issue 3): the sustained rate `mailtrail run` keeps up
with, and the latency from a message's last log line being appended to its
record being queryable in SQLite. Prints measured numbers.

usage: live_bench.py MAILTRAIL GENERATED_LOG [--messages N] [--rate R] [--grace S]
  GENERATED_LOG: e.g. bench/data/gen-1M.log (../shared/tools/gen_postfix_log.py)
"""
import argparse
import json
import os
import signal
import sqlite3
import subprocess
import tempfile
import threading
import time

BATCH = int(os.environ.get("MT_BATCH", "20000"))


def agent(binary, tmp, log, grace):
    conf = os.path.join(tmp, "m.toml")
    with open(conf, "w") as f:
        f.write('[store]\nurl = "sqlite:%s/t.db"\n[logs]\npaths = ["%s"]\nfrom_start = true\n'
                'poll_interval_ms = 100\n[tracker]\ngrace_s = %d\n[writer]\nbatch_records = %d\n' % (tmp, log, grace, BATCH))
    return subprocess.Popen([binary, "run", "--config", conf], stderr=subprocess.DEVNULL)


def offset_read(db):
    try:
        con = sqlite3.connect("file:%s?mode=ro" % db, uri=True, timeout=1)
        row = con.execute("SELECT data FROM checkpoint WHERE name = 'tail'").fetchone()
        con.close()
    except sqlite3.Error:
        return 0
    if not row:
        return 0
    cp = json.loads(row[0])
    return sum(p[4] for s in cp["streams"] for p in s["positions"])


def sustained(binary, source):
    tmp = tempfile.mkdtemp(prefix="mt_live_")
    log = os.path.join(tmp, "mail.log")
    open(log, "w").close()
    p = agent(binary, tmp, log, 10)
    time.sleep(0.3)
    size = os.path.getsize(source)
    lines = 0
    t0 = time.time()
    with open(source, "rb") as src, open(log, "ab") as dst:
        while True:
            chunk = src.read(4 << 20)
            if not chunk:
                break
            lines += chunk.count(b"\n")
            dst.write(chunk)
            dst.flush()
    appended = time.time() - t0
    while offset_read(os.path.join(tmp, "t.db")) < size:
        time.sleep(0.05)
    total = time.time() - t0
    p.send_signal(signal.SIGTERM)
    p.wait()
    subprocess.run(["rm", "-rf", tmp])
    return lines, appended, total


def latency(binary, source, messages, rate, grace):
    """Appends whole messages (all their lines, from the generated log) at `rate`
    messages/s and times each from its "removed" line to its record in the store."""
    by_qid, order = {}, []
    with open(source, errors="surrogateescape") as f:
        for line in f:
            parts = line.split(": ", 2)
            if len(parts) < 3:
                continue
            qid = parts[1]
            if not (6 <= len(qid) <= 12 and all(c in "0123456789ABCDEF" for c in qid)):
                continue
            if qid not in by_qid:
                if len(order) >= messages * 3:
                    continue
                by_qid[qid] = []
                order.append(qid)
            by_qid[qid].append(line)
    done = [q for q in order if by_qid[q][-1].rstrip().endswith(": removed")][:messages]
    tmp = tempfile.mkdtemp(prefix="mt_live_")
    log = os.path.join(tmp, "mail.log")
    open(log, "w").close()
    p = agent(binary, tmp, log, grace)
    time.sleep(0.3)
    db = os.path.join(tmp, "t.db")
    appended_at, seen = {}, {}
    stop = threading.Event()

    def watch():  # polls the store while messages are being appended
        con = None
        while not stop.is_set():
            try:
                con = con or sqlite3.connect("file:%s?mode=ro" % db, uri=True, timeout=1)
                rows = con.execute("SELECT qid FROM message WHERE qid IS NOT NULL").fetchall()
            except sqlite3.Error:
                con, rows = None, []
            now = time.time()
            for (q,) in rows:
                if q in appended_at and q not in seen:
                    seen[q] = now
            time.sleep(0.01)

    watcher = threading.Thread(target=watch)
    watcher.start()
    with open(log, "a", errors="surrogateescape") as f:
        for q in done:
            # Stamped now, as a live Postfix would: log time runs with the wall clock.
            stamp = time.strftime("%b %e %H:%M:%S", time.gmtime())
            appended_at[q] = time.time()
            f.writelines(stamp + l[15:] for l in by_qid[q])
            f.flush()
            time.sleep(1.0 / rate)
    deadline = time.time() + grace + 30
    while len(seen) < len(done) and time.time() < deadline:
        time.sleep(0.05)
    stop.set()
    watcher.join()
    p.send_signal(signal.SIGTERM)
    p.wait()
    subprocess.run(["rm", "-rf", tmp])
    lat = sorted(seen[q] - appended_at[q] for q in seen)
    pick = lambda f: lat[min(len(lat) - 1, int(f * len(lat)))]
    return len(done), len(lat), pick(0.5), pick(0.99)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sustained-only", action="store_true")
    ap.add_argument("binary")
    ap.add_argument("log")
    ap.add_argument("--messages", type=int, default=1000)
    ap.add_argument("--rate", type=float, default=200)
    ap.add_argument("--grace", type=int, default=10)
    a = ap.parse_args()
    lines, appended, total = sustained(a.binary, a.log)
    print("sustained: %d lines appended in %.2f s; the agent had read them all after %.2f s "
          "= %.0f lines/s" % (lines, appended, total, lines / total))
    if a.sustained_only:
        return
    n, got, p50, p99 = latency(a.binary, a.log, a.messages, a.rate, a.grace)
    print("latency (grace %d s, flush interval 1 s, timestamps rewritten to now): %d/%d records queryable, p50 %.2f s, "
          "p99 %.2f s after the message's last line" % (a.grace, got, n, p50, p99))


if __name__ == "__main__":
    main()
