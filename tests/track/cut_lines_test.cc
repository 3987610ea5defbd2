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

}  // namespace
}  // namespace mailtrail
