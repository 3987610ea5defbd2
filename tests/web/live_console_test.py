#!/usr/bin/python3
"""`mailtrail run` with [web] listen serves the console too (issue 21 item 1):
a message appended to the followed log shows on /api/v1/messages of the
agent's own console, and the console goes away with the agent.

usage: live_console_test.py MAILTRAIL
"""
import base64
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "run"))
from mt_testlib import free_port  # noqa: E402
from allowlist_live_test import ask_policy, wait_for  # noqa: E402

MSG = ("Nov 27 12:03:26 mx postfix/pickup[1]: 44C4B10A321: uid=0 from=<root>\n"
       "Nov 27 12:03:26 mx postfix/cleanup[2]: 44C4B10A321: message-id=<live@example.test>\n"
       "Nov 27 12:03:26 mx postfix/qmgr[3]: 44C4B10A321: from=<root@example.test>, size=300, nrcpt=1 (queue active)\n"
       "Nov 27 12:03:27 mx postfix/local[4]: 44C4B10A321: to=<tara@example.test>, relay=local, delay=0.1,"
       " delays=0/0/0/0.1, dsn=2.0.0, status=sent (delivered to mailbox)\n"
       "Nov 27 12:03:27 mx postfix/qmgr[3]: 44C4B10A321: removed\n")


def get(url, data=None, headers=None):
    """(status, body); status None when nothing answers."""
    try:
        req = urllib.request.Request(url, data=data, headers=headers or {})
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
    except OSError as e:
        return None, str(e)


def check_writes(binary, tmp, conf, port, check):
    """The agent's console with [web] writes (and auth_file, audit): an operator
    with the CSRF token adds a block (200, an audit row), without it 403."""
    users, audit, sock = (os.path.join(tmp, n) for n in ("users", "audit.db", "policy.sock"))
    with open(users, "w") as f:
        h = subprocess.run(["mkpasswd", "-m", "yescrypt", "olga-pw"], capture_output=True, text=True,
                           check=True).stdout.strip()
        f.write("basic:olga:operator:%s\n" % h)
    writes = conf + ".writes"
    with open(conf) as f, open(writes, "w") as g:
        g.write(f.read() + 'auth_file = "%s"\nwrites = true\naudit = "%s"\n[policy]\nsocket = "%s"\n'
                % (users, audit, sock))
    errpath = os.path.join(tmp, "stderr.writes")
    with open(errpath, "w") as err:
        p = subprocess.Popen([binary, "run", "--config", writes], stderr=err)
    base = "http://127.0.0.1:%d" % port
    auth = {"Authorization": "Basic " + base64.b64encode(b"olga:olga-pw").decode()}
    try:
        deadline = time.monotonic() + 60
        while "web console on" not in open(errpath).read() and p.poll() is None \
                and time.monotonic() < deadline:
            time.sleep(0.05)
        status, _ = get(base + "/search")
        check(status == 401, "[web] auth_file: the agent's console wants credentials (%s)" % status)
        add = b"kind=ip&key=192.0.2.66&for=1h&reason=live+console"
        status, _ = get(base + "/api/v1/blocks/add", data=add, headers=auth)
        check(status == 403, "[web] writes: an operator without the CSRF token is 403 (%s)" % status)
        status, body = get(base + "/api/v1/csrf", headers=auth)
        token = json.loads(body)["csrf"] if status == 200 else ""
        status, body = get(base + "/api/v1/blocks/add", data=add + b"&csrf=" + token.encode(),
                           headers=auth)
        check(status == 200, "[web] writes: with the token, the agent's console adds a block (%s %s)"
              % (status, body))
        rows = subprocess.run(["sqlite3", audit, "SELECT user, action, key, result FROM web_audit"],
                              capture_output=True, text=True).stdout
        check("olga|block add|192.0.2.66|200 blocked ip 192.0.2.66" in rows,
              "[web] audit: the write has its row (%s)" % rows.strip().replace("\n", "; "))
        status, body = get(base + "/api/v1/blocks", headers=auth)
        check('"key":"192.0.2.66"' in body, "the block is in the agent's store")
        # The agent picks it up from its store, as a block of `mailtrail blocks add`:
        # its policy service refuses the address, and lets it in again once removed.
        check(wait_for("the block enforced", lambda: ask_policy(sock, "192.0.2.66") != "action=DUNNO"),
              "the running agent enforces the block added on its console (%s)" % ask_policy(sock, "192.0.2.66"))
        status, body = get(base + "/api/v1/blocks/remove", data=b"key=192.0.2.66&csrf=" + token.encode(),
                           headers=auth)
        check(status == 200, "[web] writes: the operator removes it (%s %s)" % (status, body))
        check(wait_for("the block ended", lambda: ask_policy(sock, "192.0.2.66") == "action=DUNNO"),
              "the running agent ends the block removed on its console")
    finally:
        p.send_signal(signal.SIGTERM)
        rc = p.wait(timeout=60)
    check(rc == 0, "the agent with a writing console stops cleanly (%d)" % rc)


