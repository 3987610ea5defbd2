#!/usr/bin/env python3
"""`mailtrail run --metrics 127.0.0.1:PORT` serves Prometheus text with the
agent's counters (per log, per line kind, records, open messages, lag).

usage: metrics_test.py MAILTRAIL
"""
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

from mt_testlib import free_port


def main():
    binary = sys.argv[1]
    tmp = tempfile.mkdtemp(prefix="mt_metrics_")
    log = os.path.join(tmp, "mail.log")
    with open(log, "w") as f:
        f.write("Nov 27 12:03:26 mx postfix/pickup[1]: 44C4B10A321: uid=0 from=<root>\n"
                "Nov 27 12:03:26 mx postfix/frobnicate[2]: something new\n")
    port = free_port()
    p = subprocess.Popen([binary, "run", "--store", "sqlite:" + os.path.join(tmp, "t.db"),
                          "--log", log, "--from-start", "--poll-interval", "100",
                          "--metrics", "127.0.0.1:%d" % port], stderr=subprocess.DEVNULL)
    text = ""
    for _ in range(50):
        time.sleep(0.1)
        try:
            text = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=2).read().decode()
        except OSError:
            continue
        if 'mailtrail_log_lines_total{log="%s"} 2' % log in text:
            break
    # A second agent on the same metrics port is refused: cpp-httplib's
    # default SO_REUSEPORT let both serve, a scrape reading either (helper-82).
    try:
        second = subprocess.run([binary, "run", "--store", "sqlite:" + os.path.join(tmp, "u.db"),
                                 "--log", log, "--metrics", "127.0.0.1:%d" % port],
                                capture_output=True, text=True, timeout=20)
        alone = second.returncode != 0 and "cannot listen on" in second.stderr
        print("second agent on the port: %d %s" % (second.returncode, second.stderr.strip()))
    except subprocess.TimeoutExpired:
        alone = False
        print("second agent on the port: it ran")
    missing = urllib.request.Request("http://127.0.0.1:%d/other" % port)
    try:
        urllib.request.urlopen(missing, timeout=2)
        other = 200
    except urllib.error.HTTPError as e:
        other = e.code
    p.send_signal(signal.SIGTERM)
    rc = p.wait(timeout=30)
    print(text)
    want = ['mailtrail_log_lines_total{log="%s"} 2' % log,
            "mailtrail_open_messages 1",
            'mailtrail_lines_total{log="%s",kind="pickup"} 1' % log,
            'mailtrail_unknown_lines_total{log="%s",program="postfix/frobnicate"} 1' % log,
            "# TYPE mailtrail_records_written_total counter",
            "# TYPE mailtrail_store_commits_total counter",
            "mailtrail_store_batches_joined_total 0",
            "mailtrail_amavis_split_lines_joined_total 0",
            "mailtrail_amavis_split_lines_unknown_total 0",
            "mailtrail_amavis_split_parts_lost_total 0",
            "mailtrail_amavis_scans_refused_total 0",
            "# TYPE mailtrail_checkpoint_bytes_total counter",
            'mailtrail_checkpoint_bytes_total{part="changes"} ',
            "mailtrail_lag_seconds ",
            "mailtrail_bounces_total 0",
            "mailtrail_blocks_active 0",
            'mailtrail_bounce_answers_total{how="message-id"} 0',
            'mailtrail_bounce_answers_total{how="domain"} 0',
            "mailtrail_outbound_keys ",
            "mailtrail_fleet_answers_read_total 0",
            "mailtrail_fleet_answers_unshared_total 0",
            "# TYPE mailtrail_block_decisions_capped_total counter"]
    ok = rc == 0 and other == 404 and alone and all(w in text for w in want)
    subprocess.run(["rm", "-rf", tmp])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
