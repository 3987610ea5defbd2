"""A throwaway systemd-journald in its own namespace (`systemd-journald NS`):
its own sockets under /run/systemd/journal.NS, its files in
/var/log/journal/MACHINE-ID.NS (or /run/log/journal/...), nothing of the
system's journal touched. Needs root and /etc/machine-id.
"""
import datetime
import json
import os
import signal
import subprocess
import time

JOURNALD = "/lib/systemd/systemd-journald"


def available():
    """Whether a namespace journald can be started here."""
    return os.geteuid() == 0 and os.path.exists("/etc/machine-id") and os.path.exists(JOURNALD)


class Journald:
    def __init__(self, tmp):
        self.ns = "mailtrail-test-%d" % os.getpid()
        machine = open("/etc/machine-id").read().strip()
        self.jdirs = ["/var/log/journal/%s.%s" % (machine, self.ns),
                      "/run/log/journal/%s.%s" % (machine, self.ns)]
        self.sockdir = "/run/systemd/journal." + self.ns
        self.dev_log = self.sockdir + "/dev-log"
        self.errpath = os.path.join(tmp, "journald.err")
        self.directory = None
        self.proc = subprocess.Popen([JOURNALD, self.ns], stdout=subprocess.DEVNULL,
                                     stderr=open(self.errpath, "w"))

    def wait_started(self, seconds=30):
        """Its journal directory once it has one and its dev-log socket, else None."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and self.directory is None:
            self.directory = next((d for d in self.jdirs if os.path.isdir(d) and os.listdir(d)),
                                  None)
            time.sleep(0.05)
        if self.directory is None or not os.path.exists(self.dev_log):
            return None
        return self.directory

    def error(self):
        return open(self.errpath).read()

    def stop(self):
        """Stops it (by its PID) and removes its files and sockets."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=30)
        for d in self.jdirs + [self.sockdir]:
            subprocess.run(["rm", "-rf", d])


def stored_lines(jdir, uid=None):
    """The entries of the mail facility in the journal directory `jdir` (those
    sent by the user `uid`, if given), as RFC 3339 log lines: the entry's time,
    _HOSTNAME, SYSLOG_IDENTIFIER[SYSLOG_PID]: MESSAGE."""
    out = subprocess.run(["journalctl", "-D", jdir, "-o", "json", "--no-pager"],
                         capture_output=True, text=True).stdout
    lines = []
    for e in map(json.loads, out.splitlines()):
        if e.get("SYSLOG_FACILITY") != "2" or (uid is not None and e.get("_UID") != str(uid)):
            continue
        t = datetime.datetime.fromtimestamp(int(e["__REALTIME_TIMESTAMP"]) / 1e6,
                                            datetime.timezone.utc)
        lines.append("%s %s %s[%s]: %s" % (t.isoformat(timespec="microseconds"), e["_HOSTNAME"],
                                           e["SYSLOG_IDENTIFIER"], e["SYSLOG_PID"],
                                           e["MESSAGE"]))
    return lines
