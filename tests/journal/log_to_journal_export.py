#!/usr/bin/env python3
"""Converts a syslog mail log (a corpus file) to the journal export format, which
systemd-journal-remote turns into a journal file: the entries journald would have
stored had the same messages come through syslog(3).

usage: log_to_journal_export.py LOG[.gz] --year Y [--first N] [--skip N] > out.export

Each line "STAMP HOST IDENT[PID]: MESSAGE" becomes an entry with
__REALTIME_TIMESTAMP (the stamp, read as UTC in year Y; RFC 3339 stamps as they
are), _HOSTNAME, SYSLOG_IDENTIFIER, SYSLOG_PID, SYSLOG_FACILITY=2 (mail),
PRIORITY=6, _UID=0 (root: a writer the agent takes Postfix's lines from) and
MESSAGE. Every entry has the same _BOOT_ID and a strictly
increasing __MONOTONIC_TIMESTAMP, so that entries written to several files are
ordered as the log's lines were. --skip/--first select a range of lines (the
monotonic stamps count from the log's first line either way). Lines that are not
syslog lines are left out and counted on stderr.
"""
import argparse
import calendar
import datetime
import gzip
import re
import sys

BSD = re.compile(rb"^([A-Z][a-z]{2}) +(\d{1,2}) (\d\d):(\d\d):(\d\d) (\S+) ([^:\[ ]+)(?:\[(\d+)\])?: (.*)$")
RFC = re.compile(rb"^(\d{4}-\d\d-\d\dT[0-9:.]+(?:Z|[+-]\d\d:\d\d)) (\S+) ([^:\[ ]+)(?:\[(\d+)\])?: (.*)$")
MONTHS = {m.encode(): i for i, m in enumerate(calendar.month_abbr) if m}
BOOT_ID = b"5f0b1c2d3e4f40718293a4b5c6d7e8f9"


def usec(dt):
    return (calendar.timegm(dt.utctimetuple()) * 1000000) + dt.microsecond


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("log")
    ap.add_argument("--year", type=int, required=True)
    ap.add_argument("--skip", type=int, default=0)
    ap.add_argument("--first", type=int, default=-1)
    a = ap.parse_args()
    opener = gzip.open if a.log.endswith(".gz") else open
    with opener(a.log, "rb") as f:
        lines = f.read().split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    end = len(lines) if a.first < 0 else min(len(lines), a.skip + a.first)
    out = sys.stdout.buffer
    skipped = 0
    first_time = None
    for n, line in enumerate(lines):
        m = BSD.match(line)
        if m:
            mon, day, hh, mm, ss, host, ident, pid, msg = m.groups()
            t = usec(datetime.datetime(a.year, MONTHS[mon], int(day), int(hh), int(mm), int(ss),
                                       tzinfo=datetime.timezone.utc))
        else:
            m = RFC.match(line)
            if not m:
                skipped += 1
                continue
            stamp, host, ident, pid, msg = m.groups()
            t = usec(datetime.datetime.fromisoformat(stamp.decode().replace("Z", "+00:00")))
        if first_time is None:
            first_time = t
        if not (a.skip <= n < end):
            continue
        fields = [(b"__REALTIME_TIMESTAMP", str(t).encode()),
                  (b"__MONOTONIC_TIMESTAMP", str(1000000 + (t - first_time) + n).encode()),
                  (b"_BOOT_ID", BOOT_ID), (b"_HOSTNAME", host), (b"SYSLOG_IDENTIFIER", ident),
                  (b"SYSLOG_FACILITY", b"2"), (b"PRIORITY", b"6"), (b"_TRANSPORT", b"syslog"),
                  (b"_UID", b"0")]
        if pid:
            fields.append((b"SYSLOG_PID", pid))
        fields.append((b"MESSAGE", msg))
        for k, v in fields:
            if b"\n" in v:  # the export format's binary field form
                out.write(k + b"\n" + len(v).to_bytes(8, "little") + v + b"\n")
            else:
                out.write(k + b"=" + v + b"\n")
        out.write(b"\n")
    if skipped:
        print("%d lines not in syslog form, left out" % skipped, file=sys.stderr)


if __name__ == "__main__":
    main()