def maps_file(pid, path):
    with open("/proc/%d/maps" % pid) as f:
        return any(line.rstrip("\n").endswith(" " + path) for line in f)


def check_mmap(binary, tmp, check):
    """[web] mmap_mb reaches the agent's console: by default its connections
    map the store (the agent's writer never does), with 0 they do not. The
    store is replayed first, so that its pages are in the file, not the WAL."""
    log, db = os.path.join(tmp, "mmap.log"), os.path.join(tmp, "mmap.db")
    with open(log, "w") as f:
        f.write(MSG)
    subprocess.run([binary, "replay", "--store", "sqlite:" + db, "--year", "2026", log],
                   check=True, capture_output=True, timeout=120)
    for extra, mapped in (("", True), ("mmap_mb = 0\n", False)):
        port = free_port()
        conf = os.path.join(tmp, "mmap.toml")
        with open(conf, "w") as f:
            f.write('[store]\nurl = "sqlite:%s"\n[logs]\npaths = ["%s"]\n[web]\nlisten = "127.0.0.1:%d"\n%s'
                    % (db, log, port, extra))
        p = subprocess.Popen([binary, "run", "--config", conf], stderr=subprocess.DEVNULL)
        try:
            status = None
            deadline = time.monotonic() + 60
            while status != 200 and time.monotonic() < deadline:
                status, _ = get("http://127.0.0.1:%d/search?domain=@example.test" % port)
                time.sleep(0.05)
            check(status == 200 and maps_file(p.pid, db) == mapped,
                  "[web] %s: the console %s the store (%s)"
                  % (extra.strip() or "without mmap_mb", "maps" if mapped else "does not map", status))
        finally:
            p.send_signal(signal.SIGTERM)
            p.wait(timeout=60)


def main():
    binary = sys.argv[1]
    tmp = tempfile.mkdtemp(prefix="mt_live_console_")
    failures = []

    def check(ok, what):
        print(("ok   " if ok else "FAIL ") + what, flush=True)
        if not ok:
            failures.append(what)
    try:
        log, conf, db = (os.path.join(tmp, n) for n in ("mail.log", "mailtrail.toml", "t.db"))
        open(log, "w").close()
        port = free_port()
        with open(conf, "w") as f:
            f.write('[store]\nurl = "sqlite:%s"\n[logs]\npaths = ["%s"]\npoll_interval_ms = 50\n'
                    '[writer]\nflush_interval_ms = 100\n[web]\nlisten = "127.0.0.1:%d"\n'
                    % (db, log, port))
        errpath = os.path.join(tmp, "stderr")
        with open(errpath, "w") as err:
            p = subprocess.Popen([binary, "run", "--config", conf], stderr=err)
        base = "http://127.0.0.1:%d" % port
        try:
            deadline = time.monotonic() + 60
            while "following " not in open(errpath).read() and p.poll() is None \
                    and time.monotonic() < deadline:
                time.sleep(0.05)
            check("web console on http://127.0.0.1:%d/" % port in open(errpath).read(),
                  "the agent says where its console is")
            with open(log, "a") as f:
                f.write(MSG)
            records = []
            while time.monotonic() < deadline:  # until the record is written and read back
                status, body = get(base + "/api/v1/messages?recipient=tara@example.test")
                records = json.loads(body)["records"] if status == 200 else []
                if records:
                    break
                time.sleep(0.1)
            check(len(records) == 1 and records[0]["qid"] == "44C4B10A321" and
                  records[0]["recipients"][0]["outcome"] == "delivered",
                  "the agent's console shows the message it just tracked (%d records)" % len(records))
            status, body = get(base + "/search?domain=@example.test")
            check(status == 200 and "44C4B10A321" in body, "its search page shows it too")
            status, _ = get(base + "/api/v1/blocks/add", data=b"kind=ip&key=192.0.2.1&for=1h")
            check(status == 404, "its console is read-only: no write route (%s)" % status)
        finally:
            p.send_signal(signal.SIGTERM)
            rc = p.wait(timeout=60)
        check(rc == 0, "the agent stops cleanly with its console (%d)" % rc)
        status, _ = get(base + "/search")
        check(status is None, "the console is gone with the agent")
        # A console the agent may not serve: a non-loopback listen without auth_file.
        bad = conf + ".bad"
        with open(conf) as f, open(bad, "w") as g:
            g.write(f.read().replace('listen = "127.0.0.1:%d"' % port, 'listen = "0.0.0.0:%d"' % port))
        r = subprocess.run([binary, "run", "--config", bad], capture_output=True, text=True, timeout=60)
        check(r.returncode != 0 and "no authentication is configured" in r.stderr,
              "a non-loopback [web] listen without auth_file refuses to start (%d)" % r.returncode)
        check_writes(binary, tmp, conf, port, check)
        check_mmap(binary, tmp, check)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d check(s) failed" % len(failures) if failures else "all checks passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
