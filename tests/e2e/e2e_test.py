#!/usr/bin/env python3
"""End to end against a real Postfix (issue 7). In a network namespace this
test creates: a private Postfix 3.7 instance (tests/e2e/postfix_instance.py), a
MariaDB, Postfix's smtp-sink, a scripted remote MX and a content filter
(tests/e2e/peers.py), and `mailtrail run` with every enforcement backend on.

1. Traffic: real SMTP from several 127.0.x.y sources — local delivery, unknown
   users, relaying to the sink, a remote MX that bounces and defers, an
   unreachable MX (expiry + NDR), relay denied, a content-filter leg, a
   legitimate bounce. The agent is SIGKILLed in the middle of it and restarted.
2. A backscatter flood: bounces with one subject from six sources. The block
   must appear in the store; then Postfix must refuse a flooding source's next
   transaction through the policy service (port 2525) and through the access
   map (port 2526), the firewall must drop a flooding source on port 25, and
   header_checks must refuse the flood subject from anyone.
3. After the block period mail from those sources and with that subject flows
   again.
Then every message's record in MariaDB must match what was sent
(tests/tools/compare_records.py, every recipient checked, 100%), the store must
equal a one-shot replay of Postfix's log (nothing lost or doubled by the kill),
and nothing the test started may be left running.

usage: e2e_test.py MAILTRAIL MARIADB_SERVER_SH   (as root; makes its own namespace)
"""
import datetime
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "run"))
sys.path.insert(0, os.path.join(HERE, "..", "tools"))
from compare_records import expected_outcome  # noqa: E402
from mt_testlib import replay_closed, report_difference, search, start_mariadb  # noqa: E402
from peers import ContentFilter, RemoteMx, wait_listening  # noqa: E402
from harness import run_in_namespace, stop_all, wait_for  # noqa: E402
from postfix_instance import PostfixInstance  # noqa: E402
from traffic import Traffic  # noqa: E402

MX, SINK, REMOTE, DEAD, FILTER = "127.0.0.30", "127.0.0.31", "127.0.0.32", "127.0.0.33", "127.0.0.34"
ADDRESSES = [MX, SINK, REMOTE, DEAD, FILTER]
APP = "127.0.0.1"  # mynetworks: may relay
SENDERS = ["127.0.5.120", "127.0.5.121", "127.0.5.122", "127.0.5.123", "127.0.5.124"]
LEGIT_BOUNCER = "127.0.5.170"
FLOOD_IPS = ["127.0.9.11", "127.0.9.12", "127.0.9.13", "127.0.9.14", "127.0.9.15", "127.0.9.16"]
FLOOD_SUBJECT = "Undeliverable: Your parcel is waiting"
MAILBOXES = ["vera@hosted.test", "walt@hosted.test", "xena@hosted.test", "info@hosted.test"]
ROUTES = {"partner.test": SINK, "remote.test": REMOTE, "dead.test": DEAD, "example.test": SINK,
          "northwind.test": SINK, "bazaar.test": SINK, "bulletin.test": SINK, "pal.test": SINK,
          "netprovider.test": SINK, "college.test": SINK}
BLOCK_PERIOD_S = 20

AGENT_TOML = """\
[store]
url = "{store}"
detail = "full"
spool = "{tmp}/spool.db"
[agent]
name = "mx"
[logs]
paths = ["{log}"]
from_start = true
poll_interval_ms = 200
[writer]
flush_interval_ms = 200
[tracker]
grace_s = 1
[policy]
socket = "{tmp}/policy.sock"
listen = "127.0.0.1:10031"
reply = "450 4.7.1 Backscatter source, try later"
bounce_action = "HOLD Backscatter source, bounce held"
[enforce]
access_map = "{tmp}/mailtrail_access"
header_checks = "{tmp}/mailtrail_header_checks.pcre"
reload_interval_s = 1
nftables = true
firewall_ports = [25]
[queue]
read = "files"
directory = "{queue}"
scan_interval_s = 5
[metrics]
listen = "127.0.0.1:{metrics_port}"
[blocks]
period_s = {period}
allow = ["127.0.0.1/32"]
postfix_config_dir = "{etc}"
"""


