"""The other mail servers of the end-to-end test, each a tiny SMTP server on a
thread of the test process:
  RemoteMx      mx.remote.test: RCPT answers by local part (nouser* 550 5.1.1,
                defer* 451 4.3.0, slow* 250 after 1 s, else 250); end of DATA
                554 if the Subject holds REJECTDATA.
  ContentFilter an amavis-like filter: takes the message, re-injects it into
                Postfix's port 10025 from its own address and answers with the
                re-injection's reply (so Postfix logs "queued as NEWQID").
The partner MX is Postfix's own smtp-sink (a separate process)."""
import smtplib
import socket
import socketserver
import threading
import time


class _Session(socketserver.StreamRequestHandler):
    def reply(self, text):
        self.wfile.write((text + "\r\n").encode())

    def handle(self):
        self.reply("220 %s ESMTP" % self.server.peer.name)
        sender, rcpts = None, []
        while True:
            line = self.rfile.readline(4096)
            if not line:
                return
            cmd = line.decode("latin-1").strip()
            verb = cmd.split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                self.reply("250-%s\r\n250 8BITMIME" % self.server.peer.name)
            elif verb == "MAIL":
                sender, rcpts = cmd[10:].strip().strip("<>").split(">")[0], []
                self.reply("250 2.1.0 Ok")
            elif verb == "RCPT":
                rcpt = cmd[8:].strip().strip("<>").split(">")[0]
                answer = self.server.peer.rcpt(rcpt)
                if answer.startswith("250"):
                    rcpts.append(rcpt)
                self.reply(answer)
            elif verb == "DATA":
                if not rcpts:
                    self.reply("554 5.5.1 Error: no valid recipients")
                    continue
                self.reply("354 End data with <CR><LF>.<CR><LF>")
                data = []
                while True:
                    l = self.rfile.readline(65536)
                    if not l or l in (b".\r\n", b".\n"):
                        break
                    data.append(l[1:] if l.startswith(b"..") else l)
                self.reply(self.server.peer.data(sender, rcpts, b"".join(data)))
                sender, rcpts = None, []
            elif verb == "RSET":
                sender, rcpts = None, []
                self.reply("250 2.0.0 Ok")
            elif verb == "QUIT":
                self.reply("221 2.0.0 Bye")
                return
            else:
                self.reply("250 2.0.0 Ok")


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


class _Peer:
    name = "peer"

    def start(self, address, port):
        self.server = _Server((address, port), _Session)
        self.server.peer = self
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class RemoteMx(_Peer):
    name = "mx.remote.test"

    def rcpt(self, rcpt):
        local = rcpt.split("@")[0]
        if local.startswith("nouser"):
            return "550 5.1.1 <%s>: Recipient address rejected: User unknown" % rcpt
        if local.startswith("defer"):
            return "451 4.3.0 <%s>: Temporary lookup failure" % rcpt
        if local.startswith("slow"):
            time.sleep(1.0)  # the message sits in Postfix's active queue meanwhile
        return "250 2.1.5 Ok"

    def data(self, sender, rcpts, message):
        if b"REJECTDATA" in message.split(b"\r\n\r\n", 1)[0]:
            return "554 5.7.1 Message content rejected"
        return "250 2.0.0 Ok: accepted"


class ContentFilter(_Peer):
    name = "filter.example.test"

    def __init__(self, source, reinject):
        self.source, self.reinject = source, reinject

    def rcpt(self, rcpt):
        return "250 2.1.5 Ok"

    def data(self, sender, rcpts, message):
        try:
            s = smtplib.SMTP(source_address=(self.source, 0), timeout=30)
            s.connect(*self.reinject)
            s.ehlo("filter.example.test")
            s.mail(sender)
            for r in rcpts:
                s.rcpt(r)
            code, text = s.data(message)
            s.quit()
        except (OSError, smtplib.SMTPException) as e:
            return "451 4.3.0 filter: re-injection failed: %s" % str(e).replace("\n", " ")
        return "%d 2.0.0 from MTA(smtp:[%s]:%d): %d %s" % (
            code, self.reinject[0], self.reinject[1], code, text.decode().replace("\n", " "))


def wait_listening(address, port, timeout=10.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            socket.create_connection((address, port), timeout=1).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False
