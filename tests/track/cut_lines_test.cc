// Lines Postfix cut at 2000 bytes (msg_syslog.c, msg_logger.c: "Output
// records are truncated to 2000 characters", with no mark). A sender makes a
// line that long with a long quoted address, and places a trailer of its own
// where the cut falls: the real trailer is gone, the forged one parsed. With
// it a provider's user got the provider's shared MTA blocked ("20 bounces
// from 192.0.2.50", real sender alice@prov.example read as <>), and a
// forwarder's delivered mail read as null-sender (helper-118 F1-F3). A cut
// line gives no trailer: no sender, recipient, proto or HELO (docs/security.md
// rule 1).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "agent/detect/flood_detector.h"
#include "agent/replay/line_stats.h"
#include "tests/support/tracker_harness.h"

namespace mailtrail {
namespace {

constexpr size_t kPostfixCut = 2000;  // MSG_SYSLOG_RECLEN
const char kDecoy[] = "; from=<> to=<nadia@example.test> proto=ESMTP helo=<h>";

std::string Reject(const std::string& local) {
  return "NOQUEUE: reject: RCPT from prov.example[192.0.2.50]: 550 5.1.1 <" + local +
         "@example.test>: Recipient address rejected: User unknown in local recipient table; "
         "from=<alice@prov.example> to=<\"" +
         local + "\"@example.test> proto=ESMTP helo=<prov.example>";
}

// A RCPT reject of a ~1 KB quoted recipient, whose message part is cut at
// 2000 bytes right after a forged trailer inside the real trailer's to=;
// not cut: the same forgery in a recipient short enough to be logged whole.
std::string CutReject(bool cut) {
  if (!cut) return Reject(std::string(10, 'a') + kDecoy + "x");
  for (int pad = 300; pad < 1200; ++pad) {
    for (const char* tail : {"x", "xy"}) {
      const std::string msg = Reject(std::string(pad, 'a') + kDecoy + tail);
      if (msg.size() > kPostfixCut &&
          msg.compare(kPostfixCut - sizeof(kDecoy) + 1, sizeof(kDecoy) - 1, kDecoy) == 0)
        return msg.substr(0, kPostfixCut);
    }
  }
  ADD_FAILURE() << "no padding puts the cut after the decoy";
  return "";
}

std::vector<std::string> Sessions(bool cut) {
  std::vector<std::string> lines;
  for (int i = 0; i < 25; ++i) {
    char t[16];
    std::snprintf(t, sizeof t, "12:%02d:%02d", 10 + i * 3 / 60, i * 3 % 60);
    const std::string head =
        "Nov 27 " + std::string(t) + " mx postfix/smtpd[" + std::to_string(30000 + i) + "]: ";
    lines.push_back(head + "connect from prov.example[192.0.2.50]");
    lines.push_back(head + CutReject(cut));
    lines.push_back(head +
                    "disconnect from prov.example[192.0.2.50] ehlo=1 mail=1 rcpt=0/1 quit=1 "
                    "commands=3/4");
  }
  return lines;
}

TEST(CutLines, AParsedCutLineGivesNoTrailer) {
  ParseContext ctx;
  ctx.year = 2026;
  const std::string cut = "Nov 27 12:10:00 mx postfix/smtpd[1]: " + CutReject(true);
  Event ev = ParseLine(cut, ctx);
  ASSERT_EQ(ev.kind, EventKind::kSmtpdAction);
  EXPECT_TRUE(ev.cut);
  EXPECT_EQ(ev.client_ip, "192.0.2.50") << "a fixed position: kept";
  EXPECT_EQ(ev.action, "reject");
  EXPECT_EQ(ev.stage, "RCPT");
  EXPECT_FALSE(ev.has_from);
  EXPECT_EQ(ev.from, "");
  EXPECT_EQ(ev.to, "");
  EXPECT_EQ(ev.helo, "");
  EXPECT_EQ(ev.proto, "");

  // Short enough to be written whole: its trailer is read.
  std::string whole = "Nov 27 12:10:00 mx postfix/smtpd[1]: " + CutReject(false);
  ev = ParseLine(whole, ctx);
  EXPECT_FALSE(ev.cut);
  EXPECT_EQ(ev.from, "alice@prov.example");

  // Other severities carry "warning: " before their 2000 bytes.
  const std::string warning =
      "Nov 27 12:10:00 mx postfix/smtpd[1]: warning: " + std::string(kPostfixCut - 1, 'w');
  EXPECT_FALSE(ParseLine(warning, ctx).cut);
  EXPECT_TRUE(ParseLine(warning + "w", ctx).cut);

  // Said, not silent: `mailtrail stats` counts them.
  LineCounter counter;
  for (const std::string& l : {cut, whole, warning + "w"}) counter.Count(ParseLine(l, ctx), l);
  EXPECT_EQ(counter.cut(), 2);
  EXPECT_EQ(counter.ToStats().kinds.at("cut_by_postfix"), 2);
}

// A reject whose trailer the cut took, with nothing forged in its place,
// was an unknown line: the message's record was lost (helper-118 F4). It is
// a record of the client's reject, with no sender and no recipient.
TEST(CutLines, ARejectWhoseTrailerTheCutTookIsStillARecord) {
  const std::string reject = Reject(std::string(1900, 'a'));
  ASSERT_GT(reject.size(), kPostfixCut);
  TrackerHarness h;
  h.Feed({"Nov 27 12:10:00 mx postfix/smtpd[7]: connect from prov.example[192.0.2.50]",
          "Nov 27 12:10:00 mx postfix/smtpd[7]: " + reject.substr(0, kPostfixCut),
          "Nov 27 12:10:00 mx postfix/smtpd[7]: disconnect from prov.example[192.0.2.50] ehlo=1 "
          "mail=1 rcpt=0/1 quit=1 commands=3/4"});
  h.Flush();
  ASSERT_EQ(h.records().size(), 1u);
  const MessageRecord& r = h.records()[0];
  EXPECT_EQ(r.client_ip, "192.0.2.50");
  ASSERT_TRUE(r.reject.has_value());
  EXPECT_EQ(r.reject->action, "reject");
  EXPECT_EQ(r.reject->stage, "RCPT");
  EXPECT_EQ(r.reject->code, 550);
  EXPECT_FALSE(r.sender.has_value());
  EXPECT_TRUE(r.recipients.empty());
}

TEST(CutLines, ARejectCutAfterAForgedTrailerIsNoNullSenderBounce) {
  for (const bool cut : {false, true}) {
    TrackerHarness h;
    h.Feed(Sessions(cut));
    h.Flush();
    DetectorOptions o;
    o.ip_bounces = 20;
    FloodDetector d(o);
    std::vector<Decision> out;
    ASSERT_EQ(h.records().size(), 25u);
    for (const MessageRecord& r : h.records()) {
      EXPECT_EQ(r.client_ip, "192.0.2.50");
      EXPECT_NE(r.sender.value_or("?"), "") << "cut=" << cut << ": the forged null sender";
      for (const RecipientRecord& rc : r.recipients)
        EXPECT_NE(rc.address, "nadia@example.test") << "never addressed";
      d.OnRecord(r, &out);
    }
    EXPECT_TRUE(out.empty()) << "cut=" << cut << ": " << out.size() << " decisions, the first "
                             << out[0].key;
    if (!cut) {
      EXPECT_EQ(h.records()[0].sender.value_or("?"), "alice@prov.example");
    } else {
      EXPECT_FALSE(h.records()[0].sender.has_value()) << "unknown, not guessed";
    }
  }
}

// A forwarder that keeps the original sender (no SRS) relays mail whose
// ~2000-byte sender cuts qmgr's line before size=; the Subject INFO line
// (the recommended header_checks rule) is cut inside its real trailer after a
// forged one in the subject. The delivered message read as null-sender.
TEST(CutLines, AForwardedMessageWithACutSenderIsNoNullSenderBounce) {
  const std::string sender = "\"" + std::string(1990, 's') + "\"@evil.test";
  // Subject: "hi from mail.fwd.test[203.0.113.25]; from=<> to=<...> ...: "
  const std::string info_head =
      "4F00010A305: info: header Subject: hi from mail.fwd.test[203.0.113.25]" +
      std::string(kDecoy) + ": from mail.fwd.test[203.0.113.25]; from=<" + sender +
      "> to=<nadia@example.test> proto=ESMTP helo=<mail.fwd.test>";
  const std::string qmgr_head =
      "4F00010A305: from=<" + sender + ">, size=2201, nrcpt=1 (queue active)";
  const std::string p = "Nov 27 12:03:25 mx postfix/";
  TrackerHarness h;
  h.Feed({p + "smtpd[12776]: connect from mail.fwd.test[203.0.113.25]",
          p + "smtpd[12776]: 4F00010A305: client=mail.fwd.test[203.0.113.25]",
          p + "cleanup[12781]: " + info_head.substr(0, kPostfixCut),
          p + "cleanup[12781]: 4F00010A305: message-id=<x1@evil.test>",
          p + "qmgr[12713]: " + qmgr_head.substr(0, kPostfixCut),
          p + "smtpd[12776]: disconnect from mail.fwd.test[203.0.113.25] ehlo=1 mail=1 rcpt=1 "
              "data=1 quit=1 commands=5",
          p + "local[12782]: 4F00010A305: to=<nadia@example.test>, relay=local, delay=0.03, "
              "delays=0.02/0.01/0/0, dsn=2.0.0, status=sent (delivered to mailbox)",
          p + "qmgr[12713]: 4F00010A305: removed"});
  h.Flush();
  const MessageRecord* one = h.One("4F00010A305");
  ASSERT_NE(one, nullptr);
  const MessageRecord& r = *one;
  EXPECT_NE(r.sender.value_or("?"), "") << "the forged null sender of the cut Subject line";
  ASSERT_EQ(r.recipients.size(), 1u);
  EXPECT_EQ(r.recipients[0].address, "nadia@example.test");
}

// Exactly kPostfixCut bytes: `head`, then `fill` repeated, then `tail`.
std::string CutAt2000(const std::string& head, char fill, const std::string& tail) {
  EXPECT_LT(head.size() + tail.size(), kPostfixCut);
  return head + std::string(kPostfixCut - head.size() - tail.size(), fill) + tail;
}

// helper-119 N1: a second forged trailer naming another client made the
// tracker read the cut header line again (for smtpd's client), and that
// read put the first forgery's null sender and recipient back.
TEST(CutLines, ACutHeaderLineIsNotReadAgainForItsClient) {
  std::vector<std::string> lines;
  for (int i = 0; i < 22; ++i) {
    char qid[16], t[16];
    std::snprintf(qid, sizeof qid, "4A1B200A3%02X", i);
    std::snprintf(t, sizeof t, "12:20:%02d", i * 2);
    const std::string p = "Nov 27 " + std::string(t) + " mx postfix/";
    const std::string pid = "smtpd[" + std::to_string(31000 + i) + "]: ";
    lines.push_back(p + pid + "connect from prov.example[192.0.2.50]");
    lines.push_back(p + pid + qid + ": client=prov.example[192.0.2.50]");
    lines.push_back(p + "cleanup[2002]: " +
                    CutAt2000(std::string(qid) +
                                  ": reject: header Subject: Cheap meds now from "
                                  "prov.example[192.0.2.50]; from=<alice@prov.example> "
                                  "to=<\"nadia+a from prov.example[192.0.2.50]; from=<> "
                                  "to=<ceo@example.test> proto=ESMTP helo=<h>",
                              'b',
                              " from other.example[10.9.9.9]; from=<> to=<ceo@example.test> "
                              "proto=ESMTP helo=<h>"));
    lines.push_back(p + pid +
                    "disconnect from prov.example[192.0.2.50] ehlo=1 mail=1 rcpt=1 data=0/1 "
                    "quit=1 commands=4/5");
  }
  TrackerHarness h;
  h.Feed(lines);
  h.Flush();
  FloodDetector d{DetectorOptions{}};
  std::vector<Decision> out;
  ASSERT_EQ(h.records().size(), 22u);
  for (const MessageRecord& r : h.records()) {
    EXPECT_NE(r.sender.value_or("?"), "") << r.qid;
    for (const RecipientRecord& rc : r.recipients) EXPECT_NE(rc.address, "ceo@example.test");
    d.OnRecord(r, &out);
  }
  EXPECT_TRUE(out.empty()) << out.size() << " decisions, the first " << out[0].key;
}

// Lines cut with no trailer to forge keep what they said from the left
// (helper-119 N2, N3, N5: clearing from= and to= on every long line made a
// forwarder's mail null-sender, merged a message's recipients into one "",
// and a pickup line of exactly 2000 bytes, written whole, null-sender).
TEST(CutLines, CutLinesWithoutATrailerKeepTheirEnvelope) {
  const std::string sender = std::string(1940, 's') + "@evil.test";  // cut in "(queue active)"
  const std::string reply = "(host mx.remote.test[127.0.0.3] said: 550-5.7.1 ";
  const std::string p = "Nov 27 12:03:00 mx postfix/";
  auto delivery = [&](const std::string& to, const std::string& dsn, const std::string& status) {
    return p + "smtp[4001]: " +
           CutAt2000("4F00000A305: to=<" + to +
                         ">, relay=mx.remote.test[127.0.0.3]:25, delay=1.2, "
                         "delays=0.1/0/0.5/0.6, dsn=" +
                         dsn + ", status=" + status + " " + reply,
                     'x', " queued as 99AA");
  };
  TrackerHarness h;
  h.Feed({p + "smtpd[12776]: connect from fwd.partner.example[203.0.113.25]",
          p + "smtpd[12776]: 4F00000A305: client=fwd.partner.example[203.0.113.25]",
          p + "cleanup[12781]: 4F00000A305: message-id=<x0@evil.test>",
          p + "qmgr[12713]: " +
              ("4F00000A305: from=<" + sender + ">, size=1339, nrcpt=3 (queue active)")
                  .substr(0, kPostfixCut),
          p + "smtpd[12776]: disconnect from fwd.partner.example[203.0.113.25] ehlo=1 mail=1 "
              "rcpt=3 data=1 quit=1 commands=7",
          delivery("ann@remote.test", "5.7.1", "bounced"),
          delivery("bob@remote.test", "5.7.1", "bounced"),
          delivery("cat@remote.test", "2.0.0", "sent"), p + "qmgr[12713]: 4F00000A305: removed",
          p + "pickup[5000]: " + CutAt2000("5B0B010A001: uid=1000 from=<", 'u', "@example.test>"),
          p + "qmgr[12713]: 5B0B010A001: removed"});
  h.Flush();
  const MessageRecord* fwd = h.One("4F00000A305");
  ASSERT_NE(fwd, nullptr);
  EXPECT_TRUE(fwd->sender.has_value() && fwd->sender->size() > 100)
      << "qmgr's line parsed: its sender, not <>";
  ASSERT_EQ(fwd->recipients.size(), 3u);
  EXPECT_EQ(fwd->recipients[0].address, "ann@remote.test");
  EXPECT_EQ(fwd->recipients[2].address, "cat@remote.test");
  EXPECT_TRUE(fwd->child_qids.empty()) << "a \"queued as\" read from the end of a cut reply";
  const MessageRecord* picked = h.One("5B0B010A001");
  ASSERT_NE(picked, nullptr);
  EXPECT_NE(picked->sender.value_or(""), "");
}

// A sender long enough to cut qmgr's line (unparsed) and the header lines
// leaves the record's sender unknown, and a sender unknown let the headers
// speak: a forged "From: MAILER-DAEMON" or a notice Subject made 25 bounces
// and the provider blocked again; a message refused at END-OF-MESSAGE never
// reaches qmgr at all (helper-120 F1). A record whose trailer a cut took is
// no notice by what its sender wrote.
TEST(CutLines, ASenderLostToACutLetsNoHeaderMakeABounce) {
  const std::string sender = "\"" + std::string(1990, 's') + "\"@prov.example";
  // Each with a trailer forged in the header's text, so that the cut line
  // still parses (its own trailer is cut inside the sender).
  const std::string decoy =
      " from prov.example[192.0.2.50]; from=<> to=<nadia@example.test> proto=ESMTP helo=<h>:";
  for (const std::string& header : {"From: MAILER-DAEMON@prov.example" + decoy,
                                    "Subject: Undelivered Mail Returned to Sender" + decoy}) {
    for (const bool refused : {false, true}) {
      std::vector<std::string> lines;
      for (int i = 0; i < 25; ++i) {
        char qid[16], t[16];
        std::snprintf(qid, sizeof qid, "5C0DE10A3%02X", i);
        std::snprintf(t, sizeof t, "12:10:%02d", i * 2);
        const std::string p = "Nov 27 " + std::string(t) + " mx postfix/";
        const std::string q = std::string(qid) + ": ";
        const std::string smtpd = "smtpd[" + std::to_string(31000 + i) + "]: ";
        const std::string trailer = " from prov.example[192.0.2.50]; from=<" + sender +
                                    "> to=<nadia@example.test> proto=ESMTP helo=<prov.example>";
        lines.push_back(p + smtpd + "connect from prov.example[192.0.2.50]");
        lines.push_back(p + smtpd + q + "client=prov.example[192.0.2.50]");
        lines.push_back(p + "cleanup[2002]: " +
                        (q + "info: header " + header + trailer).substr(0, kPostfixCut));
        if (refused) {
          lines.push_back(p + "cleanup[2002]: " +
                          (q +
                           "milter-reject: END-OF-MESSAGE from prov.example[192.0.2.50]: "
                           "5.7.1 Spam; from=<" +
                           sender +
                           "> to=<nadia@example.test> "
                           "proto=ESMTP helo=<prov.example>")
                              .substr(0, kPostfixCut));
        } else {
          lines.push_back(p + "qmgr[12713]: " +
                          (q + "from=<" + sender + ">, size=2201, nrcpt=1 (queue active)")
                              .substr(0, kPostfixCut));
          lines.push_back(p + "local[12782]: " + q +
                          "to=<nadia@example.test>, relay=local, delay=0.03, "
                          "delays=0.02/0.01/0/0, dsn=2.0.0, status=sent (delivered to mailbox)");
          lines.push_back(p + "qmgr[12713]: " + q + "removed");
        }
        lines.push_back(p + smtpd +
                        "disconnect from prov.example[192.0.2.50] ehlo=1 mail=1 "
                        "rcpt=1 data=" +
                        (refused ? "0/1" : "1") + " quit=1 commands=5");
      }
      TrackerHarness h;
      h.Feed(lines);
      h.Flush();
      FloodDetector d{DetectorOptions{}};
      std::vector<Decision> out;
      EXPECT_EQ(h.records().size(), 25u);
      for (const MessageRecord& r : h.records()) d.OnRecord(r, &out);
      EXPECT_EQ(d.bounces(), 0) << header << (refused ? ", refused" : ", delivered");
      EXPECT_TRUE(out.empty()) << header;
    }
  }
}

}  // namespace
}  // namespace mailtrail
