"""Real SMTP traffic for the end-to-end test, written down as it happens: one
ground-truth row per message attempt, in the format of the corpora's
*.groundtruth.jsonl (what was sent, what the server answered to each command,
and what should become of each recipient), which tests/tools/compare_records.py
checks the records against."""
import email.utils
import json
import smtplib
import threading
import time


class Traffic:
    def __init__(self, mx, path):
        self.mx = mx
        self.rows = []
        self.out = open(path, "w")
        self.lock = threading.Lock()
        self.seq = 0

    def close(self):
        self.out.close()

    def send(self, client_ip, mail_from, rcpts, subject, expected, port=25, helo=None,
             header_from=None, category="", timeout=10.0, record=True):
        """One SMTP transaction from `client_ip`; the row (or None if the
        connection failed before MAIL, e.g. dropped by a firewall)."""
        with self.lock:
            self.seq += 1
            seq = self.seq
        helo = helo or "mail%d.sender.test" % (seq % 7)
        msgid = "<e2e.%d.%d@%s>" % (seq, int(time.time() * 1000), helo)
        header_from = header_from or "<%s>" % (mail_from or "MAILER-DAEMON@" + helo)
        body = ("From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\nMessage-ID: %s\r\n"
                "\r\nmessage %d of the end-to-end test\r\n" %
                (header_from, ", ".join("<%s>" % r for r in rcpts), subject,
                 email.utils.formatdate(), msgid, seq))
        row = {"seq": seq, "via": "smtp", "client_ip": client_ip, "helo": helo, "tls": False,
               "mail_from": mail_from, "rcpts": rcpts, "header_from": header_from,
               "subject": subject, "message_id": msgid,
               "expected": {r: expected(r) if callable(expected) else expected for r in rcpts},
               "category": category, "port": port, "queue_id": None,
               "send_epoch": time.time(), "smtp": {}}
        try:
            s = smtplib.SMTP(source_address=(client_ip, 0), timeout=timeout)
            s.connect(self.mx, port)
        except (OSError, smtplib.SMTPException) as e:
            row["connect_error"] = str(e)
            return row
        smtp = row["smtp"]
        try:
            s.ehlo(helo)
            code, text = s.mail(mail_from)
            smtp["mail"] = [code, text.decode()]
            smtp["rcpt"] = []
            ok = 0
            if code >= 400:
                smtp["data"] = [None, "MAIL refused"]  # nothing of this attempt to check
            else:
                for r in rcpts:
                    code, text = s.rcpt(r)
                    smtp["rcpt"].append([r, code, text.decode()])
                    ok += code < 400
            if ok:
                code, text = s.data(body.encode())
                smtp["data"] = [code, text.decode()]
                if code == 250 and "queued as " in text.decode():
                    row["queue_id"] = text.decode().rsplit("queued as ", 1)[1].strip()
            s.quit()
        except (OSError, smtplib.SMTPException) as e:
            row["error"] = str(e)
            smtp.setdefault("data", [None, str(e)])
        if record:
            with self.lock:
                self.rows.append(row)
                self.out.write(json.dumps(row) + "\n")
                self.out.flush()
        return row