def expect_inbound(rcpt):
    return "delivered:virtual" if rcpt in MAILBOXES else "rejected:unknown user"


def expect_outbound(rcpt):
    local, domain = rcpt.split("@")
    if domain == "dead.test":
        return "relayed:deferred (connection refused) -> expired + NDR"
    if domain == "remote.test":
        if local.startswith("nouser"):
            return "relayed:bounced (5xx at RCPT) + NDR to sender"
        if local.startswith("defer"):
            return "relayed:deferred (4xx at RCPT) -> expired + NDR"
    return "relayed:sent"


class Agent:
    def __init__(self, binary, config, err):
        self.binary, self.config, self.err = binary, config, err
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen([self.binary, "run", "--config", self.config],
                                     stderr=open(self.err, "a"))

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            return self.proc.wait(timeout=60)
        return self.proc.returncode if self.proc else 0


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def metric(port, name):
    """The sum of a metric's series from the agent's /metrics (0 if unreachable)."""
    try:
        text = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=5).read()
    except OSError as e:
        print("metrics: %s" % e)
        return 0
    total = 0.0
    for line in text.decode().splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            total += float(line.rsplit(" ", 1)[1])
    return total


def stats_agree(binary, store, want):
    """`mailtrail stats` shows the queue files read and vanished that the agent's
    metrics counted (issue 18), from the status row it saved at its stop."""
    out = subprocess.run([binary, "stats", "--store", store], capture_output=True, text=True)
    m = re.search(r"queue files read (\d+), vanished before they could be read (\d+)", out.stdout)
    got = {"read": int(m.group(1)), "vanished": int(m.group(2))} if m else None
    print("queue files in `stats`: %s, in the metrics: %s" % (got, want))
    if out.returncode != 0 or got != want or want["read"] < 8:
        print("FAIL: stats and the metrics disagree (or too few files read)\n" + out.stdout +
              out.stderr)
        return False
    return True


def blocks(binary, store, *flags):
    out = subprocess.run([binary, "blocks", "list", "--format", "jsonl", "--store", store, *flags],
                         capture_output=True, text=True).stdout
    return [json.loads(l) for l in out.splitlines() if l.strip()]


