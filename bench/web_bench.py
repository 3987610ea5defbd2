#!/usr/bin/python3
"""Speed of `mailtrail web` (issue 21 item 9): p50/p95 of each kind of request
over HTTP on loopback, export rows/s, and the server's peak memory (VmHWM)
under 20 concurrent searches. Warm cache: each request is made once before
timing.

usage: web_bench.py MAILTRAIL STORE_URL [--runs N]
The store is any store (`mailtrail replay` of gen_postfix_log.py's log, for
the numbers in docs/benchmarks.md). Prints one line per measurement.
"""
import json
import random
import re
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request


def get(url):
    with urllib.request.urlopen(url, timeout=600) as r:
        return r.read()


def timed(url):
    t = time.perf_counter()
    body = get(url)
    return time.perf_counter() - t, body


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def main():
    binary, store = sys.argv[1], sys.argv[2]
    runs = int(sys.argv[sys.argv.index("--runs") + 1]) if "--runs" in sys.argv else 50
    err = tempfile.TemporaryFile()
    web = subprocess.Popen([binary, "web", "--store", store, "--listen", "127.0.0.1:0"],
                           stdout=subprocess.DEVNULL, stderr=err)
    try:
        base = None
        for _ in range(300):
            err.seek(0)
            m = re.search(rb"serving http://127\.0\.0\.1:(\d+)/", err.read())
            if m:
                base = "http://127.0.0.1:%s" % m.group(1).decode()
                break
            time.sleep(0.1)
        assert base, "mailtrail web did not start"
        # Keys to look up: a sample of the store's records (an export, timed too).
        t, body = timed(base + "/api/v1/export?format=jsonl")
        records = [json.loads(l) for l in body.splitlines()]
        t2, csv = timed(base + "/api/v1/export?format=csv")
        rows = csv.count(b"\n") - 1
        print("store: %d records, %d recipient rows" % (len(records), rows))
        print("export jsonl: %.0f records/s (%.2f s)" % (len(records) / t, t))
        print("export csv: %.0f rows/s (%.2f s)" % (rows / t2, t2))
        rnd = random.Random(1)
        # Records with a queue id (a NOQUEUE reject has no message page).
        queued = [r for r in records if r["qid"] and r["recipients"]]
        sample = rnd.sample(queued, min(runs, len(queued)))
        first = min(r["first_seen"] for r in records)
        day = first[:10]

        def day_plus(n):
            import datetime
            return (datetime.date.fromisoformat(day) + datetime.timedelta(days=n)).isoformat()
        q = urllib.parse.quote
        kinds = {
            "qid": lambda r: "/api/v1/messages?qid=" + q(r["qid"] or "x"),
            "message-id": lambda r: "/api/v1/messages?message-id=" + q(r["message_id"] or "x"),
            "recipient": lambda r: "/api/v1/messages?recipient=" +
                q(r["recipients"][0]["address"] if r["recipients"] else "x@x"),
            "client-ip": lambda r: "/api/v1/messages?client-ip=" + q(r["client"]["ip"] if r["client"] else "127.0.0.1"),
            "combined 7 days": lambda r: "/api/v1/messages?outcome=%s&since=%s&until=%s" % (
                r["outcome"], day, day_plus(7)),
            "subject substring": lambda r: "/api/v1/messages?subject=" + q((r["subject"] or "a")[3:9]),
            "message page": lambda r: "/message/%s/%s" % (q(r["host"]), q(r["qid"] or "x")),
            "search page": lambda r: "/search?recipient=" +
                q(r["recipients"][0]["address"] if r["recipients"] else "x@x"),
            "reports 24 h": lambda r: "/api/v1/reports?since=%s&until=%s" % (day, day_plus(1)),
        }
        for name, path in kinds.items():
            n = runs if name != "reports 24 h" else max(3, runs // 10)
            urls = [base + path(r) for r in sample[:n]]
            for u in urls:  # warm
                get(u)
            times = [timed(u)[0] * 1000 for u in urls]
            print("%-18s p50 %7.1f ms  p95 %7.1f ms  (%d requests)" % (name, pct(times, 50), pct(times, 95), n))
        # 20 concurrent searches (subject substrings, the slowest kind): peak memory.
        urls = [base + kinds["subject substring"](r) for r in sample[:20]]
        def client(u):
            for _ in range(3):
                get(u)
        threads = [threading.Thread(target=client, args=(u,)) for u in urls]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        with open("/proc/%d/status" % web.pid) as f:
            hwm = [l for l in f if l.startswith("VmHWM")][0].split()[1]
        print("peak memory (VmHWM) after 60 requests, 20 at a time: %d MiB" % (int(hwm) // 1024))
    finally:
        web.terminate()
        web.wait(timeout=60)


if __name__ == "__main__":
    main()
