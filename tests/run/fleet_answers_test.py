#!/usr/bin/env python3
"""Fleet-wide answers (docs/detection.md) with real agents: an outbound relay
and an MX run `mailtrail run` on one throwaway MariaDB store. The relay sends
a newsletter to Microsoft-hosted domains, 100 of its 300 recipients still
greylisted (the message stays open), before the MX's agent starts (it keeps
what it learned until another agent is there). The MX then receives 150
notices for it
in two minutes from three of Microsoft's outbound IPs
(tests/detect/answers_cli.py). With fleet-wide detection on (the default)
the MX recognises them from the relay's mail and blocks nothing; with
`[detect] fleet = false` the same lines block the IPs there (the test can
fail).

usage: fleet_answers_test.py MAILTRAIL SERVER_SH
"""
import datetime
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "detect"))
from mt_testlib import free_port, search, start_mariadb, wait_for  # noqa: E402
import answers_cli  # noqa: E402


CLOSED_QID = "5C00C0FFEE"


def closed_message(host):
    """A local message that closes at once, after the newsletter's lines."""
    s = answers_cli.stamp(40, host)
    q = CLOSED_QID
    return [s + "postfix/pickup[10]: %s: uid=1001 from=<root@example.org>" % q,
            s + "postfix/cleanup[11]: %s: message-id=<%s@example.org>" % (q, q),
            s + "postfix/qmgr[12]: %s: from=<root@example.org>, size=300, nrcpt=1 (queue active)"
            % q,
            s + "postfix/local[14]: %s: to=<root@example.org>, relay=local, delay=0.1, "
            "delays=0/0/0/0.1, dsn=2.0.0, status=sent (delivered to mailbox)" % q,
            s + "postfix/qmgr[12]: %s: removed" % q]


def until(what, check, seconds=120):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    print("FAIL: timed out waiting for %s" % what)
    return False


def sql(sock, db, query):
    return subprocess.run(["mariadb", "--no-defaults", "-uroot", "-S", sock, "-N", "-B", db, "-e",
                           query], check=True, capture_output=True, text=True).stdout.split()


def metric(port, name):
    text = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=10).read().decode()
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return None


def run(binary, tmp, sock, db, fleet):
    """The relay's newsletter, then the MX's notices; the blocks in the store."""
    store = "mysql://root@localhost/%s?socket=%s" % (db, sock)
    subprocess.run(["mariadb", "--no-defaults", "-uroot", "-S", sock, "-e",
                    "CREATE DATABASE " + db], check=True)
    subprocess.run([binary, "db", "migrate", "--store", store], check=True,
                   stdout=subprocess.DEVNULL)
    cfg = os.path.join(tmp, db + ".toml")
    with open(cfg, "w") as f:
        f.write("[detect]\nfleet = %s\nfleet_interval_s = 1\n" % ("true" if fleet else "false"))
    logs, errs, agents, ports = {}, {}, [], {}

    def start(name):
        logs[name] = os.path.join(tmp, "%s-%s.log" % (db, name))
        errs[name] = os.path.join(tmp, "%s-%s.err" % (db, name))
        if not os.path.exists(logs[name]):
            open(logs[name], "w").close()
        ports[name] = free_port()
        agents.append(subprocess.Popen(
            [binary, "run", "--config", cfg, "--store", store, "--agent", name, "--spool", "",
             "--log", logs[name], "--from-start", "--flush-interval", "100",
             "--poll-interval", "50", "--metrics", "127.0.0.1:%d" % ports[name]],
            stderr=open(errs[name], "w")))

    def append(name, lines):
        with open(logs[name], "a") as f:
            f.write("\n".join(lines) + "\n")

    try:
        # The relay first, alone: it sends the newsletter (and, after it, a
        # message that closes, to know when it has read that far) before the
        # MX's agent starts, as after an upgrade of the fleet. It must keep
        # what it learned until another agent is there to read it (it threw
        # it away: helper-73).
        start("relay")
        append("relay", answers_cli.newsletter("relay") + closed_message("relay"))
        if not until("the relay's closed message in the store",
                     lambda: search(binary, store, "--qid", CLOSED_QID)):
            return None
        if fleet and not until("the relay alone in the store", lambda: "relay" in sql(
                sock, db, "SELECT agent FROM detect_answer_agent")):
            return None
        time.sleep(3)  # a few exchanges alone (fleet_interval_s = 1)
        start("mx")
        append("mx", [answers_cli.stamp(-5, "mx") + "postfix/smtpd[20]: connect from "
                      "mail.example.net[192.0.2.7]"])
        if fleet and not wait_for(errs["mx"], "reading the mail agent relay relayed"):
            print("FAIL: the MX did not read the relay's mail: %s" % open(errs["mx"]).read()[-2000:])
            return None
        append("mx", answers_cli.notices("mx"))
        if not until("the MX's 150 notices in the store",
                     lambda: len(search(binary, store, "--sender", "")) >= 150):
            return None
        # An admin sees the keys taken from the fleet, and none lost.
        read = metric(ports["mx"], "mailtrail_fleet_answers_read_total")
        lost = metric(ports["relay"], "mailtrail_fleet_answers_unshared_total")
        print("MX's keys read from the fleet: %s; relay's keys not shared: %s" % (read, lost))
        if read is None or lost != 0 or (read > 0) != fleet:
            print("FAIL: /metrics")
            return None
    finally:
        for a in agents:
            a.send_signal(signal.SIGTERM)
        rcs = [a.wait(timeout=60) for a in agents]
    if any(rcs):
        print("FAIL: agent exits %s: %s" % (rcs, open(errs["mx"]).read()[-2000:]))
        return None
    out = subprocess.run([binary, "blocks", "list", "--all", "--format", "jsonl", "--store", store],
                         check=True, capture_output=True, text=True).stdout
    return [json.loads(l)["key"] for l in out.splitlines()]


def main():
    binary, server = sys.argv[1:3]
    tmp = tempfile.mkdtemp(prefix="mt_fleet_answers_")
    dbdir = os.path.join(tmp, "mariadb")
    # Log time a few minutes ago: the agents read it as it is written.
    answers_cli.T0 = (datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
                      - datetime.timedelta(minutes=10))
    try:
        sock, _ = start_mariadb(binary, server, dbdir)
        ok = True
        shared = run(binary, tmp, sock, "shared", True)
        print("fleet on: blocks %s" % shared)
        if shared is None or shared:
            print("FAIL: the MX blocked notices answering the relay's newsletter")
            ok = False
        alone = run(binary, tmp, sock, "alone", False)
        print("fleet off: blocks %s" % alone)
        if not alone:
            print("FAIL: without the relay's mail the notices block nothing: the test proves "
                  "nothing")
            ok = False
        return 0 if ok else 1
    finally:
        subprocess.run([server, "stop", dbdir], stderr=subprocess.DEVNULL)
        subprocess.run(["rm", "-rf", tmp])


if __name__ == "__main__":
    sys.exit(main())
