#!/usr/bin/python3
"""The Debian package, for real on this machine (issue 22 item 2).

Builds it with `scripts/setup.sh package` (dpkg-buildpackage, then lintian
with no error or warning), installs it with dpkg, and checks what an admin
meets: the user and state directory postinst makes, nothing enabled,
`mailtrail --version`, `systemd-analyze verify` of the installed units,
`man -w`, the bash completion, a replay of the bundled sample (the same records
as the build tree's binary), and the agent started the way the unit starts it
(as user mailtrail, with the installed configuration, check-config first)
until its first record is in the store. Then `dpkg -r` keeps the state,
`dpkg --purge` leaves nothing behind: no file of `dpkg -L`, no user or group,
no /var/lib/mailtrail, no /etc/mailtrail. postinst's fallback for a machine
without systemd's tools (adduser) is run too. Last, a journal-only install:
the package again, `journal = true` in its configuration, the sample's lines
sent to a throwaway journald, until the first record. Cleans up on failure too.

Prints how long it took from `dpkg -i` to the first record, from a log file and
from the journal (docs/install.md); no time is asserted.

usage: package_test.py --source DIR --work DIR --built MAILTRAIL [--deb FILE]
  (--deb: test this package instead of building one)
Needs root, and refuses to run where mailtrail is installed or its user exists.
"""
import argparse
import glob
import grp
import gzip
import json
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "journal"))
import journald_ns  # noqa: E402

BIN = "/usr/sbin/mailtrail"
CONFIG = "/etc/mailtrail/mailtrail.toml"
STATE = "/var/lib/mailtrail"
STORE = "sqlite:" + STATE + "/mailtrail.db"
UNITS = ["mailtrail.service", "mailtrail-reconcile.service", "mailtrail-reconcile.timer"]
LOG_DIR = "/var/log/mailtrail-package-test"  # a test-owned log, root:adm like rsyslog's
AS_AGENT = ["setpriv", "--reuid=mailtrail", "--regid=mailtrail", "--init-groups"]

failures = []


def check(ok, what):
    print(("ok: " if ok else "FAIL: ") + what, flush=True)
    if not ok:
        failures.append(what)
    return ok


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def installed():
    r = run(["dpkg-query", "-W", "-f=${Status}", "mailtrail"])
    return r.returncode == 0 and "installed" in r.stdout and "not-installed" not in r.stdout


def user_exists(name):
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def group_exists(name):
    try:
        grp.getgrnam(name)
        return True
    except KeyError:
        return False


