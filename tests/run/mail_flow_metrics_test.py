#!/usr/bin/env python3
"""The mail-flow metrics of `mailtrail run --metrics` (messages and recipients
by outcome, the delivery delay histogram, rejects by stage and code) agree with
the records the same agent stored, counted with SQL: three real corpora
(rejects, relaying with bounces and deferrals, a content filter) followed live.

usage: mail_flow_metrics_test.py MAILTRAIL CORPUS.log.gz...
"""
import collections
import gzip
import os
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request

from mt_testlib import free_port

SAMPLE = re.compile(r'^(mailtrail_[a-z_]+)(?:\{(.*)\})? (\S+)$')


def scrape(port):
    """{(name, labels): value} of every sample."""
    try:
        text = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=2).read()
    except OSError:
        return {}
    out = {}
    for line in text.decode().splitlines():
        m = SAMPLE.match(line)
        if m:
            out[(m.group(1), m.group(2) or "")] = float(m.group(3))
    return out


def by_label(samples, name, label):
    return {re.search(label + '="([^"]*)"', k[1]).group(1): v
            for k, v in samples.items() if k[0] == name and v}


def main():
    binary, corpora = sys.argv[1], sys.argv[2:]
    tmp = tempfile.mkdtemp(prefix="mt_flow_")
    db = os.path.join(tmp, "t.db")
    logs, lines = [], 0
    for i, c in enumerate(corpora):
        logs.append(os.path.join(tmp, "mail%d.log" % i))
        with gzip.open(c, "rb") as src, open(logs[-1], "wb") as dst:
            data = src.read()
            dst.write(data)
            lines += data.count(b"\n")
    port = free_port()
    args = [binary, "run", "--store", "sqlite:" + db, "--from-start", "--poll-interval", "100",
            "--flush-interval", "200", "--metrics", "127.0.0.1:%d" % port]
    for log in logs:
        args += ["--log", log]
    p = subprocess.Popen(args, stderr=subprocess.DEVNULL)
    # Until every line is read and the records written stay the same for 2 s.
    samples, last, since = {}, None, time.time()
    for _ in range(300):
        time.sleep(0.1)
        samples = scrape(port)
        read = sum(v for k, v in samples.items() if k[0] == "mailtrail_log_lines_total")
        written = samples.get(("mailtrail_records_written_total", ""))
        if read < lines or written != last:
            last, since = written, time.time()
        elif time.time() - since > 2:
            break
    p.send_signal(signal.SIGTERM)
    rc = p.wait(timeout=30)

    con = sqlite3.connect(db)
    q = lambda sql: {str(k): float(v) for k, v in con.execute(sql)}
    want_messages = q("SELECT o.name, count(*) FROM message m JOIN outcome_name o"
                      " ON o.code = m.outcome GROUP BY 1")
    want_rcpts = q("SELECT o.name, count(*) FROM rcpt r JOIN outcome_name o"
                   " ON o.code = r.outcome GROUP BY 1")
    delivered = con.execute("SELECT count(*), total(delay) FROM rcpt WHERE outcome = 1"
                            " AND delay >= 0").fetchone()
    under = lambda s: con.execute("SELECT count(*) FROM rcpt WHERE outcome = 1 AND delay >= 0"
                                  " AND delay <= ?", (s,)).fetchone()[0]
    under_1s, under_5s = under(1), under(5)
    want_rejects = q("SELECT reject_stage || ' ' || coalesce(nullif(reject_code, 0), 'none'),"
                     " count(*) FROM message"
                     " WHERE outcome = 5 AND reject_stage IS NOT NULL GROUP BY 1")
    con.close()

    got_messages = by_label(samples, "mailtrail_messages_total", "outcome")
    got_rcpts = by_label(samples, "mailtrail_recipients_total", "outcome")
    got_rejects = collections.Counter()
    for k, v in samples.items():
        if k[0] == "mailtrail_rejects_total":
            stage = re.search('stage="([^"]*)"', k[1]).group(1)
            code = re.search('code="([^"]*)"', k[1]).group(1)
            got_rejects["%s %s" % (stage, code)] += v
    hist = lambda le: samples.get(("mailtrail_delivery_delay_seconds_bucket", 'le="%s"' % le))
    print("lines", lines, "exit", rc)
    print("messages: metrics", got_messages, "store", want_messages)
    print("recipients: metrics", got_rcpts, "store", want_rcpts)
    print("delivered with a delay: store", delivered, under_5s, "metrics",
          hist("+Inf"), samples.get(("mailtrail_delivery_delay_seconds_sum", "")), hist("5"),
          "under 1 s: store", under_1s, "metrics", hist("1"))
    print("rejects: metrics", dict(got_rejects), "store", want_rejects)
    ok = (rc == 0 and got_messages == want_messages and got_rcpts == want_rcpts
          and len(want_messages) >= 3 and want_messages.get("rejected", 0) > 0
          and delivered[0] > 0 and hist("+Inf") == delivered[0]
          and samples.get(("mailtrail_delivery_delay_seconds_count", "")) == delivered[0]
          and abs(samples.get(("mailtrail_delivery_delay_seconds_sum", ""), -1) - delivered[1]) < 1e-6
          and hist("1") == under_1s and hist("5") == under_5s
          and dict(got_rejects) == want_rejects)
    subprocess.run(["rm", "-rf", tmp])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
