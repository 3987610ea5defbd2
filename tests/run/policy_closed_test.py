#!/usr/bin/env python3
"""`mailtrail run` with its policy service (a Unix socket and loopback TCP):
a client that sends a request and closes before reading the answer (any
local user; smtpd at smtpd_policy_service_timeout) must not end the agent.
Its answer's write met a closed socket, and SIGPIPE killed it (exit 141)
wherever SIGPIPE was not ignored (a shell, a container, runit; helper-110).
Then a client that reads gets its answer, and SIGTERM stops the agent.

usage: policy_closed_test.py MAILTRAIL
"""
import os
import signal
import socket
import subprocess
import sys
import tempfile

from mt_testlib import Held, conclude, free_port, wait_for

REQUEST = b"request=smtpd_access_policy\nprotocol_state=RCPT\nclient_address=192.0.2.1\n\n"


def main():
    binary = sys.argv[1]
    tmp = tempfile.mkdtemp(prefix="mt_policy_closed_")
    sock, port = os.path.join(tmp, "policy.sock"), free_port()
    conf, errpath = os.path.join(tmp, "mailtrail.toml"), os.path.join(tmp, "agent.err")
    log = os.path.join(tmp, "mail.log")
    open(log, "w").close()
    with open(conf, "w") as f:
        f.write('[store]\nurl = "sqlite:%s/mt.db"\n[logs]\npaths = ["%s"]\n'
                '[policy]\nsocket = "%s"\nsocket_group = ""\nlisten = "127.0.0.1:%d"\n'
                % (tmp, log, sock, port))
    result = {}
    with Held() as held:
        errf = held.file(open(errpath, "w"))
        # SIGPIPE at its default, as a shell or a container starts the agent.
        agent = held.process(subprocess.Popen(
            [binary, "run", "--config", conf], stderr=errf,
            preexec_fn=lambda: signal.signal(signal.SIGPIPE, signal.SIG_DFL)))
        result["listening"] = wait_for(errpath, "following ", 30) and os.path.exists(sock)
        for i in range(20):  # a request, then gone before the answer
            for family, addr in ((socket.AF_UNIX, sock), (socket.AF_INET, ("127.0.0.1", port))):
                c = socket.socket(family)
                try:
                    c.connect(addr)
                    c.sendall(REQUEST)
                except OSError:
                    pass
                c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                             b"\x01\x00\x00\x00\x00\x00\x00\x00")
                c.close()
        c = socket.socket(socket.AF_UNIX)
        c.settimeout(30)
        try:
            c.connect(sock)
            c.sendall(REQUEST)
            result["answer"] = c.recv(4096).decode(errors="replace").strip()
        except OSError as e:
            result["answer"] = "no answer: %s" % e
        c.close()
        result["alive"] = agent.poll() is None
        agent.send_signal(signal.SIGTERM)
        try:
            result["exit"] = agent.wait(timeout=60)
        except subprocess.TimeoutExpired:
            result["exit"] = "still running"
    print(result)
    ok = (result["listening"] and result["alive"] and result["exit"] == 0
          and result["answer"].startswith("action="))
    return conclude(ok, [], [], tmp, agent=open(errpath, errors="replace").read())


if __name__ == "__main__":
    sys.exit(main())
