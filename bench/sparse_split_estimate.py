#!/usr/bin/python3
"""bench/sparse_split_estimate.py STORE.db: what a SQLite store would take per
record if the columns `minimal` leaves NULL lived in tables of their own
(message_ext, and rcpt_ext), with rows only for the records that have one.
SQLite keeps a byte of header for every NULL column, trailing ones too.
Measured on VACUUMed copies in /tmp/split (the store is only read); the
indexes on a moved column move with it. docs/benchmarks.md, issue 23 item 3."""
import os, sqlite3, sys

src = sys.argv[1]
MIN_M = ["id", "host", "qid", "first_seen", "last_seen", "client_ip", "sender", "size",
         "outcome", "end_reason"]
MIN_R = ["message", "seq", "addr", "outcome", "first_seen"]

def size(p):
    return os.path.getsize(p)

def main():
    os.makedirs("/tmp/split", exist_ok=True)
    base = "/tmp/split/base.db"
    var = "/tmp/split/var.db"
    var2 = "/tmp/split/var2.db"
    for p in (base, var, var2):
        if os.path.exists(p): os.remove(p)
    c = sqlite3.connect(src)
    n = c.execute("select count(*) from message").fetchone()[0]
    c.execute(f"VACUUM INTO '{base}'")
    c.close()
    print(f"records {n}; base {size(base)/n:.1f} bytes/record")
    for path, split_rcpt in ((var, False), (var2, True)):
        c = sqlite3.connect(base)
        c.execute(f"VACUUM INTO '{path}'")
        c.close()
        c = sqlite3.connect(path)
        cols = [r[1] for r in c.execute("pragma table_info(message)")]
        ext = [x for x in cols if x not in MIN_M]
        for (name,) in c.execute("select name from sqlite_master where type in ('trigger','view')").fetchall():
            kind = c.execute("select type from sqlite_master where name=?", (name,)).fetchone()[0]
            c.execute(f"DROP {kind} {name}")
        idx = c.execute("select sql from sqlite_master where type='index' and tbl_name in ('message','rcpt') and sql is not null").fetchall()
        c.execute("ALTER TABLE message RENAME TO message_old")
        c.execute(f"CREATE TABLE message ({', '.join(x + (' INTEGER PRIMARY KEY' if x=='id' else '') for x in MIN_M)})")
        c.execute(f"CREATE TABLE message_ext (id INTEGER PRIMARY KEY, {', '.join(ext)})")
        c.execute(f"INSERT INTO message SELECT {', '.join(MIN_M)} FROM message_old ORDER BY id")
        cond = " OR ".join(f"{x} IS NOT NULL" for x in ext)
        c.execute(f"INSERT INTO message_ext SELECT id, {', '.join(ext)} FROM message_old WHERE {cond} ORDER BY id")
        c.execute("DROP TABLE message_old")
        if split_rcpt:
            rcols = [r[1] for r in c.execute("pragma table_info(rcpt)")]
            rext = [x for x in rcols if x not in MIN_R]
            c.execute("ALTER TABLE rcpt RENAME TO rcpt_old")
            c.execute(f"CREATE TABLE rcpt ({', '.join(MIN_R)}, PRIMARY KEY (message, seq)) WITHOUT ROWID")
            c.execute(f"CREATE TABLE rcpt_ext (message, seq, {', '.join(rext)}, PRIMARY KEY (message, seq)) WITHOUT ROWID")
            c.execute(f"INSERT INTO rcpt SELECT {', '.join(MIN_R)} FROM rcpt_old ORDER BY message, seq")
            rcond = " OR ".join(f"{x} IS NOT NULL" for x in rext)
            c.execute(f"INSERT INTO rcpt_ext SELECT message, seq, {', '.join(rext)} FROM rcpt_old WHERE {rcond} ORDER BY message, seq")
            c.execute("DROP TABLE rcpt_old")
        for (sql,) in idx:
            try:
                c.execute(sql)
            except sqlite3.Error as e:
                if "no such column" not in str(e):
                    continue
                moved = sql.replace(" ON message (", " ON message_ext (").replace(" ON rcpt (", " ON rcpt_ext (").replace(", first_seen)", ")")
                c.execute(moved)
                print("index moved:", moved)
        c.commit()
        c.execute("VACUUM")
        c.close()
        print(f"{'message+rcpt' if split_rcpt else 'message'} split: {size(path)/n:.1f} bytes/record")

main()
