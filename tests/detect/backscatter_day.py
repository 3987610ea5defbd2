#!/usr/bin/env python3
"""A day at an ordinary busy MX, with backscatter floods, as a Postfix log (RFC 3339
stamps) and its ground truth. Deterministic: same seed and arguments, same bytes.

    backscatter_day.py --seed 19 --log day.log --truth day.json

What the day holds (rates as on a busy small-business / hosting MX):
- inbound mail from many servers, among them the same Microsoft- and Google-like
  outbound pools that send the genuine notices below (blocking one of them loses
  real mail);
- outbound mail by people (SASL submission), and three newsletters of 3,000
  messages each (pickup), to domains of which most are hosted at Microsoft or
  Google; a share of each comes back as genuine notices from the providers'
  outbound IPs ("Undeliverable: <subject>", "Delivery Status Notification
  (Failure)") within minutes; 70% return the whole message, so Postfix's
  nested_header_checks log its Message-ID, the rest return headers only;
- a few notices a day that answer nothing the log shows (mail sent elsewhere);
- floods (flood: true in the truth): one subject from many IPs; many subjects
  from one IP (two of them); and a flood of "Delivery Status Notification
  (Failure)" from several IPs during a newsletter's bounce wave, hidden among the
  genuine notices of that same subject.
"""
import argparse
import datetime
import heapq
import json
import random
import zlib

DAY0 = datetime.datetime(2026, 3, 3, tzinfo=datetime.timezone.utc).timestamp()
LOCAL = "example.org"
USERS = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy",
         "mallory", "niaj", "olivia", "peggy", "rupert", "sybil", "trent", "victor", "walter",
         "sales", "support", "billing", "info", "jobs", "hr", "office", "accounts", "press"]
WORDS = ["quarterly", "report", "invoice", "meeting", "contract", "draft", "offer", "order",
         "update", "project", "review", "schedule", "budget", "proposal", "payment", "notice"]


class Log:
    def __init__(self, rng):
        self.rng, self.heap, self.seq, self.qn = rng, [], 0, 0x3A000000

    def qid(self):
        self.qn += self.rng.randint(1, 40)
        return "%010X" % self.qn

    def add(self, t, prog, text):
        self.seq += 1
        heapq.heappush(self.heap, (t, self.seq, prog, text))

    def write(self, f):
        while self.heap:
            t, _, prog, text = heapq.heappop(self.heap)
            stamp = datetime.datetime.fromtimestamp(t, datetime.timezone.utc)
            f.write("%s mx1 postfix/%s[%d]: %s\n" % (
                stamp.strftime("%Y-%m-%dT%H:%M:%S.%f+00:00"), prog, 1000 + zlib.crc32(prog.encode()) % 9000, text))


def ipv4(rng, first):
    return "%d.%d.%d.%d" % (first, rng.randint(0, 255), rng.randint(0, 255), rng.randint(1, 254))


