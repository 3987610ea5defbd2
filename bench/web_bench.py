#!/usr/bin/python3
"""Speed of `mailtrail web` against issue 21 item 9's targets: p50/p95 of each
kind of request over HTTP on loopback, export rows/s, and the server's peak
memory (VmHWM) under 20 concurrent searches, in a phase of its own.

usage: web_bench.py MAILTRAIL STORE_URL [--runs N] [--rounds R] [--export-hours H]
                    [--budget SECONDS] [--skip-memory | --memory-only]

Works on any store (SQLite or MySQL) of any size: the keys are sampled through
the API itself (pages at random instants of the store's span), the span is found
by the API (the newest record by bisection on `since`), nothing reads the whole
store into this process. The 24 h report and the 7-day filters are the LAST 24 h
and 7 days of the store. Warm cache: each URL is requested once before it is
timed (kinds that scan the store: one warm request per kind). The timed requests
go round-robin over the kinds, in R rounds, so a burst of load on the shared
machine spreads over all kinds rather than spoiling one. Prints one line per
measurement and the load average before and after.
"""
import datetime
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

Q = urllib.parse.quote


def arg(name, default):
    return type(default)(sys.argv[sys.argv.index(name) + 1]) if name in sys.argv else default


def get(url):
    with urllib.request.urlopen(url, timeout=1800) as r:
        return r.read()


def timed(url):
    t = time.perf_counter()
    get(url)
    return (time.perf_counter() - t) * 1000


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def vm(pid, field):
    with open("/proc/%d/status" % pid) as f:
        return int([l for l in f if l.startswith(field)][0].split()[1]) // 1024


def rss(pid):
    """The server's resident memory now: its own (anonymous) and the file
    pages it maps (SQLite's memory map of the store: the kernel's page cache,
    shared and reclaimable, counted once per connection's map)."""
    return "RssAnon %d MiB, RssFile %d MiB" % (vm(pid, "RssAnon"), vm(pid, "RssFile"))


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(s):
    return datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ")


class Server:
    """A `mailtrail web` on 127.0.0.1 and a free port, stopped by its PID."""

    def __init__(self, binary, store):
        self.err = tempfile.TemporaryFile()
        self.proc = subprocess.Popen([binary, "web", "--store", store, "--listen", "127.0.0.1:0"],
                                     stdout=subprocess.DEVNULL, stderr=self.err)
        self.base = None
        for _ in range(600):
            self.err.seek(0)
            m = re.search(rb"serving http://127\.0\.0\.1:(\d+)/", self.err.read())
            if m:
                self.base = "http://127.0.0.1:%s" % m.group(1).decode()
                return
            time.sleep(0.1)
        self.stop()
        raise SystemExit("mailtrail web did not start")

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=60)


def first_record(base, since=None):
    url = base + "/api/v1/messages?limit=1" + ("&since=" + Q(iso(since)) if since else "")
    recs = json.loads(get(url))["records"]
    return recs[0] if recs else None


def span(base):
    """(oldest, newest) arrival time: the first record, then bisection on `since`."""
    oldest = parse_iso(first_record(base)["first_seen"])
    lo, hi = oldest, oldest + datetime.timedelta(days=1)
    while first_record(base, hi):
        lo, hi = hi, hi + (hi - oldest)
    while hi - lo > datetime.timedelta(seconds=1):
        mid = lo + (hi - lo) / 2
        if first_record(base, mid):
            lo = mid
        else:
            hi = mid
    return oldest, lo


def sample(base, oldest, newest, rnd, pages=30):
    """Records from pages at random instants of the span (queued, with recipients)."""
    out = []
    secs = int((newest - oldest).total_seconds())
    for _ in range(pages):
        at = oldest + datetime.timedelta(seconds=rnd.randint(0, max(0, secs - 60)))
        body = get(base + "/api/v1/messages?limit=100&since=" + Q(iso(at)))
        out += [r for r in json.loads(body)["records"] if r["qid"] and r["recipients"]]
    rnd.shuffle(out)
    return out


