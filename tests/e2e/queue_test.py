#!/usr/bin/env python3
"""Postfix's queue, live (issue 8). In a network namespace: a private Postfix
whose bounces live an hour, a remote MX that refuses `nouser*`, and an
unreachable MX for `dead.test`. Mail from forged `dead.test` senders to such
users makes Postfix bounce to senders that cannot be reached: the NDRs pile up
in deferred — outgoing backscatter. Then:
  - `mailtrail queue scan` (the queue files, as root) and `--postqueue`
    (postqueue -j) count them, with their domain;
  - as an unprivileged user, reading the queue files is refused with the reason;
  - `mailtrail queue show QID` prints one NDR as postcat sees it;
  - `mailtrail run` with [queue] read = "files" reports them (a log line and
    the metrics) and, with a quiet cleanup (no Subject in the log), gives the
    records of the original messages their subjects from the queue files;
  - with [enforce] postfix_reload = false, a subject blocked by hand reaches
    Postfix's header_checks without any `postfix reload`: the cleanup processes
    read the table as they are replaced (max_idle 2 s here).

usage: queue_test.py MAILTRAIL   (as root; makes its own namespace)
"""
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
from harness import run_in_namespace, stop_all, wait_for  # noqa: E402
from peers import RemoteMx, wait_listening  # noqa: E402
from postfix_instance import PostfixInstance  # noqa: E402
from traffic import Traffic  # noqa: E402

MX, REMOTE, DEAD = "127.0.0.30", "127.0.0.32", "127.0.0.33"
N = 6
AGENT_TOML = """\
[store]
url = "sqlite:{tmp}/mt.db"
spool = "{tmp}/spool.db"
[logs]
paths = ["{log}"]
from_start = true
poll_interval_ms = 200
[writer]
flush_interval_ms = 200
[tracker]
grace_s = 1
[metrics]
listen = "127.0.0.1:9432"
[queue]
read = "files"
directory = "{queue}"
scan_interval_s = 5
bounce_alert = {n}
[detect]
enabled = true
[blocks]
allow = ["127.0.0.1/32"]
postfix_config_dir = "{etc}"
[enforce]
header_checks = "{hc}"
postfix_reload = false
"""


def mt(binary, *args, user=None):
    cmd = [binary, *args]
    if user:
        cmd = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *cmd]
    return subprocess.run(cmd, capture_output=True, text=True)


