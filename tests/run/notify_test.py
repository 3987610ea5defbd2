#!/usr/bin/env python3
"""`mailtrail run` speaks systemd's notify protocol: READY=1 once started, STATUS
lines with its counters (and WATCHDOG=1 when WATCHDOG_USEC is set), STOPPING=1 on
SIGTERM, and it exits 0 with its records flushed. A real NOTIFY_SOCKET, no systemd.

usage: notify_test.py MAILTRAIL
"""
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time


def main():
    binary = sys.argv[1]
    tmp = tempfile.mkdtemp(prefix="mt_notify_")
    sock_path = os.path.join(tmp, "notify.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(sock_path)
    sock.settimeout(10)
    log = os.path.join(tmp, "mail.log")
    with open(log, "w") as f:
        f.write("Nov 27 12:03:26 mx postfix/pickup[1]: 44C4B10A321: uid=0 from=<root>\n")
    env = dict(os.environ, NOTIFY_SOCKET=sock_path, WATCHDOG_USEC="5000000")
    p = subprocess.Popen([binary, "run", "--store", "sqlite:" + os.path.join(tmp, "t.db"),
                          "--log", log, "--from-start", "--poll-interval", "100"], env=env,
                         stderr=subprocess.DEVNULL)
    env["WATCHDOG_PID"] = str(p.pid)
    got = []
    deadline = time.time() + 10
    while time.time() < deadline and not any("STATUS=" in g and "lines" in g for g in got):
        got.append(sock.recv(4096).decode())
    p.send_signal(signal.SIGTERM)
    while True:
        try:
            msg = sock.recv(4096).decode()
        except socket.timeout:
            break
        got.append(msg)
        if "STOPPING=1" in msg:
            break
    rc = p.wait(timeout=30)
    text = "\n".join(got)
    ok = ("READY=1" in text and "STATUS=" in text and "1 lines" in text and "lag " in text
          and "STOPPING=1" in text and rc == 0)
    print("received:", text.replace("\n", " | ")[:400], "exit", rc)
    subprocess.run(["rm", "-rf", tmp])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
