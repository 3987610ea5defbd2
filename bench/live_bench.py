#!/usr/bin/env python3
"""Live agent measurements (issue 3): the sustained rate `mailtrail run` keeps up
with, and the latency from a message's last log line being appended to its
record being queryable in SQLite. Prints measured numbers.

usage: live_bench.py MAILTRAIL GENERATED_LOG [--messages N] [--rate R] [--grace S]
       live_bench.py MAILTRAIL GENERATED_LOG --paced LINES_PER_SECOND
  GENERATED_LOG: e.g. bench/data/gen-1M.log (tests/tools/gen_postfix_log.py)
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
QUEUE = int(os.environ.get("MT_QUEUE", "4"))  # [writer] queue_batches
# More [store] lines for the agent's configuration, e.g. MT_STORE_EXTRA=$'cache_mb = 256\n'.
STORE_EXTRA = os.environ.get("MT_STORE_EXTRA", "")


def agent(binary, tmp, log, grace):
    conf = os.path.join(tmp, "m.toml")
    with open(conf, "w") as f:
        f.write('[store]\nurl = "sqlite:%s/t.db"\n%s[logs]\npaths = ["%s"]\nfrom_start = true\n'
                'poll_interval_ms = 100\n[tracker]\ngrace_s = %d\n[writer]\nbatch_records = %d\n'
                'queue_batches = %d\n' % (tmp, STORE_EXTRA, log, grace, BATCH, QUEUE))
    return subprocess.Popen([binary, "run", "--config", conf], stderr=subprocess.DEVNULL)


def offset_read(db):
    try:
        con = sqlite3.connect("file:%s?mode=ro" % db, uri=True, timeout=1)
        # The last part of the checkpoint says where the logs stand, before the
        # tracker's state (megabytes with a large deferred queue: not read).
        row = con.execute("SELECT substr(data, 1, 65536) FROM checkpoint WHERE name GLOB 'tail*'"
                          " ORDER BY name DESC LIMIT 1").fetchone()
        con.close()
    except sqlite3.Error:
        return 0
    if not row:
        return 0
    head = row[0] if isinstance(row[0], str) else row[0].decode("utf-8", "replace")
    start = head.find('"streams":') + len('"streams":')
    streams, _ = json.JSONDecoder().raw_decode(head, start)
    return sum(p[4] for s in streams for p in s["positions"])


def follow(binary, source, rate=0):
    """Appends `source` to a log the agent follows, all at once (rate 0) or at
    `rate` lines/s in 0.1 s steps, and waits until the agent's committed
    checkpoint covers it. Returns the lines, the seconds spent appending, the
    seconds until covered, and (paced only) the lag sampled after each step:
    the bytes appended but not yet covered, in seconds of appending. An agent
    that keeps up holds the lag near one flush interval; one that does not
    falls further behind until the end."""
    tmp = tempfile.mkdtemp(prefix="mt_live_")
    log = os.path.join(tmp, "mail.log")
    db = os.path.join(tmp, "t.db")
    open(log, "w").close()
    p = agent(binary, tmp, log, 10)
    time.sleep(0.3)
    with open(source, "rb") as f:
        data = f.read()
    bytes_per_s = rate * len(data) / max(1, data.count(b"\n"))
    step = max(1, int(bytes_per_s / 10)) if rate else 4 << 20
    lags, pos, lines, t0 = [], 0, 0, time.time()
    with open(log, "ab") as dst:
        while pos < len(data):
            nl = data.find(b"\n", min(len(data) - 1, pos + step))
            end = len(data) if nl < 0 else nl + 1
            lines += data.count(b"\n", pos, end)
            dst.write(data[pos:end])
            dst.flush()
            pos = end
            if rate:
                lags.append((pos - offset_read(db)) / bytes_per_s)
                delay = t0 + lines / rate - time.time()
                if delay > 0:
                    time.sleep(delay)
    appended = time.time() - t0
    while offset_read(db) < len(data):
        time.sleep(0.05)
    total = time.time() - t0
    written = agent_bytes_written(p.pid)
    p.send_signal(signal.SIGTERM)
    p.wait()
    subprocess.run(["rm", "-rf", tmp])
    return lines, appended, total, lags, written


def agent_bytes_written(pid):
    """Bytes the agent has written so far (wchar: every write, WAL and checkpoints)."""
    with open("/proc/%d/io" % pid) as f:
        for line in f:
            if line.startswith("wchar:"):
                return int(line.split()[1])
    return 0


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
    ap.add_argument("--paced", type=float, default=0,
                    help="append at this many lines/s instead of all at once, and report the lag")
    a = ap.parse_args()
    if a.paced:
        lines, appended, total, lags, written = follow(a.binary, a.log, a.paced)
        half = lags[len(lags) // 2:]
        print("paced at %.0f lines/s: %d lines appended in %.2f s (%.0f lines/s); the agent had "
              "read them all %.2f s after the last; lag (seconds of appending behind) at the "
              "middle %.2f s, at the end %.2f s, largest %.2f s; the agent wrote %.2f GB "
              "(%.1f MB/s)" %
              (a.paced, lines, appended, lines / appended, total - appended,
               half[0] if half else 0, lags[-1] if lags else 0, max(lags) if lags else 0,
               written / 1e9, written / 1e6 / total))
        return
    lines, appended, total, _, _ = follow(a.binary, a.log)
    print("sustained: %d lines appended in %.2f s; the agent had read them all after %.2f s "
          "= %.0f lines/s" % (lines, appended, total, lines / total))
    if a.sustained_only:
        return
    n, got, p50, p99 = latency(a.binary, a.log, a.messages, a.rate, a.grace)
    print("latency (grace %d s, flush interval 1 s, timestamps rewritten to now): %d/%d records queryable, p50 %.2f s, "
          "p99 %.2f s after the message's last line" % (a.grace, got, n, p50, p99))


if __name__ == "__main__":
    main()
