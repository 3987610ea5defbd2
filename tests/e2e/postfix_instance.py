"""A private Postfix instance for the end-to-end test: its own configuration,
queue and data directories and maillog_file under one directory, started with
`postfix -c DIR` inside the test's network namespace and stopped the same way
(then by the master's PID if it lingers). Nothing of the machine's own Postfix
(/etc/postfix) is read or changed.

Listeners (all on MX, a 127.0.0.x address of the namespace):
  MX:25    the public port: the policy service, the access map, the firewall
  MX:2525  only the policy service, over loopback TCP (not firewalled: shows the
           policy refusal)
  MX:2526  only the access map (not firewalled: shows the access map refusal)
  MX:2527  mail through a content filter (FILTER:10024), re-injected at MX:10025
  MX:2528  a cleanup without the INFO header_checks: no Subject or From: in the
           log (what mailtrail then learns from the queue files)
  MX:2529  a before-queue filter (smtpd_proxy_filter): the message is queued by
           the smtpd at MX:10026, whose client is the front smtpd
"""
import os
import subprocess
import time

MAIN_CF = """\
compatibility_level = 3.7
queue_directory = {root}/queue
data_directory = {root}/data
maillog_file = {root}/log/mail.log
maillog_file_prefixes = {root}/log
myhostname = mx.example.test
mydomain = example.test
mydestination =
inet_interfaces = {mx}
inet_protocols = ipv4
mynetworks = 127.0.0.1/32
smtpd_peername_lookup = no
smtp_dns_support_level = disabled
smtp_host_lookup = native
alias_maps =
alias_database =
virtual_mailbox_domains = hosted.test
virtual_mailbox_maps = texthash:{root}/etc/vmailbox
virtual_mailbox_base = {root}/mail
virtual_uid_maps = static:{uid}
virtual_gid_maps = static:{gid}
transport_maps = texthash:{root}/etc/transport
# Deferred mail is tried once, then returned: expiry and its NDR within the test.
maximal_queue_lifetime = 0
bounce_queue_lifetime = 0
# A `postfix reload` (header_checks changed) restarts qmgr; what was in delivery
# then waits for the next queue run: make that soon.
queue_run_delay = 2s
minimal_backoff_time = 2s
maximal_backoff_time = 4s
smtpd_policy_service_default_action = DUNNO
smtpd_policy_service_try_limit = 1
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
smtpd_recipient_restrictions = permit_mynetworks,
    check_policy_service unix:{policy}, check_client_access lmdb:{access},
    reject_unlisted_recipient
header_checks = pcre:{header_checks}, regexp:{root}/etc/header_checks
"""

MASTER_CF = """\
{mx}:25 inet n - n - - smtpd
{mx}:2525 inet n - n - - smtpd
  -o smtpd_recipient_restrictions=permit_mynetworks,check_policy_service,inet:{policy_tcp},reject_unlisted_recipient
{mx}:2526 inet n - n - - smtpd
  -o smtpd_recipient_restrictions=permit_mynetworks,check_client_access,lmdb:{access},reject_unlisted_recipient
{mx}:2527 inet n - n - - smtpd
  -o content_filter=scan:[{filter}]:10024
{mx}:2528 inet n - n - - smtpd
  -o cleanup_service_name=cleanup_quiet
cleanup_quiet unix n - n - 0 cleanup
  -o header_checks=pcre:{header_checks}
{mx}:2529 inet n - n - - smtpd
  -o smtpd_proxy_filter={mx}:10026
{mx}:10026 inet n - n - - smtpd
  -o smtpd_recipient_restrictions=reject_unlisted_recipient
{mx}:10025 inet n - n - - smtpd
  -o content_filter= -o mynetworks={filter}/32 -o smtpd_recipient_restrictions=permit_mynetworks,reject
  -o header_checks=
scan      unix  -       -       n       -       4       smtp
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
virtual   unix  -       n       n       -       -       virtual
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
"""

# Subjects and From: in the log (docs/postfix.md), as an admin sets it up.
HEADER_CHECKS = """\
/^Subject:/ INFO
/^From:/ INFO
"""


class PostfixInstance:
    def __init__(self, root, mx, filter_ip, routes, mailboxes, policy, access, header_checks,
                 settings=None, policy_tcp="127.0.0.1:10031"):
        self.root, self.mx = root, mx
        self.etc = os.path.join(root, "etc")
        self.log = os.path.join(root, "log", "mail.log")
        self.queue = os.path.join(root, "queue")
        for d in ("etc", "log", "queue", "data", "mail"):
            os.makedirs(os.path.join(root, d), exist_ok=True)
        pw = subprocess.run(["id", "-u", "postfix"], capture_output=True, text=True, check=True)
        gr = subprocess.run(["id", "-g", "postfix"], capture_output=True, text=True, check=True)
        uid, gid = int(pw.stdout), int(gr.stdout)
        for d in ("data", "mail"):
            os.chown(os.path.join(root, d), uid, gid)
        values = dict(root=root, mx=mx, filter=filter_ip, uid=uid, gid=gid, policy=policy,
                      policy_tcp=policy_tcp,
                      access=access, header_checks=header_checks)
        main_cf = MAIN_CF.format(**values)
        for name, value in (settings or {}).items():  # replaced in place: no override warnings
            lines = main_cf.splitlines()
            lines = [("%s = %s" % (name, value)) if l.startswith(name + " =") else l for l in lines]
            main_cf = "\n".join(lines) + "\n"
            if "%s = %s" % (name, value) not in main_cf:
                main_cf += "%s = %s\n" % (name, value)
        self._write("main.cf", main_cf)
        self._write("master.cf", MASTER_CF.format(**values))
        self._write("header_checks", HEADER_CHECKS)
        self._write("vmailbox", "".join("%s %s/\n" % (m, m.split("@")[0]) for m in mailboxes))
        self._write("transport", "".join("%s smtp:[%s]:25\n" % (d, ip) for d, ip in routes.items()))
        open(self.log, "a").close()

    def _write(self, name, text):
        with open(os.path.join(self.etc, name), "w") as f:
            f.write(text)

    def postfix(self, *args):
        return subprocess.run(["postfix", "-c", self.etc, *args], capture_output=True, text=True)

    def start(self):
        r = self.postfix("start")
        if r.returncode != 0:
            raise RuntimeError("postfix start failed: %s %s\n%s" % (r.stdout, r.stderr,
                                                                   open(self.log).read()[-2000:]))

    def queue_empty(self):
        r = subprocess.run(["postqueue", "-c", self.etc, "-j"], capture_output=True, text=True)
        return r.returncode == 0 and not r.stdout.strip()

    def master_pid(self):
        try:
            return int(open(os.path.join(self.root, "queue", "pid", "master.pid")).read())
        except (OSError, ValueError):
            return None

    def stop(self):
        pid = self.master_pid()
        self.postfix("stop")
        for _ in range(100):
            if pid is None or not os.path.exists("/proc/%d" % pid):
                return
            time.sleep(0.1)
        os.kill(pid, 9)
