#!/usr/bin/env python3
"""A block in the store that the running agent's allowlist refuses is never
enforced: added by hand to the agent's store (as another machine sharing it
could), the agent takes it from the store, does not answer it in the policy
service, counts it in mailtrail_blocks_not_enforced_total and says why; a block
outside the allowlist, added beside it, is enforced (so the store was read).

usage: allowlist_live_test.py MAILTRAIL"""
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mt_testlib import free_port  # noqa: E402


def ask_policy(path, client):
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(30)
        s.connect(path)
        s.sendall(("request=smtpd_access_policy\nprotocol_state=RCPT\nclient_address=%s\n\n"
                   % client).encode())
        answer = b""
        while not answer.endswith(b"\n\n"):
            chunk = s.recv(4096)
            if not chunk:
                break
            answer += chunk
    return answer.decode().strip()


def wait_for(what, check, limit=30):
    """Polls `check` until it holds; a guard against hanging, not a timing."""
    end = time.monotonic() + limit
    while time.monotonic() < end:
        got = check()
        if got:
            return got
        time.sleep(0.1)
    print("FAIL: waited in vain for", what)
    return None


def main():
    binary = sys.argv[1]
    tmp = tempfile.mkdtemp(prefix="mt_allow_live_")
    agent = None
    try:
        log = os.path.join(tmp, "mail.log")
        open(log, "w").close()
        store = "sqlite:" + os.path.join(tmp, "mt.db")
        sock = os.path.join(tmp, "policy.sock")
        port = free_port()
        agent = subprocess.Popen(
            [binary, "run", "--store", store, "--log", log, "--policy-socket", sock,
             "--allow", "127.0.0.0/8", "--allow", "198.51.100.0/24",
             "--metrics", "127.0.0.1:%d" % port, "--flush-interval", "100"],
            stderr=open(os.path.join(tmp, "agent.err"), "w"))
        if not wait_for("the policy socket", lambda: os.path.exists(sock)):
            return 1
        for ip in ("198.51.100.7", "203.0.113.9"):  # the CLI knows no allowlist of the agent's
            subprocess.run([binary, "blocks", "add", "ip", ip, "--for", "1h", "--store", store],
                           check=True, stdout=subprocess.DEVNULL)
        if not wait_for("the enforced block", lambda: ask_policy(sock, "203.0.113.9") != "action=DUNNO"):
            return 1
        ok = True
        answer = ask_policy(sock, "198.51.100.7")
        print("policy answer for the allowlisted 198.51.100.7:", answer)
        if answer != "action=DUNNO":
            print("FAIL: an allowlisted address is enforced")
            ok = False
        metrics = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=30).read()
        line = [l for l in metrics.decode().splitlines()
                if l.startswith("mailtrail_blocks_not_enforced_total")]
        print("metric:", line)
        if line != ["mailtrail_blocks_not_enforced_total 1"]:
            print("FAIL: not counted once")
            ok = False
        agent.terminate()
        agent.wait(timeout=60)
        err = open(os.path.join(tmp, "agent.err")).read()
        said = [l for l in err.splitlines() if "not enforcing ip 198.51.100.7" in l]
        print("said:", said)
        if len(said) != 1 or "198.51.100.0/24" not in said[0]:
            print("FAIL: not said once with the reason:", err[-2000:])
            ok = False
        print("ok" if ok else "FAILED")
        return 0 if ok else 1
    finally:
        if agent and agent.poll() is None:
            agent.kill()
            agent.wait()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
