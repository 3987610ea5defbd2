#!/usr/bin/env python3
"""Issue 19 items 5 and 4, the firewall, inside a network namespace this test
creates (never the machine's own). A real agent runs in the namespace with the
nftables or libiptc backend and a block taken from its store:
- Item 5: `nft flush ruleset` (what a firewall reload does) / the iptables
  chain flushed: the agent's periodic recheck puts the block back.
- Item 4: the agent is killed with SIGKILL and the block is ended in the store
  (`blocks remove`): the rule stays (nothing else would remove it) until one
  `mailtrail enforce --reconcile --config FILE` pass removes it.

usage: firewall_repair_netns_test.py MAILTRAIL nft|iptc"""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

IP = "192.0.2.7"


def main():
    binary, backend = sys.argv[1], sys.argv[2]
    ns = "mt_fwr_%d" % os.getpid()
    tmp = tempfile.mkdtemp(prefix="mt_fw_repair_")
    sh = lambda *a: subprocess.run(["ip", "netns", "exec", ns, *a], check=True,
                                   capture_output=True, text=True).stdout
    agent = None
    subprocess.run(["ip", "netns", "add", ns], check=True)
    try:
        sh("ip", "link", "set", "lo", "up")
        # The server's own address: with loopback alone the agent takes the
        # namespace for systemd's PrivateNetwork and refuses a firewall.
        sh("ip", "addr", "add", "192.0.2.1/32", "dev", "lo")
        log = os.path.join(tmp, "mail.log")
        open(log, "w").close()
        store = "sqlite:" + os.path.join(tmp, "mt.db")
        cfg = os.path.join(tmp, "mailtrail.toml")
        with open(cfg, "w") as f:
            f.write('[store]\nurl = "%s"\n[logs]\npaths = ["%s"]\n[writer]\nflush_interval_ms = 100\n'
                    '[enforce]\n%s = true\nrecheck_interval_s = 2\n[blocks]\nallow_mynetworks = false\n'
                    % (store, log, "nftables" if backend == "nft" else "iptables"))

        def rules():
            try:
                if backend == "nft":
                    return sh("nft", "list", "ruleset")
                return sh("iptables-legacy", "-S")
            except subprocess.CalledProcessError:
                return ""

        def wait_for(what, check, limit=120):
            end = time.monotonic() + limit
            while time.monotonic() < end:
                if check():
                    return True
                time.sleep(0.2)
            print("FAIL: waited in vain for", what, "\n" + rules())
            return False

        agent = subprocess.Popen(["ip", "netns", "exec", ns, binary, "run", "--config", cfg],
                                 stderr=open(os.path.join(tmp, "agent.err"), "w"))
        err = os.path.join(tmp, "agent.err")
        if not wait_for("the agent to start", lambda: "following" in open(err).read()):
            return 1
        subprocess.run([binary, "blocks", "add", "ip", IP, "--for", "1h", "--store", store],
                       check=True, stdout=subprocess.DEVNULL)
        holds = lambda: IP in rules()
        if not wait_for("the block in the firewall", holds):
            return 1
        ok = True
        if backend == "nft":
            sh("nft", "flush", "ruleset")
        else:
            sh("iptables-legacy", "-F", "mailtrail")
        print("flushed: block present = %s" % holds())
        t0 = time.monotonic()
        if wait_for("the agent to restore the firewall", holds):
            print("restored by the agent after %.0f s (recheck every 2 s)" % (time.monotonic() - t0))
        else:
            ok = False
        agent.send_signal(signal.SIGKILL)
        agent.wait()
        agent = None
        subprocess.run([binary, "blocks", "remove", IP, "--store", store], check=True,
                       stdout=subprocess.DEVNULL)
        print("agent killed, block ended in the store: still in the firewall = %s" % holds())
        r = subprocess.run(["ip", "netns", "exec", ns, binary, "enforce", "--reconcile",
                            "--config", cfg], capture_output=True, text=True)
        print("enforce --reconcile: exit %d, %s" % (r.returncode, r.stderr.strip()[-300:]))
        if r.returncode != 0 or holds():
            print("FAIL: the ended block is still in the firewall\n" + rules())
            ok = False
        # The backend switched off with a block in it: the reconcile removes
        # what it left (helper-149 F4: nothing did; iptables has no expiry).
        subprocess.run([binary, "blocks", "add", "ip", IP, "--for", "1h", "--store", store],
                       check=True, stdout=subprocess.DEVNULL)
        subprocess.run(["ip", "netns", "exec", ns, binary, "enforce", "--reconcile",
                        "--config", cfg], check=True, capture_output=True)
        if not holds():
            print("FAIL: the reconcile did not put the block in\n" + rules())
            ok = False
        with open(cfg) as f:
            off = f.read().replace(("nftables" if backend == "nft" else "iptables") + " = true",
                                   "nftables = false")
        with open(cfg, "w") as f:
            f.write(off)
        r = subprocess.run(["ip", "netns", "exec", ns, binary, "enforce", "--reconcile",
                            "--config", cfg], capture_output=True, text=True)
        print("switched off, enforce --reconcile: exit %d, %s" % (r.returncode,
                                                                 r.stderr.strip()[-300:]))
        if "mailtrail" in rules() or "it had left" not in r.stderr:
            print("FAIL: the switched-off backend's rules are still there\n" + rules())
            ok = False
        if not ok:
            print(open(os.path.join(tmp, "agent.err")).read()[-2000:])
        print("ok" if ok else "FAILED")
        return 0 if ok else 1
    finally:
        if agent and agent.poll() is None:
            agent.kill()
            agent.wait()
        subprocess.run(["ip", "netns", "delete", ns])
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
