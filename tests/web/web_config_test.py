#!/usr/bin/python3
"""`mailtrail web --config FILE` serves with the settings of its [web] (issue 21
item 1): listen, users, a trusted proxy and its operators, the export rate,
writes with their audit file; a flag given on the command line wins over its
key; a file whose [web] breaks a rule (a non-loopback listen without
authentication, writes without an audit file) refuses to start, exit 78.

usage: web_config_test.py MAILTRAIL
"""
import base64
import http.client as httpclient
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "run"))
from mt_testlib import free_port  # noqa: E402

MSG = ("Nov 27 12:03:26 mx postfix/pickup[1]: 44C4B10A321: uid=0 from=<root>\n"
       "Nov 27 12:03:26 mx postfix/cleanup[2]: 44C4B10A321: message-id=<cfg@example.test>\n"
       "Nov 27 12:03:26 mx postfix/qmgr[3]: 44C4B10A321: from=<root@example.test>, size=300, nrcpt=1 (queue active)\n"
       "Nov 27 12:03:27 mx postfix/local[4]: 44C4B10A321: to=<tara@example.test>, relay=local, delay=0.1,"
       " delays=0/0/0/0.1, dsn=2.0.0, status=sent (delivered to mailbox)\n"
       "Nov 27 12:03:27 mx postfix/qmgr[3]: 44C4B10A321: removed\n")

failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what, flush=True)
    if not ok:
        failures.append(what)


def request(port, path, headers=None, data=None, source="127.0.0.1"):
    """(status, body) of one request from the local address `source`."""
    c = httpclient.HTTPConnection("127.0.0.1", port, timeout=60, source_address=(source, 0))
    try:
        hdrs = dict(headers or {})
        if data is not None:
            hdrs["Content-Type"] = "application/x-www-form-urlencoded"
        c.request("POST" if data is not None else "GET", path, body=data, headers=hdrs)
        r = c.getresponse()
        return r.status, r.read().decode()
    finally:
        c.close()


def basic(user):
    return {"Authorization": "Basic " + base64.b64encode((user + ":" + user + "-pw").encode()).decode()}


class Web:
    """One `mailtrail web` process, stopped by its PID; `port` is where it says it serves."""

    def __init__(self, binary, *args):
        self.err = tempfile.TemporaryFile()
        self.proc = subprocess.Popen([binary, "web", *args], stdout=subprocess.DEVNULL, stderr=self.err)
        deadline = time.monotonic() + 60
        self.port = None
        while self.port is None and time.monotonic() < deadline:
            self.err.seek(0)
            text = self.err.read().decode()
            m = re.search(r"serving http://127\.0\.0\.1:(\d+)/ \(([^)]*)\)", text)
            if m:
                self.port, self.mode = int(m.group(1)), m.group(2)
            elif self.proc.poll() is not None:
                raise AssertionError("mailtrail web exited %d: %s" % (self.proc.returncode, text))
            else:
                time.sleep(0.05)
        if self.port is None:
            raise AssertionError("mailtrail web did not say where it serves")

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=60)


def maps_file(pid, path):
    """The process maps `path` (SQLite's memory map of the store, [web] mmap_mb)."""
    with open("/proc/%d/maps" % pid) as f:
        return any(line.rstrip("\n").endswith(" " + path) for line in f)


def exports(port, headers, n):
    """The statuses of `n` exports one after the other. Each export's place
    among those running at once is given back before its last bytes are sent
    (web::ExportStream): the next one never meets "too many exports running"
    (it did on a loaded machine, CI run 22, when the place waited for the
    server to finish the connection)."""
    return [request(port, "/api/v1/export?format=csv", headers)[0] for _ in range(n)]


