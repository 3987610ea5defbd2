"""Runs a test script again inside a network namespace made for it: loopback
up, the given 127.0.0.x addresses on it (Postfix's inet_interfaces wants them
exactly), then `SCRIPT --inside ARGS`. Afterwards nothing may be left running
in the namespace (a failure; such processes are killed by PID), and the
namespace is deleted."""
import os
import signal
import subprocess
import sys


def run_in_namespace(script, args, addresses, timeout=600):
    ns = "mt_e2e_%d" % os.getpid()
    ip = lambda *a: subprocess.run(["ip", "netns", "exec", ns, "ip", *a], check=True)
    subprocess.run(["ip", "netns", "add", ns], check=True)
    try:
        ip("link", "set", "lo", "up")
        for a in addresses:
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