class Day:
    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.log = Log(self.rng)
        r = self.rng
        # Provider outbound pools: they send real mail and genuine notices.
        self.ms_pool = [("mail-%s%02don2%03d.outbound.protection.outlook.com" % (
            r.choice(["db8eur05", "am6eur02", "vi1eur04", "nam12", "bn8nam11"]), i,
            r.randint(0, 999)), "40.107.%d.%d" % (r.randint(0, 255), r.randint(1, 254)))
            for i in range(40)]
        self.g_pool = [("mail-sor-f%d.google.com" % (40 + i), "209.85.220.%d" % (40 + i))
                       for i in range(30)]
        self.others = [("mx%d.mailhost%d.net" % (i % 3, i), ipv4(r, 80 + i % 60))
                       for i in range(400)]
        # Recipient domains of our outbound mail, and where they are hosted.
        self.domains = []
        for i in range(900):
            d = "%s%d.%s" % (r.choice(["contoso", "fabrikam", "northwind", "tailspin",
                                      "adatum", "litware", "proseware", "wingtip"]), i,
                             r.choice(["com", "net", "de", "co.uk", "fr"]))
            host = r.choices(["ms", "google", "own"], [0.45, 0.30, 0.25])[0]
            self.domains.append((d, host))
        self.truth = {"bounces": [], "legit_ips": set(), "flood_ips": set()}

    def user(self):
        return "%s@%s" % (self.rng.choice(USERS), LOCAL)

    def words(self, n):
        return " ".join(self.rng.choice(WORDS) for _ in range(n)).capitalize()

    # -- one message's lines ----------------------------------------------------------
    def inbound(self, t, host, ip, sender, rcpt, subject, hfrom, returned_id=None,
                flood=False, kind="mail"):
        L, q = self.log, self.log.qid()
        trailer = "from %s[%s]; from=<%s> to=<%s> proto=ESMTP helo=<%s>" % (
            host, ip, sender, rcpt, host)
        L.add(t, "smtpd", "connect from %s[%s]" % (host, ip))
        L.add(t + 0.05, "smtpd", "%s: client=%s[%s]" % (q, host, ip))
        L.add(t + 0.10, "cleanup", "%s: info: header From: %s %s" % (q, hfrom, trailer))
        L.add(t + 0.11, "cleanup", "%s: info: header Subject: %s %s" % (q, subject, trailer))
        L.add(t + 0.12, "cleanup", "%s: message-id=<%s.%s@%s>" % (
            q, q.lower(), self.rng.randint(1, 1 << 30), host))
        if returned_id:  # nested_header_checks: /^Message-ID:/ INFO
            L.add(t + 0.13, "cleanup", "%s: info: header Message-ID: <%s> %s" % (
                q, returned_id, trailer))
        L.add(t + 0.15, "qmgr", "%s: from=<%s>, size=%d, nrcpt=1 (queue active)" % (
            q, sender, self.rng.randint(2000, 40000)))
        L.add(t + 0.20, "smtpd", "disconnect from %s[%s] ehlo=1 mail=1 rcpt=1 data=1 quit=1 "
              "commands=5" % (host, ip))
        L.add(t + 0.30, "lmtp", "%s: to=<%s>, relay=mx1.%s[private/dovecot-lmtp], delay=0.3, "
              "delays=0.1/0/0.1/0.1, dsn=2.0.0, status=sent (250 2.0.0 <%s> Saved)" % (
                  q, rcpt, LOCAL, rcpt))
        L.add(t + 0.31, "qmgr", "%s: removed" % q)
        if sender == "":
            self.truth["bounces"].append({"t": t, "ip": ip, "subject": subject, "flood": flood,
                                          "kind": kind})
        (self.truth["flood_ips"] if flood else self.truth["legit_ips"]).add(ip)

    def outbound(self, t, sender, rcpt_domain, subject, pickup=False):
        """Relays one message; returns (message-id, time delivered)."""
        L, r, q = self.log, self.rng, self.log.qid()
        rcpt = "%s.%s@%s" % (r.choice(USERS), r.randint(1, 9999), rcpt_domain[0])
        mid = "%s.%d@%s" % (q.lower(), r.randint(1, 1 << 30), LOCAL)
        if pickup:
            L.add(t, "pickup", "%s: uid=1001 from=<%s>" % (q, sender))
            origin = "local"
        else:
            ws = "ws%d.%s" % (r.randint(1, 60), LOCAL)
            wip = "10.0.%d.%d" % (r.randint(0, 3), r.randint(2, 250))
            L.add(t, "smtpd", "%s: client=%s[%s], sasl_method=PLAIN, sasl_username=%s" % (
                q, ws, wip, sender))
            origin = "%s[%s]" % (ws, wip)
        L.add(t + 0.05, "cleanup", "%s: info: header Subject: %s from %s; from=<%s> to=<%s>%s" % (
            q, subject, origin, sender, rcpt, "" if pickup else " proto=ESMTP helo=<ws>"))
        L.add(t + 0.06, "cleanup", "%s: message-id=<%s>" % (q, mid))
        L.add(t + 0.10, "qmgr", "%s: from=<%s>, size=%d, nrcpt=1 (queue active)" % (
            q, sender, r.randint(3000, 90000)))
        d, host = rcpt_domain
        if host == "ms":
            relay = "%s.mail.protection.outlook.com[52.101.%d.%d]:25" % (
                d.replace(".", "-"), r.randint(0, 255), r.randint(1, 254))
        elif host == "google":
            relay = "aspmx.l.google.com[142.250.%d.%d]:25" % (r.randint(0, 255), r.randint(1, 254))
        else:
            relay = "mx.%s[%s]:25" % (d, ipv4(r, 150 + zlib.crc32(d.encode()) % 50))
        done = t + r.uniform(0.5, 3)
        L.add(done, "smtp", "%s: to=<%s>, relay=%s, delay=%.1f, delays=0.1/0/0.3/0.5, "
              "dsn=2.0.0, status=sent (250 2.0.0 Ok)" % (q, rcpt, relay, done - t))
        L.add(done + 0.01, "qmgr", "%s: removed" % q)
        return mid, done

    def notice(self, t, domain, sender, subject, mid):
        """The genuine non-delivery notice of one relayed message, from its host."""
        r = self.rng
        d, host = domain
        returned = mid if r.random() < 0.7 else None
        if host == "ms":
            h, ip = r.choice(self.ms_pool)
            self.inbound(t, h, ip, "", sender, "Undeliverable: " + subject,
                         "postmaster@" + d, returned, kind="answer")
        elif host == "google":
            h, ip = r.choice(self.g_pool)
            self.inbound(t, h, ip, "", sender, "Delivery Status Notification (Failure)",
                         "Mail Delivery Subsystem <mailer-daemon@googlemail.com>", returned,
                         kind="answer")
        else:
            self.inbound(t, "mail." + d, ipv4(r, 150 + zlib.crc32(d.encode()) % 50), "", sender,
                         "Undelivered Mail Returned to Sender",
                         "MAILER-DAEMON@mail." + d, returned, kind="answer")

    # -- the day ---------------------------------------------------------------------
    def ordinary(self, inbound, people):
        r = self.rng
        for _ in range(inbound):
            t = DAY0 + r.uniform(0, 86000)
            h, ip = r.choice(self.ms_pool + self.g_pool + self.others * 2)
            self.inbound(t, h, ip, "%s@%s" % (r.choice(USERS), h.split(".", 1)[1]),
                         self.user(), self.words(4), "%s <x@%s>" % (r.choice(USERS), h))
        for _ in range(people):
            t = DAY0 + r.uniform(0, 86000)
            sender, dom = self.user(), r.choice(self.domains)
            subject = self.words(3)
            mid, done = self.outbound(t, sender, dom, subject)
            if r.random() < 0.03:
                self.notice(done + r.uniform(5, 600), dom, sender, subject, mid)
        for _ in range(40):  # notices of mail sent elsewhere: they answer nothing we know
            h, ip = r.choice(self.others)
            self.inbound(DAY0 + r.uniform(0, 86000), h, ip, "", self.user(),
                         "Undelivered Mail Returned to Sender", "MAILER-DAEMON@" + h,
                         kind="unknown")

    def newsletter(self, start, n, share):
        r = self.rng
        subject = "Spring offers: %s" % self.words(2)
        hosted = [d for d in self.domains if d[1] != "own"]
        for i in range(n):
            dom = r.choice(hosted) if r.random() < 0.8 else r.choice(self.domains)
            mid, done = self.outbound(start + i * 0.1, "newsletter@" + LOCAL, dom, subject,
                                      pickup=True)
            if r.random() < share:
                self.notice(done + r.uniform(3, 180), dom, "newsletter@" + LOCAL, subject, mid)

    def flood_sources(self, n, first):
        r = self.rng
        return [("relay%d.bulkhost%d.com" % (i, first + i), ipv4(r, first)) for i in range(n)]

    def flood(self, group, start, sources, subjects, per_ip, spread, daemon="MAILER-DAEMON"):
        r = self.rng
        for h, ip in sources:
            t0 = start + r.uniform(0, 60)
            n = r.randint(*per_ip)
            for k in range(n):
                t = t0 + spread * k / n + r.uniform(0, 1)
                self.inbound(t, h, ip, "", "%s%d@%s" % (r.choice(USERS), r.randint(1, 999), LOCAL),
                             subjects(k), "%s@%s" % (daemon, h), flood=True, kind=group)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--seed", type=int, default=19)
    p.add_argument("--inbound", type=int, default=20000)
    p.add_argument("--outbound", type=int, default=6000)
    p.add_argument("--log", required=True)
    p.add_argument("--truth", required=True)
    a = p.parse_args()
    day = Day(a.seed)
    day.ordinary(a.inbound, a.outbound)
    for hour, share in ((8, 0.10), (13, 0.10), (17, 0.12)):
        day.newsletter(DAY0 + hour * 3600, 3000, share)
    # One subject from many IPs.
    day.flood("one subject, 30 IPs", DAY0 + 10 * 3600, day.flood_sources(30, 91),
              lambda k: "Undeliverable: Your parcel is waiting for delivery", (12, 60), 150)
    # Many subjects from one IP (a fast one and a slower one).
    day.flood("many subjects, one IP", DAY0 + 15 * 3600, day.flood_sources(1, 92),
              lambda k: "Undeliverable: " + day.words(4), (300, 300), 300)
    day.flood("many subjects, one slower IP", DAY0 + 15.5 * 3600, day.flood_sources(1, 93),
              lambda k: "Returned mail: " + day.words(3), (120, 120), 300)
    # Hidden among the genuine "Delivery Status Notification (Failure)" of the
    # 13:00 newsletter's bounce wave.
    day.flood("hidden in a newsletter's DSNs", DAY0 + 13 * 3600 + 60, day.flood_sources(6, 94),
              lambda k: "Delivery Status Notification (Failure)", (15, 40), 120,
              daemon="mailer-daemon")
    with open(a.log, "w") as f:
        day.log.write(f)
    t = day.truth
    with open(a.truth, "w") as f:
        json.dump({"bounces": sorted(t["bounces"], key=lambda b: b["t"]),
                   "legit_ips": sorted(t["legit_ips"] - t["flood_ips"]),
                   "flood_ips": sorted(t["flood_ips"])}, f)


if __name__ == "__main__":
    main()