def main():
    binary = sys.argv[1]
    tmp = tempfile.mkdtemp(prefix="mt_web_config_")
    try:
        log, db, users, audit = (os.path.join(tmp, n) for n in ("mail.log", "t.db", "users", "audit.db"))
        with open(log, "w") as f:
            f.write(MSG)
        subprocess.run([binary, "replay", "--store", "sqlite:" + db, "--year", "2026", log],
                       check=True, capture_output=True, timeout=120)
        store = "sqlite:" + db
        with open(users, "w") as f:
            for user, role in (("olga", "operator"), ("vic", "viewer")):
                h = subprocess.run(["mkpasswd", "-m", "yescrypt", user + "-pw"], capture_output=True,
                                   text=True, check=True).stdout.strip()
                f.write("basic:%s:%s:%s\n" % (user, role, h))
        port = free_port()
        conf = os.path.join(tmp, "web.toml")
        with open(conf, "w") as f:
            f.write('[web]\nlisten = "127.0.0.1:%d"\nauth_file = "%s"\nproxy_header = "X-Remote-User"\n'
                    'trusted_proxy = ["127.0.0.2/32"]\nproxy_operators = ["pat"]\n'
                    'exports_per_minute = 2\nwrites = true\naudit = "%s"\n' % (port, users, audit))
        r = subprocess.run([binary, "check-config", conf], capture_output=True, text=True, timeout=60)
        check(r.returncode == 0, "check-config accepts every [web] key (%d %s)" % (r.returncode, r.stderr))

        web = Web(binary, "--store", store, "--config", conf)
        try:
            check(web.port == port and web.mode == "writes enabled, authenticated",
                  "it serves on [web] listen, with writes and authentication (%s: %s)" % (web.port, web.mode))
            status, _ = request(port, "/search")
            check(status == 401, "auth_file: no credentials is 401 (%d)" % status)
            status, body = request(port, "/search?domain=@example.test", basic("vic"))
            check(status == 200 and "44C4B10A321" in body, "auth_file: a viewer reads (%d)" % status)
            status, _ = request(port, "/search", {"X-Remote-User": "pat"})
            check(status == 401, "proxy_header from an address not in trusted_proxy: 401 (%d)" % status)
            status, body = request(port, "/api/v1/csrf", {"X-Remote-User": "pat"}, source="127.0.0.2")
            check(status == 200 and json.loads(body)["role"] == "operator",
                  "proxy_header from trusted_proxy names a proxy_operators user: operator (%d %s)" %
                  (status, body))
            got = exports(port, basic("vic"), 3)
            check(got == [200, 200, 429], "exports_per_minute = 2: the third export is 429 (%s)" % got)
            check(exports(port, basic("olga"), 1) == [200], "exports: another user may still export")
            add = "kind=ip&key=192.0.2.55&for=1h&reason=config+test"
            status, _ = request(port, "/api/v1/blocks/add", basic("olga"), data=add)
            check(status == 403, "writes: an operator without the CSRF token is 403 (%d)" % status)
            vic_token = json.loads(request(port, "/api/v1/csrf", basic("vic"))[1])["csrf"]
            status, _ = request(port, "/api/v1/blocks/add", basic("vic"), data=add + "&csrf=" + vic_token)
            check(status == 403, "writes: a viewer is 403 (%d)" % status)
            token = json.loads(request(port, "/api/v1/csrf", basic("olga"))[1])["csrf"]
            status, body = request(port, "/api/v1/blocks/add", basic("olga"), data=add + "&csrf=" + token)
            check(status == 200, "writes = true: an operator with the CSRF token adds a block (%d %s)" %
                  (status, body))
            rows = subprocess.run(["sqlite3", audit, "SELECT user, action, key, result FROM web_audit"],
                                  capture_output=True, text=True).stdout
            check("olga|block add|192.0.2.55|200 blocked ip 192.0.2.55" in rows,
                  "the write has its row in [web] audit's file (%s)" % rows.strip().replace("\n", "; "))
            check(maps_file(web.proc.pid, db), "no mmap_mb: the store is read through a memory map")
        finally:
            web.stop()

        # A flag given on the command line wins over its key.
        web = Web(binary, "--store", store, "--config", conf, "--listen", "127.0.0.1:0",
                  "--exports-per-minute", "5", "--mmap-mb", "0")
        try:
            check(web.port != port, "--listen wins over [web] listen (%d, not %d)" % (web.port, port))
            got = exports(web.port, basic("vic"), 3)
            check(got == [200, 200, 200], "--exports-per-minute 5 wins over exports_per_minute = 2 (%s)" % got)
            status, _ = request(web.port, "/search")
            check(status == 401, "the file's auth_file still holds under the flags (%d)" % status)
            check(not maps_file(web.proc.pid, db), "--mmap-mb 0: the store is not mapped")
        finally:
            web.stop()
        unmapped = os.path.join(tmp, "unmapped.toml")
        with open(unmapped, "w") as f:
            f.write('[web]\nmmap_mb = 0\n')
        web = Web(binary, "--store", store, "--config", unmapped, "--listen", "127.0.0.1:0")
        try:
            status, _ = request(web.port, "/search?domain=@example.test")
            check(status == 200, "mmap_mb = 0: it serves (%d)" % status)
            check(not maps_file(web.proc.pid, db), "mmap_mb = 0: the store is not mapped")
        finally:
            web.stop()

        # A [web] that breaks a rule refuses to start, saying which.
        for text, want, what in (
                ('[web]\nlisten = "0.0.0.0:%d"\n' % port, "no authentication is configured",
                 "a non-loopback listen from the file without authentication"),
                ('[web]\nauth_file = "%s"\nwrites = true\n' % users, "need audit",
                 "writes without an audit file"),
                ('[web]\nproxy_header = "X-Remote-User"\ntrusted_proxy = ["proxy.example"]\n',
                 "not an address or network: proxy.example", "a trusted_proxy that is not a CIDR")):
            bad = os.path.join(tmp, "bad.toml")
            with open(bad, "w") as f:
                f.write(text)
            r = subprocess.run([binary, "web", "--store", store, "--config", bad], capture_output=True,
                               text=True, timeout=60)
            check(r.returncode == 78 and want in r.stderr,
                  "%s: exit 78 naming it (%d %s)" % (what, r.returncode, r.stderr.strip()))
        # A second console on the port of one running is refused: cpp-httplib's
        # default SO_REUSEPORT let both serve, each taking part of the
        # requests, without a word (helper-82).
        web = Web(binary, "--store", store, "--listen", "127.0.0.1:0")
        try:
            try:
                r = subprocess.run([binary, "web", "--store", store, "--listen",
                                    "127.0.0.1:%d" % web.port], capture_output=True, text=True,
                                   timeout=20)
                check(r.returncode != 0 and "cannot listen on" in r.stderr,
                      "a second console on a port in use fails (%d %s)" % (r.returncode, r.stderr.strip()))
            except subprocess.TimeoutExpired:
                check(False, "a second console on a port in use fails (it served)")
        finally:
            web.stop()
        # A users file is checked at load: a hash crypt(3) cannot use is
        # refused; hashes of one kind that differ in cost start with a warning.
        damaged = os.path.join(tmp, "damaged-users")
        with open(damaged, "w") as f:
            f.write("basic:bob:viewer:$9$abcdefghijklmnopqrstuvwxyz\n")
        r = subprocess.run([binary, "web", "--store", store, "--auth-file", damaged,
                            "--listen", "127.0.0.1:0"], capture_output=True, text=True, timeout=60)
        check(r.returncode == 78 and "damaged-users:1: crypt(3) cannot use this hash" in r.stderr,
              "a hash crypt(3) cannot use: exit 78 naming its line (%d %s)" % (r.returncode, r.stderr.strip()))
        mixed = os.path.join(tmp, "mixed-users")
        with open(users) as f, open(mixed, "w") as out:
            out.write(f.read())
            h = subprocess.run(["mkpasswd", "-m", "bcrypt", "carl-pw"], capture_output=True, text=True,
                               check=True).stdout.strip()
            out.write("basic:carl:viewer:%s\n" % h)
        web = Web(binary, "--store", store, "--auth-file", mixed, "--listen", "127.0.0.1:0")
        try:
            web.err.seek(0)
            text = web.err.read().decode()
            check("warning: " in text and "basic hashes differ in method or cost" in text and "carl" in text,
                  "hashes of one kind that differ in cost: a warning at start (%s)" % text.strip())
            status, _ = request(web.port, "/search", basic("carl"))
            check(status == 200, "... and they still work (%d)" % status)
        finally:
            web.stop()
        # ... and the same rule for an address from the flag.
        r = subprocess.run([binary, "web", "--store", store, "--listen", "0.0.0.0:%d" % port],
                           capture_output=True, text=True, timeout=60)
        check(r.returncode == 78 and "no authentication is configured" in r.stderr,
              "--listen 0.0.0.0 without authentication: exit 78 (%d)" % r.returncode)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d check(s) failed" % len(failures) if failures else "all checks passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