def inside(binary):
    tmp = tempfile.mkdtemp(prefix="mt_queue_")
    os.chmod(tmp, 0o755)
    started, ok = [], True
    try:
        remote = RemoteMx().start(REMOTE, 25)
        started.append(remote.stop)
        hc = os.path.join(tmp, "hc.pcre")
        access = os.path.join(tmp, "access")
        open(hc, "w").close()
        open(access, "w").close()
        pf = PostfixInstance(os.path.join(tmp, "postfix"), MX, MX,
                             {"remote.test": REMOTE, "dead.test": DEAD},
                             ["vera@hosted.test"], policy=os.path.join(tmp, "none.sock"),
                             access=access, header_checks=hc,
                             # The NDRs stay in deferred: no retry moves one to
                             # active while the test counts them.
                             settings={"bounce_queue_lifetime": "1h",
                                       "maximal_queue_lifetime": "1h",
                                       "queue_run_delay": "1h", "minimal_backoff_time": "1h",
                                       "maximal_backoff_time": "1h",
                                       # cleanup processes are replaced soon (see the end)
                                       "max_idle": "2s"})
        subprocess.run(["postmap", "-c", pf.etc, "lmdb:" + access], check=True)
        config = os.path.join(tmp, "mailtrail.toml")
        with open(config, "w") as f:
            f.write(AGENT_TOML.format(tmp=tmp, log=pf.log, queue=pf.queue, n=N, etc=pf.etc, hc=hc))
        pf.start()
        started.append(pf.stop)
        err = open(os.path.join(tmp, "agent.err"), "w")
        agent = subprocess.Popen([binary, "run", "--config", config], stderr=err)
        started.append(lambda: (agent.send_signal(signal.SIGTERM), agent.wait(30)))
        if not wait_listening(MX, 25):
            print("FAIL: Postfix does not listen")
            return False
        # The agent's queue watcher starts before it says it follows the log.
        # Mail sent before that can pass through the queue unread (a loaded
        # machine started the agent after Postfix had bounced all six), and
        # a file gone before the agent ran cannot give its subject.
        if not wait_for("the agent following its log", lambda: "following " in
                        open(os.path.join(tmp, "agent.err")).read(), 60):
            return False
        t = Traffic(MX, os.path.join(tmp, "sent.jsonl"))
        for i in range(N):  # through the cleanup that logs no Subject (port 2528)
            row = t.send("127.0.0.1", "forged%d@dead.test" % i, ["nouser%d@remote.test" % i],
                         "Quiet subject %d" % i, "relayed:bounced", port=2528,
                         helo="app1.example.test")
            if (row["smtp"].get("data") or [0])[0] != 250:
                print("FAIL: not accepted:", row["smtp"])
                return False
        t.close()

        def ndrs_deferred():
            r = subprocess.run(["postqueue", "-c", pf.etc, "-j"], capture_output=True, text=True)
            rows = [json.loads(l) for l in r.stdout.splitlines() if l.strip()]
            return [x for x in rows if x["queue_name"] == "deferred"
                    and x["sender"] == "MAILER-DAEMON"]
        ndrs = wait_for("%d NDRs deferred" % N, lambda: len(ndrs_deferred()) == N and
                        ndrs_deferred(), 60)
        if not ndrs:
            return False
        print("Postfix holds %d NDRs to forged senders in deferred" % len(ndrs))

        # The queue files, as root.
        files = json.loads(mt(binary, "queue", "scan", "--format", "json", "--queue-dir",
                              pf.queue, "--bounce-alert", str(N)).stdout)
        pq = json.loads(mt(binary, "queue", "scan", "--format", "json", "--postqueue",
                           "--postfix-config-dir", pf.etc, "--bounce-alert", str(N)).stdout)
        for name, s in (("queue files", files), ("postqueue -j", pq)):
            print("queue scan (%s): deferred %d, bounces %d %s, backscatter %s" % (
                name, s["queues"]["deferred"], s["deferred_bounces"], s["bounce_domains"],
                s["outgoing_backscatter"]))
            if s["deferred_bounces"] != N or s["bounce_domains"] != {"dead.test": N} or \
                    not s["outgoing_backscatter"]:
                print("FAIL: %s miscounted" % name)
                ok = False
        # Unprivileged: the queue files are Postfix's own (0700).
        r = mt(binary, "queue", "scan", "--queue-dir", pf.queue, user="nobody")
        print("queue scan as nobody: exit %d: %s" % (r.returncode, r.stderr.strip()[:160]))
        if r.returncode == 0 or "CAP_DAC_READ_SEARCH" not in r.stderr:
            print("FAIL: an unprivileged user read the queue, or no reason was given")
            ok = False
        # One NDR, as postcat sees it.
        qid = ndrs[0]["queue_id"]
        show = mt(binary, "queue", "show", "--queue-dir", pf.queue, qid, "--format", "json")
        postcat = subprocess.run(["postcat", "-c", pf.etc, "-q", qid], capture_output=True,
                                 text=True).stdout
        q = json.loads(show.stdout)
        want_rcpt = ndrs[0]["recipients"][0]["address"]
        if not q["bounce"] or q["sender"] != "" or q["recipients"][0]["address"] != want_rcpt \
                or "Subject: " + q["subject"] not in postcat or "sender: \n" not in postcat:
            print("FAIL: queue show %s: %s\npostcat:\n%s" % (qid, show.stdout, postcat[:800]))
            ok = False
        else:
            print("queue show %s: a bounce to %s, subject %r (as postcat)" % (
                qid, want_rcpt, q["subject"]))

        # The agent: the report, the metric, and the subjects the log lacked.
        said = wait_for("the agent's backscatter report", lambda: "outgoing backscatter: %d "
                        "bounces waiting in deferred (the most to dead.test: %d)" % (N, N)
                        in open(os.path.join(tmp, "agent.err")).read(), 30)
        ok &= bool(said)
        metrics = wait_for("the metric", lambda: (lambda m: m if "mailtrail_queue_deferred_bounces"
                                                  " %d" % N in m else None)(
            urllib.request.urlopen("http://127.0.0.1:9432/metrics", timeout=5).read().decode()),
            30)
        ok &= bool(metrics)
        print("agent: reported outgoing backscatter; metric mailtrail_queue_deferred_bounces %d"
              % N if said and metrics else "FAIL: agent report/metric missing")
        logged = sum(1 for l in open(pf.log) if "header Subject: Quiet" in l)

        def subjects():
            out = mt(binary, "search", "--store", "sqlite:%s/mt.db" % tmp, "--sender",
                     "forged0@dead.test", "--format", "jsonl").stdout
            return [json.loads(l).get("subject") for l in out.splitlines()]
        got = wait_for("the bounced message's record", lambda: subjects() or None, 30)
        print("record of a message whose subject Postfix did not log (%d lines): subject %r"
              % (logged, got and got[0]))
        if logged or got != ["Quiet subject 0"]:
            print("FAIL: the subject did not come from the queue file")
            ok = False

        # A subject blocked by hand, with postfix_reload = false.
        subject = "Blocked by hand 4711"
        add = mt(binary, "blocks", "add", "subject", subject, "--for", "1h", "--store",
                 "sqlite:%s/mt.db" % tmp)
        if add.returncode != 0:
            print("FAIL: blocks add:", add.stderr)
            return False
        if not wait_for("the agent's header_checks table", lambda: "Blocked[[:space:]]+by[[:space:]]+hand" in open(hc).read(), 30):
            return False
        t = Traffic(MX, os.path.join(tmp, "probe.jsonl"))

        def refused():
            time.sleep(3)  # no mail meanwhile: idle cleanup processes exit (max_idle 2 s)
            row = t.send("127.0.5.120", "ann@northwind.test", ["vera@hosted.test"], subject,
                         "delivered:virtual", helo="mail.northwind.test")
            data = row["smtp"].get("data") or [None, ""]
            return data if data[0] == 550 and "blocked subject" in data[1] else None
        got = wait_for("the blocked subject refused without a reload", refused, 40)
        reloads = sum(1 for l in open(pf.log) if "master" in l and ": reload" in l)
        print("a subject blocked by hand, postfix_reload = false: %s; postfix reloads: %d"
              % (got, reloads))
        if not got or reloads:
            print("FAIL: not refused, or Postfix was reloaded")
            ok = False
        t.close()
        return ok
    finally:
        stop_all(started, ok, tmp)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--inside":
        sys.exit(0 if inside(sys.argv[2]) else 1)
    sys.exit(run_in_namespace(__file__, sys.argv[1:], [MX, REMOTE, DEAD]))
