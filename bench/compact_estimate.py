#!/usr/bin/python3
"""What a closed day of a SQLite store would weigh compacted (issue 23 item 3).

usage: compact_estimate.py STORE.db [--level N]

Reads the store's records in time order and writes, for each UTC day, what a
compacted day could keep instead of its rows and B-tree indexes, each part
compressed with zstd (the `zstd` command, level N, 19 by default):

  records   each hour's messages and recipients as columns (times as deltas,
            dictionary ids, outcomes, sizes, client IPs, queue ids), the
            columns one after the other, one zstd frame per hour;
  postings  for each key an exact search needs at this detail (queue id,
            sender, recipient and original recipient address, client IP,
            recipient domain), its records' numbers within the day, sorted
            and delta-coded, one frame per key kind and day;
  dict      the dictionary's texts, one frame for the store (shared by all
            days, as the live dictionary is).

Prints bytes per record of each part and of the whole, next to the store's
file size per record. Measures sizes only: nothing here is a format the
store reads. Nothing is written but temporary files, removed at the end.
"""
import collections
import os
import sqlite3
import subprocess
import sys


def varint(n, out):
    n = (n << 1) ^ (n >> 63) if n < 0 else n << 1  # zigzag, so deltas may go back
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return


def zstd_size(data, level):
    if not data:
        return 0
    r = subprocess.run(["zstd", "-q", "-c", "-%d" % level] + (["--ultra"] if level > 19 else []),
                       input=bytes(data), stdout=subprocess.PIPE, check=True)
    return len(r.stdout)


def main():
    path = sys.argv[1]
    level = int(sys.argv[sys.argv.index("--level") + 1]) if "--level" in sys.argv else 19
    db = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
    records = db.execute("SELECT count(*) FROM message").fetchone()[0]
    file_size = os.path.getsize(path)
    # A recipient's domain, as the store's dict_address_domain index has it.
    domain_of = {i: t.rsplit("@", 1)[-1].lower()
                 for i, t in db.execute("SELECT id, text FROM dict WHERE kind = 1 AND text LIKE '%@%'")}
    rcpts = collections.defaultdict(list)
    for row in db.execute("SELECT message, seq, addr, orig, outcome, dsn, relay, delay, time"
                          " FROM rcpt ORDER BY message, seq"):
        rcpts[row[0]].append(row[1:])
    by_hour = collections.defaultdict(list)
    for row in db.execute("SELECT id, first_seen, last_seen, host, qid, client_ip, sender, size,"
                          " outcome, end_reason, nrcpt FROM message ORDER BY first_seen, id"):
        by_hour[row[1] // 3600].append(row)
    record_bytes = 0
    postings = collections.defaultdict(lambda: collections.defaultdict(list))  # (day, kind) -> key -> n
    numbers = collections.Counter()  # day -> records so far
    for hour in sorted(by_hour):
        rows = by_hour[hour]
        day = hour // 24
        cols = [bytearray() for _ in range(16)]
        prev = hour * 3600
        for r in rows:
            _, first, last, host, qid, ip, sender, size, outcome, end, nrcpt = r
            n = numbers[day]
            numbers[day] += 1
            varint(first - prev, cols[0])
            prev = first
            varint((last or first) - first, cols[1])
            varint(host or 0, cols[2])
            qid_bytes = (qid or "").encode()
            cols[3].append(len(qid_bytes))
            cols[3] += qid_bytes
            ip_bytes = bytes(ip) if ip else b""
            cols[4].append(len(ip_bytes))
            cols[4] += ip_bytes
            varint(sender or 0, cols[5])
            varint(size if size is not None else -1, cols[6])
            cols[7].append(outcome or 0)
            cols[8].append(end or 0)
            rs = rcpts.get(r[0], [])
            varint(len(rs), cols[9])
            for (_seq, addr, orig, routcome, dsn, relay, delay, rtime) in rs:
                varint(addr or 0, cols[10])
                varint(orig or 0, cols[11])
                cols[12].append(routcome or 0)
                d = (dsn or "").encode()
                cols[13].append(len(d))
                cols[13] += d
                varint(relay or 0, cols[14])
                varint((rtime - first) if rtime else 0, cols[15])
                if addr:
                    postings[(day, "rcpt")][addr].append(n)
                    if addr in domain_of:
                        postings[(day, "domain")][domain_of[addr]].append(n)
                if orig:
                    postings[(day, "orig")][orig].append(n)
            if qid:
                postings[(day, "qid")][qid].append(n)
            if sender:
                postings[(day, "sender")][sender].append(n)
            if ip:
                postings[(day, "ip")][bytes(ip)].append(n)
        record_bytes += zstd_size(b"".join(cols), level)
    posting_bytes = 0
    for (day, kind), keys in sorted(postings.items(), key=lambda kv: (kv[0][0], kv[0][1])):
        out = bytearray()
        for key in sorted(keys, key=lambda k: k if isinstance(k, (bytes, int)) else k.encode()):
            k = key if isinstance(key, bytes) else str(key).encode()
            out.append(len(k))
            out += k
            varint(len(keys[key]), out)
            prev = 0
            for n in sorted(set(keys[key])):
                varint(n - prev, out)
                prev = n
        posting_bytes += zstd_size(out, level)
    texts = bytearray()
    for (text,) in db.execute("SELECT text FROM dict ORDER BY id"):
        t = text.encode() if isinstance(text, str) else bytes(text)
        texts += t + b"\n"
    dict_bytes = zstd_size(texts, level)
    total = record_bytes + posting_bytes + dict_bytes
    print("store %s: %d records, file %.1f bytes per record" % (path, records, file_size / records))
    print("compacted, zstd -%d, bytes per record:" % level)
    print("  records (columns per hour)  %6.1f" % (record_bytes / records))
    print("  postings (exact keys)       %6.1f" % (posting_bytes / records))
    print("  dictionary texts            %6.1f" % (dict_bytes / records))
    print("  total                       %6.1f" % (total / records))


if __name__ == "__main__":
    main()