def normal_traffic(t, at_round):
    """The first phase: every kind of message, 89 transactions; `at_round(i)`
    before each round of ten."""
    for i in range(8):
        at_round(i)
        src = SENDERS[i % len(SENDERS)]
        t.send(src, "alice%d@northwind.test" % i, [MAILBOXES[i % 4]], "Quarterly figures %d" % i,
               expect_inbound, category="inbound")
        t.send(src, "bob%d@bazaar.test" % i, [MAILBOXES[(i + 1) % 4], "nobody%d@hosted.test" % i],
               "Order %d shipped" % i, expect_inbound, category="inbound-unknown-user")
        t.send(src, "carol%d@bulletin.test" % i, ["someone@partner.test"], "Relay attempt %d" % i,
               "rejected:relay denied", category="relay-denied")
        t.send(APP, "rita@example.test", ["ceo%d@partner.test" % i, "cfo%d@partner.test" % i],
               "Re: PO #%d approval" % (7000 + i), expect_outbound, helo="app1.example.test",
               category="outbound-ok")
        t.send(APP, "omar@example.test",
               ["ok%d@remote.test" % i, "nouser%d@remote.test" % i, "defer%d@remote.test" % i],
               "Agenda for standup %d" % i, expect_outbound, helo="app2.example.test",
               category="outbound-mixed")
        t.send(APP, "paula@example.test", ["user%d@dead.test" % i], "Invoice %d" % i,
               expect_outbound, helo="app1.example.test", category="outbound-dead")
        t.send(APP, "sven@example.test", ["buyer%d@remote.test" % i], "REJECTDATA offer %d" % i,
               "relayed:bounced (554 at end of DATA) + NDR to sender", helo="app2.example.test",
               category="outbound-data-reject")
        t.send(src, "dave%d@pal.test" % i, [MAILBOXES[(i + 2) % 4]], "Filtered newsletter %d" % i,
               "delivered:virtual (content filter leg)", port=2527, category="content-filter")
        # Behind a before-queue filter: the record's client is the front
        # session's, not the filter's.
        t.send(src, "erin%d@pal.test" % i, [MAILBOXES[(i + 3) % 4]], "Proxied notes %d" % i,
               expect_inbound, port=2529, category="before-queue-filter")
        t.send(LEGIT_BOUNCER, "", [MAILBOXES[i % 4]], "Undelivered Mail Returned to Sender",
               "delivered:virtual", helo="mx.college.test",
               header_from="MAILER-DAEMON@mx.college.test (Mail Delivery System)",
               category="legit-bounce")
        # Through a cleanup that logs no headers: the Subject and From: come
        # from the queue file (the slow MX keeps it in the queue for a second).
        t.send(APP, "ulrich@example.test", ["slow%d@remote.test" % i], "Unlogged subject %d" % i,
               expect_outbound, port=2528, helo="app2.example.test", category="queue-subject")
        if i == 1:
            t.send(APP, "tara@example.test", ["partner%d@partner.test" % i], "Filtered outbound",
                   expect_outbound, port=2527, helo="app1.example.test",
                   category="outbound-content-filter")


def flood(t):
    for round_ in range(10):
        for n, ip in enumerate(FLOOD_IPS):
            t.send(ip, "", [MAILBOXES[(round_ + n) % 4]], FLOOD_SUBJECT, "delivered:virtual",
                   helo="mx%d.relayfarm-e.test" % n,
                   header_from="MAILER-DAEMON@mx%d.relayfarm-e.test" % n, category="flood",
                   timeout=3)


def probe(t, ip, port, mail_from, subject, category, timeout=10, pf=None):
    """One message to vera; (row, the first refusal code or 250, its text). A
    short timeout only where a firewall drop is what is looked for. With `pf`,
    an accepted message found in its hold queue is released, as the admin
    would (postsuper -H), and the text is "held"."""
    row = t.send(ip, mail_from, ["vera@hosted.test"], subject, "delivered:virtual", port=port,
                 category=category, timeout=timeout,
                 header_from="<%s>" % (mail_from or "MAILER-DAEMON@x"))
    qid = row.get("queue_id")
    if pf is not None and qid and os.path.exists(os.path.join(pf.queue, "hold", qid)):
        subprocess.run(["postsuper", "-c", pf.etc, "-H", qid], check=True, capture_output=True)
        return row, 250, "held"
    smtp = row.get("smtp") or {}
    if row.get("connect_error"):
        return row, None, row["connect_error"]
    for _, code, text in smtp.get("rcpt", []):
        if code >= 400:
            return row, code, text
    data = smtp.get("data") or [None, ""]
    return row, data[0], data[1]


