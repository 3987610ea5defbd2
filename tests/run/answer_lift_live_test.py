#!/usr/bin/env python3
"""A flood's block of a standard notice subject ends when a notice with that
subject answers our own mail (helper-114 F3). header_checks refuses every
message with a blocked subject, for good (5.7.1): genuine notices for our
users' mail were refused until the block's hour was over.

`mailtrail run` follows tests/data/probes/answer-under-subject-block.log with
its stamps moved to just now: a backscatter flood through two Google outbound
IPs with "Delivery Status Notification (Failure)" blocks the subject and both
IPs; then our users send mail to Google-hosted domains, and the first genuine
notice for it is refused by the subject's header_checks rule (the log says
so). Its record alone must make the agent drop the subject from header_checks (the real
postmap -q), keep the two IP blocks (policy service), and mark the block's
row removed, ended at the notice, in the store. Without the lift the subject
stays in header_checks: the test can fail.

usage: answer_lift_live_test.py MAILTRAIL PROBE_LOG
"""
import datetime
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from allowlist_live_test import ask_policy, wait_for  # noqa: E402

SUBJECT = "Subject: Delivery Status Notification (Failure)"
FLOOD_IPS = {"209.85.220.41", "209.85.220.69"}


def squeezed(lines):
    """The lines' 13 minutes squeezed into the last 60 s before now (UTC), in
    order: a live flood (within the agent's live horizon) and its answers."""
    def stamp(l):
        return datetime.datetime.strptime("2026 " + l[:15], "%Y %b %d %H:%M:%S")
    first, last = stamp(lines[0]), stamp(lines[-1])
    now = datetime.datetime.utcnow().replace(microsecond=0)
    span = (last - first).total_seconds()
    out = []
    for l in lines:
        t = now - datetime.timedelta(seconds=60 - (stamp(l) - first).total_seconds() * 60 / span)
        day = t.strftime("%b ") + ("%2d" % t.day) + t.strftime(" %H:%M:%S")
        out.append(day + l[15:])
    return out


def blocks(binary, store):
    out = subprocess.run([binary, "blocks", "list", "--all", "--format", "jsonl", "--store", store],
                         check=True, capture_output=True, text=True).stdout
    return [json.loads(l) for l in out.splitlines()]


def main():
    binary, probe = sys.argv[1:3]
    lines = squeezed(open(probe).read().splitlines(keepends=True))
    # The flood; our users' mail and the first notice for it, refused by the
    # subject's block (its record alone must lift it); the other notices.
    raw = open(probe).read().splitlines()
    cut = next(i for i, l in enumerate(raw) if "from=<anna0@example.org>" in l)
    refused = next(i for i, l in enumerate(raw) if "reject: header Subject" in l)
    qid = raw[refused].split(": ")[1]
    end = next(i for i in range(refused, len(raw)) if "disconnect from mail-sor" in raw[i]) + 1
    # `mailtrail detect` on the log as it is: the same lift, at the refused notice.
    out = subprocess.run([binary, "detect", "--year", "2026", "--all", "--format", "jsonl", probe],
                         check=True, capture_output=True, text=True).stdout
    found = [json.loads(l) for l in out.splitlines()]
    subjects = [b for b in found if b["kind"] == "subject"]
    print("detect: %s" % ["%s %s until %s%s" % (b["kind"], b["key"], b["expires"],
                                                " removed" if b.get("removed") else "")
                          for b in found])
    if len(subjects) != 1 or not subjects[0].get("removed") or \
            subjects[0]["expires"] != "2026-03-10T09:11:00Z" or len(found) != 3:
        print("FAIL: detect did not lift the subject block at the refused notice")
        return 1
    tmp = tempfile.mkdtemp(prefix="mt_answer_lift_")
    agent = None
    try:
        log = os.path.join(tmp, "mail.log")
        open(log, "w").close()
        store = "sqlite:" + os.path.join(tmp, "mt.db")
        sock = os.path.join(tmp, "policy.sock")
        checks = os.path.join(tmp, "mailtrail_header_checks.pcre")
        open(os.path.join(tmp, "main.cf"), "w").write("compatibility_level = 3.7\n")
        open(os.path.join(tmp, "master.cf"), "w").close()  # postfix reload reads it
        errpath = os.path.join(tmp, "agent.err")
        agent = subprocess.Popen(
            [binary, "run", "--store", store, "--log", log, "--policy-socket", sock,
             "--header-checks", checks, "--postfix-config-dir", tmp, "--allow", "127.0.0.0/8",
             "--flush-interval", "100", "--poll-interval", "50"],
            stderr=open(errpath, "w"))
        if not wait_for("the policy socket", lambda: os.path.exists(sock)):
            return 1

        def query():
            r = subprocess.run(["postmap", "-c", tmp, "-q", SUBJECT, "pcre:" + checks],
                               capture_output=True, text=True)
            return r.stdout.strip()

        with open(log, "a") as f:
            f.writelines(lines[:cut])
        ok = bool(wait_for("the subject in header_checks", lambda: query().startswith("REJECT"), 90))
        print("after the flood: header_checks %r" % query())
        with open(log, "a") as f:
            f.writelines(lines[cut:end])
        ok = bool(wait_for("the subject out of header_checks",
                           lambda: os.path.exists(checks) and not query(), 90)) and ok
        print("after the refused notice: header_checks %r" % query())
        with open(log, "a") as f:
            f.writelines(lines[end:])
        for ip in sorted(FLOOD_IPS):
            answer = ask_policy(sock, ip)
            print("policy service for %s: %s" % (ip, answer))
            if not answer.startswith("action=450"):
                print("FAIL: the flood's IP blocks must stay")
                ok = False
        stored = wait_for("the lifted row in the store", lambda: [
            b for b in blocks(binary, store) if b["kind"] == "subject" and b.get("removed")], 90)
        if stored:
            b = stored[0]
            print("stored: %s until %s, removed; %s" % (b["key"], b["expires"], b["reason"][-120:]))
            if "lifted" not in b["reason"] or qid not in b["reason"] or \
                    b["expires"] <= b["created"] or len(stored) != 1:
                print("FAIL: the row does not say the lift")
                ok = False
        else:
            ok = False
        agent.terminate()
        if agent.wait(timeout=60) != 0:
            print("FAIL: the agent's exit")
            ok = False
        if not ok:
            print(open(errpath).read()[-3000:])
        print("ok" if ok else "FAILED")
        return 0 if ok else 1
    finally:
        if agent and agent.poll() is None:
            agent.kill()
            agent.wait()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