def kinds_of(recs, oldest, newest, runs, rnd):
    """name -> (target text, URLs, scans: one warm request for the kind, not each URL)."""
    week = iso(max(oldest, newest - datetime.timedelta(days=7)))
    day = iso(max(oldest, newest - datetime.timedelta(days=1)))
    end = iso(newest + datetime.timedelta(seconds=1))
    hour_end = newest.replace(minute=0, second=0, microsecond=0) + datetime.timedelta(hours=1)
    window = "&since=%s&until=%s" % (Q(week), Q(end))
    r = recs[:runs]
    rcpt = lambda x: x["recipients"][0]["address"]
    dom = lambda x: rcpt(x).split("@", 1)[-1]
    subjects = [x["subject"] for x in recs if x["subject"] and re.search(r"\d{3}", x["subject"])]
    combined = []
    for i, x in enumerate(r):
        combined.append([
            "outcome=bounced" + window,
            "domain=%s&outcome=deferred,bounced%s" % (Q("@" + dom(x)), window),
            "outcome=delivered&min-size=%d%s" % (100000 + 1000 * i, window),
            "is-bounce=yes&dsn=%s%s" % (Q("5.*"), window),
            "sender=%s&outcome=delivered%s" % (Q(x["sender"] or "<>"), window),
        ][i % 5])
    api = "/api/v1/messages?"
    few = max(3, runs // 6)
    return {
        "qid": ("50 ms", [api + "qid=" + Q(x["qid"]) for x in r], False),
        "message-id": ("50 ms", [api + "message-id=" + Q(x["message_id"] or "x") for x in r], False),
        "recipient": ("50 ms", [api + "recipient=" + Q(rcpt(x)) for x in r], False),
        "client-ip": ("50 ms", [api + "client-ip=" + Q((x["client"] or {}).get("ip") or "127.0.0.1")
                                for x in r], False),
        "combined, 7 days": ("200 ms", [api + c for c in combined], True),
        # Common substrings fill a page at once; a rare one (a whole numbered subject
        # of the sample: a handful of matches) and an absent one scan the whole store.
        "subject, common": ("300 ms", [api + "subject=" + Q(s) for s in
                                       ["meeting", "invoice", "status notif", "report 1"] * few][:runs],
                            True),
        "subject, rare": ("300 ms", [api + "subject=" + Q(s) for s in subjects[:few]], True),
        "subject, absent": ("300 ms", [api + "subject=" + Q("zq%05dx" % rnd.randint(0, 99999))
                                       for _ in range(3)], True),
        "message page": ("50 ms", ["/message/%s/%s" % (Q(x["host"]), Q(x["qid"])) for x in r], False),
        "search page": ("-", ["/search?recipient=" + Q(rcpt(x)) for x in r[:few]], False),
        "reports, last 24 h": ("300 ms", ["/api/v1/reports?since=%s&until=%s" % (Q(day), Q(end))] * 3,
                               True),
        # The 24 whole hours up to the newest record's: what the chart's hours
        # are, all of them kept by the console's report cache once made.
        "reports, last 24 whole hours": ("300 ms", ["/api/v1/reports?since=%s&until=%s" % (
            Q(iso(hour_end - datetime.timedelta(days=1))), Q(iso(hour_end)))] * 3, True),
    }


def latency_phase(base, kinds, rounds, budget):
    """Round-robin over the kinds in R rounds; with a budget (seconds), one kind at
    a time instead, stopping a kind once its timed requests took that long (a
    store where some kinds take seconds per request still gives every kind)."""
    def report(name, target, xs):
        print("%-20s p50 %9.1f ms  p95 %9.1f ms  max %9.1f ms  (%d requests; target p95 %s)"
              % (name, pct(xs, 50), pct(xs, 95), max(xs), len(xs), target), flush=True)
    if budget:
        for name, (target, urls, scans) in kinds.items():
            for u in (urls[:1] if scans else urls):
                get(base + u)
            xs, t0 = [], time.perf_counter()
            for u in urls:
                xs.append(timed(base + u))
                if time.perf_counter() - t0 > budget:
                    break
            report(name, target, xs)
        return
    for name, (_, urls, scans) in kinds.items():
        for u in (urls[:1] if scans else urls):
            get(base + u)
    times = {name: [] for name in kinds}
    for rnd_i in range(rounds):
        for name, (_, urls, _) in kinds.items():
            for u in urls[rnd_i::rounds]:
                times[name].append(timed(base + u))
    for name, (target, _, _) in kinds.items():
        report(name, target, times[name])


def export(base, query, fmt):
    """Rows/s of a streamed export: CSV rows, or JSONL recipients (`"address":`)."""
    pat = b"\n" if fmt == "csv" else b'"address":'
    n, carry, t = 0, b"", time.perf_counter()
    with urllib.request.urlopen(base + "/api/v1/export?%s&format=%s" % (query, fmt), timeout=3600) as r:
        while True:
            chunk = r.read(1 << 20)
            if not chunk:
                break
            data = carry + chunk
            n += data.count(pat) - carry.count(pat)
            carry = data[-len(pat) + 1:] if len(pat) > 1 else b""
    t = time.perf_counter() - t
    rows = n - 1 if fmt == "csv" else n
    print("export %-5s %9.0f recipient rows/s  (%d rows in %.2f s; target >= 50k rows/s)"
          % (fmt, rows / t, rows, t), flush=True)


def memory_phase(binary, store, recs, oldest, newest, rnd):
    """A fresh server: VmHWM after one client's mix, after 20 clients' at once, after a 24 h report."""
    web = Server(binary, store)
    try:
        pid, base = web.proc.pid, web.base
        print("memory: fresh server VmRSS %d MiB" % vm(pid, "VmRSS"), flush=True)
        secs = int((newest - oldest).total_seconds())

        def mix(i):
            x = recs[i % len(recs)]
            at = oldest + datetime.timedelta(seconds=rnd.randint(0, max(0, secs - 3600)))
            hour = "since=%s&until=%s" % (Q(iso(at)), Q(iso(at + datetime.timedelta(hours=1))))
            return ["/api/v1/messages?qid=" + Q(x["qid"]),
                    "/api/v1/messages?recipient=" + Q(x["recipients"][0]["address"]),
                    "/search?subject=" + Q(["meeting", "invoice", "lunch"][i % 3]),
                    "/api/v1/messages?subject=" + Q(x["subject"] or "x"),
                    "/api/v1/messages?outcome=bounced&limit=1000&" + hour,
                    "/message/%s/%s" % (Q(x["host"]), Q(x["qid"])),
                    "/api/v1/reports?" + hour]

        def client(i):
            for u in mix(i):
                get(base + u)
        t = time.perf_counter()
        client(0)
        print("memory: VmHWM after 1 client's mix (%d requests, %.1f s): %d MiB (%s)"
              % (len(mix(0)), time.perf_counter() - t, vm(pid, "VmHWM"), rss(pid)), flush=True)
        t = time.perf_counter()
        threads = [threading.Thread(target=client, args=(i,)) for i in range(1, 21)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        print("memory: VmHWM after 20 concurrent clients' mixes (%d requests, %.1f s): %d MiB (%s)"
              % (20 * len(mix(0)), time.perf_counter() - t, vm(pid, "VmHWM"), rss(pid)), flush=True)
        day = "since=%s&until=%s" % (Q(iso(newest - datetime.timedelta(days=1))),
                                     Q(iso(newest + datetime.timedelta(seconds=1))))
        get(base + "/api/v1/reports?" + day)
        print("memory: VmHWM after one 24 h report: %d MiB (%s)" % (vm(pid, "VmHWM"), rss(pid)),
              flush=True)
    finally:
        web.stop()


def main():
    binary, store = sys.argv[1], sys.argv[2]
    runs, rounds, budget = arg("--runs", 60), arg("--rounds", 3), arg("--budget", 0)
    export_hours = arg("--export-hours", 6)
    rnd = random.Random(1)
    print("load average at start: %s" % loadavg(), flush=True)
    web = Server(binary, store)
    try:
        oldest, newest = span(web.base)
        recs = sample(web.base, oldest, newest, rnd)
        print("store span %s .. %s; %d sampled records" % (iso(oldest), iso(newest), len(recs)), flush=True)
        if "--memory-only" in sys.argv:
            web.stop()
            memory_phase(binary, store, recs, oldest, newest, rnd)
            print("load average at end: %s" % loadavg(), flush=True)
            return
        kinds = kinds_of(recs, oldest, newest, runs, rnd)
        latency_phase(web.base, kinds, rounds, budget)
        since = max(oldest, newest - datetime.timedelta(hours=export_hours))
        q = "since=%s&until=%s" % (Q(iso(since)), Q(iso(newest + datetime.timedelta(seconds=1))))
        print("export window: the last %d h" % export_hours, flush=True)
        for fmt in ["csv", "jsonl", "csv", "jsonl"]:
            export(web.base, q, fmt)
    finally:
        if web.proc.poll() is None:
            web.stop()
    print("load average after latency and export: %s" % loadavg(), flush=True)
    if "--skip-memory" not in sys.argv:
        memory_phase(binary, store, recs, oldest, newest, rnd)
        print("load average at end: %s" % loadavg(), flush=True)


if __name__ == "__main__":
    main()
