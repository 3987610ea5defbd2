// Targeted parser properties; the bulk of the parser tests is the corpus files.
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "parsers/line_parser.h"
#include "parsers/scan.h"

namespace mailtrail {
namespace {

ParseContext Ctx2026() {
  ParseContext ctx;
  ctx.year = 2026;
  return ctx;
}

// scan::RFind is a faster string_view::rfind: the same answer for every text,
// needle and start, on texts made of the needles' own bytes (many near misses).
TEST(Scan, RFindAgreesWithStringViewRfind) {
  std::mt19937 rng(23);
  const std::string_view needles[] = {"; ", " from ", ">: ", ", Hits: ", " ", "  ", "x", ""};
  const std::string alphabet = "; from>:,Hitsx";
  for (int round = 0; round < 20000; ++round) {
    std::string text(rng() % 40, ' ');
    for (char& c : text) c = alphabet[rng() % alphabet.size()];
    const std::string_view needle = needles[rng() % std::size(needles)];
    const size_t pos = rng() % 3 == 0 ? std::string_view::npos : rng() % 45;
    ASSERT_EQ(scan::RFind(text, needle, pos), std::string_view(text).rfind(needle, pos))
        << "text '" << text << "' needle '" << needle << "' pos " << pos;
  }
}

TEST(Envelope, BsdAndMaillogFileDaysMeanTheSameTime) {
  const Event a = ParseLine("Nov  7 11:21:14 mx postfix/qmgr[1]: 44C4B10A321: removed", Ctx2026());
  const Event b = ParseLine("Nov 07 11:21:14 mx postfix/qmgr[1]: 44C4B10A321: removed", Ctx2026());
  EXPECT_EQ(a.kind, EventKind::kRemoved);
  EXPECT_EQ(a.time, b.time);
  EXPECT_EQ(a.month, 11);
}

TEST(Envelope, TimeZoneSettingShiftsYearlessTimes) {
  ParseContext ctx = Ctx2026();
  const Event utc = ParseLine("Nov  7 11:21:14 mx postfix/qmgr[1]: 44C4B10A321: removed", ctx);
  ctx.utc_offset_seconds = 3600;
  const Event cet = ParseLine("Nov  7 11:21:14 mx postfix/qmgr[1]: 44C4B10A321: removed", ctx);
  EXPECT_EQ(utc.time - cet.time, 3600 * kUsPerSecond);
}

TEST(Envelope, Rfc3339OffsetsAreApplied) {
  const Event a = ParseLine(
      "2026-11-27T11:21:14.500000+01:00 mx postfix/qmgr[1]: 44C4B10A321: removed", Ctx2026());
  const Event b =
      ParseLine("2026-11-27T10:21:14.5Z mx postfix/qmgr[1]: 44C4B10A321: removed", Ctx2026());
  EXPECT_EQ(a.kind, EventKind::kRemoved);
  EXPECT_EQ(a.time, b.time);
  EXPECT_EQ(a.month, 0);  // a dated line needs no year inference
}

// The earliest and latest stamps RFC 3339 can write stay within the range a
// saved state accepts (civil_time.h); anything past them is not a stamp.
TEST(Envelope, Rfc3339StampsStayWithinTheLogTimeLimit) {
  for (const char* stamp : {"0000-01-01T00:00:00+99:59", "9999-12-31T23:59:59.999999-99:59"}) {
    const Event e =
        ParseLine(std::string(stamp) + " mx postfix/qmgr[1]: 44C4B10A321: removed", Ctx2026());
    EXPECT_EQ(e.kind, EventKind::kRemoved) << stamp;
    EXPECT_LT(e.time, kLogTimeLimit) << stamp;
    EXPECT_GT(e.time, -kLogTimeLimit) << stamp;
  }
  EXPECT_NE(
      ParseLine("10000-01-01T00:00:00Z mx postfix/qmgr[1]: 44C4B10A321: removed", Ctx2026()).kind,
      EventKind::kRemoved);
}

TEST(YearRollover, DecemberToJanuaryAdvancesTheYear) {
  ParseContext ctx = Ctx2026();
  YearRollover r;
  using Seen = YearRollover::Seen;
  EXPECT_EQ(r.Observe(12, &ctx), Seen::kThisYear);
  EXPECT_EQ(r.Observe(12, &ctx), Seen::kThisYear);
  EXPECT_EQ(r.Observe(1, &ctx), Seen::kRolled);
  EXPECT_EQ(ctx.year, 2027);
  EXPECT_EQ(r.Observe(1, &ctx), Seen::kThisYear);
  EXPECT_EQ(r.Observe(0, &ctx), Seen::kThisYear);  // RFC 3339 lines carry their own year
  EXPECT_EQ(ctx.year, 2027);
}

// Lines that go Dec, Jan, Dec, Jan... stop counting the years at 9999: their
// times stay within what a saved state accepts (civil_time.h).
TEST(YearRollover, TheYearStopsAtTheLastAStampCanName) {
  DatedLineParser p = DatedLineParser::WithYear(0, 9990);
  TimeUs last = 0;
  for (int i = 0; i < 40; ++i) {
    p.Parse("Dec 31 23:59:59 mx postfix/qmgr[1]: 44C4B10A321: removed");
    last = p.Parse("Jan  1 00:00:01 mx postfix/qmgr[1]: 55C4B10A321: removed").time;
    p.Parse("Jul  1 00:00:01 mx postfix/qmgr[1]: 66C4B10A321: removed");
  }
  EXPECT_EQ(p.year(), YearRollover::kLastYear);
  EXPECT_EQ(FormatRfc3339(last), "9999-01-01T00:00:01Z");
  EXPECT_LT(last, kLogTimeLimit);
}

// With maillog_file (postlogd) each process stamps its own line: at New Year
// a line of December may follow one of January by a second. It is last
// year's, and the next January line does not roll the year again.
TEST(DatedLineParser, ADecemberLineAfterNewYearIsLastYears) {
  DatedLineParser p = DatedLineParser::WithYear(0, 2026);
  p.Parse("Dec 31 23:59:58 mx postfix/qmgr[1]: 44C4B10A321: removed");
  const Event a = p.Parse("Jan  1 00:00:00 mx postfix/qmgr[1]: 55C4B10A321: removed");
  const Event b = p.Parse("Dec 31 23:59:59 mx postfix/qmgr[1]: 66C4B10A321: removed");
  const Event c = p.Parse("Jan  1 00:00:01 mx postfix/qmgr[1]: 77C4B10A321: removed");
  EXPECT_EQ(FormatRfc3339(a.time), "2027-01-01T00:00:00Z");
  EXPECT_EQ(FormatRfc3339(b.time), "2026-12-31T23:59:59Z");
  EXPECT_EQ(FormatRfc3339(c.time), "2027-01-01T00:00:01Z");
  EXPECT_EQ(p.year(), 2027);
}

// A clock stepped back over New Year (fake-hwclock after a reboot, a wrong
// NTP source) by up to a week: the December lines are last year's, and the
// January lines after them stay this year's (helper-94: the second January
// rolled the year again, and every later line was a year ahead).
TEST(DatedLineParser, AStepBackOverNewYearOfAWeekKeepsTheYear) {
  DatedLineParser p = DatedLineParser::WithYear(0, 2026);
  p.Parse("Dec 28 10:00:00 mx postfix/qmgr[1]: 44C4B10A321: removed");
  const Event jan = p.Parse("Jan  5 10:00:00 mx postfix/qmgr[1]: 55C4B10A321: removed");
  const Event back = p.Parse("Dec 31 10:00:00 mx postfix/qmgr[1]: 66C4B10A321: removed");
  const Event again = p.Parse("Jan  5 10:00:01 mx postfix/qmgr[1]: 77C4B10A321: removed");
  const Event feb = p.Parse("Feb  1 10:00:00 mx postfix/qmgr[1]: 88C4B10A321: removed");
  EXPECT_EQ(FormatRfc3339(jan.time), "2027-01-05T10:00:00Z");
  EXPECT_EQ(FormatRfc3339(back.time), "2026-12-31T10:00:00Z");
  EXPECT_EQ(FormatRfc3339(again.time), "2027-01-05T10:00:01Z");
  EXPECT_EQ(FormatRfc3339(feb.time), "2027-02-01T10:00:00Z");
}

// A quiet log from December to the leap day: Feb 29 exists in the year the
// line rolls to, not in December's (helper-94: the line was unparsable, and
// the year did not roll, so March was dated before December).
TEST(DatedLineParser, TheLeapDayAfterDecemberRollsTheYear) {
  DatedLineParser p = DatedLineParser::WithYear(0, 2027);
  p.Parse("Dec 31 10:00:00 mx postfix/qmgr[1]: 44C4B10A321: removed");
  const Event leap = p.Parse("Feb 29 23:59:58 mx postfix/smtpd[2]: connect from x[192.0.2.1]");
  const Event mar = p.Parse("Mar  1 00:00:00 mx postfix/qmgr[1]: 55C4B10A321: removed");
  EXPECT_NE(leap.kind, EventKind::kUnparsable);
  EXPECT_EQ(FormatRfc3339(leap.time), "2028-02-29T23:59:58Z");
  EXPECT_EQ(FormatRfc3339(mar.time), "2028-03-01T00:00:00Z");
  // Not a leap day of a year that has none.
  DatedLineParser q = DatedLineParser::WithYear(0, 2027);
  q.Parse("Jan 31 10:00:00 mx postfix/qmgr[1]: 44C4B10A321: removed");
  EXPECT_EQ(q.Parse("Feb 29 10:00:00 mx postfix/qmgr[1]: 55C4B10A321: removed").kind,
            EventKind::kUnparsable);
}

// A December line long after the last January one is this year's: a quiet
// server, or a log with a gap of months.
TEST(DatedLineParser, ADecemberLineMonthsAfterJanuaryIsThisYears) {
  DatedLineParser p = DatedLineParser::WithYear(0, 2026);
  p.Parse("Jan 10 10:00:00 mx postfix/qmgr[1]: 44C4B10A321: removed");
  const Event dec = p.Parse("Dec 20 10:00:00 mx postfix/qmgr[1]: 55C4B10A321: removed");
  const Event jan = p.Parse("Jan  5 10:00:00 mx postfix/qmgr[1]: 66C4B10A321: removed");
  EXPECT_EQ(FormatRfc3339(dec.time), "2026-12-20T10:00:00Z");
  EXPECT_EQ(FormatRfc3339(jan.time), "2027-01-05T10:00:00Z");
}

TEST(DatedLineParser, AMonthAfterTheReferenceIsLastYearThenTheYearRollsOver) {
  DatedLineParser p(0, /*ref_year=*/2027, /*ref_month=*/1);  // e.g. a file written in January
  const Event dec = p.Parse("Dec 31 23:59:59 mx postfix/qmgr[1]: 44C4B10A321: removed");
  EXPECT_EQ(FormatRfc3339(dec.time), "2026-12-31T23:59:59Z");
  const Event jan = p.Parse("Jan  1 00:00:01 mx postfix/qmgr[1]: 55C4B10A321: removed");
  EXPECT_EQ(FormatRfc3339(jan.time), "2027-01-01T00:00:01Z");
  EXPECT_EQ(p.year(), 2027);

  DatedLineParser same(0, 2026, 11);  // a first line not after the reference month
  EXPECT_EQ(
      FormatRfc3339(same.Parse("Nov 27 12:00:00 mx postfix/qmgr[1]: 44C4B10A321: removed").time),
      "2026-11-27T12:00:00Z");

  DatedLineParser fixed = DatedLineParser::WithYear(0, 2024);  // --year: no guess
  EXPECT_EQ(
      FormatRfc3339(fixed.Parse("Dec 31 23:59:59 mx postfix/qmgr[1]: 44C4B10A321: removed").time),
      "2024-12-31T23:59:59Z");
  // A line with its own year is left alone.
  EXPECT_EQ(FormatRfc3339(
                fixed.Parse("2026-03-01T10:00:00Z mx postfix/qmgr[1]: 44C4B10A321: removed").time),
            "2026-03-01T10:00:00Z");
}

TEST(Envelope, MultiPartProgramNamesUseTheLastComponent) {
  const Event ev = ParseLine(
      "Nov  7 11:21:14 mx postfix-out/relay/smtp[9]: 44C4B10A321: to=<a@b.test>, relay=none, "
      "delay=1, delays=0/0/1/0, dsn=4.4.1, status=deferred (connect refused)",
      Ctx2026());
  EXPECT_EQ(ev.kind, EventKind::kDelivery);
  EXPECT_EQ(ev.daemon, "smtp");
  EXPECT_EQ(ev.program, "postfix-out/relay/smtp");
}

TEST(Smtpd, RejectTrailerIsSplitFromTheRight) {
  // The reply text contains "; " and even "; from=<": the trailer is the last one.
  const Event ev = ParseLine(
      "Nov  7 11:21:16 mx postfix/smtpd[1]: NOQUEUE: reject: RCPT from h.test[198.51.100.5]: "
      "550 5.1.1 <u@x.test>: bad; from=<fake@x> to=<fake@y> proto=SMTP helo=<z>; see also; "
      "from=<real@s.test> to=<u@x.test> proto=ESMTP helo=<h.test>",
      Ctx2026());
  ASSERT_EQ(ev.kind, EventKind::kSmtpdAction);
  EXPECT_EQ(ev.from, "real@s.test");
  EXPECT_EQ(ev.to, "u@x.test");
  EXPECT_EQ(ev.client_ip, "198.51.100.5");
  EXPECT_EQ(ev.code, 550);
  EXPECT_EQ(ev.dsn, "5.1.1");
}

TEST(Cleanup, InjectedClientInSubjectIsNotTheClient) {
  const Event ev = ParseLine(
      "Nov 27 12:03:40 mx postfix/cleanup[1]: A1B2C3D4E5F: info: header Subject: hi from "
      "evil[1.2.3.4]; from=<a@b> to=<c@d> proto=ESMTP helo=<x> from mail.pal.test[127.0.5.123]; "
      "from=<li@pal.test> to=<nadia@example.test> proto=ESMTP helo=<mail.pal.test>",
      Ctx2026());
  ASSERT_EQ(ev.kind, EventKind::kHeader);
  EXPECT_EQ(ev.client_ip, "127.0.5.123");
  EXPECT_EQ(ev.from, "li@pal.test");
  EXPECT_EQ(ev.text, "hi from evil[1.2.3.4]; from=<a@b> to=<c@d> proto=ESMTP helo=<x>");
}

// The journal input lets only Postfix's users write the lines of programs for
// which this is true (docs/security.md rule 9): a program it is false for must
// never change a record, whatever its message says.
TEST(ParseLine, OnlyProgramsThatCanChangeRecordsAreReadForTracking) {
  const struct {
    const char* program;
    bool can;
  } cases[] = {
      {"postfix/smtpd", true},
      {"postfix-out/qmgr", true},
      {"mx2/cleanup", true},
      {"postfix/smtp", true},
      {"postfix/postsuper", true},
      {"postfix/bounce", true},
      {"postfix/newdaemon", true},
      {"amavis", true},
      {"amavisd", true},
      {"postfix/sendmail", false},
      {"postfix/postdrop", false},
      {"postfix/postqueue", false},
      {"postfix/postlog", false},
      {"postfix/master", false},
      {"sshd", false},
      {"dovecot", false},
      {"smtpd", false},
      {"amavis-milter", false},
  };
  const char* messages[] = {
      "4BxyZ1Qk2Tz9a: client=victim.example[192.0.2.66]",
      "4BxyZ1Qk2Tz9a: from=<>, size=1000, nrcpt=1 (queue active)",
      "4BxyZ1Qk2Tz9a: to=<a@b.example>, relay=x[192.0.2.1]:25, delay=1, delays=0/0/0/1, "
      "dsn=2.0.0, status=sent (250 ok)",
      "4BxyZ1Qk2Tz9a: removed",
      "(12345-01) Passed CLEAN {RelayedInbound}, [192.0.2.66]:4000 <a@b.example> -> "
      "<c@d.example>, Queue-ID: 4BxyZ1Qk2Tz9a, Hits: -1",
  };
  for (const auto& c : cases) {
    EXPECT_EQ(LinesCanChangeRecords(c.program), c.can) << c.program;
    if (c.can) continue;
    for (const char* m : messages) {
      const std::string line = std::string("Nov  7 11:21:14 mx ") + c.program + "[1]: " + m;
      const Event ev = ParseLine(line, Ctx2026());
      EXPECT_TRUE(ev.kind == EventKind::kNoise || ev.kind == EventKind::kForeign) << line;
    }
  }
}

TEST(ParseLine, SurvivesRandomBytesAndHostileLines) {
  std::mt19937 rng(42);
  const std::string prefix = "Nov  7 11:21:14 mx postfix/smtpd[1]: ";
  for (int i = 0; i < 20000; ++i) {
    std::string line = (i % 2) ? prefix : "";
    const int n = static_cast<int>(rng() % 300);
    for (int k = 0; k < n; ++k) line.push_back(static_cast<char>(rng() % 256));
    const Event ev = ParseLine(line, Ctx2026());
    // Whatever it is, every view points inside the line.
    for (std::string_view f : {ev.host, ev.program, ev.message, ev.qid, ev.client_ip, ev.text}) {
      if (f.empty()) continue;
      EXPECT_GE(f.data(), line.data());
      EXPECT_LE(f.data() + f.size(), line.data() + line.size());
    }
  }
}

TEST(ParseLine, OverlongAndNulLinesAreUnparsable) {
  std::string huge = "Nov  7 11:21:14 mx postfix/smtpd[1]: connect from a[1.2.3.4]";
  huge.append(1 << 20, 'x');
  EXPECT_EQ(ParseLine(huge, Ctx2026()).kind, EventKind::kUnparsable);
  std::string nul("Nov  7 11:21:14 mx postfix/qmgr[1]: 44C4B10A321: rem\0ved", 57);
  EXPECT_EQ(ParseLine(nul, Ctx2026()).kind, EventKind::kUnknown);
}

}  // namespace
}  // namespace mailtrail