def enforcement_checks(t, want_blocked, pf):
    """The five refusals while blocked, or five acceptances after; True if all as wanted."""
    ok = True
    verdict = "refused" if want_blocked else "accepted"
    # The policy service (port 2525 has nothing else; it asks over loopback TCP),
    # the access map (port 2526). The policy service holds the source's bounces
    # (in Postfix's hold queue: its MTA does not send them again when the block
    # ends) and refuses its other mail for a while; the access map cannot tell
    # them apart.
    for ip, port, what, sender, want, phrase in (
            (FLOOD_IPS[0], 2525, "policy service", "", 250, "held"),
            (FLOOD_IPS[0], 2525, "policy service", "ann@northwind.test", 450,
             "Recipient address rejected: Backscatter source"),
            (FLOOD_IPS[1], 2526, "access map", "", 450,
             "Client host rejected: Backscatter source")):
        def attempt():
            _, code, text = probe(t, ip, port, sender, "Re: anything", "probe-" + what,
                                  pf=pf if sender == "" and port == 2525 else None)
            good = (code == want and phrase in text) if want_blocked \
                else (code == 250 and text != "held")
            return (code, text) if good else None
        got = wait_for("%s: %s %s" % (what, ip, verdict), attempt, 15)
        print("%-15s %s:%d <%s> %s -> %s" % (what, ip, port, sender, verdict, got))
        ok &= got is not None
    # The firewall drops port 25 only: a connection from a flooding source times out.
    def fw():
        row, code, text = probe(t, FLOOD_IPS[2], 25, "", "Re: anything", "probe-firewall",
                                timeout=2)
        if want_blocked:
            return text if row.get("connect_error") else None
        return code if code == 250 else None
    got = wait_for("firewall: %s %s" % (FLOOD_IPS[2], verdict), fw, 15)
    print("%-15s %s:25 %s -> %s" % ("firewall", FLOOD_IPS[2], verdict, got))
    ok &= got is not None
    # header_checks: the flood subject from a legitimate source and sender.
    def hc():
        _, code, text = probe(t, SENDERS[1], 2525, "ann@northwind.test", FLOOD_SUBJECT,
                              "probe-header-checks")
        good = (code == 550 and "blocked subject" in text) if want_blocked else code == 250
        return (code, text) if good else None
    got = wait_for("header_checks: the flood subject %s" % verdict, hc, 15)
    print("%-15s subject from %s %s -> %s" % ("header_checks", SENDERS[1], verdict, got))
    ok &= got is not None
    # A legitimate source on the firewalled port is never refused.
    _, code, text = probe(t, SENDERS[0], 25, "ann@northwind.test", "Hello", "probe-legit")
    if code != 250:
        print("FAIL: a legitimate message on port 25 got", code, text)
        ok = False
    return ok


def compare(tmp, binary, store, truth):
    recs = os.path.join(tmp, "records.jsonl")
    with open(recs, "w") as f:
        subprocess.run([binary, "search", "--store", store, "--format", "jsonl", "--limit",
                        "100000000"], stdout=f, check=True)
    rows = [json.loads(l) for l in open(truth)]
    checkable = sum(1 for r in rows for rc in r["rcpts"] if expected_outcome(r, rc) is not None)
    out = subprocess.run([sys.executable, os.path.join(HERE, "..", "tools", "compare_records.py"),
                          truth, recs], capture_output=True, text=True)
    print("records vs what was sent: %s (%d recipients sent that have an outcome to check)"
          % (out.stdout.strip(), checkable))
    got = out.stdout.split()
    ok_rcpts, n_rcpts = map(int, got[0].split("/"))
    ok_fields, n_fields = map(int, got[2].split("/"))
    if out.returncode != 0 or ok_rcpts != n_rcpts or n_rcpts != checkable or checkable < 150 \
            or ok_fields != n_fields:
        print("FAIL: records do not match what was sent\n" + out.stderr[-3000:])
        return False
    return True


