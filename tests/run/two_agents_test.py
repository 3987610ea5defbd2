#!/usr/bin/env python3
"""Two MTAs, one database (issue 4): two `mailtrail run` agents, each with its
own name, follow two logs at the same time into one MariaDB. The logs are the
same corpus under two host names, so both agents write the same queue ids, the
same times and the same dictionary texts at once. One agent connects through the
Unix socket, the other over TCP to 127.0.0.1. Afterwards `search --host`
must give, for each host, exactly the records of a one-shot replay of its log,
and `db forget-checkpoint --agent mx1` must forget mx1's checkpoint only.

usage: two_agents_test.py MAILTRAIL SERVER_SH CORPUS.log.gz
"""
import gzip
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time

from mt_testlib import replay_closed, report_difference, search, start_mariadb


def main():
    binary, server, corpus = sys.argv[1:4]
    lines = gzip.open(corpus, "rt", errors="surrogateescape").read().splitlines(keepends=True)
    tmp = tempfile.mkdtemp(prefix="mt_two_")
    dbdir = os.path.join(tmp, "mariadb")
    with socket.socket() as probe:  # a free loopback port for the server
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    agents = []
    try:
        _, store = start_mariadb(binary, server, dbdir, port)
        urls = {"mx1": store, "mx2": "mysql://root@127.0.0.1:%d/mt" % port}
        hosts = ["mx1", "mx2"]
        per_host = {h: [re.sub(r"^(\S+ +\d+ \S+) mx ", r"\1 %s " % h, l) for l in lines]
                    for h in hosts}
        logs = {h: os.path.join(tmp, h + ".log") for h in hosts}
        errpath = os.path.join(tmp, "agents.err")
        errlog = open(errpath, "w")
        for h in hosts:
            open(logs[h], "w").close()
            agents.append(subprocess.Popen(
                [binary, "run", "--store", urls[h], "--spool", os.path.join(tmp, h + ".spool"),
                 "--agent", h, "--log", logs[h], "--from-start", "--flush-interval", "100",
                 "--poll-interval", "50"], stderr=errlog))
        time.sleep(0.3)
        step = 500
        for i in range(0, len(lines), step):
            for h in hosts:
                with open(logs[h], "a", errors="surrogateescape") as f:
                    f.writelines(per_host[h][i:i + step])
            time.sleep(0.01)
        time.sleep(13)  # past the tracker's 10 s grace
        for a in agents:
            a.send_signal(signal.SIGTERM)
        rcs = [a.wait(timeout=60) for a in agents]
        agents = []
        errlog.close()
        if rcs != [0, 0]:
            print("agents exited with", rcs, open(errpath).read()[-2000:])
            return 1
        ok = True
        total = 0
        for h in hosts:
            want = replay_closed(binary, per_host[h], tmp, "one-" + h)
            got = sorted(r for end, r in search(binary, store, "--host", h))
            total += len(got)
            print("%s: MySQL holds %d records, a one-shot replay of its log closed %d"
                  % (h, len(got), len(want)))
            if got != want:
                report_difference(want, got)
                ok = False
        every = search(binary, store)
        if len(every) != total:
            print("FAIL: %d records in all, %d by host" % (len(every), total))
            ok = False
        # `db forget-checkpoint --agent mx1` (through mx1's spool) forgets mx1's
        # checkpoint, and only it: mx2's stays, and so do the records.
        def checkpoints():
            out = subprocess.run(
                ["mariadb", "--no-defaults", "-uroot", "-S", store.split("socket=")[1], "mt",
                 "-N", "-e", "SELECT a.name, (a.checkpoint IS NOT NULL) + (SELECT COUNT(*) FROM"
                 " agent_checkpoint_part p WHERE p.agent = a.id) FROM agent a ORDER BY a.name"],
                check=True, capture_output=True, text=True).stdout
            return dict(line.split("\t") for line in out.splitlines())
        before = checkpoints()
        forget = subprocess.run([binary, "db", "forget-checkpoint", "--store", store, "--agent",
                                 "mx1", "--spool", os.path.join(tmp, "mx1.spool")],
                                capture_output=True, text=True)
        after = checkpoints()
        print("checkpoint parts by agent before and after forgetting mx1's:", before, after,
              forget.stdout.strip(), forget.stderr.strip())
        if (forget.returncode != 0 or int(before["mx1"]) < 1 or after["mx1"] != "0"
                or after["mx2"] != before["mx2"] or int(before["mx2"]) < 1
                or len(search(binary, store)) != total):
            ok = False
        return 0 if ok else 1
    finally:
        for a in agents:
            a.kill()
            a.wait()
        subprocess.run([server, "stop", dbdir])
        subprocess.run(["rm", "-rf", tmp])


if __name__ == "__main__":
    sys.exit(main())
