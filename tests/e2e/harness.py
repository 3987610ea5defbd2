"""What the end-to-end tests share: run_in_namespace runs a test script again
inside a network namespace made for it (loopback up, the given 127.0.0.x
addresses on it, as Postfix's inet_interfaces wants them, then `SCRIPT
--inside ARGS`; afterwards nothing may be left running in the namespace — a
failure, and such processes are killed by PID — and the namespace is
deleted); wait_for polls for a condition with a generous deadline (no time is
asserted); stop_all stops what a test started."""
import os
import shutil
import signal
import subprocess
import sys
import time


def wait_for(what, predicate, timeout):
    """The predicate's first true value, or None (said) after `timeout` s."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    print("FAIL: waited %.0f s for %s" % (timeout, what))
    return None


def run_in_namespace(script, args, addresses, timeout=600):
    ns = "mt_e2e_%d" % os.getpid()
    ip = lambda *a: subprocess.run(["ip", "netns", "exec", ns, "ip", *a], check=True)
    subprocess.run(["ip", "netns", "add", ns], check=True)
    try:
        ip("link", "set", "lo", "up")
        # The server's own public address, besides the test's loopback ones:
        # an agent that sees loopback only takes its namespace for systemd's
        # PrivateNetwork and refuses a firewall (docs/postfix.md).
        for a in [*addresses, "192.0.2.1"]:
            ip("addr", "add", a + "/32", "dev", "lo")
        rc = subprocess.run(["ip", "netns", "exec", ns, sys.executable, os.path.abspath(script),
                             "--inside", *args], timeout=timeout).returncode
        left = subprocess.run(["ip", "netns", "pids", ns], capture_output=True,
                              text=True).stdout.split()
        if left:
            print("FAIL: left running in the namespace: %s" % " ".join(
                open("/proc/%s/comm" % p).read().strip() for p in left
                if os.path.exists("/proc/" + p)))
            for p in left:
                try:
                    os.kill(int(p), signal.SIGKILL)
                except ProcessLookupError:
                    pass
            rc = rc or 1
        return rc
    finally:
        subprocess.run(["ip", "netns", "delete", ns])


def stop_all(started, ok, tmp):
    """Stops what a test started, last first (a failure does not stop the
    rest); removes its directory if it passed, else says where it is."""
    for stop in reversed(started):
        try:
            stop()
        except Exception as e:
            print("stop failed:", e)
    if ok:
        shutil.rmtree(tmp, ignore_errors=True)
    else:
        print("kept for a look:", tmp)
