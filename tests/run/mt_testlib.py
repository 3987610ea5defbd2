"""Helpers shared by the live tests of tests/run/: records as comparable JSON,
the year the live agent gives yearless lines, a one-shot replay."""
import datetime
import json
import os
import signal
import socket
import sqlite3
import subprocess
import time


def search(binary, store, *filters):
    """(end, sorted JSON without `end`) of every record of the store."""
    out = subprocess.run([binary, "search", "--store", store, "--format", "jsonl",
                          "--limit", "100000000", *filters], check=True, capture_output=True,
                         text=True).stdout
    recs = []
    for line in out.splitlines():
        r = json.loads(line)
        end = r.pop("end")
        recs.append((end, json.dumps(r, sort_keys=True)))
    return recs


def live_year(first_line):
    """The live agent dates yearless lines by its clock: a later month is last year."""
    now = datetime.datetime.now(datetime.timezone.utc)
    month = datetime.datetime.strptime(first_line[:3], "%b").month
    return now.year if month <= now.month else now.year - 1


def replay_closed(binary, lines, tmp, name, detail="standard"):
    """The records a one-shot replay of `lines` closes (what a live agent stores)."""
    whole = os.path.join(tmp, name + ".log")
    with open(whole, "w", errors="surrogateescape") as f:
        f.writelines(lines)
    store = "sqlite:" + os.path.join(tmp, name + ".db")
    subprocess.run([binary, "replay", "--quiet", "--store", store, "--detail", detail, "--year",
                    str(live_year(lines[0])), whole], check=True)
    return closed_records(binary, store)


def closed_records(binary, store):
    """The store's records that are not open, sorted (what replay_closed returns)."""
    return sorted(r for end, r in search(binary, store) if end != "open")


def report_difference(want, got):
    missing = [r for r in want if r not in set(got)]
    extra = [r for r in got if r not in set(want)]
    print("FAIL: %d missing, %d extra" % (len(missing), len(extra)))
    for r in missing[:3] + extra[:3]:
        print("  ", r[:300])


def start_mariadb(binary, server, dbdir, port=0):
    """A throwaway MariaDB (tests/mysql/server.sh; stop it with `server stop dbdir`)
    holding a migrated database `mt`: (its socket, the store URL)."""
    sock = subprocess.run([server, "start", dbdir] + ([str(port)] if port else []), check=True,
                          capture_output=True, text=True).stdout.strip()
    subprocess.run(["mariadb", "--no-defaults", "-uroot", "-S", sock, "-e", "CREATE DATABASE mt"],
                   check=True)
    store = "mysql://root@localhost/mt?socket=" + sock
    subprocess.run([binary, "db", "migrate", "--store", store], check=True,
                   stdout=subprocess.DEVNULL)
    return sock, store


def free_port():
    """A loopback TCP port nobody listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_following(cmd, errlog, errpath, starts, seconds=60):
    """Starts the agent `cmd`, its stderr appended to `errlog` (the file
    `errpath`), and returns it once that file says "following " `starts` times:
    this start has read its checkpoint and opened its inputs (or it exited)."""
    p = subprocess.Popen(cmd, stderr=errlog)
    deadline = time.monotonic() + seconds
    while (open(errpath, errors="replace").read().count("following ") < starts
           and p.poll() is None and time.monotonic() < deadline):
        time.sleep(0.02)
    return p


def wait_for(path, text, seconds=60):
    """Whether `text` shows in the file at `path` within `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if text in open(path, errors="replace").read():
            return True
        time.sleep(0.1)
    return False


def stop_and_compare(agent, errpath, binary, lines, tmp, store, what):
    """SIGTERMs the agent; its store must then hold exactly the records a one-shot
    replay of `lines` closes. Prints the counts; returns the exit status (0, 1)."""
    agent.send_signal(signal.SIGTERM)
    rc = agent.wait(timeout=60)
    if rc != 0:
        print("agent exited with", rc, open(errpath).read()[-2000:])
        return 1
    want = replay_closed(binary, lines, tmp, "one")
    got = sorted(r for end, r in search(binary, store))
    print("%d lines; %s: the store holds %d records, one-shot replay closed %d"
          % (len(lines), what, len(got), len(want)))
    if got != want:
        report_difference(want, got)
        return 1
    return 0


class NotifySocket:
    """A systemd notify socket in `tmp`: `env` runs an agent against it with a
    30 s watchdog; `longest_silence(seconds)` listens that long and returns the
    longest time without a WATCHDOG=1 (the loop sends one a second)."""

    def __init__(self, tmp):
        self.path = os.path.join(tmp, "notify.sock")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.sock.settimeout(0.1)
        self.env = dict(os.environ, NOTIFY_SOCKET=self.path, WATCHDOG_USEC="30000000")
        self.messages = []

    def longest_silence(self, seconds):
        start = last = time.monotonic()
        longest = 0.0
        while time.monotonic() < start + seconds:
            try:
                msg = self.sock.recv(4096).decode(errors="replace")
            except socket.timeout:
                continue
            self.messages.append(msg)
            if "WATCHDOG=1" in msg:
                longest = max(longest, time.monotonic() - last)
                last = time.monotonic()
        return max(longest, time.monotonic() - last)


def conclude(ok, want, got, tmp, **stderrs):
    """A live test's end: the difference of `want` and `got` (records) if any;
    when not `ok`, the tails of the named stderr texts and `tmp` kept for
    inspection (1); else `tmp` removed (0)."""
    if got != want:
        report_difference(want, got)
    if not ok:
        for name, text in stderrs.items():
            print("%s's stderr:" % name, text[-3000:])
        print("kept for inspection:", tmp)
        return 1
    subprocess.run(["rm", "-rf", tmp])
    return 0


class SqliteLock:
    """The write lock of the SQLite file `db`, held as `mailtrail db purge` holds
    it for its one transaction (BEGIN IMMEDIATE) until release()."""

    def __init__(self, db):
        self.conn = sqlite3.connect(db, isolation_level=None, timeout=30)
        self.conn.execute("BEGIN IMMEDIATE")

    def release(self):
        if self.conn is not None:
            self.conn.rollback()
            self.conn.close()
            self.conn = None


class Held:
    """What a live test holds while it runs, given back at its end even when it
    fails half-way: `with Held() as held:`, then `held.process(Popen)` (killed if
    still running), `held.lock(db)` (a SqliteLock, released) and `held.file(f)`
    (closed)."""

    def __init__(self):
        self.things = []

    def process(self, p):
        self.things.append(("process", p))
        return p

    def lock(self, db):
        lock = SqliteLock(db)
        self.things.append(("lock", lock))
        return lock

    def file(self, f):
        self.things.append(("file", f))
        return f

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        for kind, thing in reversed(self.things):
            if kind == "lock":
                thing.release()
            elif kind == "process" and thing.poll() is None:
                thing.kill()
                thing.wait()
            elif kind == "file":
                thing.close()
        return False
