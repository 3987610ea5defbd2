#!/usr/bin/env python3
"""How long a search waits while the console makes the first report of a long
window (every hour summed: many seconds on a large store). Starts `mailtrail
web` on STORE, asks for the report of the store's last N hours (a fresh server:
nothing kept), and while it runs asks for a queue id search K times; prints the
report's time and each search's.

usage: bench/web_concurrency.py MAILTRAIL STORE --end 2026-11-25T00:00:00Z [--hours 24]
       [--searches 5]   (END: a whole hour at or after the store's newest record)
"""
import argparse
import calendar
import json
import socket
import subprocess
import threading
import time
import urllib.request


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def get(url):
    t0 = time.monotonic()
    body = urllib.request.urlopen(url, timeout=600).read()
    return time.monotonic() - t0, body


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("store")
    ap.add_argument("--end", required=True)
    ap.add_argument("--hours", type=int, default=24)
    ap.add_argument("--searches", type=int, default=5)
    a = ap.parse_args()
    port = free_port()
    web = subprocess.Popen([a.binary, "web", "--store", a.store, "--listen", "127.0.0.1:%d" % port],
                           stderr=subprocess.DEVNULL)
    base = "http://127.0.0.1:%d" % port
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/api/v1/messages?limit=1", timeout=5).read()
                break
            except OSError:
                time.sleep(0.1)
        end = a.end
        t_end = calendar.timegm(time.strptime(end, "%Y-%m-%dT%H:%M:%SZ"))
        since = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t_end - a.hours * 3600))
        last_hour = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t_end - 3600))
        records = json.loads(get(base + "/api/v1/messages?limit=1&since=" + last_hour)[1])["records"]
        qid = records[0]["qid"]
        report = {}
        th = threading.Thread(target=lambda: report.update(
            t=get(base + "/api/v1/reports?since=%s&until=%s" % (since, end))[0]))
        th.start()
        time.sleep(0.5)  # the report has begun
        waits = []
        for _ in range(a.searches):
            waits.append(get(base + "/api/v1/messages?qid=" + qid)[0])
        th.join()
        print("report of %d hours (%s to %s): %.2f s" % (a.hours, since, end, report["t"]))
        print("qid searches meanwhile: " + ", ".join("%.3f s" % w for w in waits))
    finally:
        web.terminate()
        web.wait()


if __name__ == "__main__":
    main()