def inside(binary, server):
    tmp = tempfile.mkdtemp(prefix="mt_e2e_")
    os.chmod(tmp, 0o755)  # smtpd (user postfix) reaches the policy socket and tables here
    started = []
    ok = True
    try:
        _, store = start_mariadb(binary, server, os.path.join(tmp, "mariadb"))
        started.append(lambda: subprocess.run([server, "stop", os.path.join(tmp, "mariadb")]))
        sink = subprocess.Popen(["smtp-sink", "-u", "postfix", SINK + ":25", "256"])
        started.append(lambda: (sink.terminate(), sink.wait()))
        remote = RemoteMx().start(REMOTE, 25)
        started.append(remote.stop)
        filt = ContentFilter(FILTER, (MX, 10025)).start(FILTER, 10024)
        started.append(filt.stop)

        pf = PostfixInstance(os.path.join(tmp, "postfix"), MX, FILTER, ROUTES, MAILBOXES,
                             policy=os.path.join(tmp, "policy.sock"),
                             access=os.path.join(tmp, "mailtrail_access"),
                             header_checks=os.path.join(tmp, "mailtrail_header_checks.pcre"))
        config = os.path.join(tmp, "mailtrail.toml")
        metrics_port = free_port()
        with open(config, "w") as f:
            f.write(AGENT_TOML.format(store=store, tmp=tmp, log=pf.log, period=BLOCK_PERIOD_S,
                                      etc=pf.etc, queue=pf.queue, metrics_port=metrics_port))
        check = subprocess.run([binary, "check-config", config], capture_output=True, text=True)
        if check.returncode != 0:
            print("FAIL: check-config:", check.stdout, check.stderr)
            return False
        agent = Agent(binary, config, os.path.join(tmp, "agent.err"))
        agent.start()
        started.append(agent.stop)
        # The agent writes the (empty) tables Postfix needs before Postfix starts.
        if not wait_for("the agent's tables and policy socket", lambda: all(os.path.exists(
                os.path.join(tmp, p)) for p in ("policy.sock", "mailtrail_access.lmdb",
                                                "mailtrail_header_checks.pcre")), 20):
            return False
        pf.start()
        started.append(pf.stop)
        for host, port in ((MX, 25), (SINK, 25), (REMOTE, 25), (FILTER, 10024)):
            if not wait_listening(host, port):
                print("FAIL: nothing listens on %s:%d" % (host, port))
                return False
        # A `postfix reload` restarts qmgr, and mail in delivery at that moment
        # waits ("skipped, still being delivered"): traffic starts after the
        # agent's first reload, and each enforcement step waits for its own.
        stamp = os.path.join(tmp, "mailtrail_header_checks.pcre.reloaded")
        reloaded_after = lambda t: os.path.exists(stamp) and os.stat(stamp).st_mtime > t
        if not wait_for("the agent's first postfix reload", lambda: reloaded_after(0), 30):
            return False

        truth = os.path.join(tmp, "groundtruth.jsonl")
        t = Traffic(MX, truth)
        # 1. Ordinary traffic, the agent SIGKILLed in the middle and restarted.
        # While it is down smtpd finds no policy service and goes on (DUNNO).
        failed = []

        def at_round(i):
            if i == 3:
                # Where the kill falls, made certain: the three quiet messages
                # sent so far are closed and committed with the subjects their
                # queue files gave (the files are gone when the agent is back).
                # Only a commit makes a fact safe from a SIGKILL: the enriched
                # counter counts in memory (NDRs' DSN Content-Type too), and a
                # checkpoint counted in the metrics is queued, not committed;
                # waiting on those failed under load. A file read after the last
                # commit before a kill is lost with it: not tested here (the
                # open-message case is Agent.QueueFileFactsSurviveARestart...).
                kept = lambda: len(search(binary, store, "--subject", "Unlogged subject")) >= 3
                if not wait_for("the quiet messages' subjects committed", kept, 60):
                    failed.append("quiet subjects not committed before the kill")
                agent.kill()
                print("agent SIGKILLed after %d transactions" % len(t.rows))
            elif i == 5:
                agent.start()
                print("agent restarted after %d transactions" % len(t.rows))
        normal_traffic(t, at_round)
        print("ordinary traffic: %d transactions" % len(t.rows))
        for f in failed:
            print("FAIL:", f)
            ok = False
        if not wait_for("Postfix's queue to drain", pf.queue_empty, 60):
            ok = False
        first_reload = os.stat(stamp).st_mtime

        # 2. The flood, its blocks and their enforcement.
        flood(t)
        flood_start = time.time()
        live = wait_for("the flood's blocks", lambda: (lambda b: b if {x["key"] for x in b if x[
            "kind"] == "ip"} >= set(FLOOD_IPS) and any(x["kind"] == "subject" for x in b) else None)(
            blocks(binary, store)), 30)
        if not live:
            return False
        print("blocks live %.1f s after the flood ended: %s" % (time.time() - flood_start, ", ".join(
            sorted(b["kind"] + " " + b["key"] for b in live))))
        sent = [r for r in t.rows if r["category"] == "flood"]
        taken = sum(1 for r in sent if (r["smtp"].get("data") or [None])[0] == 250)
        print("flood: %d bounces sent, %d accepted before the blocks took effect" % (len(sent),
                                                                                    taken))
        if {b["key"] for b in live if b["kind"] == "ip"} != set(FLOOD_IPS):
            print("FAIL: blocked beyond the flooding sources")
            ok = False
        wait_for("the reload for the blocked subject", lambda: reloaded_after(first_reload), 30)
        ok &= enforcement_checks(t, want_blocked=True, pf=pf)

        # 3. After the block period, mail flows again.
        ends = max(datetime.datetime.strptime(b["expires"], "%Y-%m-%dT%H:%M:%SZ").replace(
            tzinfo=datetime.timezone.utc).timestamp() for b in live)
        time.sleep(max(0.0, ends - time.time()) + 1.0)
        still = blocks(binary, store)
        if still:
            print("FAIL: blocks still live after their period:", still)
            ok = False
        wait_for("the reload after the blocks ended", lambda: reloaded_after(ends), 30)
        ok &= enforcement_checks(t, want_blocked=False, pf=pf)
        t.close()

        # Every message done, every line read and written; then a clean stop.
        if not wait_for("Postfix's queue to drain", pf.queue_empty, 60):
            ok = False
        time.sleep(3.0)
        queue_counts = {name: int(metric(metrics_port, "mailtrail_queue_files_%s_total" % name))
                        for name in ("read", "vanished")}
        rc = agent.stop()
        if rc != 0:
            print("FAIL: agent exit %s" % rc)
            ok = False
        logged = sum(1 for l in open(pf.log, errors="replace") if "header Subject: Unlogged" in l)
        quiet = sum(1 for r in t.rows if r["category"] == "queue-subject")
        print("subjects of the %d messages Postfix did not log them for: from the queue files "
              "(lines with them in the log: %d)" % (quiet, logged))
        if logged or quiet != 8:
            print("FAIL: the quiet cleanup logged subjects, or messages were not sent")
            ok = False
        ok &= stats_agree(binary, store, queue_counts)
        ok &= compare(tmp, binary, store, truth)
        lines = open(pf.log, errors="surrogateescape").readlines()
        # The log alone cannot know what the queue files added (subjects, From:).
        def log_only(records):
            out = []
            for r in records:
                r = json.loads(r)
                r.pop("subject", None), r.pop("header_from", None)
                out.append(json.dumps(r, sort_keys=True))
            return sorted(out)
        want = log_only(replay_closed(binary, lines, tmp, "oneshot", "full"))
        got = log_only(r for end, r in search(binary, store) if end != "open")
        print("store vs a one-shot replay of Postfix's %d log lines: %d/%d records" % (
            len(lines), len(got), len(want)))
        if got != want:
            report_difference(want, got)
            ok = False
        every = blocks(binary, store, "--all")
        print("blocks in the store: %d, active at the end: %d" % (
            len(every), len(blocks(binary, store))))
        return ok
    finally:
        stop_all(started, ok, tmp)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--inside":
        sys.exit(0 if inside(*sys.argv[2:4]) else 1)
    sys.exit(run_in_namespace(__file__, sys.argv[1:], ADDRESSES))