def build(source, work):
    env = dict(os.environ, BUILD_DIR=work)
    r = subprocess.run([os.path.join(source, "scripts/setup.sh"), "package"], cwd=source, env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    print(r.stdout)
    debs = glob.glob(os.path.join(work, "package", "mailtrail_*.deb"))
    # Exit status 1 with .debs built is lintian's verdict; the package is still tested.
    check(r.returncode == 0, "scripts/setup.sh package: built, lintian without error or warning")
    return debs[0] if len(debs) == 1 else None


def check_installed_state():
    check(user_exists("mailtrail"), "postinst created user mailtrail")
    check(group_exists("mailtrail") and "mailtrail" in grp.getgrnam("adm").gr_mem,
          "group mailtrail exists and user mailtrail is in adm (reads /var/log/mail.log)")
    if check(os.path.isdir(STATE), "postinst created " + STATE):
        st = os.stat(STATE)
        check(pwd.getpwuid(st.st_uid).pw_name == "mailtrail" and (st.st_mode & 0o777) == 0o750,
              STATE + " is mailtrail's, mode 0750")
    conffiles = run(["dpkg-query", "-W", "-f=${Conffiles}", "mailtrail"]).stdout
    check(CONFIG in conffiles, CONFIG + " is a conffile")
    # Enabled = a symlink in a .wants directory (deb-systemd-helper's *.dsh-also
    # files only note which links to remove on purge).
    enabled = glob.glob("/etc/systemd/system/**/mailtrail*", recursive=True)
    check(not enabled, "nothing enabled by the install (%s)" % enabled)


def check_binary_and_units():
    version = run(["dpkg-query", "-W", "-f=${Version}", "mailtrail"]).stdout.strip()
    r = run([BIN, "--version"])
    check(r.returncode == 0 and version and version in r.stdout,
          "mailtrail --version names the package's version %s: %r" % (version, r.stdout[:200]))
    paths = ["/lib/systemd/system/" + u for u in UNITS]
    r = run(["systemd-analyze", "verify", "--man=no"] + paths)
    # No systemd runs here: only complaints about reaching it are allowed.
    bad = [l for l in (r.stdout + r.stderr).splitlines() if l.strip() and "Failed to connect" not in l]
    check(not bad, "systemd-analyze verify of the installed units: %s" % bad)
    for u in ("mailtrail.service", "mailtrail-reconcile.service"):
        text = open("/lib/systemd/system/" + u).read()
        check("ExecStart=" + BIN + " " in text, u + " runs " + BIN)
        docs = [w[len("file://"):] for l in text.splitlines() if l.startswith("Documentation=")
                for w in l.split("=", 1)[1].split() if w.startswith("file://")]
        check(all(os.path.isfile(d) for d in docs), u + "'s documentation files exist: %s" % docs)
    for page in (["mailtrail"], ["5", "mailtrail.toml"]):
        r = run(["man", "-w"] + page)
        check(r.returncode == 0, "man -w %s: %s" % (" ".join(page), (r.stdout + r.stderr).strip()))
    # Every verb of --help is offered by the installed completion.
    script = ("source /usr/share/bash-completion/completions/mailtrail; COMP_WORDS=(%s ''); "
              "COMP_CWORD=1; _mailtrail; echo \"${COMPREPLY[*]}\"" % BIN)
    offered = run(["bash", "-c", script]).stdout.split()
    verbs = [l.split()[0] for l in run([BIN, "--help"]).stdout.splitlines()
             if l.startswith("  ") and l[2:3].isalpha()]
    check(verbs and set(verbs) <= set(offered),
          "bash completion offers every verb (%s)" % " ".join(verbs))


def jsonl(binary, store, as_user=()):
    r = run(list(as_user) + [binary, "search", "--store", store, "--format", "jsonl", "--limit", "1000000"])
    return r.stdout.splitlines()


def check_sample_replay(built, tmp):
    sample = "/usr/share/doc/mailtrail/examples/sample.log.gz"
    out = {}
    for name, binary in (("installed", BIN), ("built", built)):
        store = "sqlite:%s/%s.db" % (tmp, name)
        r = run([binary, "replay", "--store", store, "--year", "2026", sample])
        check(r.returncode == 0, "%s binary replays the bundled sample: %s" % (name, r.stderr[-300:]))
        out[name] = jsonl(binary, store)
    check(len(out["installed"]) > 0 and out["installed"] == out["built"],
          "installed binary's records of the sample = the build tree's (%d vs %d)"
          % (len(out["installed"]), len(out["built"])))
    return out["installed"]


def start_agent_like_the_unit(log):
    """check-config, then run, as user mailtrail with its groups, umask 0027 and
    a notify socket: what mailtrail.service does, without systemd. `log`: a
    log to follow besides the configuration's inputs, or None."""
    r = run(AS_AGENT + [BIN, "check-config", CONFIG])
    check(r.returncode == 0, "check-config of the installed configuration as mailtrail: " + r.stderr)
    sock_dir = tempfile.mkdtemp(prefix="mt_pkg_notify_")
    sock_path = os.path.join(sock_dir, "notify.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(sock_path)
    os.chmod(sock_dir, 0o755)
    os.chmod(sock_path, 0o777)  # the agent runs as mailtrail
    sock.settimeout(1)
    env = dict(os.environ, NOTIFY_SOCKET=sock_path)
    logs = ["--log", log] if log else []  # None: the configuration's inputs
    agent = subprocess.Popen(AS_AGENT + [BIN, "run", "--config", CONFIG] + logs, env=env,
                             stderr=subprocess.PIPE, text=True, preexec_fn=lambda: os.umask(0o027))
    deadline = time.time() + 60
    ready = False
    while time.time() < deadline and not ready and agent.poll() is None:
        try:
            ready = "READY=1" in sock.recv(4096).decode()
        except socket.timeout:
            pass
    sock.close()
    shutil.rmtree(sock_dir)
    check(ready, "the agent said READY=1")
    return agent


def first_record_seconds(agent, log, sample_lines, t_install):
    """Appends the sample's Postfix lines once the agent is ready; returns when
    the first record is in the store, measured from the start of dpkg -i."""
    with open(log, "a") as f:
        f.writelines(sample_lines)
    return seconds_to_first_record(agent, t_install)


def seconds_to_first_record(agent, t_install):
    """Polls the store as user mailtrail until it holds a record: the time
    since t_install, or None when the agent stopped or 120 s passed."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and agent.poll() is None:
        r = run(AS_AGENT + [BIN, "search", "--store", STORE, "--format", "jsonl", "--limit", "1"])
        if r.returncode == 0 and r.stdout.strip():
            return time.monotonic() - t_install
        time.sleep(0.05)
    return None


def stop_agent(agent):
    """SIGTERM, as systemd stops the unit; its exit status and stderr."""
    agent.send_signal(signal.SIGTERM)
    try:
        rc = agent.wait(timeout=60)
    except subprocess.TimeoutExpired:
        agent.kill()
        rc = agent.wait()
    return rc, agent.stderr.read()


def check_live_agent(t_install):
    import gzip
    os.makedirs(LOG_DIR, mode=0o750)
    shutil.chown(LOG_DIR, "root", "adm")
    log = os.path.join(LOG_DIR, "mail.log")
    open(log, "w").close()
    os.chmod(log, 0o640)
    shutil.chown(log, "root", "adm")
    with gzip.open("/usr/share/doc/mailtrail/examples/sample.log.gz", "rt") as f:
        lines = f.readlines()
    agent = start_agent_like_the_unit(log)
    try:
        t_ready = time.monotonic() - t_install
        seconds = first_record_seconds(agent, log, lines, t_install)
        check(seconds is not None, "the agent's first record reached " + STORE)
        if seconds is not None:
            print("measure: dpkg -i to agent ready %.2f s, to first record in the store %.2f s"
                  % (t_ready, seconds), flush=True)
    finally:
        rc, err = stop_agent(agent)
    check(rc == 0, "the agent stopped cleanly on SIGTERM (exit %s): %s" % (rc, err[-500:]))
    db = STATE + "/mailtrail.db"
    if check(os.path.exists(db), db + " exists"):
        st = os.stat(db)
        check(pwd.getpwuid(st.st_uid).pw_name == "mailtrail" and (st.st_mode & 0o007) == 0,
              db + " is mailtrail's and not readable by others")
    return jsonl(BIN, STORE, AS_AGENT)


def check_live_within_replay(live, replayed):
    qid = lambda line: json.loads(line)["qid"]
    check(live and {qid(l) for l in live} <= {qid(l) for l in replayed},
          "the live agent recorded %d of the sample's messages, none it should not" % len(live))


def check_remove_keeps_state():
    r = run(["dpkg", "-r", "mailtrail"])
    check(r.returncode == 0, "dpkg -r: " + r.stderr)
    check(not os.path.exists(BIN), "dpkg -r removed " + BIN)
    check(os.path.exists(STATE + "/mailtrail.db"), "dpkg -r kept the store")
    check(os.path.exists(CONFIG), "dpkg -r kept the configuration")
    check(user_exists("mailtrail"), "dpkg -r kept the user")


def check_purge_leaves_nothing(files):
    r = run(["dpkg", "--purge", "mailtrail"])
    check(r.returncode == 0, "dpkg --purge: " + r.stderr)
    left = []
    for path in files:
        if path == "/." or not os.path.lexists(path):
            continue
        # A directory other packages share (/etc, /usr/share/doc) may stay.
        if os.path.isdir(path) and run(["dpkg", "-S", path]).returncode == 0:
            continue
        left.append(path)
    check(not left, "purge left none of dpkg -L's files (%s)" % left[:10])
    check(not user_exists("mailtrail") and not group_exists("mailtrail"),
          "purge removed user and group mailtrail")
    check(not os.path.exists(STATE) and not os.path.exists("/etc/mailtrail"),
          "purge removed %s and /etc/mailtrail" % STATE)
    check(not systemd_state(), "no systemd state left (%s)" % systemd_state())


def as_dpkg(script):
    """The environment dpkg gives maintainer scripts (deb-systemd-helper wants it)."""
    return dict(os.environ, DPKG_MAINTSCRIPT_PACKAGE="mailtrail", DPKG_MAINTSCRIPT_NAME=script)


def systemd_state():
    return [p for d in ("/etc/systemd/system", "/var/lib/systemd/deb-systemd-helper-enabled",
                        "/var/lib/systemd/deb-systemd-helper-masked")
            for p in glob.glob(d + "/**/mailtrail*", recursive=True)]


def check_adduser_fallback(deb):
    """dpkg -i and --purge where systemd-sysusers and systemd-tmpfiles are
    missing (hidden in a private mount namespace): postinst's adduser and
    install -d make the same user, groups and directory; purge removes them."""
    hide = ["unshare", "-m", "--propagation", "private", "sh", "-c",
            "mount --bind /dev/null /usr/bin/systemd-sysusers && "
            "mount --bind /dev/null /usr/bin/systemd-tmpfiles && exec \"$0\" \"$@\""]
    r = run(hide + ["sh", "-c", "! command -v systemd-sysusers && ! command -v systemd-tmpfiles"])
    check(r.returncode == 0, "systemd-sysusers and systemd-tmpfiles are hidden from sh: " + r.stdout)
    r = run(hide + ["dpkg", "-i", deb])
    check(r.returncode == 0 and installed(), "dpkg -i without systemd's tools: " + r.stderr)
    check(user_exists("mailtrail") and "mailtrail" in grp.getgrnam("adm").gr_mem,
          "the adduser fallback made user mailtrail, in adm")
    if check(os.path.isdir(STATE), "the fallback made " + STATE):
        st = os.stat(STATE)
        check(pwd.getpwuid(st.st_uid).pw_name == "mailtrail" and (st.st_mode & 0o777) == 0o750,
              STATE + " is mailtrail's, mode 0750 (fallback)")
    r = run(hide + ["dpkg", "--purge", "mailtrail"])
    check(r.returncode == 0, "dpkg --purge without systemd's tools: " + r.stderr)
    check(not user_exists("mailtrail") and not group_exists("mailtrail") and not os.path.exists(STATE),
          "purge removed what the fallback made")
    check(not systemd_state(), "no systemd state left (fallback): %s" % systemd_state())


BSD = re.compile(r"^[A-Z][a-z]{2} +\d{1,2} \d\d:\d\d:\d\d \S+ (\S+?: .*)$")


def check_journal_only(deb):
    """Debian 12 without rsyslog: Postfix logs only to the journal. The package
    installed again (after the purge), the one-line edit of docs/install.md
    ("The journal only": journal = true; here journal_directory names the
    throwaway journald's files, on a real machine "" is the system journal),
    the agent started as the unit starts it, then the sample's lines sent to
    journald as Postfix's syslog() sends them: prints the time from dpkg -i to
    the first record in the store (docs/install.md)."""
    if not check(journald_ns.available(),
                 "systemd-journald and /etc/machine-id, for the journal-only install"):
        return
    jtmp = tempfile.mkdtemp(prefix="mt_pkg_journald_")
    journald = journald_ns.Journald(jtmp)
    agent = None
    try:
        jdir = journald.wait_started()
        if not check(jdir is not None, "a throwaway journald started"):
            return
        t_install = time.monotonic()
        r = run(["dpkg", "-i", deb])
        if not check(r.returncode == 0 and installed(), "dpkg -i (journal only): " + r.stderr):
            return
        text = open(CONFIG).read()
        edited = text.replace("\njournal = false\n", "\njournal = true\n").replace(
            '\njournal_directory = ""\n', '\njournal_directory = "%s"\n' % jdir)
        check("\njournal = true\n" in edited and jdir in edited,
              "the installed configuration has the journal keys docs/install.md edits")
        with open(CONFIG, "w") as f:
            f.write(edited)
        agent = start_agent_like_the_unit(None)
        t_ready = time.monotonic() - t_install
        with gzip.open("/usr/share/doc/mailtrail/examples/sample.log.gz", "rt") as f:
            tags = [m.group(1) for m in map(BSD.match, f.read().splitlines()) if m]
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.connect(journald.dev_log)
        for tag in tags:  # <22>: facility mail, severity info, as Postfix's syslog() sends
            sock.send(("<22>" + tag).encode("utf-8", "surrogateescape"))
        sock.close()
        seconds = seconds_to_first_record(agent, t_install)
        if check(seconds is not None, "journal only: the agent's first record reached " + STORE):
            print("measure: journal only: dpkg -i to agent ready %.2f s, to first record in the "
                  "store %.2f s" % (t_ready, seconds), flush=True)
    finally:
        if agent is not None:
            rc, err = stop_agent(agent)
            check(rc == 0, "journal only: the agent stopped cleanly (exit %s): %s" % (rc, err[-500:]))
            check("and the journal" in err, "journal only: the agent said it follows the journal")
        journald.stop()
        shutil.rmtree(jtmp, ignore_errors=True)
        if installed():
            r = run(["dpkg", "--purge", "mailtrail"])
            check(r.returncode == 0, "dpkg --purge after the journal-only install: " + r.stderr)


def clean_up():
    """Whatever a failure left: the package, its state, the user, the test log.
    (main made sure none of them was there before.)"""
    if installed() or run(["dpkg-query", "-W", "mailtrail"]).returncode == 0:
        run(["dpkg", "--purge", "mailtrail"])
    if systemd_state():
        run(["deb-systemd-helper", "purge"] + UNITS, env=as_dpkg("postrm"))
    if user_exists("mailtrail"):
        run(["userdel", "mailtrail"])
    if group_exists("mailtrail"):
        run(["groupdel", "mailtrail"])
    for path in (STATE, "/etc/mailtrail", LOG_DIR):
        shutil.rmtree(path, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--source", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--built", required=True)
    ap.add_argument("--deb")
    a = ap.parse_args()
    if os.geteuid() != 0:
        print("FAIL: needs root (dpkg -i)")
        return 1
    if installed() or user_exists("mailtrail") or os.path.exists(STATE) or os.path.exists(
            "/etc/mailtrail") or os.path.exists(LOG_DIR):
        print("FAIL: mailtrail is installed here, or its user, state, configuration or %s "
              "exists: this test installs and purges the package, so it needs a machine "
              "without them" % LOG_DIR)
        return 1
    deb = a.deb or build(a.source, os.path.abspath(a.work))
    if not check(deb is not None, "one mailtrail .deb to install"):
        return 1
    tmp = tempfile.mkdtemp(prefix="mt_pkg_")
    try:
        t_install = time.monotonic()
        r = run(["dpkg", "-i", deb])
        print("dpkg -i took %.2f s" % (time.monotonic() - t_install))
        if not check(r.returncode == 0 and installed(), "dpkg -i: " + r.stdout[-500:] + r.stderr):
            return 1
        check(run(["dpkg", "--audit"]).stdout.strip() == "", "dpkg --audit finds nothing")
        files = run(["dpkg", "-L", "mailtrail"]).stdout.splitlines()
        check_installed_state()
        live = check_live_agent(t_install)  # first: it measures from dpkg -i
        check_binary_and_units()
        check_live_within_replay(live, check_sample_replay(a.built, tmp))
        check_remove_keeps_state()
        check_purge_leaves_nothing(files)
        check_adduser_fallback(deb)
        check_journal_only(deb)
    finally:
        clean_up()
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d failed: %s" % (len(failures), failures) if failures else "all ok")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
